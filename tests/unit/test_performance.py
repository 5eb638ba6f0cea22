"""Published performance: the figures of an office's day, and the job that publishes each day
once, with fakes (no AWS)."""
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib import errors
from chalicelib.performance import domain
from chalicelib.performance.domain import OfficeDay, RequestFacts, Seats, Triage
from chalicelib.performance.service import Figures, Publication

NY = "America/New_York"
UTC = timezone.utc


@dataclass
class Slot:
    start: datetime
    capacity: int
    available: int
    closed: str | None = None
    released: int = 0


@dataclass
class Visit:
    status: str
    attendance: str | None = None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def entry(when: str, step: str, to: str, frm: str | None = None) -> dict:
    return {"at": when, "step": step, "from": frm, "to": to}


def test_an_office_day_runs_from_local_midnight_to_midnight_and_is_25_hours_when_clocks_fall_back():
    start, end = domain.day_bounds(date(2026, 11, 1), NY)
    assert start.astimezone(UTC) == at("2026-11-01T04:00:00+00:00")
    assert end - start == timedelta(hours=25)
    start, end = domain.day_bounds(date(2027, 3, 14), NY)
    assert end - start == timedelta(hours=23)


def test_seats_count_what_was_offered_booked_cancelled_released_attended_and_missed():
    slots = [Slot(at("2026-12-03T14:00:00+00:00"), 3, 0, released=1),
             Slot(at("2026-12-03T14:30:00+00:00"), 3, 2),
             Slot(at("2026-12-03T15:00:00+00:00"), 3, 3, closed="c1")]  # a closed slot offers none
    visits = [Visit("booked", "completed"), Visit("booked", "checked_in"), Visit("booked", "no_show"),
              Visit("cancelled"), Visit("booked")]
    assert domain.seats(slots, visits) == Seats(offered=6, booked=5, cancelled=1, released=1,
                                                attended=2, no_shows=1)


def test_the_wait_is_counted_in_office_days_to_the_first_seat_the_public_can_take():
    now = at("2026-12-02T03:00:00+00:00")  # still Dec 1 in New York
    slots = [Slot(at("2026-12-01T20:00:00+00:00"), 2, 2),  # already past
             Slot(at("2026-12-03T14:00:00+00:00"), 2, 0),  # full
             Slot(at("2026-12-04T14:00:00+00:00"), 2, 1, closed="c1"),  # closed
             Slot(at("2026-12-07T14:00:00+00:00"), 2, 1)]
    assert domain.days_to_first_open_seat(slots, now, NY) == 6
    assert domain.days_to_first_open_seat(slots[:3], now, NY) is None


def test_triage_counts_only_what_happened_inside_the_day():
    start, end = domain.day_bounds(date(2026, 12, 2), NY)
    on_time = RequestFacts(at("2026-12-01T15:00:00+00:00"), "urgent", (
        entry("2026-12-01T15:00:00Z", "submit", "submitted"),
        entry("2026-12-02T15:00:00Z", "record_callback", "callback_scheduled", "callback_scheduled"),
        entry("2026-12-02T16:00:00Z", "record_callback", "callback_scheduled", "callback_scheduled"),
        entry("2026-12-02T17:00:00Z", "grant", "appointment_granted", "callback_scheduled")))
    late = RequestFacts(at("2026-11-20T15:00:00+00:00"), "standard", (
        entry("2026-11-20T15:00:00Z", "submit", "submitted"),
        entry("2026-11-25T15:00:00Z", "record_callback", "callback_scheduled", "escalated"),
        entry("2026-11-30T05:00:00Z", "deadline_missed", "callback_scheduled", "callback_scheduled"),
        entry("2026-12-02T18:00:00Z", "deny", "denied", "callback_scheduled"),
        entry("2026-12-02T19:00:00Z", "appeal", "appeal_requested", "denied")))
    new = RequestFacts(at("2026-12-02T20:00:00+00:00"), "emergency", (
        entry("2026-12-02T20:00:00Z", "submit", "submitted"),))
    after = RequestFacts(at("2026-12-03T06:00:00+00:00"), "emergency", (  # Dec 3 in New York
        entry("2026-12-03T06:00:00Z", "submit", "submitted"),))
    overturned = RequestFacts(at("2026-10-01T15:00:00+00:00"), "standard", (
        entry("2026-12-02T21:00:00Z", "decide_appeal", "appeal_overturned", "appeal_requested"),))
    t = domain.triage([on_time, late, new, after, overturned], start, end)
    assert t.submitted == {"emergency": 1, "urgent": 0, "standard": 0}
    # Only the first callback attempt counts, timed from submission: 24 hours.
    assert (t.first_callbacks, t.hours_to_first_callback) == (1, [24.0])
    assert (t.decisions, t.decisions_on_time) == (2, 1)
    assert t.appeals == 1 and t.appeal_outcomes == {"upheld": 0, "overturned": 1}


def day(office_id, when, **seats):
    t = Triage()
    t.hours_to_first_callback = seats.pop("hours", [])
    return OfficeDay(office_id, when, Seats(**seats), t, seats.pop("wait", None))


def test_totals_add_counts_and_take_medians_of_the_values_not_of_the_daily_medians():
    days = [day("a", date(2026, 12, 1), offered=10, booked=4, hours=[1.0, 2.0, 30.0]),
            day("a", date(2026, 12, 2), offered=10, booked=6, hours=[4.0])]
    days[0].days_to_first_open_seat, days[1].days_to_first_open_seat = 3, 9
    totals = domain.totals(days)
    assert totals["seats"]["offered"] == 20 and totals["seats"]["booked"] == 10
    assert totals["triage"]["median_hours_to_first_callback"] == 3.0  # of 1, 2, 4, 30
    assert totals["median_days_to_first_open_seat"] == 6.0
    assert domain.totals([])["triage"]["median_hours_to_first_callback"] is None


class FakeStore:
    def __init__(self):
        self.days: dict[tuple[date, str], OfficeDay] = {}
        self.saves = 0

    def save(self, d):
        self.saves += 1
        self.days[(d.day, d.office_id)] = d

    def published(self, when):
        return {office for (d, office) in self.days if d == when}

    def between(self, first, last):
        return [d for (when, _), d in self.days.items() if first <= when <= last]


class FakeSources:
    def __init__(self):
        self.slot_list = [Slot(at("2026-12-01T15:00:00+00:00"), 4, 1),
                          Slot(at("2026-12-09T15:00:00+00:00"), 4, 4)]

    def slots(self, office_id, after, before):
        return [s for s in self.slot_list if after <= s.start < before]

    def visits(self, office_id, after, before):
        return [Visit("booked", "completed"), Visit("cancelled")]

    def activity(self, office_id, since):
        return [(at("2026-12-01T16:00:00+00:00"), "urgent",
                 [entry("2026-12-01T16:00:00Z", "submit", "submitted")])]


OFFICES = [{"id": "boston", "timezone": NY}, {"id": "honolulu", "timezone": "Pacific/Honolulu"}]


@pytest.fixture
def publication():
    emitted = []
    p = Publication(lambda: OFFICES, FakeSources(), FakeStore(), emitted.append, window_days=14)
    p.emitted = emitted
    return p


def test_each_office_is_published_once_its_own_night_is_over(publication):
    # 09:00 UTC: 04:00 Dec 2 in Boston (its Dec 1 is over), 23:00 Dec 1 in Honolulu (its Dec 1
    # is not: Nov 30 is the day it publishes).
    first = publication.run(at("2026-12-02T09:00:00+00:00"))
    assert first["published"] == ["boston", "honolulu"]
    assert publication.store.published(date(2026, 11, 30)) == {"honolulu"}
    published = publication.store.days[(date(2026, 12, 1), "boston")]
    assert published.seats == Seats(offered=4, booked=2, cancelled=1, attended=1)
    assert published.triage.submitted["urgent"] == 1
    assert published.days_to_first_open_seat == 7  # Dec 9, seen on the morning of Dec 2
    # The next hourly runs skip Boston; Honolulu's day is counted on Honolulu's morning.
    assert publication.run(at("2026-12-02T10:00:00+00:00"))["published"] == []
    assert publication.run(at("2026-12-02T14:00:00+00:00"))["published"] == ["honolulu"]
    assert publication.run(at("2026-12-02T15:00:00+00:00"))["published"] == []
    assert publication.store.saves == 3 and [d.office_id for d in publication.emitted] == [
        "boston", "honolulu", "honolulu"]


def test_a_run_that_stopped_midway_is_finished_by_the_next_without_counting_twice(publication):
    publication.store.save(day("boston", date(2026, 12, 1), offered=99))  # then the run died
    assert publication.run(at("2026-12-02T15:00:00+00:00"))["published"] == ["honolulu"]
    assert publication.store.days[(date(2026, 12, 1), "boston")].seats.offered == 99


def figures(store):
    return Figures(store, lambda: {"boston", "honolulu"})


def test_the_public_range_defaults_to_the_last_30_published_days_and_is_capped():
    store = FakeStore()
    for n in range(40):
        store.save(day("boston", date(2026, 12, 1) - timedelta(days=n), offered=1))
    answer = figures(store).between(None, None, None, today=date(2026, 12, 2))
    assert (answer["from"], answer["to"]) == ("2026-11-02", "2026-12-01")
    assert answer["totals"]["seats"]["offered"] == 30
    assert [o["office_id"] for o in answer["offices"]] == ["boston"]
    assert answer["offices"][0]["days"][0]["date"] == "2026-11-02"
    with pytest.raises(errors.InvalidParameter):
        figures(store).between(date(2026, 1, 1), date(2026, 6, 1), None, date(2026, 12, 2))
    with pytest.raises(errors.ReversedRange):
        figures(store).between(date(2026, 6, 2), date(2026, 6, 1), None, date(2026, 12, 2))
    with pytest.raises(errors.UnknownOffice):
        figures(store).between(None, None, "atlantis", date(2026, 12, 2))


def test_one_office_can_be_asked_for_alone():
    store = FakeStore()
    store.save(day("boston", date(2026, 12, 1), offered=5))
    store.save(day("honolulu", date(2026, 12, 1), offered=7))
    answer = figures(store).between(date(2026, 12, 1), date(2026, 12, 1), "honolulu",
                                    date(2026, 12, 2))
    assert answer["totals"]["seats"]["offered"] == 7
    assert [o["office_id"] for o in answer["offices"]] == ["honolulu"]


def test_a_published_day_is_one_embedded_metric_format_line_per_office(capsys):
    from chalicelib.performance import metrics

    d = day("boston", date(2026, 12, 1), offered=10, booked=4, no_shows=1, hours=[2.0, 6.0])
    d.days_to_first_open_seat = 5
    metrics.emit(d)
    [line] = capsys.readouterr().out.strip().splitlines()
    emf = json.loads(line)
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "InfoPass" and ["office_id", "service"] in directive[
        "Dimensions"]
    assert emf["office_id"] == "boston" and emf["date"] == "2026-12-01"
    assert emf["seats_offered"] == [10.0] and emf["seats_no_shows"] == [1.0]
    assert emf["median_hours_to_first_callback"] == [4.0] and emf["days_to_first_open_seat"] == [
        5.0]
