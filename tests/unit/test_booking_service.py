"""The booking rules, through the service, with in-memory fakes and a fixed clock."""
import zlib
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.booking.domain import Policy, normalize_confirmation_number
from chalicelib.booking.service import BookingService
from chalicelib.booking.validation import BookingRequest, Proof, RescheduleRequest
from tests.fakes import FakePublisher, FakeRepository, FixedClock

OFFICE = "boston"
MONDAY_NOON = datetime(2026, 11, 30, 17, tzinfo=timezone.utc)  # 12:00 in Boston


def contacts_of(first: str) -> dict:
    """Each invented person has their own email address and phone number (the per-contact
    limit is tested on its own)."""
    n = zlib.crc32(first.encode()) % 10000
    return {"email": f"{first.lower()}@example.org", "phone": f"+1 617 555 {n:04d}"}


def request(slot_id: str, first="Maria", last="Santos", dob="1985-03-04", contacts=None,
            **extra) -> BookingRequest:
    body = {"slot_id": slot_id,
            "applicant": {"first_name": first, "last_name": last, "date_of_birth": dob,
                          **(contacts or contacts_of(first)),
                          "address": {"line1": "1 Main St", "city": "Boston", "state": "MA",
                                      "zip": "02108"}},
            "reason": {"category": "evidence_of_status", "details": "I-551 stamp"},
            "language": "pt", "contact_method": "email", **extra}
    return BookingRequest.model_validate(body)


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def repo():
    return FakeRepository()


@pytest.fixture
def publisher():
    return FakePublisher()


@pytest.fixture
def service(repo, publisher, clock):
    svc = BookingService(repo, publisher, pepper="test", clock=clock,
                         policy=Policy(booking_window_days=14, change_cutoff=timedelta(hours=24),
                                       min_interval=timedelta(days=180)))
    svc.generate_slots([OFFICE])
    return svc


def open_ids(service, n=None):
    slots = service.availability(OFFICE, None, None)["slots"]
    return [s["slot_id"] for s in slots][:n]


def later_slot(service, days: int) -> str:
    target = MONDAY_NOON + timedelta(days=days)
    return next(s["slot_id"] for s in service.availability(OFFICE, None, None)["slots"]
                if datetime.fromisoformat(s["start"]) >= target)


def cn_of(outcome) -> str:
    return outcome.body["confirmation_number"]


def proof(last="Santos", dob="1985-03-04") -> Proof:
    return Proof(last_name=last, date_of_birth=date.fromisoformat(dob))


def test_availability_starts_after_now_and_ends_with_the_window(service):
    slots = service.availability(OFFICE, None, None)["slots"]
    starts = [datetime.fromisoformat(s["start"]) for s in slots]
    assert starts == sorted(starts)
    assert starts[0] > MONDAY_NOON
    assert starts[-1].date() <= date(2026, 12, 14)
    assert all(s["start"].endswith("-05:00") for s in slots)


def test_availability_rejects_ranges_outside_the_window(service):
    for first, last in ((date(2026, 11, 29), None), (None, date(2026, 12, 15)),
                        (date(2026, 12, 30), None)):
        with pytest.raises(errors.InvalidRange):
            service.availability(OFFICE, first, last)


def test_a_range_that_ends_before_it_starts_is_reversed_not_outside_the_window(service):
    with pytest.raises(errors.ReversedRange):
        service.availability(OFFICE, date(2026, 12, 5), date(2026, 12, 4))


def test_booking_takes_one_seat_and_queues_a_confirmation(service, repo, publisher):
    slot_id = later_slot(service, 3)
    before = next(s for s in service.availability(OFFICE, None, None)["slots"] if s["slot_id"] == slot_id)
    outcome = service.book(request(slot_id))
    assert outcome.status == 201 and outcome.body["status"] == "booked"
    assert len(cn_of(outcome)) == 14
    after = next(s for s in service.availability(OFFICE, None, None)["slots"] if s["slot_id"] == slot_id)
    assert after["available"] == before["available"] - 1
    assert publisher.events == [("booking_confirmation", normalize_confirmation_number(cn_of(outcome)), 1)]


def test_a_full_slot_is_refused_with_nearby_alternatives(service, repo):
    slot_id = later_slot(service, 3)
    capacity = next(s for s in service.availability(OFFICE, None, None)["slots"] if s["slot_id"] == slot_id)["available"]
    for n in range(capacity):
        service.book(request(slot_id, first=f"Person{chr(65 + n)}"))
    with pytest.raises(errors.SlotUnavailable) as refused:
        service.book(request(slot_id, first="Latecomer"))
    alternatives = refused.value.extra["alternatives"]
    assert 1 <= len(alternatives) <= 5
    assert slot_id not in {a["slot_id"] for a in alternatives}


def test_one_person_gets_one_active_appointment(service):
    service.book(request(later_slot(service, 2)))
    with pytest.raises(errors.AlreadyBooked):
        service.book(request(later_slot(service, 4), first="MARIA", last="santos"))


def test_a_cancelled_appointment_does_not_count_against_the_interval(service):
    first = service.book(request(later_slot(service, 3)))
    service.cancel(cn_of(first), proof())
    second = service.book(request(later_slot(service, 5)))
    assert second.status == 201


def test_a_past_visit_within_the_interval_blocks_a_new_booking(service, clock):
    service.book(request(later_slot(service, 2)))
    clock.advance(days=7)  # the visit has happened
    service.generate_slots([OFFICE])
    with pytest.raises(errors.TooSoon):
        service.book(request(later_slot(service, 10)))


def test_with_no_minimum_interval_a_past_visit_does_not_block(repo, publisher, clock):
    svc = BookingService(repo, publisher, pepper="t", clock=clock, policy=Policy(min_interval=timedelta(0)))
    svc.generate_slots([OFFICE])
    svc.book(request(later_slot(svc, 2)))
    clock.advance(days=7)
    svc.generate_slots([OFFICE])
    assert svc.book(request(later_slot(svc, 10))).status == 201


def test_an_idempotency_key_replays_the_first_response(service, repo):
    slot_id = later_slot(service, 3)
    first = service.book(request(slot_id), idempotency_key="k1")
    again = service.book(request(slot_id), idempotency_key="k1")
    assert again.replayed and again.body == first.body
    assert len(repo.appointments) == 1
    with pytest.raises(errors.IdempotencyKeyReused):
        service.book(request(slot_id, first="Other"), idempotency_key="k1")


def test_contact_center_offices_do_not_take_online_bookings(service):
    with pytest.raises(errors.OfficeNotSelfService) as refused:
        service.book(request("hartford.20261203T1400Z"))
    assert refused.value.extra["request_path"] == "/v1/service-requests"
    with pytest.raises(errors.OfficeNotSelfService):
        service.availability("hartford", None, None)


def test_unknown_and_past_slots_are_refused(service):
    with pytest.raises(errors.UnknownSlot):
        service.book(request("nowhere.20261203T1400Z"))
    with pytest.raises(errors.UnknownSlot):
        service.book(request("boston.20261203T0300Z"))  # 22:00 local: never generated
    with pytest.raises(errors.SlotUnavailable):
        service.book(request("boston.20261130T1400Z"))  # this morning


def test_wrong_number_and_wrong_identity_give_the_same_answer(service):
    cn = cn_of(service.book(request(later_slot(service, 3))))
    with pytest.raises(errors.AppointmentNotFound) as wrong_identity:
        service.lookup(cn, proof(dob="1985-03-05"))
    with pytest.raises(errors.AppointmentNotFound) as wrong_number:
        service.lookup("ZZZZ-ZZZZ-ZZZZ", proof())
    with pytest.raises(errors.AppointmentNotFound) as malformed:
        service.lookup("<script>", proof())
    assert str(wrong_identity.value) == str(wrong_number.value) == str(malformed.value)
    assert service.lookup(cn.lower(), proof(last="SANTOS"))["status"] == "booked"


def test_cancel_releases_the_seat_and_cannot_happen_twice(service, publisher):
    slot_id = later_slot(service, 3)
    seats = lambda: next(s for s in service.availability(OFFICE, None, None)["slots"] if s["slot_id"] == slot_id)["available"]
    before = seats()
    cn = cn_of(service.book(request(slot_id)))
    assert seats() == before - 1
    assert service.cancel(cn, proof())["status"] == "cancelled"
    assert seats() == before
    with pytest.raises(errors.NotChangeable):
        service.cancel(cn, proof())
    assert [e[0] for e in publisher.events] == ["booking_confirmation", "cancellation"]


def test_reschedule_moves_the_seat_and_bumps_the_version(service, repo):
    old, new = later_slot(service, 3), later_slot(service, 6)
    cn = cn_of(service.book(request(old)))
    view = service.reschedule(cn, RescheduleRequest(slot_id=new, last_name="Santos", date_of_birth=date(1985, 3, 4)))
    assert view["slot_id"] == new and view["version"] == 2
    seats = {s.office_id + s.start.isoformat(): s.available for s in repo.slots.values()}
    capacity = next(iter(repo.slots.values())).capacity
    assert sorted(seats.values()).count(capacity - 1) == 1
    with pytest.raises(errors.SameSlot):
        service.reschedule(cn, RescheduleRequest(slot_id=new, last_name="Santos", date_of_birth=date(1985, 3, 4)))


def test_reschedules_close_24_hours_before_the_start_but_cancellation_stays_open(
        service, clock, repo):
    slot_id = later_slot(service, 2)
    cn = cn_of(service.book(request(slot_id)))
    start = datetime.fromisoformat(service.lookup(cn, proof())["start"])
    clock.now = start - timedelta(hours=23)
    assert service.lookup(cn, proof())["changes_closed"] is True
    with pytest.raises(errors.TooLate):
        service.reschedule(cn, RescheduleRequest(slot_id=later_slot(service, 5), last_name="Santos",
                                                 date_of_birth=date(1985, 3, 4)))
    clock.now = start - timedelta(seconds=1)
    seats = lambda: next(s.available for s in repo.slots.values() if s.start == start)
    before = seats()
    assert service.cancel(cn, proof())["status"] == "cancelled"
    assert seats() == before + 1  # the seat is back at once, for someone else


def test_an_appointment_that_has_started_cannot_be_cancelled(service, clock):
    cn = cn_of(service.book(request(later_slot(service, 2))))
    start = datetime.fromisoformat(service.lookup(cn, proof())["start"])
    clock.now = start
    with pytest.raises(errors.TooLate):
        service.cancel(cn, proof())
    clock.now = start - timedelta(days=1)
    assert service.lookup(cn, proof())["status"] == "booked"


def test_a_booking_inside_the_cutoff_says_changes_are_closed(service, clock):
    tomorrow_morning = later_slot(service, 0.7)  # less than 24 hours away
    outcome = service.book(request(tomorrow_morning))
    body = outcome.body
    assert body["changes_closed"] is True
    assert datetime.fromisoformat(body["changes_close_at"]) <= clock.now
    later = service.book(request(later_slot(service, 3), first="Other"))
    assert later.body["changes_closed"] is False
    assert datetime.fromisoformat(later.body["changes_close_at"]) == \
        datetime.fromisoformat(later.body["start"]) - timedelta(hours=24)


def test_a_failed_publish_never_fails_the_booking(repo, clock):
    svc = BookingService(repo, FakePublisher(failing=True), pepper="t", clock=clock, policy=Policy())
    svc.generate_slots([OFFICE])
    assert svc.book(request(later_slot(svc, 3))).status == 201
    assert len(repo.appointments) == 1


def test_generating_slots_twice_writes_nothing_new(service, repo):
    writes = repo.writes
    assert service.generate_slots([OFFICE]) == {OFFICE: 0}
    assert repo.writes == writes


def test_an_expired_idempotency_key_starts_afresh(service, clock):
    first = service.book(request(later_slot(service, 3)), idempotency_key="old-key")
    service.cancel(cn_of(first), proof())
    clock.advance(hours=25)  # past the 24-hour key lifetime, whether or not TTL deleted it
    second = service.book(request(later_slot(service, 5)), idempotency_key="old-key")
    assert not second.replayed and cn_of(second) != cn_of(first)


SHARED = {"email": "Family@Example.org", "phone": "(617) 555-0142"}


def test_at_most_two_upcoming_appointments_share_one_email_or_phone(service, repo):
    service.book(request(later_slot(service, 3), first="Ana", contacts=SHARED))
    service.book(request(later_slot(service, 3), first="Bia",
                         contacts={**SHARED, "email": "family@example.ORG "}))
    with pytest.raises(errors.ContactLimitReached) as refused:
        service.book(request(later_slot(service, 4), first="Caio",
                             contacts={"email": "family@example.org", "phone": "+1 617 555 9999"}))
    assert refused.value.extra["limit"] == 2
    with pytest.raises(errors.ContactLimitReached):  # the phone alone, in another spelling
        service.book(request(later_slot(service, 4), first="Caio",
                             contacts={"email": "caio@example.org", "phone": "+16175550142"}))
    assert len(repo.appointments) == 2
    # Nothing about the contact is kept in the clear.
    assert not any("family" in key.lower() or "0142" in key for key in repo.seats)


def test_a_cancelled_appointment_gives_its_contact_seat_back(service):
    first = service.book(request(later_slot(service, 3), first="Ana", contacts=SHARED))
    service.book(request(later_slot(service, 3), first="Bia", contacts=SHARED))
    service.cancel(cn_of(first), proof())  # Ana Santos, 1985-03-04
    assert service.book(request(later_slot(service, 4), first="Caio", contacts=SHARED)).status == 201


def test_an_appointment_that_has_passed_stops_counting_and_a_moved_one_counts_until_its_new_time(
        service, clock):
    early = service.book(request(later_slot(service, 1), first="Ana", contacts=SHARED))
    service.book(request(later_slot(service, 1), first="Bia", contacts=SHARED))
    moved_to = later_slot(service, 6)
    service.reschedule(cn_of(early), RescheduleRequest(slot_id=moved_to, last_name="Santos",
                                                      date_of_birth=date(1985, 3, 4)))
    start_of = lambda cn: datetime.fromisoformat(service.lookup(cn, proof())["start"])
    clock.now = start_of(cn_of(early)) - timedelta(days=4)  # Bia's visit is over; Ana's is not
    assert service.book(request(open_ids(service)[0],
                                first="Caio", contacts=SHARED)).status == 201
    with pytest.raises(errors.ContactLimitReached):
        service.book(request(open_ids(service)[1], first="Dora", contacts=SHARED))
