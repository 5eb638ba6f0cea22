"""Waitlist rules with fakes: first come first served within a range of office-local dates,
one offer per seat and per person, offers never outlast their slot, lapsed offers pass on,
entries whose range passed end and are told once, a waiting person's place in line; and the
offer and expiry notices in every language."""
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import errors, i18n
from chalicelib.booking.domain import LANGUAGES, Policy
from chalicelib.booking.ports import Rejected
from chalicelib.booking.service import BookingService
from chalicelib.booking.validation import Proof
from chalicelib.waitlist import domain
from chalicelib.waitlist.domain import Entry, Offer
from chalicelib.waitlist.notices import notice_data, render_expiry, render_offer
from chalicelib.waitlist.service import WaitlistService
from chalicelib.waitlist.validation import WaitlistRequest
from tests.fakes import FakePublisher, FakeRepository, FixedClock, taken
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE, contacts_of

BOSTON = "America/New_York"


def entry(wid="a" * 16, queued="2026-11-30T17:00:00Z", first=date(2026, 12, 3),
          last=date(2026, 12, 3), status=domain.WAITING, **changes):
    return replace(Entry(wid, "key-" + wid, OFFICE, BOSTON, first, last, status, queued, 1,
                         "proof", {"first_name": "Ana", "last_name": "Ruiz",
                                   "email": "ana@example.org"},
                         {"category": "other"}, "es", "email"), **changes)


def test_the_range_is_read_in_office_local_dates():
    e = entry()
    # 02:00 UTC on Dec 4 is still the evening of Dec 3 in Boston.
    assert e.covers(datetime(2026, 12, 4, 2, tzinfo=timezone.utc))
    assert not e.covers(datetime(2026, 12, 4, 5, tzinfo=timezone.utc))
    assert not e.covers(datetime(2026, 12, 3, 4, tzinfo=timezone.utc))  # Dec 2 in Boston
    assert e.range_ends() == datetime(2026, 12, 4, 5, tzinfo=timezone.utc)


def test_first_in_line_is_the_earliest_waiting_entry_whose_range_covers_the_seat():
    start = datetime(2026, 12, 3, 15, tzinfo=timezone.utc)
    now = MONDAY_NOON
    late = entry("b" * 16, queued="2026-11-30T18:00:00Z")
    early = entry("c" * 16, queued="2026-11-30T16:00:00Z")
    offered = entry("d" * 16, queued="2026-11-30T10:00:00Z", status=domain.OFFERED)
    elsewhere = entry("e" * 16, queued="2026-11-30T09:00:00Z", first=date(2026, 12, 4),
                      last=date(2026, 12, 5))
    assert domain.first_in_line([late, offered, elsewhere, early], start, now) == [early, late]
    # Once its range has passed, an entry is nobody's next.
    assert domain.first_in_line([early], start, datetime(2026, 12, 4, 6, tzinfo=timezone.utc)) == []


def test_an_offer_runs_its_minutes_but_never_past_the_slot():
    now = MONDAY_NOON
    assert domain.offer_expiry(now, now + timedelta(days=2), 120) == int(
        (now + timedelta(minutes=120)).timestamp())
    assert domain.offer_expiry(now, now + timedelta(minutes=30), 120) == int(
        (now + timedelta(minutes=30)).timestamp())


def test_waitlist_ids_are_16_hex_digits_however_typed():
    assert domain.normalize_waitlist_id(" 0123-4567-89AB-CDEF ") == "0123456789abcdef"
    assert domain.normalize_waitlist_id("0123456789abcdeg") is None
    assert domain.normalize_waitlist_id("") is None
    assert len(domain.new_waitlist_id()) == 16


# --- the service with fakes ----------------------------------------------------------------------

class FakeHolds:
    """Holds in the fake repository's slots: `take` applies the seat and the parts together or
    not at all, like the transaction."""

    def __init__(self, repo):
        self.repo, self.holds = repo, {}

    def take(self, hold, seat, now, together_with=()):
        key = (hold.office_id, hold.start)
        after = taken(self.repo.slots.get(key), seat)
        failed = {"slot"} if after is None else set()
        failed |= {p.label for p in together_with if not p.holds()}
        if failed:
            raise Rejected(failed)
        self.repo.slots[key] = replace(after, holds={**after.holds, hold.hold_id: hold.expires_at})
        self.holds[hold.hold_id] = hold
        for part in together_with:
            part.apply()

    def ensure_hold_map(self, office_id, start):
        pass

    def get(self, hold_id):
        return self.holds.get(hold_id)

    def give_back(self, hold, status, now=None):
        key = (hold.office_id, hold.start)
        slot = self.repo.slots[key]
        if hold.hold_id not in slot.holds:
            return False
        self.repo.slots[key] = replace(
            slot, available=slot.available + 1,
            holds={h: e for h, e in slot.holds.items() if h != hold.hold_id})
        self.holds[hold.hold_id] = replace(hold, status=status)
        return True


class FakePart:
    def __init__(self, store, e, offer):
        self.store, self.entry, self.offer, self.label = store, e, offer, "entry"

    def holds(self):
        current = self.store.entries[self.entry.waitlist_id]
        return (current.status == domain.WAITING and current.version == self.entry.version
                and not self.store.steal_next)

    def apply(self):
        current = self.store.entries[self.entry.waitlist_id]
        self.store.entries[self.entry.waitlist_id] = replace(
            current, status=domain.OFFERED, offer=self.offer, version=current.version + 1)


class FakeStore:
    def __init__(self):
        self.entries, self.markers, self.steal_next, self.untold_ids = {}, {}, False, set()

    def join(self, e, until, now):
        held = self.markers.get(e.person_key)
        if held and held[1] > int(now.timestamp()):
            raise Rejected({"person"})
        self.markers[e.person_key] = (e.waitlist_id, until)
        self.entries[e.waitlist_id] = e

    def get(self, wid):
        return self.entries.get(wid)

    def waiting(self, office_id, limit=200):
        return sorted((e for e in self.entries.values()
                       if e.office_id == office_id and e.status == domain.WAITING),
                      key=lambda e: e.queued)

    def offered(self, limit=100):
        return [e for e in self.entries.values() if e.status == domain.OFFERED]

    def offer_part(self, e, offer):
        part = FakePart(self, e, offer)
        if self.steal_next:  # another offer takes this person first, once
            self.steal_next = False
            self.entries[e.waitlist_id] = replace(e, status=domain.OFFERED, version=e.version + 1)
            self.steal_next = False
        return part

    def waiting_ahead(self, e):
        return sum(other.ahead_of(e) for other in self.entries.values())

    def expire(self, e):
        current = self.entries[e.waitlist_id]
        if current.status != domain.WAITING or current.version != e.version:
            return False
        self.entries[e.waitlist_id] = replace(current, status=domain.EXPIRED,
                                              version=current.version + 1)
        self.untold_ids.add(e.waitlist_id)
        self.markers.pop(e.person_key, None)
        return True

    def untold(self, limit=100):
        return [self.entries[w] for w in sorted(self.untold_ids)]

    def mark_told(self, wid, version):
        if self.entries[wid].version == version:
            self.untold_ids.discard(wid)

    def end(self, e, status, from_statuses, confirmation_number=None):
        current = self.entries[e.waitlist_id]
        if current.status not in from_statuses:
            return False
        self.entries[e.waitlist_id] = replace(current, status=status)
        self.markers.pop(e.person_key, None)
        return True

    def mark_notified(self, wid, version):
        pass


class Notices:
    def __init__(self):
        self.sent = []

    def publish(self, wid, version, kind=domain.OFFER_NOTICE):
        self.sent.append((wid, version) if kind == domain.OFFER_NOTICE else (wid, version, kind))


@pytest.fixture
def world():
    clock = FixedClock(MONDAY_NOON)
    repo = FakeRepository()
    booking = BookingService(repo, FakePublisher(), pepper="test", clock=clock, policy=Policy(),
                             holds=FakeHolds(repo))
    booking.generate_slots([OFFICE])
    store, notices = FakeStore(), Notices()
    service = WaitlistService(booking, store, notices, offer_minutes=120, clock=clock)
    return repo, store, notices, service, clock


DAY = date(2026, 12, 3)


def full_day(repo):
    """Every seat of DAY taken; returns the day's slot starts."""
    starts = []
    for key, slot in list(repo.slots.items()):
        if entry().covers(key[1]):
            repo.slots[key] = replace(slot, available=0, reserved=0)
            starts.append(key[1])
    return sorted(starts)


def join(service, clock, first):
    return join_range(service, clock, first, DAY, DAY, "es")["waitlist_id"]


def join_range(service, clock, first, start, end, language="en"):
    clock.advance(seconds=1)
    return service.join(WaitlistRequest.model_validate({
        "office_id": OFFICE, "from": start.isoformat(), "to": end.isoformat(),
        "applicant": {"first_name": first, "last_name": "Ruiz", "date_of_birth": "1980-01-02",
                      **contacts_of(first), "address": {"line1": "1 Main St", "city": "Boston",
                                                        "state": "MA", "zip": "02108"}},
        "language": language}))


def free_a_seat(repo, start):
    key = (OFFICE, start)
    repo.slots[key] = replace(repo.slots[key], available=repo.slots[key].available + 1)


def test_a_freed_seat_goes_to_the_first_in_line_and_each_person_gets_one_offer(world):
    repo, store, notices, service, clock = world
    starts = full_day(repo)
    ana, bea = join(service, clock, "Ana"), join(service, clock, "Bea")
    free_a_seat(repo, starts[0])
    free_a_seat(repo, starts[0])
    assert service.seat_freed(OFFICE, starts[0]).waitlist_id == ana
    assert service.seat_freed(OFFICE, starts[0]).waitlist_id == bea
    free_a_seat(repo, starts[0])
    assert service.seat_freed(OFFICE, starts[0]) is None  # nobody else waits
    assert repo.slots[(OFFICE, starts[0])].available == 1  # the third seat stays public
    assert len(repo.slots[(OFFICE, starts[0])].holds) == 2
    assert notices.sent == [(ana, 2), (bea, 2)]
    assert store.get(ana).offer.expires_at == int((clock() + timedelta(minutes=120)).timestamp())


def test_a_person_taken_by_a_racing_offer_is_skipped_for_the_next(world):
    repo, store, notices, service, clock = world
    starts = full_day(repo)
    ana, bea = join(service, clock, "Ana"), join(service, clock, "Bea")
    free_a_seat(repo, starts[1])
    store.steal_next = True  # Ana's entry moves to another offer just before this one commits
    assert service.seat_freed(OFFICE, starts[1]).waitlist_id == bea
    assert len(repo.slots[(OFFICE, starts[1])].holds) == 1


def test_joining_while_a_seat_is_free_in_the_range_offers_it_at_once(world):
    repo, store, notices, service, clock = world
    starts = full_day(repo)
    free_a_seat(repo, starts[2])
    ana = join(service, clock, "Ana")
    assert store.get(ana).status == domain.OFFERED and store.get(ana).offer.start == starts[2]


def test_one_active_entry_per_person(world):
    repo, store, notices, service, clock = world
    join(service, clock, "Ana")
    with pytest.raises(errors.AlreadyWaiting):
        join(service, clock, "ANA")


def test_a_lapsed_offer_passes_its_seat_on_and_a_passed_range_ends_the_entry(world):
    repo, store, notices, service, clock = world
    starts = full_day(repo)
    ana, bea = join(service, clock, "Ana"), join(service, clock, "Bea")
    free_a_seat(repo, starts[0])
    service.seat_freed(OFFICE, starts[0])
    clock.advance(minutes=121)
    counts = service.move_on()
    assert counts["lapsed"] == 1
    assert store.get(ana).status == domain.LAPSED
    assert store.get(bea).status == domain.OFFERED and store.get(bea).offer.start == starts[0]
    assert len(repo.slots[(OFFICE, starts[0])].holds) == 1  # one seat, one offer at a time
    # Bea's offer is published once: the run read the open offers before passing Ana's on.
    assert notices.sent == [(ana, 2), (bea, 2)] and counts["republished"] == 0
    store.entries[bea] = replace(store.get(bea), status=domain.WAITING)
    clock.now = datetime(2026, 12, 4, 6, tzinfo=timezone.utc)  # the range is over
    assert service.move_on()["expired"] == 1 and store.get(bea).status == domain.EXPIRED


# --- the notice ----------------------------------------------------------------------------------

def offered_entry():
    start = datetime(2026, 12, 3, 15, tzinfo=timezone.utc)
    return entry(status=domain.OFFERED, version=2, offer=Offer(
        "f" * 32, start, int((MONDAY_NOON + timedelta(hours=2)).timestamp())),
        applicant={"first_name": "Ana", "last_name": "Ruiz", "email": "ana@example.org",
                   "address": {"line1": "1 Main St", "city": "Boston", "state": "MA",
                               "zip": "02108"}})


def test_the_offer_notice_goes_once_per_offer_and_not_after_it_ended():
    e = offered_entry()
    data = notice_data(e, 2)
    assert data.language == "es" and data.channel == "email" and data.email == "ana@example.org"
    assert notice_data(e, 1) is None  # an older offer's event
    assert notice_data(replace(e, status=domain.BOOKED), 2) is None
    assert notice_data(None, 2) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_offer_notice_is_in_the_persons_language_with_how_to_accept(language):
    data = replace(notice_data(offered_entry(), 2), language=language)
    content = render_offer(data, i18n.translator(language), "https://infopass.example.gov/manage")
    text = " ".join(str(getattr(b, "text", "")) for b in content.blocks)
    assert "https://infopass.example.gov/manage" in text
    assert offered_entry().waitlist_id in str(content.blocks)
    if language != "en":
        assert content.subject != "An appointment is offered to you from the waitlist"


# --- the expiry notice and the place in line -----------------------------------------------------

EXPIRY = domain.EXPIRY_NOTICE


def test_an_entry_whose_range_passed_is_told_once_however_often_the_job_runs(world):
    repo, store, notices, service, clock = world
    full_day(repo)
    ana = join(service, clock, "Ana")
    clock.now = datetime(2026, 12, 4, 6, tzinfo=timezone.utc)  # Dec 3 ended in Boston at 05:00Z
    assert service.move_on()["expired"] == 1
    assert store.get(ana).status == domain.EXPIRED and store.get(ana).version == 2
    assert notices.sent == [(ana, 2, EXPIRY)]  # the entry's version after the expiry
    # Until the notice is settled the job publishes the same event again (the pipeline sends
    # one notice per kind and version); it never ends the entry twice.
    again = service.move_on()
    assert again["expired"] == 0 and again["republished"] == 1
    assert notices.sent == [(ana, 2, EXPIRY)] * 2
    service.notice_settled(ana, EXPIRY, 2)
    assert service.move_on()["republished"] == 0 and len(notices.sent) == 2


def no_seats(repo):
    for key, slot in list(repo.slots.items()):
        repo.slots[key] = replace(slot, available=0, reserved=0)


def test_a_waiting_persons_place_counts_the_earlier_people_whose_dates_share_a_day(world):
    repo, store, notices, service, clock = world
    no_seats(repo)
    proof = Proof.model_validate({"last_name": "Ruiz", "date_of_birth": "1980-01-02"})
    ana = join_range(service, clock, "Ana", DAY, DAY)
    assert ana["position"] == 1
    cruz = join_range(service, clock, "Cruz", DAY + timedelta(days=1), DAY + timedelta(days=1))
    assert cruz["position"] == 1  # Ana waits for another day: she is not ahead of Cruz
    bea = join_range(service, clock, "Bea", DAY, DAY + timedelta(days=1))
    assert bea["position"] == 3  # Ana and Cruz each share a day with Bea's range
    service.leave(ana["waitlist_id"], proof)
    assert service.status(bea["waitlist_id"], proof)["position"] == 2
    assert service.status(ana["waitlist_id"], proof)["position"] is None  # left: no place


def expired_entry():
    return entry(status=domain.EXPIRED, version=2, last=date(2026, 12, 4),
                 applicant=offered_entry().applicant)


def test_an_offer_event_never_renders_an_expiry_and_the_other_way_round():
    url = "https://infopass.example.gov/manage"
    t = i18n.translator("en")
    expired = notice_data(expired_entry(), 2)
    assert expired.fields["status"] == domain.EXPIRED and expired.email == "ana@example.org"
    assert notice_data(expired_entry(), 1) is None  # an event of the waiting version
    assert render_offer(expired, t, url) is None
    assert render_expiry(notice_data(offered_entry(), 2), t, url) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_expiry_notice_is_in_the_persons_language_with_the_dates_and_a_way_back(language):
    t = i18n.translator(language)
    data = replace(notice_data(expired_entry(), 2), language=language)
    content = render_expiry(data, t, "https://infopass.example.gov/manage")
    text = " ".join(str(getattr(b, "text", "")) for b in content.blocks)
    facts = dict(next(b.rows for b in content.blocks if hasattr(b, "rows")))
    assert "https://infopass.example.gov/manage" in text
    assert expired_entry().waitlist_id in facts.values()
    assert t.date(date(2026, 12, 3)) in facts[t.gettext("Dates")]
    assert t.date(date(2026, 12, 4)) in facts[t.gettext("Dates")]
    if language != "en":
        assert content.subject != "Your waitlist entry has ended"
