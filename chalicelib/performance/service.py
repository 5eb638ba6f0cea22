"""Published performance: a job that counts each office's day once it is over, and the public
read of the stored figures."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, Iterable, Protocol
from zoneinfo import ZoneInfo

from chalicelib import errors
from chalicelib.performance import domain
from chalicelib.performance.domain import OfficeDay, RequestFacts

log = logging.getLogger(__name__)

# An office's day is counted once it is this far into the next one: late check-ins, no-shows
# (marked after a grace period) and the evening's closing steps are in by then.
PUBLISH_AFTER = time(3)
MAX_RANGE_DAYS = 92


class Sources(Protocol):
    def slots(self, office_id: str, after: datetime, before: datetime) -> list: ...

    def visits(self, office_id: str, after: datetime, before: datetime) -> list: ...

    def activity(self, office_id: str, since: datetime) -> Iterable[tuple[datetime, str, list]]:
        ...


class Store(Protocol):
    def save(self, figures: OfficeDay) -> None: ...

    def published(self, day: date) -> set[str]: ...

    def between(self, first: date, last: date) -> list[OfficeDay]: ...


@dataclass
class Publication:
    offices: Callable[[], list[dict]]
    sources: Sources
    store: Store
    emit: Callable[[OfficeDay], None]
    window_days: int

    def run(self, now: datetime) -> dict:
        """Counts, for every office whose day before is over (past `PUBLISH_AFTER` office-local)
        and not yet published, that day. Hourly and idempotent: a later run finds the day
        published and skips it; a run that stopped midway is finished by the next."""
        published_on: dict[date, set[str]] = {}
        counted = []
        for office in self.offices():
            local = now.astimezone(ZoneInfo(office["timezone"]))
            if local.time() < PUBLISH_AFTER:
                continue
            day = local.date() - timedelta(days=1)
            if day not in published_on:
                published_on[day] = self.store.published(day)
            if office["id"] in published_on[day]:
                continue
            figures = self.measure(office, day, now)
            self.store.save(figures)
            self.emit(figures)
            counted.append(office["id"])
        log.info("performance published", extra={"offices": len(counted)})
        return {"published": counted}

    def measure(self, office: dict, day: date, now: datetime) -> OfficeDay:
        zone = office["timezone"]
        start, end = domain.day_bounds(day, zone)
        seats = domain.seats(self.sources.slots(office["id"], start, end),
                             self.sources.visits(office["id"], start, end))
        requests = (RequestFacts(created, level, tuple(audit))
                    for created, level, audit in self.sources.activity(office["id"], start))
        # The wait is what a person looking on the morning after the day would have found.
        ahead = self.sources.slots(office["id"], now, now + timedelta(days=self.window_days + 1))
        return OfficeDay(office["id"], day, seats, domain.triage(requests, start, end),
                         domain.days_to_first_open_seat(ahead, now, zone))


@dataclass
class Figures:
    store: Store
    office_ids: Callable[[], set[str]]

    def between(self, first: date | None, last: date | None, office_id: str | None,
                today: date) -> dict:
        last = last or today - timedelta(days=1)
        first = first or last - timedelta(days=29)
        if last < first:
            raise errors.ReversedRange("'to' is before 'from'.")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise errors.InvalidParameter(
                f"A range covers at most {MAX_RANGE_DAYS} days; ask for several.")
        if office_id is not None and office_id not in self.office_ids():
            raise errors.UnknownOffice()
        days = [d for d in self.store.between(first, last)
                if office_id is None or d.office_id == office_id]
        by_office: dict[str, list[OfficeDay]] = {}
        for d in sorted(days, key=lambda d: (d.office_id, d.day)):
            by_office.setdefault(d.office_id, []).append(d)
        return {"from": first.isoformat(), "to": last.isoformat(),
                "totals": domain.totals(days),
                "offices": [{"office_id": oid, "totals": domain.totals(ds),
                             "days": [_day(d) for d in ds]}
                            for oid, ds in by_office.items()]}


def _day(d: OfficeDay) -> dict:
    return {"date": d.day.isoformat(), "seats": vars(d.seats),
            "days_to_first_open_seat": d.days_to_first_open_seat,
            "triage": domain.triage_figures(d.triage)}
