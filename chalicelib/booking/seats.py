"""Where a slot's seats are, in plain Python (no AWS): the rules every path shares.

A slot's `capacity` is always the sum of four counts, each kept by DynamoDB conditions on the
slot item itself, so a seat is counted exactly once:

    capacity = available (public, free) + reserved (kept for triage grants and staff bookings,
               free) + held (public seats someone holds while filling in the form) + booked

`available` and `reserved` are stored; `held` is the number of entries in the slot's `holds`
map (hold id -> epoch second it expires); `booked` is what is left.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PUBLIC, RESERVED = "public", "reserved"
DEFAULT_RELEASE_LEAD_HOURS = 48


def reserved_seats(schedule: dict) -> int:
    """The seats per slot a weekly schedule keeps for grants and staff; never every seat."""
    capacity = int(schedule["capacity"])
    return max(0, min(int(schedule.get("reserved_seats") or 0), capacity))


def release_lead(office: dict) -> timedelta:
    """How long before a slot starts its unused reserved seats go to the public: from the
    schedule in force (offices stored before the setting existed use the default)."""
    schedule = office.get("schedule") or {}
    return timedelta(hours=int(schedule.get("release_lead_hours")
                               or DEFAULT_RELEASE_LEAD_HOURS))


def release_due(start: datetime, now: datetime, lead: timedelta) -> bool:
    """A slot's reserved seats are released once it starts within the lead time (and before
    it starts: a seat of a slot that has begun is of use to nobody)."""
    return now < start <= now + lead


def pools_for_staff(reserved_free: int) -> tuple[str, ...]:
    """Grants and staff bookings take a reserved seat first and fall back to a public one;
    the public only ever sees public seats."""
    return (RESERVED, PUBLIC) if reserved_free > 0 else (PUBLIC,)


def returned_pool(pool: str | None, start: datetime, now: datetime, lead: timedelta) -> str:
    """Where a cancelled seat goes: a reserved seat goes back to the reserve while the slot is
    still outside the release lead time (the release job would hand it to the public later);
    every other seat goes to the public at once."""
    if pool == RESERVED and not release_due(start, now, lead) and start > now:
        return RESERVED
    return PUBLIC


ACTIVE, CONVERTED, RELEASED, EXPIRED = "active", "converted", "released", "expired"


@dataclass(frozen=True)
class Hold:
    """A seat held while someone fills in the booking form. Its seat is the entry `hold_id` in
    its slot's `holds` map until it is converted (booked), given back, or expired."""
    hold_id: str
    office_id: str
    start: datetime  # the slot's, UTC
    status: str  # active | converted | released | expired
    expires_at: int  # epoch second
    extended: bool = False
    client: str | None = None  # the client's active-hold marker key (None: exempt client)
    confirmation_number: str | None = None

    def expired(self, now: datetime) -> bool:
        """Expired holds count as free at once, whether or not the job has settled them."""
        return self.expires_at <= int(now.timestamp())

    def usable(self, now: datetime) -> bool:
        return self.status == ACTIVE and not self.expired(now)

    def extended_expiry(self, hold_minutes: int) -> int:
        """One extension, by one more hold period (WCAG 2.2.1: enough time, told when)."""
        return self.expires_at + hold_minutes * 60


def expired_holds(holds: dict[str, int], now: datetime) -> list[str]:
    """Ids of the holds whose seat is free again: an expired hold counts as free at once,
    whether or not the job has returned it yet."""
    at = int(now.timestamp())
    return sorted(h for h, expires in holds.items() if int(expires) <= at)


def public_free(available: int, holds: dict[str, int], now: datetime) -> int:
    """The seats the public can take now: free public seats plus seats of expired holds."""
    return available + len(expired_holds(holds, now))
