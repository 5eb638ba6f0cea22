"""Reserved emergency capacity, through the booking service with in-memory fakes: the public sees
and takes only public seats, grants and staff bookings take the reserve first, the release job
gives unused reserved seats to the public inside the lead time, and every seat is counted once."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.booking import seats
from chalicelib.booking.domain import Policy
from chalicelib.booking.release import ReservedSeatRelease
from chalicelib.booking.service import BookingService, OnBehalfBooking
from chalicelib.offices import domain as office_domain
from tests.fakes import FakePublisher, FakeRepository, FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, request

HOUSTON = "houston"  # seeded with 8 seats per slot, 2 of them reserved, released 48 h ahead


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def repo():
    return FakeRepository()


@pytest.fixture
def service(repo, clock):
    svc = BookingService(repo, FakePublisher(), pepper="test", clock=clock, policy=Policy())
    svc.generate_slots([HOUSTON])
    return svc


def slot_after(service, days, for_staff=False):
    target = MONDAY_NOON + timedelta(days=days)
    return next(s for s in service.availability(HOUSTON, None, None, for_staff=for_staff)["slots"]
                if datetime.fromisoformat(s["start"]) >= target)


def stored(repo, slot_id):
    return next(s for s in repo.slots.values()
                if f"{s.office_id}.{s.start.strftime('%Y%m%dT%H%MZ')}" == slot_id)


def grant(service, slot_id, first="Grant", assisted=False):
    return service.book_on_behalf(OnBehalfBooking(
        slot_id=slot_id, applicant={"first_name": first, "last_name": "Urgent",
                                    "date_of_birth": "1970-01-02", "email": f"{first}@x.org"},
        reason={"category": "emergency_travel_document"}, language="en",
        contact_method="email"), assisted=assisted)


def counts_add_up(slot, booked):
    assert slot.available + slot.reserved + len(slot.holds) + booked == slot.capacity


def test_the_public_sees_only_public_seats_and_staff_see_the_reserve_too(service):
    public = slot_after(service, 5)
    staff = slot_after(service, 5, for_staff=True)
    assert public["slot_id"] == staff["slot_id"]
    assert public["available"] == 6 and "reserved" not in public
    assert staff["available"] == 8 and staff["reserved"] == 2


def test_public_booking_never_takes_a_reserved_seat(service, repo):
    slot_id = slot_after(service, 5)["slot_id"]
    for n in range(6):
        assert service.book(request(slot_id, first=f"Public{chr(65 + n)}")).status == 201
    with pytest.raises(errors.SlotUnavailable):
        service.book(request(slot_id, first="Seventh"))
    slot = stored(repo, slot_id)
    assert (slot.available, slot.reserved) == (0, 2)
    counts_add_up(slot, booked=6)
    # Full to the public, still open to a grant: it takes a reserved seat.
    appointment = grant(service, slot_id)
    assert appointment.seat_pool == seats.RESERVED
    assert stored(repo, slot_id).reserved == 1


@pytest.mark.parametrize("assisted", [False, True], ids=["triage grant", "staff booking"])
def test_grants_and_staff_bookings_take_a_reserved_seat_first(service, repo, assisted):
    slot_id = slot_after(service, 5)["slot_id"]
    grant(service, slot_id, "First", assisted)
    grant(service, slot_id, "Second", assisted)
    assert (stored(repo, slot_id).available, stored(repo, slot_id).reserved) == (6, 0)
    # Reserve used up: the next one takes a public seat.
    third = grant(service, slot_id, "Third", assisted)
    assert third.seat_pool == seats.PUBLIC
    counts_add_up(stored(repo, slot_id), booked=3)


def test_the_release_gives_unused_reserved_seats_inside_the_lead_time_to_the_public(
        service, repo, clock):
    soon, later = slot_after(service, 1), slot_after(service, 5)  # 24 h and 5 days ahead
    result = ReservedSeatRelease(repo, clock).run([HOUSTON])
    inside = [s for s in repo.slots.values() if seats.release_due(s.start, clock(),
                                                                  timedelta(hours=48))]
    assert result["released"] == 2 * len(inside) and result["slots"] == len(inside) > 0
    assert all(s.reserved == 0 and s.available == s.capacity for s in inside)
    assert stored(repo, soon["slot_id"]).available == 8
    assert (stored(repo, later["slot_id"]).available, stored(repo, later["slot_id"]).reserved) \
        == (6, 2)
    assert slot_after(service, 1)["available"] == 8  # the public sees them at once
    # Nothing is released twice.
    assert ReservedSeatRelease(repo, clock).run([HOUSTON])["released"] == 0


def test_a_grant_after_the_release_takes_the_public_seat_it_became(service, repo, clock):
    slot_id = slot_after(service, 1)["slot_id"]
    for n in range(6):
        service.book(request(slot_id, first=f"Public{chr(65 + n)}"))
    ReservedSeatRelease(repo, clock).run([HOUSTON])
    service.book(request(slot_id, first="Released"))  # the public takes one released seat
    appointment = grant(service, slot_id)  # the other is left for the grant
    assert appointment.seat_pool == seats.PUBLIC
    with pytest.raises(errors.SlotUnavailable):
        grant(service, slot_id, "Late")
    counts_add_up(stored(repo, slot_id), booked=8)


def test_a_cancelled_reserved_seat_goes_back_to_the_reserve_until_the_lead_time(
        service, repo, clock):
    from chalicelib.booking.validation import Proof

    slot_id = slot_after(service, 3)["slot_id"]  # Thursday, three days ahead
    far = grant(service, slot_id)
    service.cancel(far.confirmation_number, Proof(last_name="Urgent",
                                                  date_of_birth="1970-01-02"))
    assert (stored(repo, slot_id).available, stored(repo, slot_id).reserved) == (6, 2)
    near = grant(service, slot_id, "Again")
    clock.advance(days=2)  # the slot now starts within 48 h
    service.cancel(near.confirmation_number, Proof(last_name="Urgent",
                                                   date_of_birth="1970-01-02"))
    assert (stored(repo, slot_id).available, stored(repo, slot_id).reserved) == (7, 1)


def test_release_is_due_only_inside_the_lead_time_and_before_the_start():
    now = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    lead = timedelta(hours=48)
    assert seats.release_due(now + lead, now, lead)
    assert not seats.release_due(now + lead + timedelta(seconds=1), now, lead)
    assert not seats.release_due(now, now, lead)
    assert seats.returned_pool(seats.RESERVED, now + lead * 2, now, lead) == seats.RESERVED
    assert seats.returned_pool(seats.RESERVED, now + lead, now, lead) == seats.PUBLIC
    assert seats.returned_pool(seats.PUBLIC, now + lead * 2, now, lead) == seats.PUBLIC


def test_a_schedule_keeps_at_least_one_public_seat_per_slot():
    weekly = office_domain.check_weekly(30, 4, {"mon": [["09:00", "10:00"]]}, 3, 24)
    assert (weekly["reserved_seats"], weekly["release_lead_hours"]) == (3, 24)
    with pytest.raises(errors.InvalidSchedule):
        office_domain.check_weekly(30, 4, {}, 4)
    with pytest.raises(errors.InvalidSchedule):
        office_domain.check_weekly(30, 4, {}, 1, 0)
    assert seats.reserved_seats({"capacity": 2, "reserved_seats": 5}) == 2
    assert seats.reserved_seats({"capacity": 2}) == 0
