"""Keeping every office's booking window full of slots (the hourly job), planning only what is new.

Each office has a generation mark: the last office-local day planned and the office's version it
was planned from. A run reads every mark (one request) and the directory (cached), and works only
on an office whose window now reaches past its mark or whose version moved since (a schedule
change or a closure: its whole window is planned again). The hourly steady state is then two
requests for all offices, where reading every slot of every window cost 96 read units to create
none; a new day costs each office one read of the office, one of the new day's slots and one
write. Existing slots, with the seats taken on them, are never touched.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Protocol

from chalicelib.booking import offices, schedule
from chalicelib.booking.ports import BookingRepository


@dataclass(frozen=True)
class Mark:
    office_id: str
    through: date       # the last office-local day whose slots were written
    version: int        # the office's version they were planned from


class Marks(Protocol):
    def all(self) -> dict[str, Mark]: ...
    def put(self, mark: Mark) -> None: ...


class NoMarks:
    """Plans the whole window every time (for stores that keep no marks)."""

    def all(self) -> dict[str, Mark]:
        return {}

    def put(self, mark: Mark) -> None:
        return None


class SlotGeneration:
    def __init__(self, repository: BookingRepository, marks: Marks,
                 window: Callable[[dict], tuple[date, date]]) -> None:
        self.repo = repository
        self.marks = marks
        self.window = window

    def run(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Slots created per office considered (0 where nothing was missing)."""
        known = self.marks.all()
        chosen = office_ids or [o["id"] for o in offices.home_offices()]
        created = {}
        for office_id in chosen:
            mark = known.get(office_id)
            if mark is not None and self._up_to_date(offices.get(office_id), mark):
                created[office_id] = 0
                continue
            # A fresh read: a run that started before a schedule change must not re-create the
            # slots that change removed from a cached, older schedule.
            office = offices.get(office_id, fresh=True)
            created[office_id] = self._fill(office, mark)
        return created

    def _up_to_date(self, office: dict, mark: Mark) -> bool:
        return mark.version == office["version"] and mark.through >= self.window(office)[1]

    def _fill(self, office: dict, mark: Mark | None) -> int:
        first, last = self.window(office)
        if mark is not None and mark.version == office["version"]:
            first = max(first, mark.through + timedelta(days=1))
        planned = schedule.plan(office, first, last) if first <= last else []
        added = 0
        if planned:
            existing = self.repo.slot_starts(office["id"], planned[0].start, planned[-1].start)
            missing = [(slot, int((slot.end + timedelta(days=1)).timestamp()))
                       for slot in planned if slot.start not in existing]
            added = self.repo.add_slots(missing) if missing else 0
        self.marks.put(Mark(office["id"], last, office["version"]))
        return added
