"""Where the figures come from: the offices context's slots and appointments, and triage's
activity index. Read-only adapters over their repositories."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from chalicelib.offices.repository import DynamoOfficeRepository, DynamoRosterRepository
from chalicelib.triage.repository import DynamoTriageRepository


class DynamoSources:
    def __init__(self) -> None:
        self._offices = DynamoOfficeRepository()
        self._roster = DynamoRosterRepository()
        self._triage = DynamoTriageRepository()

    def slots(self, office_id: str, after: datetime, before: datetime) -> list:
        return self._offices.slots(office_id, after, before)

    def visits(self, office_id: str, after: datetime, before: datetime) -> list:
        return self._roster.day_visits(office_id, after, before)

    def activity(self, office_id: str, since: datetime) -> Iterable[tuple[datetime, str, list]]:
        return self._triage.activity_since(office_id, since)
