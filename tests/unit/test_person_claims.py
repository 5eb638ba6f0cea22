"""One person, one active appointment nationwide (issue 16): the claim rules, through the
booking service, with in-memory fakes (the claims store keeps DynamoDB's conditions) and a
fixed clock. Two services on two fake regions share one claims store."""
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib import errors
from chalicelib.booking.claims import ACTIVE, PENDING, Claim, NationwideClaims
from chalicelib.booking.domain import Policy
from chalicelib.booking.ports import Rejected
from chalicelib.booking.service import BookingService, OnBehalfBooking
from tests.fakes import FakePublisher, FakeRepository, FixedClock
from chalicelib.booking.domain import normalize_confirmation_number
from chalicelib.booking.validation import RescheduleRequest
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE, open_ids, proof, request

EAST, WEST = "us-east-1", "us-west-2"
LEASE = 120


class FakeClaimStore:
    """The claims table: one item per person, each write on the same condition as
    chalicelib/booking/claim_repository.py."""

    def __init__(self) -> None:
        self.items: dict[str, Claim] = {}

    def take(self, claim, now):
        current = self.items.get(claim.person_key)
        if current is not None and not (current.state == ACTIVE and current.until < now):
            return False
        self.items[claim.person_key] = claim
        return True

    def get(self, person_key):
        return self.items.get(person_key)

    def confirm(self, person_key, claim_id, confirmation_number, office_id, slot_id, until,
                now):
        current = self.items.get(person_key)
        if current is None or current.claim_id != claim_id:
            return False
        self.items[person_key] = replace(current, state=ACTIVE, lease_until=None, until=until,
                                         confirmation_number=confirmation_number,
                                         office_id=office_id, slot_id=slot_id)
        return True

    def move(self, person_key, confirmation_number, office_id, slot_id, until, now):
        current = self.items.get(person_key)
        if current is None or current.state != ACTIVE \
                or current.confirmation_number != confirmation_number:
            return False
        self.items[person_key] = replace(current, office_id=office_id, slot_id=slot_id,
                                         until=until)
        return True

    def drop(self, person_key, claim_id):
        current = self.items.get(person_key)
        if current is None or current.claim_id != claim_id:
            return False
        del self.items[person_key]
        return True

    def release(self, person_key, confirmation_number):
        current = self.items.get(person_key)
        if current is None or current.confirmation_number != confirmation_number:
            return False
        del self.items[person_key]
        return True

    def expired_pending(self, region, now, limit=100):
        return [c for c in self.items.values()
                if c.state == PENDING and c.region == region and c.lease_until < now][:limit]


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def store():
    return FakeClaimStore()


def region(name, store, clock):
    repo = FakeRepository()
    claims = NationwideClaims(store, name, repo, lease_seconds=LEASE, clock=clock,
                              region_urls={EAST: "https://east.example/api",
                                           WEST: "https://west.example/api"})
    service = BookingService(repo, FakePublisher(), pepper="test", clock=clock, claims=claims,
                             policy=Policy(booking_window_days=14,
                                           change_cutoff=timedelta(hours=24),
                                           min_interval=timedelta(days=180)))
    service.generate_slots([OFFICE])
    return service


@pytest.fixture
def east(store, clock):
    return region(EAST, store, clock)


@pytest.fixture
def west(store, clock):
    return region(WEST, store, clock)


def cn_of(outcome) -> str:
    return normalize_confirmation_number(outcome.body["confirmation_number"])


def only_claim(store) -> Claim:
    (claim,) = store.items.values()
    return claim


def test_a_booking_confirms_the_persons_claim_naming_its_appointment_until_the_visit_ends(
        east, store):
    slot = open_ids(east, 1)[0]
    outcome = east.book(request(slot))
    claim = only_claim(store)
    appointment = east.repo.get_appointment(cn_of(outcome))
    assert (claim.state, claim.region, claim.confirmation_number, claim.slot_id) == (
        ACTIVE, EAST, cn_of(outcome), appointment.slot_id)
    assert claim.until == int(appointment.end.timestamp()) and claim.lease_until is None


def test_the_same_person_booking_in_another_region_hears_only_which_region_holds_the_booking(
        east, west, store):
    east.book(request(open_ids(east, 1)[0]))
    with pytest.raises(errors.AppointmentInOtherRegion) as refused:
        west.book(request(open_ids(west, 1)[0]))
    assert refused.value.extra == {"region": EAST, "base_url": "https://east.example/api"}
    assert not west.repo.appointments  # no seat was taken in the west
    assert only_claim(store).region == EAST


def test_a_staff_booking_in_another_region_is_refused_the_same_way(east, west):
    east.book(request(open_ids(east, 1)[0]))
    with pytest.raises(errors.AppointmentInOtherRegion):
        west.book_on_behalf(OnBehalfBooking(
            slot_id=open_ids(west, 1)[0], applicant={
                "first_name": "Maria", "last_name": "Santos", "date_of_birth": "1985-03-04"},
            reason={"category": "evidence_of_status", "details": "granted"}, language="pt",
            contact_method="phone"))


def test_a_failed_regional_booking_deletes_its_own_claim(east, store):
    slot = open_ids(east, 1)[0]
    with pytest.raises(errors.SlotUnavailable):
        for n in range(50):  # until the slot is full
            east.book(request(slot, first="Person" + "".join(chr(97 + int(d)) for d in f"{n:02d}"),
                                 dob=f"19{50 + n}-01-01"))
    assert len(store.items) == len(east.repo.appointments) > 0
    assert {c.confirmation_number for c in store.items.values()} == set(east.repo.appointments)


def test_a_regional_error_that_is_not_a_domain_error_still_deletes_the_claim(east, store):
    def broken(*args, **kwargs):
        raise RuntimeError("region down")
    east.repo.book = broken
    with pytest.raises(RuntimeError):
        east.book(request(open_ids(east, 1)[0]))
    assert store.items == {}


def test_a_replayed_booking_leaves_no_second_claim_and_answers_the_stored_response(east, store):
    slot = open_ids(east, 1)[0]
    first = east.book(request(slot), idempotency_key="k1")
    again = east.book(request(slot), idempotency_key="k1")
    assert again.replayed and again.body == first.body
    assert only_claim(store).confirmation_number == cn_of(first)


def test_a_cancellation_releases_the_claim_so_the_person_may_book_in_another_region(
        east, west, store):
    outcome = east.book(request(open_ids(east, 1)[0]))
    east.cancel(cn_of(outcome), proof())
    assert store.items == {}
    west.book(request(open_ids(west, 1)[0]))
    assert only_claim(store).region == WEST


def test_a_reschedule_moves_the_claim_with_the_appointment(east, store):
    ids = open_ids(east)
    outcome = east.book(request(ids[-2]))
    east.reschedule(cn_of(outcome), RescheduleRequest(
        slot_id=ids[-1], last_name="Santos", date_of_birth="1985-03-04"))
    moved = east.repo.get_appointment(cn_of(outcome))
    claim = only_claim(store)
    assert (claim.slot_id, claim.until) == (moved.slot_id, int(moved.end.timestamp()))
    assert claim.confirmation_number == cn_of(outcome)


def test_a_claim_whose_visit_is_over_no_longer_stops_a_booking_anywhere(east, west, store,
                                                                          clock):
    east.book(request(open_ids(east, 1)[0]))
    clock.advance(days=15)  # past the visit's end (and the window moves with the clock)
    west.generate_slots([OFFICE])
    west.book(request(open_ids(west, 1)[0]))
    assert only_claim(store).region == WEST


def test_a_pending_claim_of_another_region_is_never_taken_over_even_with_its_lease_run_out(
        west, store, clock):
    store.items["k"] = Claim("k", "c1", PENDING, EAST, lease_until=int(
        MONDAY_NOON.timestamp()) - 1)
    taken = west.claims
    with pytest.raises(errors.AppointmentInOtherRegion):
        taken.take("k", OFFICE, "s")
    assert store.items["k"].claim_id == "c1"


def test_the_sweep_confirms_an_expired_pending_claim_whose_booking_committed(east, store,
                                                                             clock):
    outcome = east.book(request(open_ids(east, 1)[0]))
    crashed = replace(only_claim(store), state=PENDING, confirmation_number=None, until=None,
                      lease_until=int(clock().timestamp()) + LEASE)
    store.items[crashed.person_key] = crashed  # died between the transaction and confirm
    assert east.claims.sweep() == {"confirmed": 0, "deleted": 0}  # lease still running
    clock.advance(seconds=LEASE + 1)
    assert east.claims.sweep() == {"confirmed": 1, "deleted": 0}
    assert only_claim(store).state == ACTIVE
    assert only_claim(store).confirmation_number == cn_of(outcome)


def test_the_sweep_deletes_an_expired_pending_claim_whose_booking_never_committed(
        east, west, store, clock):
    store.items["k"] = Claim("k", "c1", PENDING, EAST, OFFICE, "s",
                             lease_until=int(clock().timestamp()) - 1)
    store.items["w"] = Claim("w", "c2", PENDING, WEST, OFFICE, "s",
                             lease_until=int(clock().timestamp()) - 1)
    assert east.claims.sweep() == {"confirmed": 0, "deleted": 1}
    assert list(store.items) == ["w"]  # the west's claim is the west's to resolve


def test_a_booking_in_the_same_region_resolves_a_dead_pending_claim_first(east, store, clock):
    slot = open_ids(east, 1)[0]
    east.book(request(slot))
    key = only_claim(store).person_key
    store.items[key] = replace(only_claim(store), claim_id="dead", state=PENDING,
                               lease_until=int(clock().timestamp()) - 1)
    with pytest.raises(errors.AlreadyBooked):  # its booking had committed: confirmed, 409
        east.book(request(open_ids(east, 2)[1]))
    assert (only_claim(store).claim_id, only_claim(store).state) == ("dead", ACTIVE)


def test_an_active_claim_whose_release_was_lost_is_deleted_when_the_person_books_again(
        east, store):
    outcome = east.book(request(open_ids(east, 1)[0]))
    lost = only_claim(store)
    east.claims.released = lambda *args: None  # the request died before the release
    east.cancel(cn_of(outcome), proof())
    assert only_claim(store) == lost
    again = east.book(request(open_ids(east, 2)[1]))
    assert only_claim(store).confirmation_number == cn_of(again)


def test_a_live_pending_claim_of_the_same_region_answers_already_booked(east, store, clock):
    store.items["k"] = Claim("k", "c1", PENDING, EAST,
                             lease_until=int(clock().timestamp()) + LEASE)
    with pytest.raises(errors.AlreadyBooked):
        east.claims.take("k", OFFICE, "s")
    assert store.items["k"].claim_id == "c1"


def test_a_claim_lost_before_confirmation_leaves_the_booking_standing(east, store):
    real_confirm = store.confirm
    store.confirm = lambda *args: (_ for _ in ()).throw(ConnectionError("claims unreachable"))
    outcome = east.book(request(open_ids(east, 1)[0]))
    assert outcome.status == 201 and only_claim(store).state == PENDING  # the sweep's to finish
    store.confirm = real_confirm


def test_a_rejected_transaction_carries_no_claim_into_the_next_request(east, store):
    calls = []
    original = east.repo.book

    def conflicting(*args, **kwargs):
        calls.append(1)
        raise Rejected(set(), conflict=True)
    east.repo.book = conflicting
    with pytest.raises(errors.ConcurrentUpdate):
        east.book(request(open_ids(east, 1)[0]))
    assert calls and store.items == {}
    east.repo.book = original


def reschedule_to(service, cn, slot_id):
    return service.reschedule(cn, RescheduleRequest(slot_id=slot_id, last_name="Santos",
                                                    date_of_birth="1985-03-04"))


def test_while_a_reschedule_commits_the_claim_covers_both_visits(east, store):
    ids = open_ids(east)
    outcome = east.book(request(ids[-1]))
    late = only_claim(store)
    seen = []
    original = east.repo.reschedule

    def watched(*args, **kwargs):
        seen.append(only_claim(store))  # what a process dying here would leave
        return original(*args, **kwargs)
    east.repo.reschedule = watched
    reschedule_to(east, cn_of(outcome), ids[-2])  # earlier
    assert seen[0].slot_id == east.repo.get_appointment(cn_of(outcome)).slot_id
    assert seen[0].until == late.until  # the later visit's end: the person stays claimed
    moved = east.repo.get_appointment(cn_of(outcome))
    assert only_claim(store).until == int(moved.end.timestamp()) < late.until


def test_a_reschedule_that_fails_leaves_the_claim_as_it_was(east, store):
    ids = open_ids(east)
    outcome = east.book(request(ids[-2]))
    before = only_claim(store)

    def refused(*args, **kwargs):
        raise Rejected({"slot"})
    east.repo.reschedule = refused
    with pytest.raises(errors.SlotUnavailable):
        reschedule_to(east, cn_of(outcome), ids[-1])
    assert only_claim(store) == before


# --- a cancellation whose release was lost, repaired from another region -------------------

def replicate(source, target, cn) -> None:
    """What the global table does, for one appointment: `target`'s replica gets `source`'s
    item as it stands (the replica is eventually consistent, so a test decides when)."""
    target.repo.appointments[cn] = source.repo.get_appointment(cn)


def cancelled_without_release(service, slot_id) -> str:
    """A booking, then a cancellation whose process died after its transaction, before the
    claim's release: the claim stays active, naming a cancelled appointment."""
    cn = cn_of(service.book(request(slot_id)))
    released, service.claims.released = service.claims.released, lambda *args: None
    service.cancel(cn, proof())
    service.claims.released = released
    return cn


def test_a_claim_whose_cancellation_reached_this_replica_is_released_and_the_booking_goes_on(
        east, west, store):
    cn = cancelled_without_release(east, open_ids(east, 1)[0])
    assert only_claim(store).confirmation_number == cn  # still active, naming it
    replicate(east, west, cn)
    outcome = west.book(request(open_ids(west, 1)[0]))
    claim = only_claim(store)
    assert (claim.region, claim.state, claim.confirmation_number) == (WEST, ACTIVE, cn_of(outcome))


def test_a_claim_whose_appointment_has_not_reached_this_replica_still_refuses_the_booking(
        east, west, store):
    cn = cancelled_without_release(east, open_ids(east, 1)[0])
    with pytest.raises(errors.AppointmentInOtherRegion):
        west.book(request(open_ids(west, 1)[0]))
    assert only_claim(store).confirmation_number == cn
    assert not west.repo.appointments


def test_a_claim_whose_appointment_this_replica_holds_booked_still_refuses_the_booking(
        east, west, store):
    # The replica may trail a cancellation, or the appointment is simply live: either way the
    # claim stays until a replica shows it cancelled.
    cn = cn_of(east.book(request(open_ids(east, 1)[0])))
    replicate(east, west, cn)
    with pytest.raises(errors.AppointmentInOtherRegion):
        west.book(request(open_ids(west, 1)[0]))
    assert only_claim(store).confirmation_number == cn
    assert [a.status for a in west.repo.appointments.values()] == ["booked"]


def test_a_claim_that_names_a_new_booking_by_the_time_of_the_release_is_left_alone(
        east, west, store):
    cn = cancelled_without_release(east, open_ids(east, 1)[0])
    replicate(east, west, cn)
    read_replica = west.repo.get_appointment
    rebooked = []

    def meanwhile(confirmation_number):
        # Between the west's read of the claim and its release, the person books in the east
        # again (the east repairs its own stale claim and takes a new one).
        if not rebooked:
            rebooked.append(cn_of(east.book(request(open_ids(east, 2)[1]))))
        return read_replica(confirmation_number)
    west.repo.get_appointment = meanwhile
    with pytest.raises(errors.AppointmentInOtherRegion):
        west.book(request(open_ids(west, 1)[0]))
    claim = only_claim(store)
    assert (claim.region, claim.state, claim.confirmation_number) == (EAST, ACTIVE, rebooked[0])
    assert not [a for a in west.repo.appointments.values() if a.status == "booked"]



def test_a_cancelled_appointment_of_someone_else_under_the_claims_number_is_no_evidence(
        east, west, store):
    cn = cancelled_without_release(east, open_ids(east, 1)[0])
    replicate(east, west, cn)
    west.repo.appointments[cn].person_key = "someone-else"
    with pytest.raises(errors.AppointmentInOtherRegion):
        west.book(request(open_ids(west, 1)[0]))
    assert only_claim(store).confirmation_number == cn
