"""What the triage service needs from storage, booking and messaging; adapters implement these."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Protocol, Sequence

from chalicelib.booking.domain import Appointment
from chalicelib.booking.ports import (IdempotencyClaim, PublishFailed, Rejected,  # noqa: F401
                                      StoredResponse, TransactionPart)
from chalicelib.booking.service import OnBehalfBooking
from chalicelib.triage.domain import ServiceRequest
from chalicelib.triage.queue import Queued

# The label a request's write carries inside a booking transaction.
REQUEST_LABEL = "service_request"
# The label of an Idempotency-Key claim written with a new request.
CLAIM_LABEL = "idempotency"
# The label of the person's first-open-request marker written with a new request.
PERSON_LABEL = "open_person"


class TriageRepository(Protocol):
    def add(self, request: ServiceRequest, claim: IdempotencyClaim | None = None,
            now: datetime | None = None, marks_person: bool = False,
            replacing: str | None = None) -> None:
        """Write a new request; `Rejected({"service_request"})` if the id exists. With a
        `claim`, it is written in the same transaction, on condition that no claim unexpired at
        `now` holds its key (`Rejected({"idempotency"})` otherwise): both or neither. With
        `marks_person`, the person's open-request marker is pointed at this request in the same
        transaction, on condition that it is absent or still points at `replacing` (a closed
        request); `Rejected({"open_person"})` when a concurrent submission took it first."""

    def open_marker(self, person_key: str) -> str | None:
        """The request the person's open-request marker points at (a consistent read)."""

    def stored_response(self, key: str, now: datetime) -> StoredResponse | None:
        """The response a claim unexpired at `now` recorded under `key`."""

    def get(self, request_id: str) -> ServiceRequest | None: ...

    def save(self, request: ServiceRequest, expected_version: int) -> None:
        """Replace the stored request if, and only if, it is still at `expected_version`;
        otherwise `Rejected({"service_request"})`."""

    def save_part(self, request: ServiceRequest, expected_version: int) -> TransactionPart:
        """The same conditional write, to commit inside a booking transaction."""

    def queue(self, office_id: str, limit: int, after: str | None = None) -> list[Queued]:
        """Queue lines of an office's open requests in queue order (`repository.queue_key`),
        at most `limit`, after the queue key `after`."""

    def watched_due_before(self, before: datetime) -> Iterable[ServiceRequest]:
        """Open requests of every office whose deadline ends before `before` and that the
        deadline watch still has to act on (not those held overdue), earliest first."""

    def open_of_person(self, person_key: str) -> list[ServiceRequest]:
        """Open requests of one person (keyed identity), oldest first."""

    def escalated(self, limit: int, after: str | None = None) -> list[Queued]:
        """Queue lines of requests escalated to headquarters, oldest escalation first, after
        the escalation key `after`."""

    def clear_notice(self, request_id: str, token: str) -> None: ...

    def pending_outbox(self, older_than: datetime) -> Iterable[tuple[str, set[str]]]: ...


class Booker(Protocol):
    """The booking core's staff path (BookingService.book_on_behalf)."""

    def book_on_behalf(self, request: OnBehalfBooking,
                       together_with: Sequence[TransactionPart] = ()) -> Appointment: ...

    def availability(self, office_id: str, first: Any, last: Any, for_staff: bool = False) -> dict: ...


class NoticePublisher(Protocol):
    def publish(self, kind: str, request_id: str, version: int) -> None: ...
