"""Published performance: the public figures of each office and day, counted from the day's
slots, appointments and service-request audit trails. Pure: no AWS, no clock.

Figures are counts and durations only: no ids, no names, nothing about one person. A day is the
office's own calendar day (its IANA zone), like everything else the office shows.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Protocol
from zoneinfo import ZoneInfo

LEVELS = ("emergency", "urgent", "standard")
APPEAL_OUTCOMES = ("upheld", "overturned")
# A triage decision: the step ends the wait for a decision (a visit, an answer, a denial).
DECISION_STATES = frozenset({"appointment_granted", "resolved_without_appointment", "denied",
                             "resolved_by_tier1"})
_APPEAL_OUTCOME_STATES = {"appeal_upheld": "upheld", "appeal_overturned": "overturned"}


class SlotFacts(Protocol):
    start: datetime
    capacity: int
    available: int  # what the public can still take
    closed: str | None


class VisitFacts(Protocol):
    status: str  # booked | cancelled
    attendance: str | None  # checked_in | completed | no_show


@dataclass(frozen=True)
class RequestFacts:
    """What the figures need of a service request: when it came, at which level, and its
    audit trail ({at, step, from, to} entries, UTC ISO-8601 times)."""
    created_at: datetime
    computed_level: str
    audit: tuple[dict, ...]


@dataclass
class Seats:
    offered: int = 0  # seats in open slots (a closed slot offers none)
    booked: int = 0  # appointments made for the day, whatever became of them
    cancelled: int = 0
    released: int = 0  # reserved seats given to the public (capacity jobs)
    attended: int = 0  # checked in or completed
    no_shows: int = 0


@dataclass
class Triage:
    submitted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    first_callbacks: int = 0
    hours_to_first_callback: list[float] = field(default_factory=list)
    decisions: int = 0
    decisions_on_time: int = 0  # before any deadline of the request was missed
    appeals: int = 0
    appeal_outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        APPEAL_OUTCOMES, 0))


@dataclass
class OfficeDay:
    office_id: str
    day: date
    seats: Seats
    triage: Triage
    # Days from the day the figures were taken to the first seat the public could book then.
    days_to_first_open_seat: int | None


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The office-local day as [start, end) in UTC (23 or 25 hours on DST days). In UTC because
    Python compares and subtracts two datetimes of the same zone by their wall clocks."""
    tz = ZoneInfo(zone)
    return (datetime.combine(day, time(), tzinfo=tz).astimezone(timezone.utc),
            datetime.combine(day + timedelta(days=1), time(), tzinfo=tz).astimezone(timezone.utc))


def seats(slots: Iterable[SlotFacts], visits: Iterable[VisitFacts]) -> Seats:
    counted = Seats()
    for slot in slots:
        if not slot.closed:
            counted.offered += slot.capacity
        counted.released += getattr(slot, "released", 0) or 0
    for visit in visits:
        counted.booked += 1
        if visit.status == "cancelled":
            counted.cancelled += 1
        if visit.attendance in ("checked_in", "completed"):
            counted.attended += 1
        elif visit.attendance == "no_show":
            counted.no_shows += 1
    return counted


def days_to_first_open_seat(slots: Iterable[SlotFacts], now: datetime, zone: str) -> int | None:
    """Office-local calendar days from `now` to the first future slot with a seat the public can
    take; None when the whole window is full (which is itself the figure to publish)."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    for slot in sorted(slots, key=lambda s: s.start):
        if slot.start > now and slot.available > 0 and not slot.closed:
            return (slot.start.astimezone(tz).date() - today).days
    return None


def _at(entry: dict) -> datetime:
    return datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))


def triage(requests: Iterable[RequestFacts], start: datetime, end: datetime) -> Triage:
    """What happened in [start, end): submissions by level, first callbacks (and how long they
    took from submission), decisions (and whether they came before any missed deadline), appeals
    and appeal outcomes."""
    counted = Triage()
    for r in requests:
        if start <= r.created_at < end and r.computed_level in counted.submitted:
            counted.submitted[r.computed_level] += 1
        missed = False
        called = False
        for entry in sorted(r.audit, key=_at):
            when = _at(entry)
            inside = start <= when < end
            step, to = entry.get("step"), entry.get("to")
            if step == "deadline_missed":
                missed = True
            if step == "record_callback" and not called:
                called = True
                if inside:
                    counted.first_callbacks += 1
                    counted.hours_to_first_callback.append(
                        round((when - r.created_at).total_seconds() / 3600, 2))
            if not inside:
                continue
            if to in DECISION_STATES and entry.get("from") != to:
                counted.decisions += 1
                counted.decisions_on_time += not missed
            if step == "appeal":
                counted.appeals += 1
            if to in _APPEAL_OUTCOME_STATES:
                counted.appeal_outcomes[_APPEAL_OUTCOME_STATES[to]] += 1
    return counted


def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.median(values), 2) if values else None


def totals(days: list[OfficeDay]) -> dict:
    """The figures of several days (one office or all) as one: sums, and medians over the
    underlying values (not a median of medians)."""
    summed = Seats()
    triaged = Triage()
    waits = []
    for d in days:
        for name in vars(summed):
            setattr(summed, name, getattr(summed, name) + getattr(d.seats, name))
        for level in LEVELS:
            triaged.submitted[level] += d.triage.submitted.get(level, 0)
        triaged.first_callbacks += d.triage.first_callbacks
        triaged.hours_to_first_callback += d.triage.hours_to_first_callback
        triaged.decisions += d.triage.decisions
        triaged.decisions_on_time += d.triage.decisions_on_time
        triaged.appeals += d.triage.appeals
        for outcome in APPEAL_OUTCOMES:
            triaged.appeal_outcomes[outcome] += d.triage.appeal_outcomes.get(outcome, 0)
        if d.days_to_first_open_seat is not None:
            waits.append(d.days_to_first_open_seat)
    return {"seats": vars(summed), "median_days_to_first_open_seat": median(waits),
            "triage": triage_figures(triaged)}


def triage_figures(t: Triage) -> dict:
    return {"submitted": dict(t.submitted), "first_callbacks": t.first_callbacks,
            "median_hours_to_first_callback": median(t.hours_to_first_callback),
            "decisions": t.decisions, "decisions_on_time": t.decisions_on_time,
            "appeals": t.appeals, "appeal_outcomes": dict(t.appeal_outcomes)}
