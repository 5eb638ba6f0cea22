"""Office settings use cases: read, change the weekly schedule from a date, switch the scheduling
mode, close and re-open. Every change is conditioned on the office's version and audited.

Office admins act for their own office, headquarters for every office. Slot generation follows
a change at once for the booking window; seats already booked are never removed."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Protocol

from chalicelib import errors
from chalicelib.booking import offices, schedule, seats
from chalicelib.offices import domain
from chalicelib.offices.domain import Change
from chalicelib.offices.repository import StaleVersion, StoredSlot
from chalicelib.staff.identity import Actor
from chalicelib.staff.roles import HEADQUARTERS

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Generate = Callable[[list[str]], dict]
CLOSURE_CANCELLATION = "closure_cancellation"
MAX_NOTE = 500
# Cancellations a closure request makes itself before answering; the job does the rest.
INLINE_CANCELLATIONS = 25


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class OfficeStore(Protocol):
    def all(self) -> list[dict]: ...
    def get(self, office_id: str) -> dict | None: ...
    def add_if_missing(self, office: dict, now: datetime) -> bool: ...
    def save(self, office: dict, expected_version: int, change: Change) -> None: ...
    def changes(self, office_id: str, limit: int = 100) -> list[Change]: ...
    def slots(self, office_id: str, after: datetime, before: datetime) -> list[StoredSlot]: ...
    def set_capacity(self, slot: StoredSlot, capacity: int, reserved: int | None = None
                     ) -> bool: ...
    def remove_if_unbooked(self, slot: StoredSlot) -> bool: ...
    def close_slot(self, slot: StoredSlot, closure_id: str) -> None: ...
    def reopen_slot(self, slot: StoredSlot, closure_id: str) -> bool: ...


@dataclass(frozen=True)
class ScheduleChange:
    version: int | None
    effective_from: date
    slot_minutes: int
    capacity: int
    hours: dict
    reserved_seats: int = 0
    release_lead_hours: int = 48


def settings_view(office: dict) -> dict:
    return {"office_id": office["id"], "name": office["name"], "timezone": office["timezone"],
            "mode": office["scheduling"], "version": office["version"],
            "schedules": office["schedules"],
            "closures": [{k: c[k] for k in ("closure_id", "from", "to", "reason_code", "note",
                                            "created_at")} for c in office["closures"]]}


def _closure_audit(closure: dict) -> dict:
    # The note is free text staff type (it may quote a person): never in the audit.
    return {k: closure[k] for k in ("closure_id", "from", "to", "reason_code")}


class OfficeAdministration:
    def __init__(self, store: OfficeStore, generate: Generate, *, booking_window_days: int,
                 clock: Clock = utc_now) -> None:
        self.store = store
        self.generate = generate
        self.window_days = booking_window_days
        self.clock = clock

    # --- the seed --------------------------------------------------------------------------

    def seed(self) -> int:
        """Load offices.json into the table, once: an office already there is left alone."""
        now = self.clock()
        added = sum(self.store.add_if_missing(domain.from_seed(o), now) for o in offices.seed())
        if added:
            offices.refresh()
        return added

    # --- reading ---------------------------------------------------------------------------

    def _office(self, actor: Actor, office_id: str) -> dict:
        if actor.role != HEADQUARTERS and actor.office_id != office_id:
            raise errors.OtherOffice()
        office = self.store.get(office_id)
        if office is None:
            raise errors.UnknownOffice()
        offices.regions().check(office)  # 421 for another region's office, 503 while moving
        return office

    def settings(self, actor: Actor, office_id: str) -> dict:
        return settings_view(self._office(actor, office_id))

    def changes(self, actor: Actor, office_id: str) -> dict:
        """The office's audit trail, newest first: who, what, when, old and new settings."""
        self._office(actor, office_id)
        return {"office_id": office_id, "changes": [
            {"at": domain.iso_utc(c.at), "action": c.action, "actor": c.actor_id,
             "role": c.role, "version": c.version, "old": c.old, "new": c.new}
            for c in self.store.changes(office_id)]}

    def _commit(self, office: dict, changed: dict, action: str, actor: Actor,
                old: dict | None, new: dict | None) -> dict:
        version = office["version"] + 1
        updated = {**office, **changed, "version": version}
        try:
            self.store.save(updated, office["version"], Change(
                office["id"], action, actor.id, actor.role, self.clock(), version, old, new))
        except StaleVersion:
            raise errors.ConcurrentUpdate(
                "The office's settings changed since you read them: read them again.") from None
        offices.refresh()
        log.info("office changed", extra={"office_id": office["id"], "action": action,
                                          "version": version})
        return updated

    @staticmethod
    def _expect(office: dict, version: int | None) -> None:
        if version is not None and version != office["version"]:
            raise errors.ConcurrentUpdate(
                "The office's settings changed since you read them: read them again.",
                current_version=office["version"])

    def _today(self, office: dict) -> date:
        return schedule.local_today(office["timezone"], self.clock())

    # --- schedule --------------------------------------------------------------------------

    def change_schedule(self, actor: Actor, office_id: str, change: ScheduleChange) -> dict:
        office = self._office(actor, office_id)
        if change.version is None:
            raise errors.InvalidSchedule("Send the version you read (If-Match or 'version').",
                                         "version")
        self._expect(office, change.version)
        today = self._today(office)
        if change.effective_from <= today:
            raise errors.InvalidSchedule("'effective_from' must be a future date in office time.",
                                         "effective_from")
        weekly = domain.check_weekly(change.slot_minutes, change.capacity, change.hours,
                                     change.reserved_seats, change.release_lead_hours)
        schedules = domain.with_schedule(office["schedules"], weekly, change.effective_from)
        planned_office = {**domain.for_directory({**office, "schedules": schedules}, today)}
        first, last = change.effective_from, today + timedelta(days=self.window_days)
        affected, plan = self._capacity_check(planned_office, first, last)
        if affected:
            raise errors.CapacityBelowBooked(
                "Booked seats cannot be removed: cancel or move those appointments first, or "
                "keep enough seats in these slots.", affected_slots=affected)
        updated = self._commit(office, {"schedules": schedules}, "schedule_changed", actor,
                               {"schedules": office["schedules"]},
                               {"effective_from": change.effective_from.isoformat(), **weekly})
        result = self._apply_plan(updated, plan, first, last)
        return {**settings_view(updated), "slots": result}

    def _existing(self, office: dict, first: date, last: date) -> list[StoredSlot]:
        start = _local_midnight(office, first)
        end = _local_midnight(office, last + timedelta(days=1))
        return self.store.slots(office["id"], start, end)

    def _capacity_check(self, office: dict, first: date, last: date
                        ) -> tuple[list[dict], dict[datetime, schedule.PlannedSlot]]:
        plan = {s.start: s for s in schedule.plan(office, first, last)}
        affected = []
        for slot in self._existing(office, first, last):
            if slot.closed or slot.booked == 0:
                continue
            planned = plan.get(slot.start)
            capacity = planned.capacity if planned else 0
            if capacity < slot.booked:
                affected.append({"slot_id": schedule.slot_id(office["id"], slot.start),
                                 "start": slot.start.astimezone(_zone(office)).isoformat(),
                                 "booked": slot.booked, "new_capacity": capacity})
        return affected, plan

    def _apply_plan(self, office: dict, plan: dict[datetime, schedule.PlannedSlot],
                    first: date, last: date) -> dict:
        """Bring the window's slots in line with the plan. A booking landing between the check
        and this write keeps its seat: the conditional write refuses and the slot is reported."""
        removed = resized = 0
        kept = []
        lead = seats.release_lead(office)
        for slot in self._existing(office, first, last):
            if slot.closed:
                continue
            planned = plan.get(slot.start)
            if planned is None:
                if self.store.remove_if_unbooked(slot):
                    removed += 1
                else:
                    kept.append(schedule.slot_id(office["id"], slot.start))
            else:
                # The new reserve applies to slots not yet due for release; seats already
                # booked or held keep theirs, so the reserve shrinks rather than overbook.
                reserved = (slot.reserved if seats.release_due(slot.start, self.clock(), lead)
                            or slot.start <= self.clock() else
                            max(0, min(planned.reserved,
                                       planned.capacity - slot.booked - slot.held)))
                if planned.capacity == slot.capacity and reserved == slot.reserved:
                    continue
                if self.store.set_capacity(slot, planned.capacity, reserved):
                    resized += 1
                else:
                    kept.append(schedule.slot_id(office["id"], slot.start))
        created = self.generate([office["id"]]).get(office["id"], 0)
        return {"created": created, "removed": removed, "resized": resized,
                "kept_for_booked_seats": kept}

    # --- mode ------------------------------------------------------------------------------

    def change_mode(self, actor: Actor, office_id: str, mode: str, version: int | None) -> dict:
        if mode not in domain.MODES:
            raise errors.InvalidSetting(f"'mode' is one of: {', '.join(domain.MODES)}.", "mode")
        office = self._office(actor, office_id)
        self._expect(office, version)
        if office["scheduling"] == mode:
            return settings_view(office)
        updated = self._commit(office, {"scheduling": mode}, "mode_changed", actor,
                               {"mode": office["scheduling"]}, {"mode": mode})
        return settings_view(updated)

    # --- closures --------------------------------------------------------------------------

    def add_closure(self, actor: Actor, office_id: str, raw_from, raw_to, reason_code,
                    note, version: int | None = None) -> tuple[dict, dict]:
        office = self._office(actor, office_id)
        self._expect(office, version)
        if reason_code not in domain.CLOSURE_REASONS:
            raise errors.InvalidClosure(
                f"'reason_code' is one of: {', '.join(domain.CLOSURE_REASONS)}.", "reason_code")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
            raise errors.InvalidClosure(f"'note' is text of at most {MAX_NOTE} characters.",
                                        "note")
        rng = domain.closure_range(raw_from, raw_to, office["timezone"])
        now = self.clock()
        if rng.end <= now:
            raise errors.InvalidClosure("The closure is over already.", "to")
        closure = domain.closure_entry(domain.new_closure_id(), rng, reason_code, note or "",
                                       actor.id, now)
        updated = self._commit(office, {"closures": [*office["closures"], closure]},
                               "closure_added", actor, None, _closure_audit(closure))
        closed = 0
        for slot in self._overlapping(updated, rng.start, rng.end):
            self.store.close_slot(slot, closure["closure_id"])
            closed += 1
        return updated, {**{k: closure[k] for k in ("closure_id", "from", "to", "reason_code",
                                                   "note", "created_at")},
                         "start": closure["start"], "end": closure["end"],
                         "slots_closed": closed}

    def _overlapping(self, office: dict, start: datetime, end: datetime) -> list[StoredSlot]:
        # A slot that began before the closure may still overlap it: look back a long slot.
        lookback = timedelta(minutes=domain.MAX_SLOT_MINUTES)
        return [s for s in self.store.slots(office["id"], start - lookback, end)
                if s.start < end and start < s.end]

    def remove_closure(self, actor: Actor, office_id: str, closure_id: str) -> dict:
        office = self._office(actor, office_id)
        closure = next((c for c in office["closures"] if c["closure_id"] == closure_id), None)
        if closure is None:
            raise errors.ClosureNotFound()
        start, end = domain.parse_utc(closure["start"]), domain.parse_utc(closure["end"])
        if start <= self.clock():
            raise errors.ClosureStarted()
        remaining = [c for c in office["closures"] if c["closure_id"] != closure_id]
        updated = self._commit(office, {"closures": remaining}, "closure_removed", actor,
                               _closure_audit(closure), None)
        reopened = sum(self.store.reopen_slot(s, closure_id)
                       for s in self._overlapping(updated, start, end) if s.closed == closure_id)
        created = self.generate([office_id]).get(office_id, 0)
        return {**settings_view(updated), "slots": {"reopened": reopened, "created": created}}


def _zone(office: dict):
    from zoneinfo import ZoneInfo
    return ZoneInfo(office["timezone"])


def _local_midnight(office: dict, day: date) -> datetime:
    from datetime import time
    return datetime.combine(day, time.min, tzinfo=_zone(office)).astimezone(timezone.utc)
