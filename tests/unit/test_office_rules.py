"""Office rules in plain Python: weekly schedules from a date, closures in office time (DST
included), and the front desk's marks with a fixed clock."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.booking import schedule
from chalicelib.offices import domain
from chalicelib.offices.roster import AttendancePolicy, FrontDesk, Visit
from chalicelib.staff.identity import Actor

UTC = timezone.utc
OFFICE = domain.for_directory(domain.from_seed({
    "id": "boston", "name": "Boston Field Office", "timezone": "America/New_York",
    "address": {"line1": "1 Main", "city": "Boston", "state": "MA", "zip": "02108"},
    "latitude": 42.36, "longitude": -71.06, "scheduling": "self_service", "services": ["other"],
    "schedule": {"slot_minutes": 30, "capacity": 2,
                 "hours": {d: [["08:00", "12:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
    "closures": [{"date": "2026-12-09", "reason": "Office closed"}]}), date(2026, 12, 1))


def test_a_schedule_applies_from_its_date_and_later_changes_replace_it():
    weekly = domain.check_weekly(20, 4, {"mon": [["09:00", "10:00"]]})
    schedules = domain.with_schedule(OFFICE["schedules"], weekly, date(2026, 12, 14))
    office = {**OFFICE, "schedules": schedules}
    assert len(schedule.plan_day(office, date(2026, 12, 11))) == 8  # the old Friday
    monday = schedule.plan_day(office, date(2026, 12, 14))
    assert [s.capacity for s in monday] == [4, 4, 4]
    assert schedule.plan_day(office, date(2026, 12, 15)) == []  # no Tuesday hours any more
    again = domain.with_schedule(schedules, domain.check_weekly(30, 1, {}), date(2026, 12, 10))
    assert [s["effective_from"] for s in again] == [domain.BEGINNING, "2026-12-10"]


@pytest.mark.parametrize("hours", [
    {"mon": [["10:00", "09:00"]]}, {"mon": [["09:00", "09:50"]]}, {"sat": [["09:00", "10:00"]]},
    {"mon": [["09:00", "11:00"], ["10:00", "12:00"]]}, {"mon": [["9:00", "10:00"]]}, {"mon": "x"},
])
def test_schedules_that_do_not_hold_together_are_refused(hours):
    with pytest.raises(errors.InvalidSchedule):
        domain.check_weekly(30, 2, hours)


def test_seeded_closures_by_date_close_the_whole_office_day():
    assert schedule.plan_day(OFFICE, date(2026, 12, 9)) == []
    assert len(schedule.plan_day(OFFICE, date(2026, 12, 10))) == 8


def test_a_time_range_closure_is_office_time_across_a_dst_change():
    # 2027-03-15 is the Monday after the US spring-forward (EDT, UTC-4).
    rng = domain.closure_range("2027-03-15T10:00", "2027-03-15T11:00", "America/New_York")
    assert rng.start == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)
    office = {**OFFICE, "closures": [domain.closure_entry("c1", rng, "power_outage", "", "a",
                                                          rng.start)]}
    starts = [s.start.astimezone(UTC).hour * 60 + s.start.minute
              for s in schedule.plan_day(office, date(2027, 3, 15))]
    assert 14 * 60 not in starts and 14 * 60 + 30 not in starts and len(starts) == 6


@pytest.mark.parametrize("raw", [("2026-12-10", "2026-12-09"), ("2026-12-10T12:00", "2026-12-10T12:00"),
                                 ("soon", "later"), ("2026-12-10T12:00+00:00", "2026-12-10T13:00"),
                                 ("2026-01-01", "2027-12-31")])
def test_closures_that_make_no_sense_are_refused(raw):
    with pytest.raises(errors.InvalidClosure):
        domain.closure_range(*raw, "America/New_York")


class Store:
    def __init__(self, visit):
        self.visits = {visit.confirmation_number: visit}
        self.uncounted = []

    def day_visits(self, office_id, after, before):
        return [v for v in self.visits.values() if after <= v.start < before]

    def visit(self, cn):
        return self.visits.get(cn)

    def mark(self, visit, mark, required, actor_id, now, uncount):
        current = self.visits[visit.confirmation_number]
        if current.attendance != required:
            return False
        self.visits[visit.confirmation_number] = replace(current, attendance=mark)
        if uncount:
            self.uncounted.append(visit.confirmation_number)
        return True


START = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # 10:00 in Boston
VISIT = Visit("ABCDEFGH2345", "boston", "booked", START, START + timedelta(minutes=30),
              "America/New_York", "pk", {"first_name": "Ana", "last_name": "Ruiz",
                                          "date_of_birth": "1979-08-30", "email": "a@b.c"},
              {"category": "case_inquiry", "details": "secret"}, "es",
              ["language_interpreter"], None)
DESK = Actor("desk-1", "front_desk", "boston")


def desk(at, counts=False):
    store = Store(VISIT)
    return FrontDesk(store, AttendancePolicy(no_show_counts=counts), clock=lambda: at), store


def test_a_no_show_is_marked_only_after_the_start_plus_the_grace():
    early, _ = desk(START + timedelta(minutes=14))
    with pytest.raises(errors.TooEarlyToMark):
        early.no_show(DESK, VISIT.confirmation_number)
    late, store = desk(START + timedelta(minutes=15))
    assert late.no_show(DESK, VISIT.confirmation_number)["attendance"] == "no_show"
    assert store.uncounted == [VISIT.confirmation_number]  # the documented default
    counted, store = desk(START + timedelta(minutes=20), counts=True)
    counted.no_show(DESK, VISIT.confirmation_number)
    assert store.uncounted == []


def test_marks_follow_the_visit_state_and_a_second_mark_loses():
    front, _ = desk(START - timedelta(minutes=30))
    with pytest.raises(errors.AlreadyMarked):
        front.complete(DESK, VISIT.confirmation_number)
    assert front.check_in(DESK, "abcd-efgh-2345")["attendance"] == "checked_in"
    with pytest.raises(errors.AlreadyMarked):
        front.check_in(DESK, VISIT.confirmation_number)
    assert front.complete(DESK, VISIT.confirmation_number)["attendance"] == "completed"
    too_early, _ = desk(START - timedelta(hours=3))
    with pytest.raises(errors.TooEarlyToMark):
        too_early.check_in(DESK, VISIT.confirmation_number)


def test_the_roster_shows_what_the_front_desk_needs_and_nothing_more():
    front, _ = desk(START)
    with pytest.raises(errors.OtherOffice):
        front.roster(Actor("desk-9", "front_desk", "miami"), "boston", date(2026, 12, 10))
    [line] = front.roster(DESK, "boston", date(2026, 12, 10))["appointments"]
    assert line["name"] == "Ana Ruiz" and line["start"] == "2026-12-10T10:00:00-05:00"
    assert line["interpreter_needed"] and line["language"] == "es"
    assert "1979" not in str(line) and "a@b.c" not in str(line) and "secret" not in str(line)
