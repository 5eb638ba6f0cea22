"""The day at the office: the roster the front desk works from, and the marks it makes
(check-in, no-show, complete). Each mark is one conditional write on the appointment's current
state, so two desks marking the same person at once get one winner and one 409."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Protocol
from zoneinfo import ZoneInfo

from chalicelib import errors
from chalicelib.booking import offices
from chalicelib.booking.domain import format_confirmation_number, normalize_confirmation_number
from chalicelib.staff.identity import Actor
from chalicelib.staff.roles import HEADQUARTERS

CHECKED_IN, NO_SHOW, COMPLETED = "checked_in", "no_show", "completed"
INTERPRETERS = {"language_interpreter", "sign_language_interpreter"}


@dataclass(frozen=True)
class AttendancePolicy:
    no_show_grace: timedelta = timedelta(minutes=15)
    check_in_early: timedelta = timedelta(minutes=60)
    # Whether a no-show counts as a visit for the minimum interval between visits.
    no_show_counts: bool = False


@dataclass(frozen=True)
class Visit:
    confirmation_number: str
    office_id: str
    status: str
    start: datetime
    end: datetime
    timezone: str
    person_key: str
    applicant: dict
    reason: dict
    language: str
    accommodations: list[str]
    attendance: str | None


class RosterStore(Protocol):
    def day_visits(self, office_id: str, after: datetime, before: datetime) -> list[Visit]: ...
    def visit(self, confirmation_number: str) -> Visit | None: ...
    def mark(self, visit: Visit, mark: str, required: str | None, actor_id: str,
             now: datetime, uncount: bool) -> bool: ...


class FrontDesk:
    def __init__(self, store: RosterStore, policy: AttendancePolicy,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock

    @staticmethod
    def _own(actor: Actor, office_id: str) -> None:
        if actor.role != HEADQUARTERS and actor.office_id != office_id:
            raise errors.OtherOffice()

    def roster(self, actor: Actor, office_id: str, day: date | None) -> dict:
        self._own(actor, office_id)
        office = offices.get(office_id)
        zone = ZoneInfo(office["timezone"])
        day = day or self.clock().astimezone(zone).date()
        after = datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)
        before = datetime.combine(day + timedelta(days=1), time.min,
                                  tzinfo=zone).astimezone(timezone.utc)
        visits = sorted((v for v in self.store.day_visits(office_id, after, before)
                         if v.status == "booked"), key=lambda v: (v.start, v.confirmation_number))
        return {"office_id": office_id, "date": day.isoformat(), "timezone": office["timezone"],
                "appointments": [_line(v, zone) for v in visits]}

    def _visit(self, actor: Actor, raw_cn: str) -> Visit:
        cn = normalize_confirmation_number(raw_cn)
        visit = self.store.visit(cn) if cn else None
        if visit is None or visit.status != "booked":
            raise errors.AppointmentNotFound()
        self._own(actor, visit.office_id)
        offices.get(visit.office_id)  # 421/503 unless this stage serves the office now
        return visit

    def check_in(self, actor: Actor, raw_cn: str) -> dict:
        visit = self._visit(actor, raw_cn)
        now = self.clock()
        if now < visit.start - self.policy.check_in_early:
            raise errors.TooEarlyToMark(
                f"Check-in opens {int(self.policy.check_in_early.total_seconds() // 60)} "
                "minutes before the appointment.")
        return self._mark(actor, visit, CHECKED_IN, None, now)

    def no_show(self, actor: Actor, raw_cn: str) -> dict:
        visit = self._visit(actor, raw_cn)
        now = self.clock()
        if now < visit.start + self.policy.no_show_grace:
            raise errors.TooEarlyToMark(
                "A no-show can be marked "
                f"{int(self.policy.no_show_grace.total_seconds() // 60)} minutes after the "
                "start time.")
        return self._mark(actor, visit, NO_SHOW, None, now,
                          uncount=not self.policy.no_show_counts)

    def complete(self, actor: Actor, raw_cn: str) -> dict:
        visit = self._visit(actor, raw_cn)
        if visit.attendance != CHECKED_IN:
            raise errors.AlreadyMarked("Only a checked-in visit can be completed.")
        return self._mark(actor, visit, COMPLETED, CHECKED_IN, self.clock())

    def _mark(self, actor: Actor, visit: Visit, mark: str, required: str | None,
              now: datetime, uncount: bool = False) -> dict:
        if not self.store.mark(visit, mark, required, actor.id, now, uncount):
            raise errors.AlreadyMarked()
        return {"confirmation_number": format_confirmation_number(visit.confirmation_number),
                "attendance": mark, "marked_by": actor.id,
                "marked_at": now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _line(v: Visit, zone: ZoneInfo) -> dict:
    """What the front desk needs, nothing more: no birth date, contact details or A-number."""
    a = v.applicant or {}
    return {"confirmation_number": format_confirmation_number(v.confirmation_number),
            "start": v.start.astimezone(zone).isoformat(),
            "end": v.end.astimezone(zone).isoformat(),
            "name": " ".join(p for p in (a.get("first_name"), a.get("last_name")) if p),
            "reason": (v.reason or {}).get("category"),
            "accommodations": list(v.accommodations),
            "language": v.language,
            "interpreter_needed": bool(INTERPRETERS & set(v.accommodations)),
            "attendance": v.attendance}
