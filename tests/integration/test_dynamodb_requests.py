"""How many DynamoDB requests the booking paths make, and over which connection (moto server)."""
from datetime import datetime, timedelta

import pytest
from pynamodb.connection.base import Connection

from chalicelib import aws as aws_clients, tables
from chalicelib.booking.domain import Policy
from chalicelib.booking.notices import SqsNoticePublisher
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.service import BookingService
from tests.fakes import FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE, request


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def service(aws, clock):
    svc = BookingService(DynamoBookingRepository(), SqsNoticePublisher(aws["notices"]),
                         pepper="test", clock=clock, policy=Policy())
    svc.generate_slots([OFFICE])
    return svc


@pytest.fixture
def sent(monkeypatch):
    """Every DynamoDB request as (connection, botocore client, operation)."""
    calls = []
    original = Connection.dispatch

    def dispatch(connection, operation, kwargs):
        calls.append((connection, connection.client, operation))
        return original(connection, operation, kwargs)

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    return calls


def slot_after(service, days):
    target = MONDAY_NOON + timedelta(days=days)
    return next(s for s in service.availability(OFFICE, None, None)["slots"]
                if datetime.fromisoformat(s["start"]) >= target)


def test_two_bookings_use_one_connection_and_one_client_for_every_table_and_transaction(
        service, sent):
    service.book(request(slot_after(service, 3)["slot_id"], first="Ana"))
    service.book(request(slot_after(service, 4)["slot_id"], first="Bia"))
    assert [op for _, _, op in sent].count("TransactWriteItems") == 2
    assert {id(connection) for connection, _, _ in sent} == {id(aws_clients.dynamodb())}
    assert len({id(client) for _, client, _ in sent}) == 1


def test_rewiring_builds_a_new_shared_connection_that_the_tables_then_use(service):
    from chalicelib import wiring

    before = aws_clients.dynamodb()
    assert tables.SlotRecord._get_connection().connection is before
    wiring.rewire()
    after = aws_clients.dynamodb()
    assert after is not before
    assert tables.SlotRecord._get_connection().connection is after
    assert tables.AppointmentRecord._get_connection().connection is after
