"""What the booking service needs from storage and messaging; adapters implement these."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Sequence

from chalicelib.booking.domain import Appointment
from chalicelib.booking.schedule import PlannedSlot

log = logging.getLogger(__name__)

# Transaction label prefix of contact seat items: contact0, contact1, ...
CONTACT_LABEL = "contact"


@dataclass(frozen=True)
class Slot:
    office_id: str
    start: datetime
    end: datetime
    capacity: int
    available: int  # free public seats
    reserved: int = 0  # free seats kept for triage grants and staff bookings, not yet released
    holds: dict[str, int] = field(default_factory=dict)  # hold id -> epoch second it expires


@dataclass(frozen=True)
class SeatTaking:
    """Which seat of the slot a booking takes, as a condition on the slot item: a free seat of
    `pool` (public or reserved); or the seat of hold `hold_id` while it has not expired at `at`
    (a conversion); or the seat of hold `expired_hold`, expired at `at` (free again at once)."""
    pool: str = "public"
    hold_id: str | None = None
    expired_hold: str | None = None
    at: int = 0


PUBLIC_SEAT = SeatTaking()


@dataclass(frozen=True)
class Person:
    key: str
    active_confirmation: str | None
    active_start: datetime | None
    last_start: datetime | None


@dataclass(frozen=True)
class ContactSeat:
    seat: int
    confirmation_number: str | None
    active_start: datetime | None


@dataclass(frozen=True)
class StoredResponse:
    body_hash: str
    status: int
    body: dict


@dataclass(frozen=True)
class IdempotencyClaim:
    key: str
    body_hash: str
    status: int
    body: dict
    expires_at: int
    # Epoch second of the claim: an older record past its expiry no longer holds the key,
    # whether or not DynamoDB's TTL has deleted it yet.
    claimed_at: int = 0


class Rejected(Exception):
    """A transaction was cancelled; `failed` names the items whose conditions did not hold."""

    def __init__(self, failed: set[str], conflict: bool = False,
                 old: dict[str, dict] | None = None) -> None:
        super().__init__(f"transaction rejected: {sorted(failed)} conflict={conflict}")
        self.failed = failed
        self.conflict = conflict
        # Items that failed and were asked for (ReturnValuesOnConditionCheckFailure=ALL_OLD),
        # by label, as DynamoDB returned them: the stored response of a replayed booking.
        self.old = old or {}
        self.replay: StoredResponse | None = None


# How many times a booking, cancellation or reschedule tries its transaction after a rejection.
RETRIES_ON_CONFLICT = 3


class TransactionPart(Protocol):
    """Another context's write that must commit or fail together with a booking (a triage grant
    moves its service request in the booking's transaction). `add_to` adds labelled items with
    the transaction's `put(label, model, condition)` / `update(label, model, actions, condition)`;
    a failed condition shows up in `Rejected.failed` under that label."""

    def add_to(self, txn: Any) -> None: ...


class BookingRepository(Protocol):
    def get_slot(self, office_id: str, start: datetime) -> Slot | None: ...

    def open_slots(self, office_id: str, after: datetime, before: datetime) -> list[Slot]: ...

    def slot_starts(self, office_id: str, after: datetime, before: datetime) -> set[datetime]: ...

    def add_slot(self, slot: PlannedSlot, expires_at: int) -> bool: ...

    def add_slots(self, slots: Sequence[tuple[PlannedSlot, int]]) -> int:
        """Adds the (slot, expires_at) pairs not stored yet, never overwriting one; returns how
        many it added."""

    def book(self, appointment: Appointment, not_active_after: datetime,
             last_visit_before: datetime, claim: IdempotencyClaim | None,
             together_with: "Sequence[TransactionPart]" = (),
             seat: SeatTaking = PUBLIC_SEAT, office_mode: str | None = None) -> None:
        """One transaction. The slot must exist with `appointment.end` as its end; with
        `office_mode`, the office must still schedule that way (label `office`). A live claim
        of the same key fails as `idempotency` with its stored response in `Rejected.replay`."""

    def cancel(self, appointment: Appointment, now: datetime,
               release_contacts: bool = True, to_pool: str = "public",
               together_with: "Sequence[TransactionPart]" = ()) -> Appointment: ...

    def reserved_slots(self, office_id: str, after: datetime, before: datetime) -> list[Slot]: ...

    def release_reserved(self, office_id: str, start: datetime, now: datetime,
                         seen: int | None = None) -> int: ...

    def reschedule(self, appointment: Appointment, new_slot: Slot, zone: str, now: datetime,
                   last_visit_before: datetime, seat: SeatTaking = PUBLIC_SEAT,
                   old_to_pool: str = "public",
                   together_with: "Sequence[TransactionPart]" = (),
                   office_mode: str | None = None) -> Appointment: ...

    def get_appointment(self, confirmation_number: str) -> Appointment | None: ...

    def get_person(self, key: str) -> Person | None: ...

    def contact_seats(self, contact_key: str) -> list[ContactSeat]: ...

    def get_response(self, key: str, now: datetime) -> StoredResponse | None: ...


class PublishFailed(Exception):
    """The notice could not be handed to the queue; the outbox will retry it."""


class NoticePublisher(Protocol):
    def publish(self, kind: str, confirmation_number: str, version: int) -> None: ...


def notify(publisher: NoticePublisher, kind: str, appointment: Appointment) -> None:
    # The appointment already carries the notice in its outbox; a failed publish is
    # picked up by the outbox sweep, so it must never fail or undo the booking.
    try:
        publisher.publish(kind, appointment.confirmation_number, appointment.version)
    except PublishFailed:
        log.warning("notice publish deferred to outbox", extra={"kind": kind})


class HoldStore(Protocol):
    """Holds (chalicelib/booking/hold_repository.py): a hold's seat is an entry in its slot."""

    def get(self, hold_id: str) -> Any: ...

    def take(self, hold: Any, seat: SeatTaking, now: datetime,
             together_with: Sequence[TransactionPart] = ()) -> None: ...

    def ensure_hold_map(self, office_id: str, start: datetime) -> None: ...

    def extend(self, hold: Any, new_expiry: int, now: datetime) -> None: ...

    def give_back(self, hold: Any, status: str, now: datetime | None = None) -> bool: ...

    def free_marker(self, hold: Any) -> None: ...

    def expired(self, now: datetime, limit: int = 100) -> list: ...

    def conversion(self, hold: Any, confirmation_number: str) -> TransactionPart: ...
