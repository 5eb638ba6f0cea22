"""Holds on DynamoDB (the serialized moto server): a hold takes a seat, a booking with the hold
converts that seat (no second one), an expired hold's seat is free at once and returned by the
job, one active hold per client, one extension; and real threads racing a hold's expiry against
its conversion, the job and another person's booking never count the seat twice or lose it."""
import random
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.booking.domain import Policy, normalize_confirmation_number
from chalicelib.booking.hold_repository import DynamoHoldRepository, HoldRecord
from chalicelib.booking.holds import HoldService
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.schedule import parse_slot_id
from chalicelib.booking.service import BookingService
from chalicelib.limits.domain import Rule
from chalicelib.limits.repository import DynamoCounters
from chalicelib.limits.service import HOLD_CLIENT, Limiter
from chalicelib.tables import AppointmentRecord, SlotRecord
from tests.fakes import FakePublisher, FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE, request
from tests.aws_fixtures import with_slots

CLIENT, OTHER = "203.0.113.7", "198.51.100.9"


def build(clock, minutes=10):
    holds = DynamoHoldRepository()
    booking = BookingService(DynamoBookingRepository(), FakePublisher(), pepper="test",
                             clock=clock, policy=Policy(), holds=holds)
    limiter = Limiter(DynamoCounters(), {HOLD_CLIENT: Rule(20, timedelta(hours=1))},
                      pepper="test", exempt_clients=["127.0.0.1"], clock=clock)
    return booking, HoldService(booking, holds, limiter, hold_minutes=minutes, clock=clock)


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def services(aws, clock):
    booking, holds = build(clock)
    with_slots([OFFICE], booking)
    return booking, holds


def a_slot(booking, days=3, capacity=None):
    """A slot `days` ahead; with `capacity`, made that small (all seats free) for the test."""
    now = booking.clock()
    slot = next(s for s in booking.availability(OFFICE, None, None)["slots"]
                if datetime.fromisoformat(s["start"]) >= now + timedelta(days=days))
    if capacity is not None:
        record(slot["slot_id"]).update(actions=[SlotRecord.capacity.set(capacity),
                                                SlotRecord.available.set(capacity)])
    return slot["slot_id"]


def record(slot_id):
    office, start = parse_slot_id(slot_id)
    return SlotRecord.get(office, start.strftime("%Y-%m-%dT%H:%M:%SZ"), consistent_read=True)


def booked_at(slot_id):
    return sum(1 for a in AppointmentRecord.scan() if a.slot_id == slot_id and a.status == "booked")


def adds_up(slot_id):
    r = record(slot_id)
    held = len(r.holds.as_dict()) if r.holds is not None else 0
    assert int(r.available) + int(r.reserved or 0) + held + booked_at(slot_id) == int(r.capacity)
    return int(r.available), held


def test_a_booking_with_the_hold_takes_the_held_seat_and_no_other(services):
    booking, holds = services
    slot_id = a_slot(booking, capacity=2)
    held = holds.hold(slot_id, CLIENT)
    assert held["slot_id"] == slot_id and held["expires_in_seconds"] == 600
    assert held["expires_at"] == "2026-11-30T17:10:00Z"
    assert held["expires_at_local"] == "2026-11-30T12:10:00-05:00"
    assert held["timezone"] == "America/New_York" and held["extendable"] is True
    assert adds_up(slot_id) == (1, 1)
    outcome = booking.book(request(slot_id, hold_id=held["hold_id"]))
    assert outcome.status == 201
    assert adds_up(slot_id) == (1, 0)  # the public seat left is still there
    stored = HoldRecord.get(held["hold_id"])
    assert stored.status == "converted" and stored.held is None
    assert stored.confirmation_number == normalize_confirmation_number(
        outcome.body["confirmation_number"])
    with pytest.raises(errors.HoldAlreadyUsed):  # a hold books once
        booking.book(request(slot_id, first="Other", hold_id=held["hold_id"]))
    # The client may hold another time at once.
    again = holds.hold(a_slot(booking, days=4), CLIENT)
    with pytest.raises(errors.HoldSlotMismatch):
        booking.book(request(slot_id, first="Third", hold_id=again["hold_id"]))
    with pytest.raises(errors.HoldNotFound):
        booking.book(request(slot_id, first="Fourth", hold_id="0" * 32))


def test_held_seats_are_not_offered_and_an_expired_hold_is_free_at_once(services, clock):
    booking, holds = services
    slot_id = a_slot(booking, capacity=1)
    held = holds.hold(slot_id, CLIENT)
    listed = {s["slot_id"] for s in booking.availability(OFFICE, None, None)["slots"]}
    assert slot_id not in listed
    with pytest.raises(errors.SlotUnavailable):
        booking.book(request(slot_id, first="Rival"))
    clock.advance(minutes=10)  # expired; the job has not run
    assert slot_id in {s["slot_id"] for s in booking.availability(OFFICE, None, None)["slots"]}
    assert booking.book(request(slot_id, first="Rival")).status == 201  # takes the held seat
    assert adds_up(slot_id) == (0, 0)
    # The late holder learns the seat is gone; nothing is booked twice.
    with pytest.raises(errors.SlotUnavailable):
        booking.book(request(slot_id, hold_id=held["hold_id"]))
    assert holds.return_expired() == {"returned": 0, "settled": 1}
    assert adds_up(slot_id) == (0, 0) and booked_at(slot_id) == 1


def test_the_job_returns_expired_seats_once_and_an_expired_hold_still_books_a_free_seat(
        services, clock):
    booking, holds = services
    slot_id = a_slot(booking, capacity=1)
    held = holds.hold(slot_id, CLIENT)
    clock.advance(minutes=11)
    assert holds.return_expired() == {"returned": 1, "settled": 1}
    assert holds.return_expired() == {"returned": 0, "settled": 0}
    assert adds_up(slot_id) == (1, 0)
    assert HoldRecord.get(held["hold_id"]).status == "expired"
    with pytest.raises(errors.HoldExpired):
        holds.extend(held["hold_id"])
    # Booking with a hold that expired is no error while a seat is free: it takes one.
    assert booking.book(request(slot_id, hold_id=held["hold_id"])).status == 201
    assert adds_up(slot_id) == (0, 0)


def test_one_active_hold_per_client_until_it_is_given_back(services):
    booking, holds = services
    first = holds.hold(a_slot(booking, days=3), CLIENT)
    with pytest.raises(errors.HoldLimitReached):
        holds.hold(a_slot(booking, days=4), CLIENT)
    assert holds.hold(a_slot(booking, days=4), OTHER)["hold_id"]  # another client is not held up
    kiosk = [holds.hold(a_slot(booking, days=d), "127.0.0.1") for d in (5, 6)]  # exempt
    assert len(kiosk) == 2
    slot_id = first["slot_id"]
    before = adds_up(slot_id)
    holds.give_back(first["hold_id"])
    assert adds_up(slot_id) == (before[0] + 1, before[1] - 1)
    holds.give_back(first["hold_id"])  # giving back twice changes nothing
    assert adds_up(slot_id) == (before[0] + 1, before[1] - 1)
    assert holds.hold(a_slot(booking, days=4), CLIENT)["hold_id"]


def test_a_hold_extends_once_by_another_period(services, clock):
    booking, holds = services
    slot_id = a_slot(booking, capacity=1)
    held = holds.hold(slot_id, CLIENT)
    extended = holds.extend(held["hold_id"])
    assert extended["expires_at"] == "2026-11-30T17:20:00Z" and extended["extendable"] is False
    with pytest.raises(errors.HoldAlreadyExtended):
        holds.extend(held["hold_id"])
    clock.advance(minutes=15)  # past the first expiry, inside the extension
    assert holds.return_expired()["returned"] == 0
    with pytest.raises(errors.SlotUnavailable):
        booking.book(request(slot_id, first="Rival"))
    assert booking.book(request(slot_id, hold_id=held["hold_id"])).status == 201
    assert adds_up(slot_id) == (0, 0)
    # The client's marker moved with the extension and was freed by the booking.
    assert holds.hold(a_slot(booking, days=4), CLIENT)["hold_id"]


def test_hold_expiry_races_its_conversion_the_job_and_a_rival_and_the_seat_counts_once(aws):
    """Real time and real threads: each round the hold expires a fraction of a second after the
    threads start; the holder converts, the job returns expired seats and a rival books, each at
    a random moment around the expiry."""
    booking, holds = build(lambda: datetime.now(timezone.utc))
    booking.generate_slots([OFFICE])
    winners = []
    for n in range(6):
        slot_id = a_slot(booking, days=3 + n % 3, capacity=1)
        # Hold it, then bring the expiry close: 0.3-0.6 s from now (hold and slot entry alike).
        held = holds.hold(slot_id, f"192.0.2.{n + 1}")
        expires = int(time.time()) + 1
        HoldRecord(held["hold_id"]).update(actions=[HoldRecord.expires_at.set(expires)])
        office, start = parse_slot_id(slot_id)
        SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
            actions=[SlotRecord.holds[held["hold_id"]].set(expires)])
        barrier = threading.Barrier(3)
        results = {}

        def convert():
            barrier.wait()
            time.sleep(random.uniform(0, 1.5))
            results["holder"] = _attempt(lambda: booking.book(
                request(slot_id, first=f"Holder{chr(65 + n)}", hold_id=held["hold_id"])))

        def rival():
            barrier.wait()
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:  # keeps trying, as a person refreshing would
                results["rival"] = _attempt(lambda: booking.book(
                    request(slot_id, first=f"Rival{chr(65 + n)}")))
                if results["rival"] == "booked":
                    break
                time.sleep(random.uniform(0.05, 0.3))

        def job():
            barrier.wait()
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                holds.return_expired()
                time.sleep(0.1)

        threads = [threading.Thread(target=f) for f in (convert, rival, job)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        got = [who for who, outcome in results.items() if outcome == "booked"]
        assert len(got) == 1, results  # never both, never neither
        assert adds_up(slot_id) == (0, 0) and booked_at(slot_id) == 1
        winners.append(got[0])
    assert set(winners) <= {"holder", "rival"}


def _attempt(call):
    try:
        call()
        return "booked"
    except errors.DomainError as error:
        return error.code


def test_a_slot_made_before_holds_existed_gets_its_map_on_the_first_hold(services):
    booking, holds = services
    slot_id = a_slot(booking, capacity=2)
    record(slot_id).update(actions=[SlotRecord.holds.remove()])  # as stored before issue 13
    assert record(slot_id).holds is None
    held = holds.hold(slot_id, CLIENT)
    assert adds_up(slot_id) == (1, 1)
    assert booking.book(request(slot_id, hold_id=held["hold_id"])).status == 201
    assert adds_up(slot_id) == (1, 0)
