"""The closure job: cancels every booked appointment in a closure's range, each with a notice in
the person's language that explains the closure and how to rebook.

Idempotent and resumable: each cancellation is one conditional transaction on the appointment's
version and state (a rerun finds it cancelled and skips it), and the notice is recorded in the
appointment's outbox in that same transaction, so a run killed between the two still gets its
notice out (the outbox sweep publishes it) and the notices' sent log keeps it to one."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable, Iterable, Protocol

from chalicelib.booking import offices
from chalicelib.offices.domain import parse_utc
from chalicelib.offices.repository import BookedVisit

log = logging.getLogger(__name__)

CLOSURE_CANCELLATION = "closure_cancellation"


class ClosureStore(Protocol):
    def all(self) -> list[dict]: ...
    def get(self, office_id: str) -> dict | None: ...
    def visits(self, office_id: str, after: datetime, before: datetime
               ) -> Iterable[BookedVisit]: ...
    def cancel_for_closure(self, visit: BookedVisit, closure_id: str, notice_kind: str,
                           now: datetime) -> bool: ...


class Publisher(Protocol):
    def publish(self, kind: str, confirmation_number: str, version: int) -> None: ...


class ClosureJob:
    def __init__(self, store: ClosureStore, publisher: Publisher,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 on_cancelled: Callable[[str, str], None] | None = None) -> None:
        self.store = store
        # Told (person key, confirmation number) after each cancellation: the person's
        # nationwide claim is released (chalicelib/booking/claims.py).
        self.on_cancelled = on_cancelled
        self.publisher = publisher
        self.clock = clock

    def run(self, office_ids: list[str] | None = None, closure_id: str | None = None,
            limit: int | None = None) -> dict[str, int]:
        """Cancel booked appointments of closures not yet over; at most `limit` (the rest is
        counted in `remaining` for the next run)."""
        now = self.clock()
        counts = {"cancelled": 0, "remaining": 0}
        chosen = ([o for o in (self.store.get(i) for i in office_ids) if o]
                  if office_ids else [o for o in self.store.all() if offices.serves(o["id"])])
        for office in chosen:
            for closure in office["closures"]:
                if closure_id and closure["closure_id"] != closure_id:
                    continue
                end = parse_utc(closure["end"])
                if end <= now:
                    continue
                start = max(parse_utc(closure["start"]), now)
                for visit in self.store.visits(office["id"], start, end):
                    if visit.status != "booked":
                        continue
                    if limit is not None and counts["cancelled"] >= limit:
                        counts["remaining"] += 1
                        continue
                    if self.store.cancel_for_closure(visit, closure["closure_id"],
                                                     CLOSURE_CANCELLATION, self.clock()):
                        counts["cancelled"] += 1
                        if self.on_cancelled:
                            self.on_cancelled(visit.person_key, visit.confirmation_number)
                        self._notify(visit)
        if counts["cancelled"]:
            log.info("closure cancellations", extra=counts)
        return counts

    def _notify(self, visit: BookedVisit) -> None:
        from chalicelib.booking.ports import PublishFailed

        try:
            self.publisher.publish(CLOSURE_CANCELLATION, visit.confirmation_number,
                                   visit.version + 1)
        except PublishFailed:
            log.warning("notice publish deferred to outbox", extra={"kind": CLOSURE_CANCELLATION})
