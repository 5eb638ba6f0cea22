"""The sparse `listed` index availability reads (chalicelib/booking/listing.py), on the serialized
moto server: a booked-out slot leaves it when the job runs, every way a seat is freed lists its
slot again in the same write, and the job racing cancellations on real threads never hides a
freed seat."""
import threading
from datetime import datetime, timedelta

import pytest

from chalicelib.booking.domain import Policy, normalize_confirmation_number
from chalicelib.booking.hold_repository import DynamoHoldRepository
from chalicelib.booking.holds import HoldService
from chalicelib.booking.listing import BookedOutUnlisting
from chalicelib.booking.release import ReservedSeatRelease
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.schedule import parse_slot_id
from chalicelib.booking.service import BookingService
from chalicelib.booking.validation import Proof, RescheduleRequest
from chalicelib.limits.domain import Rule
from chalicelib.limits.repository import DynamoCounters
from chalicelib.limits.service import HOLD_CLIENT, Limiter
from chalicelib.offices.repository import BookedVisit, DynamoOfficeRepository
from chalicelib.tables import AppointmentRecord, SlotRecord
from tests.aws_fixtures import with_slots
from tests.fakes import FakePublisher, FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, request

BOSTON, HOUSTON = "boston", "houston"  # Houston keeps 2 of its 8 seats for grants
PROOF = {"last_name": "Santos", "date_of_birth": "1985-03-04"}


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def booking(aws, clock):
    holds = DynamoHoldRepository()
    service = BookingService(DynamoBookingRepository(), FakePublisher(), pepper="test",
                             clock=clock, policy=Policy(), holds=holds)
    with_slots([BOSTON, HOUSTON], service)
    return service


def hold_service(booking, clock, minutes=10):
    limiter = Limiter(DynamoCounters(), {HOLD_CLIENT: Rule(20, timedelta(hours=1))},
                      pepper="test", exempt_clients=["127.0.0.1"], clock=clock)
    return HoldService(booking, booking.holds, limiter, hold_minutes=minutes, clock=clock)


def unlisting(clock):
    return BookedOutUnlisting(DynamoBookingRepository(), clock)


def key(slot_id):
    office, start = parse_slot_id(slot_id)
    return office, start.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(slot_id):
    return SlotRecord.get(*key(slot_id), consistent_read=True)


def indexed(slot_id):
    """Whether the slot is in the `listed` index (read by availability, shown or not)."""
    office, start = key(slot_id)
    return [r.start for r in SlotRecord.listed_index.query(office, SlotRecord.start == start)] \
        == [start]


def shown(booking, slot_id, for_staff=False):
    office, _ = parse_slot_id(slot_id)
    return slot_id in {s["slot_id"] for s in booking.availability(
        office, None, None, for_staff=for_staff)["slots"]}


def small_slot(booking, office=BOSTON, days=3, capacity=1, reserved=0):
    """A slot `days` ahead made `capacity` seats (all free), `reserved` of them kept."""
    now = booking.clock()
    slot = next(s for s in booking.availability(office, None, None)["slots"]
                if datetime.fromisoformat(s["start"]) >= now + timedelta(days=days))
    SlotRecord(*key(slot["slot_id"])).update(actions=[
        SlotRecord.capacity.set(capacity), SlotRecord.available.set(capacity - reserved),
        SlotRecord.reserved.set(reserved)])
    return slot["slot_id"]


def book(booking, slot_id, first="Maria"):
    return booking.book(request(slot_id, first=first)).body["confirmation_number"]


def booked_out_and_unlisted(booking, clock, slot_id, first="Maria"):
    """Books the slot's one seat and runs the job: the slot is no longer read."""
    cn = book(booking, slot_id, first)
    assert unlisting(clock).run([parse_slot_id(slot_id)[0]])["unlisted"] >= 1
    assert not indexed(slot_id)
    return cn


def test_a_booked_out_slot_leaves_the_index_and_one_with_seats_stays(booking, clock):
    full, free = small_slot(booking, days=3), small_slot(booking, days=4, capacity=2)
    book(booking, full)
    book(booking, free, first="Ana")
    assert indexed(full) and not shown(booking, full)  # lingering, filtered out
    counts = unlisting(clock).run([BOSTON])
    assert counts == {"unlisted": 1, "kept": 0}
    assert not indexed(full) and "listed" not in record(full).attribute_values
    assert indexed(free) and shown(booking, free)
    assert unlisting(clock).run([BOSTON]) == {"unlisted": 0, "kept": 0}


def test_a_slot_with_an_unexpired_hold_stays_listed_and_shows_its_seat_once_it_expires(
        booking, clock):
    slot_id = small_slot(booking)
    hold_service(booking, clock).hold(slot_id, "203.0.113.7")
    assert unlisting(clock).run([BOSTON]) == {"unlisted": 0, "kept": 0}
    assert indexed(slot_id) and not shown(booking, slot_id)
    clock.advance(minutes=11)  # the hold expires with no write at all
    assert shown(booking, slot_id)


def test_a_closed_slot_leaves_the_index_and_lifting_the_closure_lists_it_again(booking, clock):
    slot_id = small_slot(booking, capacity=3)
    office = DynamoOfficeRepository()
    stored = office.slots(*_around(slot_id))[0]
    office.close_slot(stored, "c1")
    assert unlisting(clock).run([BOSTON])["unlisted"] == 1 and not indexed(slot_id)
    assert office.reopen_slot(stored, "c1")
    assert shown(booking, slot_id)


def _around(slot_id):
    office, start = parse_slot_id(slot_id)
    return office, start, start + timedelta(minutes=1)


# --- every way a seat is freed lists its slot in the same write ---------------------------------

def test_a_cancellation_lists_its_slot_again(booking, clock):
    slot_id = small_slot(booking)
    cn = booked_out_and_unlisted(booking, clock, slot_id)
    booking.cancel(cn, Proof(**PROOF))
    assert shown(booking, slot_id)


def test_a_cancelled_grant_gives_its_seat_back_to_the_reserve_and_lists_it_for_staff(
        booking, clock):
    from tests.integration.test_reserved_release import grant_call

    slot_id = small_slot(booking, office=HOUSTON, days=5, capacity=1, reserved=1)
    cn = grant_call(booking, slot_id, "Ines")().confirmation_number
    assert unlisting(clock).run([HOUSTON])["unlisted"] >= 1 and not indexed(slot_id)
    booking.cancel(cn, Proof(last_name="Urgent", date_of_birth="1970-01-02"))
    assert int(record(slot_id).reserved) == 1
    assert shown(booking, slot_id, for_staff=True) and not shown(booking, slot_id)


def test_a_reschedule_lists_the_slot_it_leaves(booking, clock):
    old, new = small_slot(booking, days=3), small_slot(booking, days=5, capacity=2)
    cn = booked_out_and_unlisted(booking, clock, old)
    booking.reschedule(cn, RescheduleRequest(slot_id=new, **PROOF))
    assert shown(booking, old)


def test_a_hold_given_back_lists_its_slot_again(booking, clock):
    slot_id = small_slot(booking)
    holds = hold_service(booking, clock)
    held = holds.hold(slot_id, "203.0.113.7")
    assert not shown(booking, slot_id)
    # A held slot is never unlisted by the job; unlisted here by hand (as a slot held before
    # the index existed and not yet backfilled), so only the give-back's own write can list it.
    SlotRecord(*key(slot_id)).update(actions=[SlotRecord.listed.remove()])
    holds.give_back(held["hold_id"])
    assert shown(booking, slot_id)


def test_an_expired_hold_returned_by_the_job_lists_its_slot_again(booking, clock):
    slot_id = small_slot(booking)
    holds = hold_service(booking, clock)
    holds.hold(slot_id, "203.0.113.7")
    # A held slot is never unlisted by the job; unlisted here by hand (as a slot held before
    # the index existed and not yet backfilled), so only the return's own write can list it.
    SlotRecord(*key(slot_id)).update(actions=[SlotRecord.listed.remove()])
    clock.advance(minutes=11)
    assert holds.return_expired()["returned"] == 1
    assert "listed" in record(slot_id).attribute_values and shown(booking, slot_id)


def test_a_released_reserve_lists_its_slot_again(booking, clock):
    slot_id = small_slot(booking, office=HOUSTON, days=1, capacity=2, reserved=1)
    book(booking, slot_id)
    # A slot with a reserve is never unlisted by the job; unlisted here by hand, so only the
    # release's own write can list it.
    SlotRecord(*key(slot_id)).update(actions=[SlotRecord.listed.remove()])
    assert not indexed(slot_id)
    assert ReservedSeatRelease(DynamoBookingRepository(), clock).run([HOUSTON])["released"] >= 1
    assert shown(booking, slot_id)


def test_more_capacity_lists_a_booked_out_slot_again(booking, clock):
    slot_id = small_slot(booking)
    booked_out_and_unlisted(booking, clock, slot_id)
    office = DynamoOfficeRepository()
    assert office.set_capacity(office.slots(*_around(slot_id))[0], 2)
    assert shown(booking, slot_id)


def test_a_closure_cancelling_a_visit_lists_the_slot_it_reopens_with(booking, clock):
    slot_id = small_slot(booking)
    cn = booked_out_and_unlisted(booking, clock, slot_id)
    office = DynamoOfficeRepository()
    stored = office.slots(*_around(slot_id))[0]
    office.close_slot(stored, "c1")
    appointment = AppointmentRecord.get(normalize_confirmation_number(cn))
    visit = BookedVisit(appointment.office_id, appointment.confirmation_number,
                        int(appointment.version), appointment.person_key,
                        parse_slot_id(slot_id)[1], "booked")
    assert office.cancel_for_closure(visit, "c1", "closure_cancellation", clock())
    # Listed by the cancellation's write, but closed: availability leaves it out.
    assert indexed(slot_id) and not shown(booking, slot_id)
    assert office.reopen_slot(stored, "c1") and shown(booking, slot_id)


def test_new_slots_are_listed_and_the_backfill_lists_slots_made_before_the_index(
        booking, clock):
    slot_id = small_slot(booking, capacity=2)
    assert "listed" in record(slot_id).attribute_values
    SlotRecord(*key(slot_id)).update(actions=[SlotRecord.listed.remove()])  # an older slot
    assert not indexed(slot_id)
    counts = unlisting(clock).backfill([BOSTON])
    assert counts == {"listed": 1}
    assert shown(booking, slot_id)
    assert unlisting(clock).backfill([BOSTON]) == {"listed": 0}


# --- the job racing cancellations ---------------------------------------------------------------

def test_the_job_racing_cancellations_on_real_threads_never_hides_a_freed_seat(booking, clock):
    """Each round: a booked-out listed slot; the job and a cancellation of its seat start
    together (then staggered either way). Whichever lands first, the freed seat is listed."""
    rounds = 24
    now = booking.clock()
    candidates = [s["slot_id"] for s in booking.availability(BOSTON, None, None)["slots"]
                  if datetime.fromisoformat(s["start"]) >= now + timedelta(days=2)][:rounds]
    outcomes = []
    for n, slot_id in enumerate(candidates):
        SlotRecord(*key(slot_id)).update(actions=[SlotRecord.capacity.set(1),
                                                  SlotRecord.available.set(1)])
        first = f"Race{chr(65 + n // 26)}{chr(65 + n % 26)}"
        cn = book(booking, slot_id, first)
        outcome = {}
        barrier = threading.Barrier(2)
        stagger = (0.0, 0.0) if n % 3 == 0 else ((0.05, 0.0) if n % 3 == 1 else (0.0, 0.05))

        def job(delay=stagger[0]):
            barrier.wait()
            threading.Event().wait(delay)
            outcome["job"] = unlisting(clock).run([BOSTON])

        def cancel(delay=stagger[1]):
            barrier.wait()
            threading.Event().wait(delay)
            booking.cancel(cn, Proof(last_name="Santos", date_of_birth="1985-03-04"))

        threads = [threading.Thread(target=job), threading.Thread(target=cancel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert int(record(slot_id).available) == 1
        assert indexed(slot_id) and shown(booking, slot_id), (n, outcome)
        outcomes.append(outcome["job"])
        # The seat is taken again for the next round's office-wide job.
        book(booking, slot_id, first + "x")
        unlisting(clock).run([BOSTON])
    assert len(outcomes) == rounds
