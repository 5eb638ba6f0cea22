"""Keeping the `listed` index (chalicelib/tables.py `ListedSlotIndex`) to the slots that can show
a seat, so availability reads those and not the booked-out ones (issue 14: 143 slots read to
show 1).

The rule: a slot is listed while it may have a seat to show. DynamoDB cannot remove an attribute
depending on what `available - 1` gives in the same update, and a booking reads nothing before
its transaction, so taking a seat never touches the listing. Every write that frees a seat of
any kind (a cancellation or a reschedule giving its seat back, a hold given back or returned
after expiry, a waitlist offer given back, a reserve released, a capacity change, a closure
lifted, a closure's cancellation, a new slot) lists the slot in that same write. The index thus
holds too many slots, never too few. This job then unlists, office by office, the slots that
show nothing, each with a condition that they still show nothing when the write lands: a seat
freed before makes it fail, one freed after lists the slot again. A slot with a hold stays
listed, as an unexpired hold frees its seat by merely expiring, without a write.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Protocol

from chalicelib.booking import offices

log = logging.getLogger(__name__)


class Listing(Protocol):
    def listed_without_seats(self, office_id: str, after: datetime) -> list[datetime]: ...

    def unlist(self, office_id: str, start: datetime) -> bool: ...

    def list_unlisted(self, office_id: str, after: datetime) -> int: ...


class BookedOutUnlisting:
    """The `unlist_booked_out_slots` job: one Query of each home office's listed slots (reading
    only listed ones) and one conditional UpdateItem per slot with nothing to show."""

    def __init__(self, listing: Listing, clock: Callable[[], datetime]) -> None:
        self.listing = listing
        self.clock = clock

    def run(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Returns {"unlisted": slots taken out, "kept": those a freed seat kept listed}."""
        now = self.clock()
        unlisted = kept = 0
        for office_id in office_ids or [o["id"] for o in offices.home_offices()]:
            for start in self.listing.listed_without_seats(office_id, now):
                if self.listing.unlist(office_id, start):
                    unlisted += 1
                else:
                    kept += 1
        return {"unlisted": unlisted, "kept": kept}

    def backfill(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Lists every upcoming slot not listed yet (`python -m chalicelib.booking.listing`)."""
        now = self.clock()
        return {"listed": sum(self.listing.list_unlisted(office_id, now)
                              for office_id in office_ids
                              or [o["id"] for o in offices.home_offices()])}


def main() -> int:
    """One-off, after deploying the `listed` index to a stage that has slots (README
    "Availability reads only listed slots"): lists every upcoming slot of the region's offices,
    then unlists the booked-out ones. Idempotent; prints counts."""
    from chalicelib import wiring

    job = wiring.booked_out_unlisting()
    counts = {**job.backfill(), **job.run()}
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
