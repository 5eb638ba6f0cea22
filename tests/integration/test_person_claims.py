"""The person-claims table on the serialized moto server: its conditional writes, the sweep's
index, racing takes from real threads, and what a booking costs with its claim."""
import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib import aws as aws_clients
from chalicelib.booking.claim_repository import ClaimRecord, DynamoClaims
from chalicelib.booking.claims import ACTIVE, PENDING, Claim, NationwideClaims
from chalicelib.booking.domain import Policy, normalize_confirmation_number
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.service import BookingService
from tests.fakes import FakePublisher, FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE, request

NOW = int(MONDAY_NOON.timestamp())
EAST, WEST = "us-east-1", "us-west-2"


@pytest.fixture
def store(aws):
    return DynamoClaims()


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


def pending(key="p1", claim_id="c1", region=EAST, lease_until=NOW + 120) -> Claim:
    return Claim(key, claim_id, PENDING, region, OFFICE, "s1", lease_until=lease_until)


def test_a_person_has_one_claim_a_second_take_fails_while_the_first_is_pending(store):
    assert store.take(pending(), NOW)
    assert not store.take(pending(claim_id="c2", region=WEST), NOW)
    assert store.get("p1").claim_id == "c1"


def test_a_pending_claim_is_not_taken_over_after_its_lease_runs_out(store):
    assert store.take(pending(lease_until=NOW - 1), NOW - 200)
    assert not store.take(pending(claim_id="c2"), NOW)
    assert store.get("p1").claim_id == "c1"


def test_an_active_claim_stops_a_take_until_the_visit_ends_then_yields(store):
    store.take(pending(), NOW)
    assert store.confirm("p1", "c1", "CN1", OFFICE, "s1", until=NOW + 60, now=NOW)
    assert not store.take(pending(claim_id="c2"), NOW + 60)
    assert store.take(pending(claim_id="c2"), NOW + 61)
    assert (store.get("p1").claim_id, store.get("p1").state) == ("c2", PENDING)


def test_only_the_claims_own_booking_drops_it_and_only_its_appointment_releases_it(store):
    store.take(pending(), NOW)
    assert not store.drop("p1", "another")
    store.confirm("p1", "c1", "CN1", OFFICE, "s1", until=NOW + 60, now=NOW)
    assert not store.release("p1", "CN2")
    assert store.get("p1") is not None
    assert store.release("p1", "CN1")
    assert store.get("p1") is None
    assert not store.drop("p1", "c1")  # gone already: nothing to undo


def test_the_sweep_index_lists_only_this_regions_pending_claims_whose_lease_ran_out(store):
    store.take(pending("a", "ca", EAST, NOW - 1), NOW - 200)
    store.take(pending("b", "cb", EAST, NOW + 60), NOW)
    store.take(pending("c", "cc", WEST, NOW - 1), NOW - 200)
    store.take(pending("d", "cd", EAST, NOW - 5), NOW - 200)
    store.confirm("d", "cd", "CN", OFFICE, "s1", until=NOW + 60, now=NOW)  # leaves the index
    assert [c.person_key for c in store.expired_pending(EAST, NOW)] == ["a"]


def test_the_claims_table_has_a_connection_of_its_own(store):
    assert ClaimRecord._get_connection().connection is aws_clients.claims_dynamodb()
    assert aws_clients.claims_dynamodb() is not aws_clients.dynamodb()


def test_of_many_threads_taking_one_persons_claim_at_once_exactly_one_wins(store):
    for round_ in range(5):
        key = f"race{round_}"
        wins, start = [], threading.Barrier(12)

        def take(n):
            start.wait()
            if store.take(pending(key, f"c{n}", EAST if n % 2 else WEST), NOW):
                wins.append(n)
        threads = [threading.Thread(target=take, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1
        assert store.get(key).claim_id == f"c{wins[0]}"


def region_service(clock, region=EAST):
    repo = DynamoBookingRepository()
    claims = NationwideClaims(DynamoClaims(), region, repo, lease_seconds=120, clock=clock)
    service = BookingService(repo, FakePublisher(), pepper="test", clock=clock, policy=Policy(),
                             claims=claims)
    service.generate_slots([OFFICE])
    return service


def first_slot(service) -> str:
    return service.availability(OFFICE, None, None)["slots"][0]["slot_id"]


def test_a_booking_costs_two_claim_writes_around_its_transaction(aws, clock, dynamodb_requests):
    service = region_service(clock)
    body = request(first_slot(service))
    dynamodb_requests.clear()
    service.book(body)
    assert dynamodb_requests == ["PutItem", "TransactWriteItems", "UpdateItem"]


def test_the_sweep_confirms_a_committed_booking_and_deletes_a_claim_with_no_booking(aws, clock):
    service = region_service(clock)
    outcome = service.book(request(first_slot(service)))
    cn = normalize_confirmation_number(outcome.body["confirmation_number"])
    store = service.claims.store
    (booked_key,) = [r.person_key for r in ClaimRecord.scan()]
    # Crashed between the transaction and the confirmation: the claim is still pending.
    ClaimRecord(booked_key).delete()
    store.take(replace(pending(booked_key, "crashed"), lease_until=NOW + 120), NOW)
    store.take(pending("nobody", "died-before", lease_until=NOW + 120), NOW)
    store.take(pending("west", "theirs", WEST, lease_until=NOW + 120), NOW)
    clock.advance(seconds=121)
    assert service.claims.sweep() == {"confirmed": 1, "deleted": 1}
    confirmed = store.get(booked_key)
    assert (confirmed.state, confirmed.confirmation_number, confirmed.claim_id) == (
        ACTIVE, cn, "crashed")
    assert store.get("nobody") is None
    assert store.get("west").state == PENDING  # the west's sweep resolves it
    assert store.expired_pending(EAST, NOW + timedelta(days=1).total_seconds()) == []


def claim_requests(sent) -> list[str]:
    return [op for connection, op in sent if connection is aws_clients.claims_dynamodb()]


@pytest.fixture
def sent(monkeypatch):
    """Every DynamoDB request as (connection, operation)."""
    from pynamodb.connection.base import Connection

    calls = []
    original = Connection.dispatch

    def dispatch(connection, operation, kwargs):
        calls.append((connection, operation))
        return original(connection, operation, kwargs)

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    return calls


def test_a_cancel_releases_the_claim_in_one_request_and_a_reschedule_moves_it_in_one(
        aws, clock, sent):
    from chalicelib.booking.validation import Proof, RescheduleRequest

    service = region_service(clock)
    listed = service.availability(OFFICE, None, None)["slots"]
    booked = service.book(request(listed[-2]["slot_id"]))
    cn = normalize_confirmation_number(booked.body["confirmation_number"])
    sent.clear()
    service.reschedule(cn, RescheduleRequest(slot_id=listed[-1]["slot_id"], last_name="Santos",
                                             date_of_birth="1985-03-04"))
    assert claim_requests(sent) == ["UpdateItem"]
    (claim,) = [DynamoClaims().get(r.person_key) for r in ClaimRecord.scan()]
    assert claim.slot_id == listed[-1]["slot_id"] and claim.confirmation_number == cn
    sent.clear()
    service.cancel(cn, Proof(last_name="Santos", date_of_birth="1985-03-04"))
    assert claim_requests(sent) == ["DeleteItem"]
    assert list(ClaimRecord.scan()) == []


def test_the_backfill_claims_upcoming_appointments_booked_before_claims_once(aws, clock, store):
    from chalicelib.booking.claim_backfill import backfill
    from chalicelib.tables import AppointmentRecord

    unclaimed = BookingService(DynamoBookingRepository(), FakePublisher(), pepper="test",
                               clock=clock, policy=Policy())  # as before claims existed
    unclaimed.generate_slots([OFFICE])
    listed = unclaimed.availability(OFFICE, None, None)["slots"]
    for first, slot in (("Ana", listed[0]), ("Bia", listed[-1]), ("Cai", listed[-2])):
        unclaimed.book(request(slot["slot_id"], first=first))
    keys = {r.applicant["first_name"]: r for r in AppointmentRecord.scan()}
    store.take(pending(keys["Cai"].person_key, "west-claim", WEST), NOW)  # booked there too
    after_ana = datetime.fromisoformat(listed[0]["end"]) + timedelta(seconds=1)
    assert backfill(store, EAST, after_ana) == {"claimed": 1, "already": 0, "conflicts": 1}
    assert store.get(keys["Ana"].person_key) is None  # her visit is over
    bia = store.get(keys["Bia"].person_key)
    assert (bia.state, bia.region, bia.confirmation_number) == (
        ACTIVE, EAST, keys["Bia"].confirmation_number)
    assert store.get(keys["Cai"].person_key).claim_id == "west-claim"
    assert backfill(store, EAST, after_ana) == {"claimed": 0, "already": 1, "conflicts": 1}
