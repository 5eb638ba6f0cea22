"""Releasing unused reserved seats to the public (the `release_reserved_seats` job).

Each office keeps `reserved_seats` per slot for triage grants and staff bookings; once a slot
starts within the office's `release_lead_hours`, what is still unused goes to the public with one
conditional update per slot (the repository's `release_reserved`): a grant racing the release
either takes the reserved seat first (the release then moves one seat fewer) or finds the
reserve gone and takes the now-public seat if it is still free. The seat is never counted twice
and never lost."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from chalicelib.booking import offices, seats
from chalicelib.booking.ports import BookingRepository

log = logging.getLogger(__name__)


class ReservedSeatRelease:
    def __init__(self, repository: BookingRepository, clock: Callable[[], datetime],
                 on_freed: Callable[[str, datetime], object] | None = None) -> None:
        self.repo = repository
        self.clock = clock
        # Told of each public seat the release made (the waitlist offers it first).
        self.on_freed = on_freed

    def run(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Returns {"released": seats given to the public, "slots": slots they came from}."""
        now = self.clock()
        released = slots = 0
        chosen = office_ids or [o["id"] for o in offices.home_offices()]
        for office_id in chosen:
            lead = seats.release_lead(offices.get(office_id))
            for slot in self.repo.reserved_slots(office_id, now, now + lead):
                if not seats.release_due(slot.start, now, lead):
                    continue
                count = self.repo.release_reserved(office_id, slot.start, now, slot.reserved)
                if count:
                    released += count
                    slots += 1
                    log.info("reserved seats released",
                             extra={"office_id": office_id, "seats": count})
                    self._tell(office_id, slot.start, count)
        return {"released": released, "slots": slots}

    def _tell(self, office_id: str, start: datetime, count: int) -> None:
        if not self.on_freed:
            return
        try:
            for _ in range(count):
                if not self.on_freed(office_id, start):
                    break  # nobody (else) waits for this slot
        except Exception:  # the release stands; the waitlist job offers free seats later
            log.exception("waitlist not told of released seats")
