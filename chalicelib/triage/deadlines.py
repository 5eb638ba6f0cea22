"""Deadlines of every open state, in the office's time zone. Pure: the clock and the policy are
passed in.

Each open state owes the requester something by a date: a callback (by urgency level), a
decision once they were reached, an appeal decision, a visit after an overturn.

A deadline is a date (what the requester is promised) and the instant it ends: midnight at the
start of the next day, office-local. Business days skip weekends and US federal holidays
(including observed days), as the booking schedule does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from chalicelib.booking.schedule import is_federal_holiday


@dataclass(frozen=True)
class DeadlinePolicy:
    emergency_business_days: int = 1
    urgent_business_days: int = 5
    standard_calendar_days: int = 30
    # "Near": the office's Tier 2 queue is reminded this long before a deadline ends.
    reminder_before: timedelta = timedelta(hours=24)
    appeal_window_days: int = 30
    failed_callbacks_before_notice: int = 3
    # After contact, an appeal, an overturn: what is owed next, and by when.
    decision_business_days: int = 2
    appeal_decision_business_days: int = 10
    visit_after_overturn_business_days: int = 5
    # Missed deadlines on one request before it goes to the headquarters supervisors' view.
    breaches_before_escalation: int = 2


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and not is_federal_holiday(day)


def add_business_days(day: date, count: int) -> date:
    """The `count`-th business day after `day` (`day` itself never counts)."""
    current = day
    remaining = count
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def due_date(level: str, start: datetime, zone: str, policy: DeadlinePolicy) -> date:
    """The last day a callback is due, for a request at `level` counted from `start`."""
    local_day = start.astimezone(ZoneInfo(zone)).date()
    if level == "emergency":
        return add_business_days(local_day, policy.emergency_business_days)
    if level == "urgent":
        return add_business_days(local_day, policy.urgent_business_days)
    return local_day + timedelta(days=policy.standard_calendar_days)


def local_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def working_day_before(day: date) -> date:
    current = day - timedelta(days=1)
    while not is_business_day(current):
        current -= timedelta(days=1)
    return current


def capped(due_on: date, today: date, stated: list[date]) -> tuple[date, date | None]:
    """(due date, the stated deadline that capped it or None). A person's own deadline comes
    first: the due date is at the latest the working day before their earliest deadline still
    to come, or today when that is all there is."""
    upcoming = [d for d in stated if d >= today]
    if not upcoming:
        return due_on, None
    earliest = min(upcoming)
    cap = max(working_day_before(earliest), today)
    return (cap, earliest) if cap < due_on else (due_on, None)


def expect(request, day: date) -> None:
    """Set what the request owes next to end with `day`, office-local."""
    request.due_on, request.due_at = day, end_of(day, request.timezone)


def end_of(day: date, zone: str) -> datetime:
    """The instant a due date has passed in the office's zone, in UTC."""
    local_midnight = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(zone))
    return local_midnight.astimezone(timezone.utc)


def new_date_after_breach(level: str, now: datetime, zone: str, policy: DeadlinePolicy) -> date:
    """A missed deadline is never a reason to close a request: the requester gets a new date.
    Counted again from now, and never with the 30 calendar days of a standard request, which
    has already waited that long."""
    return due_date("urgent" if level == "standard" else level, now, zone, policy)


def is_near(due_at: datetime, now: datetime, policy: DeadlinePolicy) -> bool:
    return due_at - policy.reminder_before <= now < due_at


def is_past(due_at: datetime, now: datetime) -> bool:
    return now >= due_at
