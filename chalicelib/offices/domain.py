"""Office operations in plain Python: weekly schedules that apply from a date, closures in office
time, scheduling modes, and the audit entry of a change (codes and numbers, never personal data).

An office, as the directory serves it to booking and triage, is a dict:
    id, name, address, timezone, latitude, longitude, services, scheduling (the mode),
    schedules: [{effective_from, slot_minutes, capacity, hours}] oldest first,
    schedule: the one in force today (kept for readers of the single-schedule shape),
    closures: [{closure_id, from, to, start, end, reason_code, note, ...}],
    version: bumped by every change, the optimistic lock staff send back.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib import errors

SELF_SERVICE, CONTACT_CENTER = "self_service", "contact_center"
MODES = (SELF_SERVICE, CONTACT_CENTER)
# Offices open on weekdays only (weekends and federal holidays are never generated).
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CLOSURE_REASONS = ("weather", "power_outage", "facility_emergency", "security", "holiday",
                   "staffing", "other", "office_closed")
# The schedule a seeded office starts with applies from the beginning of time.
BEGINNING = "2000-01-01"
MAX_SLOT_MINUTES, MAX_CAPACITY, MAX_CLOSURE_DAYS = 240, 50, 366
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- schedules ---------------------------------------------------------------------------------

MAX_RELEASE_LEAD_HOURS = 336


def check_weekly(slot_minutes: Any, capacity: Any, hours: Any, reserved_seats: Any = 0,
                 release_lead_hours: Any = 48) -> dict:
    """A weekly schedule, or `invalid_schedule` naming what is wrong. `reserved_seats` of each
    slot's `capacity` are kept for triage grants and staff bookings until the slot starts within
    `release_lead_hours`; at least one seat per slot stays public."""
    if not isinstance(slot_minutes, int) or isinstance(slot_minutes, bool) \
            or not 5 <= slot_minutes <= MAX_SLOT_MINUTES:
        raise errors.InvalidSchedule(f"'slot_minutes' must be 5 to {MAX_SLOT_MINUTES}.")
    if not isinstance(capacity, int) or isinstance(capacity, bool) \
            or not 1 <= capacity <= MAX_CAPACITY:
        raise errors.InvalidSchedule(f"'capacity' (seats per slot) must be 1 to {MAX_CAPACITY}.")
    if not isinstance(reserved_seats, int) or isinstance(reserved_seats, bool) \
            or not 0 <= reserved_seats < capacity:
        raise errors.InvalidSchedule("'reserved_seats' must be 0 to one less than 'capacity'.")
    if not isinstance(release_lead_hours, int) or isinstance(release_lead_hours, bool) \
            or not 1 <= release_lead_hours <= MAX_RELEASE_LEAD_HOURS:
        raise errors.InvalidSchedule(
            f"'release_lead_hours' must be 1 to {MAX_RELEASE_LEAD_HOURS}.")
    if not isinstance(hours, dict) or set(hours) - set(WEEKDAYS):
        raise errors.InvalidSchedule(f"'hours' maps weekdays ({', '.join(WEEKDAYS)}) to "
                                     "lists of [opens, closes] in office time.")
    clean: dict[str, list[list[str]]] = {}
    for day, ranges in hours.items():
        if not isinstance(ranges, list) or len(ranges) > 6:
            raise errors.InvalidSchedule(f"'hours.{day}' must be a list of [opens, closes].")
        previous = -1
        for pair in ranges:
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(isinstance(t, str) and _HHMM.match(t) for t in pair)):
                raise errors.InvalidSchedule(f"'hours.{day}' takes [\"HH:MM\", \"HH:MM\"] pairs.")
            opens, closes = map(_minutes, pair)
            if not previous <= opens < closes:
                raise errors.InvalidSchedule(
                    f"'hours.{day}': ranges must be in order and must not overlap.")
            if (closes - opens) % slot_minutes:
                raise errors.InvalidSchedule(
                    f"'hours.{day}': {pair[0]}-{pair[1]} is not a whole number of "
                    f"{slot_minutes}-minute slots.")
            previous = closes
        if ranges:
            clean[day] = [list(p) for p in ranges]
    return {"slot_minutes": slot_minutes, "capacity": capacity, "reserved_seats": reserved_seats,
            "release_lead_hours": release_lead_hours, "hours": clean}


def schedule_for(office: dict, day: date) -> dict:
    """The weekly schedule in force on `day`: the latest whose `effective_from` is not after it."""
    chosen = None
    for entry in office.get("schedules") or ():
        if entry["effective_from"] <= day.isoformat():
            chosen = entry
    return chosen or office["schedule"]


def with_schedule(schedules: list[dict], weekly: dict, effective_from: date) -> list[dict]:
    """The schedule list after `weekly` applies from `effective_from`: later entries are
    replaced (a change from a date is the office's plan from then on)."""
    kept = [s for s in schedules if s["effective_from"] < effective_from.isoformat()]
    return kept + [{"effective_from": effective_from.isoformat(), **weekly}]


# --- closures ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClosureRange:
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    from_: str  # as given, office time
    to: str


def closure_range(raw_from: Any, raw_to: Any, zone_name: str) -> ClosureRange:
    """Whole days (`YYYY-MM-DD`, both included) or a time range in office time
    (`YYYY-MM-DDTHH:MM`, end excluded)."""
    if not isinstance(raw_from, str) or not isinstance(raw_to, str):
        raise errors.InvalidClosure("'from' and 'to' are dates or office-time date-times.")
    zone = ZoneInfo(zone_name)
    whole_days = len(raw_from) == 10 and len(raw_to) == 10
    try:
        if whole_days:
            first, last = date.fromisoformat(raw_from), date.fromisoformat(raw_to)
            start = datetime.combine(first, time.min, tzinfo=zone)
            end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        else:
            start, end = (datetime.fromisoformat(v) for v in (raw_from, raw_to))
            if start.tzinfo or end.tzinfo:
                raise errors.InvalidClosure(
                    "Give times in office time without an offset, e.g. 2026-12-10T13:00.")
            start, end = start.replace(tzinfo=zone), end.replace(tzinfo=zone)
    except ValueError:
        raise errors.InvalidClosure(
            "'from' and 'to' are dates (YYYY-MM-DD) or office times (YYYY-MM-DDTHH:MM).") from None
    if end <= start:
        raise errors.InvalidClosure("'to' must be after 'from'.")
    if end - start > timedelta(days=MAX_CLOSURE_DAYS):
        raise errors.InvalidClosure(f"A closure lasts at most {MAX_CLOSURE_DAYS} days.")
    return ClosureRange(start.astimezone(timezone.utc), end.astimezone(timezone.utc),
                        raw_from, raw_to)


def new_closure_id() -> str:
    return "c" + secrets.token_hex(6)


def closure_entry(closure_id: str, rng: ClosureRange, reason_code: str, note: str,
                  actor_id: str, now: datetime) -> dict:
    return {"closure_id": closure_id, "from": rng.from_, "to": rng.to,
            "start": iso_utc(rng.start), "end": iso_utc(rng.end), "reason_code": reason_code,
            "note": note, "created_by": actor_id, "created_at": iso_utc(now)}


def overlaps_closure(office: dict, start: datetime, end: datetime) -> dict | None:
    for closure in office.get("closures") or ():
        if "start" in closure:
            if parse_utc(closure["start"]) < end and start < parse_utc(closure["end"]):
                return closure
    return None


# --- the seed ----------------------------------------------------------------------------------

def from_seed(entry: dict) -> dict:
    """An office of the seed file (one schedule, closures by date) in the stored shape."""
    office = {k: v for k, v in entry.items() if k not in ("schedule", "closures")}
    office["schedules"] = [{"effective_from": BEGINNING, **entry["schedule"]}]
    office["closures"] = []
    for c in entry.get("closures", []):
        rng = closure_range(c["date"], c["date"], entry["timezone"])
        office["closures"].append({
            "closure_id": f"seed-{c['date']}", "from": rng.from_, "to": rng.to,
            "start": iso_utc(rng.start), "end": iso_utc(rng.end), "reason_code": "office_closed",
            "note": c.get("reason", ""), "created_by": "seed", "created_at": iso_utc(rng.start)})
    office["version"] = 1
    return office


def for_directory(office: dict, today: date) -> dict:
    """The stored office with `schedule` (in force today) filled in for single-schedule readers."""
    current = office["schedules"][0]
    for entry in office["schedules"]:
        if entry["effective_from"] <= today.isoformat():
            current = entry
    return {**office, "schedule": current}


# --- audit -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One audited change to an office. `old` and `new` hold settings only (hours, capacities,
    modes, closure dates and reason codes); a closure's free-text note is never copied here."""
    office_id: str
    action: str
    actor_id: str
    role: str
    at: datetime
    version: int
    old: dict | None
    new: dict | None
