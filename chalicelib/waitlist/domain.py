"""Waitlist rules: plain Python, no AWS.

A person waits for a seat at one office between two office-local dates (inclusive). Entries are
served first come, first served (`queued`: when they joined); each waiting entry gets at most
one offer at a time (its status moves waiting -> offered under a condition), and each offer is
a hold on one seat, so a seat is offered to one person at a time. An offer that is not accepted
before its hold expires lapses: the seat goes to the next person and the entry ends. An entry
whose range passed while it waited ends as `expired`, and the person is told.

A waiting person's place in line is 1 + the number of people still waiting at the same office
who joined earlier and whose ranges overlap theirs: those are served first for any seat both
could take (`Entry.ahead_of`)."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WAITING, OFFERED, BOOKED, LEFT, EXPIRED, LAPSED = (
    "waiting", "offered", "booked", "left", "expired", "offer_lapsed")
ACTIVE_STATUSES = frozenset({WAITING, OFFERED})
# Notice kinds (the `waitlist` subject): one per offer, one when a range passed unserved.
OFFER_NOTICE, EXPIRY_NOTICE = "waitlist_offer", "waitlist_expired"


def new_waitlist_id() -> str:
    # 80 random bits in 16 hex digits: short enough to type from a letter; the proof guards it.
    return secrets.token_hex(8)


def normalize_waitlist_id(raw: str) -> str | None:
    value = (raw or "").strip().lower().replace("-", "")
    if len(value) == 16 and all(c in "0123456789abcdef" for c in value):
        return value
    return None


@dataclass(frozen=True)
class Offer:
    hold_id: str
    start: datetime  # the slot's start, UTC
    expires_at: int  # epoch second: the offer's hold expires then


@dataclass(frozen=True)
class Entry:
    waitlist_id: str
    person_key: str
    office_id: str
    timezone: str
    first: date  # office-local, inclusive
    last: date
    status: str
    queued: str  # sortable join time: earlier is served first
    version: int
    proof: str
    applicant: dict
    reason: dict
    language: str
    contact_method: str
    offer: Offer | None = None
    confirmation_number: str | None = None
    extra: dict = field(default_factory=dict)

    def covers(self, start: datetime) -> bool:
        """Whether a slot starting at `start` lies in the range (office-local dates)."""
        local = start.astimezone(ZoneInfo(self.timezone)).date()
        return self.first <= local <= self.last

    def range_ends(self) -> datetime:
        """The end of the last day of the range, in the office's zone."""
        return datetime.combine(self.last + timedelta(days=1), time.min,
                                tzinfo=ZoneInfo(self.timezone))

    def passed(self, now: datetime) -> bool:
        return self.range_ends() <= now

    def ahead_of(self, other: "Entry") -> bool:
        """Whether this entry is served before `other` for some seat both could take: both
        waiting at one office, this one joined first, and their ranges share a day."""
        return (self.status == WAITING and other.status == WAITING
                and self.office_id == other.office_id and self.queued < other.queued
                and self.first <= other.last and other.first <= self.last)

    def offer_open(self, now: datetime) -> bool:
        return (self.status == OFFERED and self.offer is not None
                and self.offer.expires_at > int(now.timestamp()))


def first_in_line(entries: list[Entry], start: datetime, now: datetime) -> list[Entry]:
    """Waiting entries whose range covers `start`, first come first served."""
    return sorted((e for e in entries if e.status == WAITING and e.covers(start)
                   and not e.passed(now)), key=lambda e: (e.queued, e.waitlist_id))


def offer_expiry(now: datetime, start: datetime, offer_minutes: int) -> int:
    """An offer runs `offer_minutes`, but never past the slot's start."""
    return int(min(now + timedelta(minutes=offer_minutes), start).timestamp())
