"""The waitlist on DynamoDB (the serialized moto server): offers are holds taken in one
transaction with the entry's waiting -> offered move, so racing cancellations give each seat to
one person and each person one seat; an accepted offer books its held seat; a lapsed offer
passes its seat to the next person; an entry whose range passed is told once through the notices
pipeline; a waiting person's place in line is counted on the office's waiting entries."""
import json
import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib import errors
from chalicelib.booking.domain import Policy
from chalicelib.booking.hold_repository import DynamoHoldRepository, HoldRecord
from chalicelib.booking.holds import HoldService
from chalicelib.booking.release import ReservedSeatRelease
from chalicelib.limits.repository import DynamoCounters
from chalicelib.limits.service import Limiter
from chalicelib.notices import handlers
from chalicelib.notices.events import PublishFailed, SqsNoticeQueue
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.schedule import parse_slot_id
from chalicelib.booking.service import BookingService
from chalicelib.booking.validation import Proof
from chalicelib.tables import SlotRecord
from chalicelib.waitlist.notices import SqsOfferNotices
from chalicelib.waitlist.repository import DynamoWaitlistRepository
from chalicelib.waitlist.service import WaitlistService
from chalicelib.waitlist.validation import WaitlistRequest
from local.mail import sent_emails
from tests.fakes import FakePublisher, FixedClock
from tests.integration.test_holds import adds_up, record
from tests.integration.test_notices_pipeline import event_of, receive
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE, contacts_of, request
from tests.aws_fixtures import with_slots

ZONE = ZoneInfo("America/New_York")


class Offers:
    def __init__(self):
        self.sent, self.lock = [], threading.Lock()

    def publish(self, waitlist_id, version, kind="waitlist_offer"):
        with self.lock:
            self.sent.append((waitlist_id, version) if kind == "waitlist_offer"
                             else (waitlist_id, version, kind))


def build(clock, notices=None):
    holds = DynamoHoldRepository()
    waitlist = {}
    booking = BookingService(DynamoBookingRepository(), FakePublisher(), pepper="test",
                             clock=clock, policy=Policy(), holds=holds,
                             on_cancelled=lambda a: waitlist["service"].seat_freed(a.office_id,
                                                                                   a.start))
    offers = notices or Offers()
    waitlist["service"] = WaitlistService(booking, DynamoWaitlistRepository(), offers,
                                          offer_minutes=120, clock=clock)
    return booking, waitlist["service"], offers


def join_all(waitlist, clock, names, day):
    """One after another (a second apart: the fixed clock would make them join together)."""
    ids = []
    for name in names:
        clock.advance(seconds=1)
        ids.append(waitlist.join(join_body(name, day))["waitlist_id"])
    return ids


def join_body(first, day: date, last="Okafor", to: date | None = None):
    return WaitlistRequest.model_validate({
        "office_id": OFFICE, "from": day.isoformat(), "to": (to or day).isoformat(),
        "applicant": {"first_name": first, "last_name": last, "date_of_birth": "1979-06-01",
                      **contacts_of(first),
                      "address": {"line1": "2 Elm St", "city": "Boston", "state": "MA",
                                  "zip": "02108"}},
        "language": "es", "contact_method": "email"})


def proof(last="Okafor"):
    return Proof.model_validate({"last_name": last, "date_of_birth": "1979-06-01"})


def fill_the_day(booking, day: date, seats_for: int):
    """Every slot of `day` full except the first `seats_for` ones, which get one seat each
    (returned): the test books those, so the whole day is taken."""
    slots = [s for s in booking.availability(OFFICE, day, day)["slots"]]
    chosen = [s["slot_id"] for s in slots[:seats_for]]
    for s in slots:
        office, start = parse_slot_id(s["slot_id"])
        seats = 1 if s["slot_id"] in chosen else 0
        SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
            actions=[SlotRecord.capacity.set(seats), SlotRecord.available.set(seats)])
    return chosen


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def world(aws, clock):
    booking, waitlist, offers = build(clock)
    with_slots([OFFICE], booking)
    return booking, waitlist, offers


DAY = date(2026, 12, 3)  # a Thursday inside the window


def test_two_cancellations_racing_feed_the_first_two_people_one_seat_each(world):
    booking, waitlist, offers = world
    s1, s2 = fill_the_day(booking, DAY, 2)
    a1 = booking.book(request(s1, first="Booked")).body["confirmation_number"]
    a2 = booking.book(request(s2, first="Other")).body["confirmation_number"]
    ids = join_all(waitlist, booking.clock, ("Ana", "Bea", "Cruz"), DAY)
    assert all(waitlist.status(i, proof())["status"] == "waiting" for i in ids)

    barrier = threading.Barrier(2)

    def cancel(cn, first):
        barrier.wait()
        booking.cancel(cn, Proof.model_validate({"last_name": "Santos",
                                                 "date_of_birth": "1985-03-04"}))

    threads = [threading.Thread(target=cancel, args=args)
               for args in ((a1, "Booked"), (a2, "Other"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    views = [waitlist.status(i, proof()) for i in ids]
    assert [v["status"] for v in views] == ["offered", "offered", "waiting"]  # first come first
    offered = {v["offer"]["slot_id"] for v in views[:2]}
    assert offered == {s1, s2}  # two different seats, never the same one twice
    for slot_id in (s1, s2):
        assert adds_up(slot_id) == (0, 1)  # the seat is the offer's hold, counted once
    assert sorted(offers.sent) == sorted((i, 2) for i in ids[:2])  # one notice per offer


def test_three_cancellations_racing_on_one_slot_offer_three_seats_to_three_people(world):
    booking, waitlist, offers = world
    day = DAY + timedelta(days=1)
    (slot_id,) = fill_the_day(booking, day, 1)
    office, start = parse_slot_id(slot_id)
    SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
        actions=[SlotRecord.capacity.set(3), SlotRecord.available.set(3)])
    cns = [booking.book(request(slot_id, first=f"Seat{chr(65 + n)}")).body["confirmation_number"]
           for n in range(3)]
    ids = join_all(waitlist, booking.clock, [f"Wait{chr(65 + n)}" for n in range(4)], day)
    barrier = threading.Barrier(3)

    def cancel(cn):
        barrier.wait()
        booking.cancel(cn, Proof.model_validate({"last_name": "Santos",
                                                 "date_of_birth": "1985-03-04"}))

    threads = [threading.Thread(target=cancel, args=(cn,)) for cn in cns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    views = [waitlist.status(i, proof()) for i in ids]
    assert [v["status"] for v in views] == ["offered"] * 3 + ["waiting"]
    holds = record(slot_id).holds.as_dict()
    assert len(holds) == 3 and adds_up(slot_id) == (0, 3)  # three seats, three people
    assert len({v["offer"]["slot_id"] for v in views[:3]}) == 1
    assert len(offers.sent) == 3 and len(set(offers.sent)) == 3


def test_an_accepted_offer_books_its_held_seat_and_a_lapsed_one_passes_to_the_next(world, clock):
    booking, waitlist, offers = world
    s1, s2 = fill_the_day(booking, DAY, 2)
    a1 = booking.book(request(s1, first="Booked")).body["confirmation_number"]
    booking.book(request(s2, first="Other"))
    first, second = join_all(waitlist, clock, ("Ana", "Bea"), DAY)
    booking.cancel(a1, Proof.model_validate({"last_name": "Santos",
                                             "date_of_birth": "1985-03-04"}))
    assert waitlist.status(first, proof())["status"] == "offered"
    assert waitlist.status(second, proof())["status"] == "waiting"

    clock.advance(minutes=121)  # nobody answered: the offer lapses, the seat moves on
    assert waitlist.move_on()["lapsed"] == 1
    assert waitlist.status(first, proof())["status"] == "offer_lapsed"
    view = waitlist.status(second, proof())
    assert view["status"] == "offered" and view["offer"]["slot_id"] == s1
    assert adds_up(s1) == (0, 1)

    with pytest.raises(errors.NoOpenOffer):
        waitlist.accept(first, proof())
    accepted = waitlist.accept(second, proof())
    assert accepted["status"] == "booked" and accepted["appointment"]["slot_id"] == s1
    assert adds_up(s1) == (0, 0)  # the held seat became the booking: no second seat
    hold = HoldRecord.get(waitlist.store.get(second).offer.hold_id, consistent_read=True)
    assert hold.status == "converted"
    with pytest.raises(errors.NoOpenOffer):
        waitlist.accept(second, proof())
    assert (waitlist.status(second, proof())["confirmation_number"]
            == accepted["appointment"]["confirmation_number"])
    with pytest.raises(errors.AlreadyBooked):  # booked now: no waiting beside an appointment
        waitlist.join(join_body("Bea", DAY + timedelta(days=1)))


def hold_service(booking, waitlist, clock):
    """Holds whose freed seats (returned or given back) go to the waitlist first."""
    return HoldService(booking, booking.holds, Limiter(DynamoCounters(), {}, pepper="test",
                                                       exempt_clients=["127.0.0.1"]),
                       hold_minutes=10, clock=clock,
                       on_freed=lambda office_id, start: waitlist.seat_freed(office_id, start))


def test_a_seat_returned_by_an_expired_hold_is_offered_to_the_first_in_line(world, clock):
    booking, waitlist, _ = world
    (slot_id,) = fill_the_day(booking, DAY, 1)
    holds = hold_service(booking, waitlist, clock)
    holds.hold(slot_id, "127.0.0.1")
    (ana,) = join_all(waitlist, clock, ("Ana",), DAY)
    assert waitlist.status(ana, proof())["status"] == "waiting"  # the seat is held
    clock.advance(minutes=11)
    assert holds.return_expired()["returned"] == 1
    view = waitlist.status(ana, proof())
    assert view["status"] == "offered" and view["offer"]["slot_id"] == slot_id
    assert adds_up(slot_id) == (0, 1)


def test_a_hold_given_back_offers_its_seat_to_the_first_in_line(world, clock):
    booking, waitlist, _ = world
    (slot_id,) = fill_the_day(booking, DAY, 1)
    holds = hold_service(booking, waitlist, clock)
    held = holds.hold(slot_id, "127.0.0.1")
    (ana,) = join_all(waitlist, clock, ("Ana",), DAY)
    holds.give_back(held["hold_id"])
    view = waitlist.status(ana, proof())
    assert view["status"] == "offered" and view["offer"]["slot_id"] == slot_id
    assert adds_up(slot_id) == (0, 1)  # the seat went to Ana's offer, not to the public
    holds.give_back(held["hold_id"])  # again: nothing changes, nobody else is offered
    assert adds_up(slot_id) == (0, 1)


def test_a_released_reserved_seat_goes_to_the_waitlist_before_the_public(world, clock):
    booking, waitlist, _ = world
    day = date(2026, 12, 1)  # within the 48 hours of release lead
    (slot_id,) = fill_the_day(booking, day, 1)
    office, start = parse_slot_id(slot_id)
    SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
        actions=[SlotRecord.available.set(0), SlotRecord.reserved.set(1)])
    (ana,) = join_all(waitlist, clock, ("Ana",), day)
    release = ReservedSeatRelease(DynamoBookingRepository(), clock=clock,
                                  on_freed=lambda o, s: waitlist.seat_freed(o, s))
    assert release.run([OFFICE])["released"] >= 1
    view = waitlist.status(ana, proof())
    assert view["status"] == "offered" and view["offer"]["slot_id"] == slot_id
    assert adds_up(slot_id) == (0, 1)


def test_one_active_entry_per_person(world):
    booking, waitlist, _ = world
    waitlist.join(join_body("Ana", DAY))
    with pytest.raises(errors.AlreadyWaiting):
        waitlist.join(join_body("ANA", DAY + timedelta(days=1)))


def test_an_entry_whose_range_passed_is_told_once_even_when_its_first_publish_was_lost(
        aws, moto_server, clock, monkeypatch):
    booking, waitlist, _ = build(clock, SqsOfferNotices(SqsNoticeQueue(aws["notices"])))
    booking.generate_slots([OFFICE])
    fill_the_day(booking, DAY, 0)
    (ana,) = join_all(waitlist, clock, ("Ana",), DAY)
    clock.now = datetime(2026, 12, 4, 6, tzinfo=timezone.utc)  # Dec 3 ended in Boston at 05:00Z

    def lost(self, event, delay_seconds=0):
        raise PublishFailed("queue unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(SqsNoticeQueue, "publish", lost)
        assert waitlist.move_on()["expired"] == 1
    assert receive(aws["notices"]) == []
    view = waitlist.status(ana, proof())
    assert view["status"] == "expired" and view["position"] is None
    # The next runs publish it again while it is not settled; none ends the entry twice.
    for _ in range(2):
        counts = waitlist.move_on()
        assert counts["expired"] == 0 and counts["republished"] == 1
    messages = receive(aws["notices"])
    assert [json.loads(m["Body"]) for m in messages] == [
        {"kind": "waitlist_expired", "subject": "waitlist", "id": ana, "version": 2}] * 2
    for message in [*messages, messages[0]]:  # both publishes, and one redelivered
        handlers.send_notice(event_of(message), None)
    told = [e for e in sent_emails(moto_server) if ana in e["text"]]
    assert len(told) == 1
    assert told[0]["subject"] == "Su inscripción en la lista de espera ha terminado"
    assert told[0]["language"] == "es" and "Fechas" in told[0]["text"]
    assert waitlist.move_on()["republished"] == 0  # settled: nothing left to tell


def test_the_place_in_line_counts_earlier_people_waiting_at_the_office_for_a_shared_day(world):
    booking, waitlist, _ = world
    later = DAY + timedelta(days=1)
    fill_the_day(booking, DAY, 0)
    fill_the_day(booking, later, 0)
    ids = []
    for first, start, end in (("Ana", DAY, DAY), ("Cruz", later, later), ("Bea", DAY, later)):
        booking.clock.advance(seconds=1)
        ids.append(waitlist.join(join_body(first, start, to=end))["waitlist_id"])
    ana, cruz, bea = ids
    assert [waitlist.status(i, proof())["position"] for i in ids] == [1, 1, 3]
    waitlist.leave(ana, proof())
    assert waitlist.status(bea, proof())["position"] == 2
    assert waitlist.status(cruz, proof())["position"] == 1


def test_a_seat_that_freed_without_telling_anyone_is_offered_by_the_next_job_run(world):
    """New capacity, a closure lifted or a tell that failed: nobody called `seat_freed`, and
    the job finds the free seat for the first person in line within a minute."""
    booking, waitlist, offers = world
    (slot_id,) = fill_the_day(booking, DAY, 1)
    booking.book(request(slot_id, first="Booked"))
    (ana,) = join_all(waitlist, booking.clock, ("Ana",), DAY)
    assert waitlist.status(ana, proof())["status"] == "waiting"
    office, start = parse_slot_id(slot_id)
    SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
        actions=[SlotRecord.capacity.add(1), SlotRecord.available.add(1)])  # a seat added
    assert waitlist.move_on()["offered"] == 1
    view = waitlist.status(ana, proof())
    assert view["status"] == "offered" and view["offer"]["slot_id"] == slot_id
    assert adds_up(slot_id) == (0, 1) and offers.sent == [(ana, 2)]
    assert waitlist.move_on()["offered"] == 0  # offered once: she is no longer waiting
