"""Published figures, one item per office and day, read by month for a date range."""
from __future__ import annotations

from datetime import date

from chalicelib.performance.domain import OfficeDay, Seats, Triage
from chalicelib.performance.records import PerformanceRecord


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _figures(d: OfficeDay) -> dict:
    return {"seats": vars(d.seats), "triage": {**vars(d.triage)},
            "days_to_first_open_seat": d.days_to_first_open_seat}


def _office_day(r: PerformanceRecord) -> OfficeDay:
    day, office_id = r.day_office.split("#", 1)
    f = r.figures
    return OfficeDay(office_id, date.fromisoformat(day), Seats(**f["seats"]),
                     Triage(**f["triage"]), f.get("days_to_first_open_seat"))


class DynamoPerformanceStore:
    def save(self, d: OfficeDay) -> None:
        # A re-run for the same day replaces the figures (late check-ins are counted then).
        PerformanceRecord(d.day.strftime("%Y-%m"), f"{d.day.isoformat()}#{d.office_id}",
                          figures=_figures(d)).save()

    def published(self, day: date) -> set[str]:
        """The offices whose figures for `day` are stored."""
        return {r.day_office.split("#", 1)[1] for r in PerformanceRecord.query(
            day.strftime("%Y-%m"), PerformanceRecord.day_office.startswith(f"{day.isoformat()}#"),
            attributes_to_get=["day_office"])}

    def between(self, first: date, last: date) -> list[OfficeDay]:
        found = []
        for month in _months(first, last):
            found += [_office_day(r) for r in PerformanceRecord.query(
                month, PerformanceRecord.day_office.between(f"{first.isoformat()}#",
                                                            f"{last.isoformat()}#~"))]
        return found
