"""Turning an office's weekly schedule into dated slots, in the office's own time zone."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT_ID_TIME = "%Y%m%dT%H%MZ"
# Fixed width, ASCII digits. Case is forgiven (and canonicalized); other spellings, such as a
# one-digit day, are not: "2026121" could be 1 December or 21 January.
_SLOT_ID = re.compile(r"([a-z0-9][a-z0-9_-]*)\.([0-9]{8})t([0-9]{4})z")


@dataclass(frozen=True)
class PlannedSlot:
    office_id: str
    start: datetime  # UTC
    end: datetime  # UTC
    capacity: int
    reserved: int = 0  # of the capacity, seats kept for triage grants and staff bookings

    @property
    def slot_id(self) -> str:
        return slot_id(self.office_id, self.start)


def slot_id(office_id: str, start: datetime) -> str:
    return f"{office_id}.{start.astimezone(timezone.utc).strftime(_SLOT_ID_TIME)}"


def parse_slot_id(value: str) -> tuple[str, datetime] | None:
    """(office id, UTC start) of a slot id; `slot_id(*parse_slot_id(x))` is its one canonical
    spelling, the only one ever stored, so two spellings can never name two items."""
    if len(value) > 80:
        return None
    match = _SLOT_ID.fullmatch(value.lower())
    if match is None:
        return None
    office_id, day, clock = match.groups()
    try:
        start = datetime.strptime(f"{day}T{clock}Z", _SLOT_ID_TIME).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return office_id, start


def canonical_slot_id(value: str) -> str | None:
    parsed = parse_slot_id(value)
    return slot_id(*parsed) if parsed else None


@lru_cache(maxsize=8)
def _federal_holidays(year: int) -> holidays.HolidayBase:
    # Imported on first use: only slot generation needs the calendar, not every cold start.
    import holidays

    return holidays.US(years=year)


def is_federal_holiday(day: date) -> bool:
    return day in _federal_holidays(day.year)


def is_open_day(office: dict, day: date) -> bool:
    if day.weekday() >= 5 or is_federal_holiday(day):
        return False
    closed = {c["date"] for c in office.get("closures", []) if "date" in c}
    return day.isoformat() not in closed


def plan_day(office: dict, day: date) -> list[PlannedSlot]:
    """The day's slots under the schedule in force that day, less those a closure overlaps."""
    from chalicelib.booking.seats import reserved_seats
    from chalicelib.offices.domain import overlaps_closure, schedule_for

    if not is_open_day(office, day):
        return []
    schedule = schedule_for(office, day)
    zone = ZoneInfo(office["timezone"])
    step = timedelta(minutes=schedule["slot_minutes"])
    reserved = reserved_seats(schedule)
    slots = []
    for opens, closes in schedule["hours"].get(WEEKDAYS[day.weekday()], []):
        # Wall-clock arithmetic in the office's zone: 08:00 stays 08:00 on both sides of a DST change.
        cursor = datetime.combine(day, time.fromisoformat(opens), tzinfo=zone)
        closing = datetime.combine(day, time.fromisoformat(closes), tzinfo=zone)
        while cursor + step <= closing:
            start, end = cursor.astimezone(timezone.utc), (cursor + step).astimezone(timezone.utc)
            if not overlaps_closure(office, start, end):
                slots.append(PlannedSlot(office["id"], start, end, schedule["capacity"],
                                         reserved))
            cursor += step
    return slots


def _schedule_at(office: dict, start: datetime) -> tuple[datetime, dict]:
    from chalicelib.offices.domain import schedule_for

    local = start.astimezone(ZoneInfo(office["timezone"]))
    return local, schedule_for(office, local.date())


def planned_end(office: dict, start: datetime) -> datetime:
    """When a slot starting at `start` ends under the schedule in force that day (wall-clock
    arithmetic in the office's zone, as `plan_day`). Whether such a slot exists is for the
    table to say: a booking makes this end a condition of its transaction."""
    local, weekly = _schedule_at(office, start)
    return (local + timedelta(minutes=weekly["slot_minutes"])).astimezone(timezone.utc)


def planned_reserve(office: dict, start: datetime) -> int:
    """The reserved seats the schedule in force at `start` gives a slot."""
    from chalicelib.booking.seats import reserved_seats

    return reserved_seats(_schedule_at(office, start)[1])


def plan(office: dict, first: date, last: date) -> list[PlannedSlot]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [slot for day in days for slot in plan_day(office, day)]


def local_today(zone_name: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone_name)).date()
