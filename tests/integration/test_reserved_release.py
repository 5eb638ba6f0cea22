"""Reserved seats on DynamoDB (the serialized moto server): generated slots keep the reserve, the
release job moves it with a conditional update per slot, and real threads racing grants (and a
public booking) against the release on the last reserved seat never count a seat twice or lose
one."""
import threading
import time
from datetime import timedelta

import pytest

from chalicelib import errors
from chalicelib.booking.domain import Policy
from chalicelib.booking.release import ReservedSeatRelease
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.schedule import parse_slot_id
from chalicelib.booking.service import BookingService, OnBehalfBooking
from chalicelib.offices.repository import DynamoOfficeRepository
from chalicelib.tables import AppointmentRecord, SlotRecord
from tests.fakes import FakePublisher, FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, request
from tests.aws_fixtures import with_slots

HOUSTON = "houston"  # 8 seats per slot, 2 reserved, released 48 h ahead


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def service(aws, clock):
    svc = BookingService(DynamoBookingRepository(), FakePublisher(), pepper="test", clock=clock,
                         policy=Policy())
    with_slots([HOUSTON], svc)
    return svc


def release(clock):
    return ReservedSeatRelease(DynamoBookingRepository(), clock).run([HOUSTON])


def record(slot_id):
    office, start = parse_slot_id(slot_id)
    return SlotRecord.get(office, start.strftime("%Y-%m-%dT%H:%M:%SZ"), consistent_read=True)


def booked_at(slot_id):
    return sum(1 for a in AppointmentRecord.scan()
               if a.slot_id == slot_id and a.status == "booked")


def grant_call(service, slot_id, first):
    return lambda: service.book_on_behalf(OnBehalfBooking(
        slot_id=slot_id, applicant={"first_name": first, "last_name": "Urgent",
                                    "date_of_birth": "1970-01-02"},
        reason={"category": "emergency_travel_document"}, language="en",
        contact_method="mail"))


def race(*calls, delays=None):
    """Start the calls together on real threads (each after its delay, if given)."""
    barrier = threading.Barrier(len(calls))
    won, lost = [], []
    delays = delays or [0.0] * len(calls)

    def run(index, call):
        barrier.wait()
        time.sleep(delays[index])
        try:
            result = call()
            won.append((index, result))
        except errors.DomainError as error:
            lost.append((index, error.code))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return won, lost


def within_lead(service, clock):
    slots = service.availability(HOUSTON, None, None, for_staff=True)["slots"]
    return [s["slot_id"] for s in slots
            if s["reserved"] == 0 and s["available"] == 8][:6]


def test_generated_slots_keep_the_reserve_and_the_release_moves_it_once(service, clock):
    public = service.availability(HOUSTON, None, None)["slots"]
    assert public and all(s["available"] == 6 for s in public)
    first = release(clock)
    assert first["released"] == 2 * first["slots"] > 0
    assert release(clock) == {"released": 0, "slots": 0}
    after = {s["slot_id"]: s["available"] for s in service.availability(HOUSTON, None, None)["slots"]}
    inside = [sid for sid, n in after.items() if n == 8]
    assert len(inside) == first["slots"]
    r = record(inside[0])
    assert (int(r.available), int(r.reserved), int(r.released)) == (8, 0, 2)
    # Office operations (and the published performance figures) see the released seats too.
    office, start = parse_slot_id(inside[0])
    seen = DynamoOfficeRepository().slots(office, start, start + timedelta(minutes=1))
    assert [(s.released, s.reserved, s.booked) for s in seen] == [(2, 0, 0)]
    clock.advance(days=3)  # later slots come inside the lead time in turn
    assert release(clock)["released"] > 0


def test_grants_racing_the_release_on_the_last_reserved_seat_always_add_up(service, clock):
    release(clock)  # the slots inside the lead time are public now
    outcomes = set()
    # Started together, then with the release late, then with the grant late: both orders
    # are exercised whatever the machine's timing.
    staggers = [None, None, [0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]
    for n, slot_id in enumerate(within_lead(service, clock)[:6]):
        # The last reserved seat of a slot whose public seats are gone.
        office, start = parse_slot_id(slot_id)
        SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(actions=[
            SlotRecord.capacity.set(1), SlotRecord.available.set(0),
            SlotRecord.reserved.set(1)])
        won, lost = race(grant_call(service, slot_id, f"Grant{chr(65 + n)}"),
                         lambda: release(clock), delays=staggers[n])
        assert lost == [], lost  # never neither: the grant gets the seat whoever goes first
        released = next(result for i, result in won if i == 1)["released"]
        appointment = next(result for i, result in won if i == 0)
        outcomes.add((released, appointment.seat_pool))
        r = record(slot_id)
        assert int(r.available) + int(r.reserved or 0) + booked_at(slot_id) == int(r.capacity)
        assert booked_at(slot_id) == 1  # never both
        assert released == (1 if appointment.seat_pool == "public" else 0)
    # The grant took the reserved seat (nothing left to release), or the release went first
    # and the grant took the public seat it became; the counts held either way (above).
    assert outcomes == {(0, "reserved"), (1, "public")}


def test_a_grant_a_public_booking_and_the_release_race_for_one_reserved_seat(service, clock):
    release(clock)
    winners = set()
    # Together (whoever wins, the seat counts add up), then the grant first, then the grant late
    # (the release and the public booking go first). Who wins a round released together depends
    # on the machine's timing, so each side's win is forced once by a stagger.
    staggers = [None, None, [0.0, 1.0, 1.5], [1.5, 0.0, 0.5], [1.5, 0.0, 0.5]]
    for n, slot_id in enumerate(within_lead(service, clock)[:5]):
        office, start = parse_slot_id(slot_id)
        SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(actions=[
            SlotRecord.capacity.set(1), SlotRecord.available.set(0),
            SlotRecord.reserved.set(1)])
        won, lost = race(grant_call(service, slot_id, f"Grant{chr(65 + n)}"),
                         lambda: release(clock),
                         lambda: service.book(request(slot_id, first=f"Public{chr(65 + n)}")),
                         delays=staggers[n])
        seat_takers = [i for i, _ in won if i != 1]
        assert len(seat_takers) == 1, (won, lost)  # one seat, one person: never both, never neither
        assert [code for _, code in lost] == ["slot_unavailable"]
        r = record(slot_id)
        assert (int(r.available), int(r.reserved or 0), booked_at(slot_id)) == (0, 0, 1)
        if seat_takers == [2]:  # the public could only have had it once it was released
            assert next(result for i, result in won if i == 1)["released"] == 1
        winners.add(seat_takers[0])
    assert winners == {0, 2}  # the grant won some rounds, the public (after the release) others
