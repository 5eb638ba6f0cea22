"""What the notice service needs from storage and delivery; adapters implement these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Protocol

from chalicelib.notices.events import NoticeEvent
from chalicelib.notices.model import Email, Letter

CLAIMED, SENT, UNDELIVERABLE, SKIPPED = "claimed", "sent", "undeliverable", "skipped"
SETTLED = frozenset({SENT, UNDELIVERABLE, SKIPPED})


@dataclass(frozen=True)
class SentState:
    state: str
    lease_until: int = 0


class Busy(Exception):
    """Another worker holds a live claim on this notice; try again after its lease."""


class AlreadySettled(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class Throttled(Exception):
    """The provider asked us to slow down; nothing was sent."""


class PermanentlyRejected(Exception):
    """The provider will never accept this message (bad address, rejected content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SendFailed(Exception):
    """A transient or unknown failure: the message may or may not have gone out."""


class SentLog(Protocol):
    """One record per (subject#id, kind#version): claimed before sending, settled after."""

    def get(self, key: tuple[str, str]) -> SentState | None: ...

    def claim(self, key: tuple[str, str], now: datetime, lease_seconds: int) -> str:
        """Returns a claim token; raises AlreadySettled or Busy."""

    def settle(self, key: tuple[str, str], token: str | None, state: str, now: datetime,
               detail: dict) -> bool:
        """With a token: only the claim holder settles. Without: only an unclaimed notice (or an
        expired claim). Returns False when the condition did not hold."""

    def release(self, key: tuple[str, str], token: str) -> None: ...


class EmailSender(Protocol):
    def send(self, message: Email) -> str:
        """Returns the provider's message id; raises Throttled, PermanentlyRejected, SendFailed."""


class LetterBox(Protocol):
    def queue(self, letter: Letter, now: datetime) -> None:
        """Idempotent per letter.notice_key."""


@dataclass(frozen=True)
class LetterSummary:
    """A letter in an office's print list. The recipient is personal data: shown to the
    office's staff, never logged."""
    office_id: str
    notice_key: str  # subject#id#kind#version
    status: str
    language: str
    queued_at: str  # UTC, ISO-8601 with Z
    recipient_name: str | None
    postal_address: dict | None


@dataclass(frozen=True)
class PrintableLetter(LetterSummary):
    subject: str = ""
    text: str = ""
    html: str = ""
    printed_at: str | None = None
    printed_by: str | None = None  # a staff token subject


class LetterShelf(Protocol):
    """The office side of the letters: what is waiting, the content, the printed mark."""

    def waiting(self, office_id: str, status: str, limit: int) -> list[LetterSummary]:
        """Oldest first; at most `limit`."""

    def get(self, office_id: str, notice_key: str) -> PrintableLetter | None: ...

    def mark_printed(self, office_id: str, notice_key: str, by: str,
                     at: str) -> PrintableLetter | None:
        """Only from queued; None when the letter is not (or no longer) queued."""


class NoticeQueue(Protocol):
    def publish(self, event: NoticeEvent, delay_seconds: int = 0) -> None: ...


@dataclass(frozen=True)
class StoredAppointment:
    """The slice of an appointment record notices need (read with a consistent read)."""
    confirmation_number: str
    status: str
    version: int
    office_id: str
    start: datetime
    end: datetime
    timezone: str
    applicant: dict
    language: str
    contact_method: str
    updated_at: datetime
    pending_notices: frozenset[str] = frozenset()
    reminder_due: datetime | None = None
    reminder_version: int | None = None
    reason: dict | None = None  # {category, details?, service_request?}


@dataclass(frozen=True)
class DueReminder:
    confirmation_number: str
    version: int
    due: datetime


class AppointmentStore(Protocol):
    def get(self, confirmation_number: str) -> StoredAppointment | None: ...

    def clear_pending(self, confirmation_number: str, entry: str) -> None:
        """Remove `kind:version` from the outbox; drop the outbox marker once it is empty."""

    def schedule_reminder(self, confirmation_number: str, version: int, due: datetime) -> None:
        """Only while the appointment is still booked at that version."""

    def clear_reminder(self, confirmation_number: str, up_to_version: int) -> None:
        """Drop a scheduled reminder for this version or an older one."""

    def pending_outbox(self, older_than: datetime) -> Iterable[tuple[str, frozenset[str]]]: ...

    def due_reminders(self, now: datetime, lookback_days: int) -> Iterable[DueReminder]: ...
