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


def booking_service(aws, clock, attempts=None):
    svc = BookingService(DynamoBookingRepository(), SqsNoticePublisher(aws["notices"]),
                         pepper="test", clock=clock, policy=Policy(),
                         **({"attempts": attempts} if attempts else {}))
    svc.generate_slots([OFFICE])
    return svc


@pytest.fixture
def service(aws, clock):
    return booking_service(aws, clock)


@pytest.fixture
def proofs(aws, clock):
    """A booking service whose proofs are limited (3 failures an hour) on the table."""
    from chalicelib.limits.domain import Rule
    from chalicelib.limits.repository import DynamoCounters
    from chalicelib.limits.service import BOOKING_PROOF, Limiter

    return booking_service(aws, clock, Limiter(
        DynamoCounters(), {BOOKING_PROOF: Rule(3, timedelta(hours=1))}, pepper="test",
        clock=clock))


def proof_counter(cn):
    from chalicelib.booking.domain import normalize_confirmation_number
    from chalicelib.limits.domain import counter_key
    from chalicelib.limits.repository import CounterRecord
    from chalicelib.limits.service import BOOKING_PROOF

    return CounterRecord.get(counter_key("test", BOOKING_PROOF, normalize_confirmation_number(cn)),
                             consistent_read=True)


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


def operations(sent):
    return [op for _, _, op in sent]


def test_a_booking_is_one_request_its_transaction(service, sent):
    body = request(slot_after(service, 3)["slot_id"])
    sent.clear()
    service.book(body)
    assert operations(sent) == ["TransactWriteItems"]


def test_a_booking_with_an_idempotency_key_and_its_replay_are_one_request_each(service, sent):
    body = request(slot_after(service, 3)["slot_id"])
    sent.clear()
    first = service.book(body, idempotency_key="k-1")
    assert operations(sent) == ["TransactWriteItems"]
    sent.clear()
    again = service.book(body, idempotency_key="k-1")
    # The claim's failed condition brings the stored response back: no read first.
    assert operations(sent) == ["TransactWriteItems"]
    assert again.replayed and again.body == first.body


def test_a_replay_with_another_body_is_refused_from_the_failed_claim(service):
    from chalicelib import errors

    service.book(request(slot_after(service, 3)["slot_id"]), idempotency_key="k-2")
    with pytest.raises(errors.IdempotencyKeyReused):
        service.book(request(slot_after(service, 4)["slot_id"]), idempotency_key="k-2")


def test_an_office_switched_to_the_contact_center_a_moment_ago_refuses_a_booking(service):
    """The directory's cache still says self-service; the office condition in the booking's
    transaction sees the table."""
    from chalicelib import errors
    from chalicelib.booking import offices
    from chalicelib.offices.records import OfficeRecord

    slot = slot_after(service, 3)
    assert offices.get(OFFICE)["scheduling"] == "self_service"
    OfficeRecord(OFFICE).update(actions=[OfficeRecord.scheduling.set("contact_center")])
    assert offices.get(OFFICE)["scheduling"] == "self_service"  # cached
    with pytest.raises(errors.OfficeNotSelfService):
        service.book(request(slot["slot_id"]))


def test_a_booking_records_the_end_the_slot_has_when_the_schedule_says_otherwise(service, sent):
    from chalicelib.booking.domain import normalize_confirmation_number

    from chalicelib.booking.domain import iso_utc
    from chalicelib.booking.schedule import parse_slot_id

    slot = slot_after(service, 3)
    start = iso_utc(parse_slot_id(slot["slot_id"])[1])
    stored_end = "2099-01-01T00:00:00Z"  # made under another schedule
    tables.SlotRecord(OFFICE, start).update(actions=[tables.SlotRecord.end.set(stored_end)])
    sent.clear()
    cn = service.book(request(slot["slot_id"])).body["confirmation_number"]
    assert operations(sent) == ["TransactWriteItems", "GetItem", "TransactWriteItems"]
    assert tables.AppointmentRecord.get(normalize_confirmation_number(cn)).end == stored_end


def test_a_booking_whose_contact_has_seat_0_taken_reads_the_seats_and_takes_another(
        service, sent):
    shared = {"email": "family@example.org", "phone": "+16175550100"}
    service.book(request(slot_after(service, 3)["slot_id"], first="Ana", contacts=shared))
    second = request(slot_after(service, 4)["slot_id"], first="Bia", contacts=shared)
    sent.clear()
    assert service.book(second).status == 201
    assert operations(sent) == ["TransactWriteItems", "Query", "Query", "TransactWriteItems"]


def test_a_reschedule_reads_the_appointment_and_writes_once(service, sent):
    from chalicelib.booking.validation import RescheduleRequest
    from tests.integration.test_booking_repository import PROOF

    cn = service.book(request(slot_after(service, 3)["slot_id"])).body["confirmation_number"]
    move = RescheduleRequest(slot_id=slot_after(service, 5)["slot_id"],
                             last_name=PROOF.last_name, date_of_birth=PROOF.date_of_birth)
    sent.clear()
    service.reschedule(cn, move)
    assert operations(sent) == ["GetItem", "TransactWriteItems"]


CLIENT = "198.51.100.4"


@pytest.fixture
def limiter(aws, clock):
    from chalicelib.limits.domain import Rule
    from chalicelib.limits.repository import DynamoCounters
    from chalicelib.limits.service import BOOKING_CLIENT, Limiter

    return Limiter(DynamoCounters(), {BOOKING_CLIENT: Rule(2, timedelta(hours=1))},
                   pepper="test", clock=clock)


def book_as_client(service, limiter, body):
    """What the view does: the client's count rides in the booking's transaction."""
    from chalicelib.limits.service import BOOKING_CLIENT

    admission = limiter.admission(BOOKING_CLIENT, CLIENT)
    try:
        return service.book(body, admission=admission)
    finally:
        admission.settle()


def client_counter(limiter):
    from chalicelib.limits.domain import counter_key
    from chalicelib.limits.repository import CounterRecord
    from chalicelib.limits.service import BOOKING_CLIENT

    return CounterRecord.get(counter_key("test", BOOKING_CLIENT, CLIENT), consistent_read=True)


def test_a_client_counted_booking_is_still_one_request_and_the_third_is_refused_unread(
        service, limiter, sent):
    from chalicelib import errors

    bodies = [request(slot_after(service, d)["slot_id"], first=f"P{chr(62 + d)}") for d in (3, 4, 5)]
    for body in bodies[:2]:
        sent.clear()
        assert book_as_client(service, limiter, body).status == 201
        assert operations(sent) == ["TransactWriteItems"]
    assert client_counter(limiter).hits == 2
    sent.clear()
    with pytest.raises(errors.RateLimited) as refused:
        book_as_client(service, limiter, bodies[2])
    assert operations(sent) == ["TransactWriteItems"]  # the full counter came back with it
    assert 0 < refused.value.retry_after <= 3600
    assert tables.AppointmentRecord.count() == 2


def test_a_refused_booking_counts_against_the_client_too(service, limiter):
    from chalicelib import errors

    slot = slot_after(service, 3)["slot_id"]
    book_as_client(service, limiter, request(slot, first="Ana"))
    with pytest.raises(errors.AlreadyBooked):
        book_as_client(service, limiter, request(slot_after(service, 4)["slot_id"], first="Ana"))
    assert client_counter(limiter).hits == 2


def test_a_client_whose_window_closed_books_and_opens_a_new_window(service, limiter, clock):
    from chalicelib.limits.repository import CounterRecord

    book_as_client(service, limiter, request(slot_after(service, 3)["slot_id"], first="Ana"))
    book_as_client(service, limiter, request(slot_after(service, 4)["slot_id"], first="Bia"))
    body = request(slot_after(service, 5)["slot_id"], first="Cy")
    clock.advance(hours=1, seconds=1)
    assert book_as_client(service, limiter, body).status == 201
    counter = client_counter(limiter)
    assert counter.hits == 1 and counter.expires_at > clock().timestamp()
    assert isinstance(counter, CounterRecord)


def test_a_first_proof_of_a_number_is_three_requests_reserve_read_give_back(proofs, sent):
    """The reservation opens the number's counter in one update (no failed update first)."""
    from tests.integration.test_booking_repository import PROOF

    cn = proofs.book(request(slot_after(proofs, 3)["slot_id"])).body["confirmation_number"]
    sent.clear()
    proofs.lookup(cn, PROOF)
    assert operations(sent) == ["UpdateItem", "GetItem", "UpdateItem"]


def test_a_grant_reads_the_request_and_books_in_one_transaction(aws, clock, sent):
    from chalicelib.triage.deadlines import DeadlinePolicy
    from chalicelib.triage.domain import Actor
    from chalicelib.triage.repository import DynamoTriageRepository
    from chalicelib.triage.service import TriageService
    from chalicelib.triage.validation import Grant
    from tests.fakes import FakePublisher
    from tests.integration.test_triage_repository import at_callback, open_slots
    from tests.triage_fakes import FakeRequestNotices
    from tests.unit.test_triage_service import standard_body

    booking = BookingService(DynamoBookingRepository(), FakePublisher(), pepper="test",
                             clock=clock, policy=Policy())
    booking.generate_slots(["boston"])
    triage = TriageService(DynamoTriageRepository(), booking, FakeRequestNotices(),
                           policy=DeadlinePolicy(), pepper="test", clock=clock)
    request_id = triage.submit(standard_body(zip="02108"))["request_id"]
    officer = Actor("officer-b", "tier2", "boston")
    at_callback(triage, request_id, officer)
    slot_id = open_slots(booking, "boston")[3]
    sent.clear()
    triage.grant(officer, request_id, Grant(slot_id=slot_id))
    assert operations(sent) == ["GetItem", "TransactWriteItems"]


def test_a_proven_reschedule_gives_its_proof_attempt_back_inside_its_transaction(
        proofs, sent):
    from chalicelib.booking.validation import RescheduleRequest
    from tests.integration.test_booking_repository import PROOF

    cn = proofs.book(request(slot_after(proofs, 3)["slot_id"])).body["confirmation_number"]
    move = RescheduleRequest(slot_id=slot_after(proofs, 5)["slot_id"],
                             last_name=PROOF.last_name, date_of_birth=PROOF.date_of_birth)
    sent.clear()
    proofs.reschedule(cn, move)
    assert operations(sent) == ["UpdateItem", "GetItem", "TransactWriteItems"]
    assert proof_counter(cn).hits == 0  # given back


def test_a_refused_reschedule_still_gives_its_proof_attempt_back(proofs):
    from chalicelib import errors
    from chalicelib.booking.validation import RescheduleRequest
    from tests.integration.test_booking_repository import PROOF

    slot = slot_after(proofs, 3)["slot_id"]
    cn = proofs.book(request(slot)).body["confirmation_number"]
    with pytest.raises(errors.SameSlot):
        proofs.reschedule(cn, RescheduleRequest(slot_id=slot, last_name=PROOF.last_name,
                                                date_of_birth=PROOF.date_of_birth))
    assert proof_counter(cn).hits == 0


def test_a_proven_cancellation_gives_its_proof_attempt_back_inside_its_transaction(
        proofs, sent):
    from tests.integration.test_booking_repository import PROOF

    cn = proofs.book(request(slot_after(proofs, 3)["slot_id"])).body["confirmation_number"]
    sent.clear()
    assert proofs.cancel(cn, PROOF)["status"] == "cancelled"
    assert operations(sent) == ["UpdateItem", "GetItem", "TransactWriteItems"]
    assert proof_counter(cn).hits == 0
