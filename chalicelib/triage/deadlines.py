"""Callback deadlines in the office's time zone. Pure: the clock and the policy are passed in.

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
