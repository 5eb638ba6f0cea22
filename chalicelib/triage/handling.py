"""How an office handles its requests: the queue, the staff view, calling back, assigning,
transferring a misrouted request, acknowledging a missed deadline."""
from __future__ import annotations

import base64
import binascii
import re
from datetime import date, datetime, time

from chalicelib import errors
from chalicelib.booking import offices, schedule
from chalicelib.triage import deadlines, representation, workflow
from chalicelib.staff.identity import Actor
from chalicelib.triage.domain import ServiceRequest, iso_utc, normalize_request_id
from chalicelib.triage.kinds import CALLBACK_SCHEDULED, TRANSFERRED, UNREACHABLE
from chalicelib.triage.paging import QUEUE_PAGE, page_size  # noqa: F401 - re-exported
from chalicelib.triage.steps import Change, Gettext, StepCore, identity
from chalicelib.triage.validation import (Assignment, BreachAcknowledgement, CallbackAttempt,
                                          CallbackSchedule, Escalation, Transfer)

# The requester's callback period, office-local: [from, to).
CALLBACK_WINDOWS = {"morning": (time(8), time(12)), "afternoon": (time(12), time(17)),
                    "evening": (time(17), time(20))}
_QUEUE_CURSOR = re.compile(r"^[0-2]#[01]#[0-9TZ:.-]+#[0-9TZ:.-]+#[0-9A-Z]{16}$")
_ESCALATION_CURSOR = re.compile(r"^[0-9TZ:.-]+#[0-9A-Z]{16}$")


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, shape: re.Pattern = _QUEUE_CURSOR) -> str | None:
    """The index key a page ended at; a cursor this service did not hand out is a 400."""
    if cursor is None:
        return None
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        key = ""
    if len(cursor) > 200 or not shape.match(key):
        raise errors.InvalidParameter("'cursor' must be a next_cursor from an earlier page.")
    return key


class OfficeHandling(StepCore):
    def queue(self, actor: Actor, office_id: str, _: Gettext = identity, *,
              cursor: str | None = None, limit: int = QUEUE_PAGE) -> dict:
        """One page of the office's open requests: most urgent level first; within a level,
        missed deadlines first, then the earliest deadline, then the earliest arrival. Pages
        follow `next_cursor` until it is null: nothing is left out silently."""
        office = offices.get(office_id)
        self._authorize_office(actor, office["id"])
        after = decode_cursor(cursor)
        now = self.clock()
        found = self.repo.queue(office["id"], limit + 1, after)
        page = found[:limit]
        more = len(found) > limit
        return {"office_id": office["id"], "timezone": office["timezone"],
                "requests": [representation.queue_item(q.line, now) for q in page],
                "next_cursor": encode_cursor(page[-1].key) if more and page else None}

    def escalations(self, actor: Actor, _: Gettext = identity, *, cursor: str | None = None,
                    limit: int = QUEUE_PAGE) -> dict:
        """Requests that missed `breaches_before_escalation` deadlines, every office, oldest
        escalation first: the headquarters supervisors' view."""
        now = self.clock()
        found = self.repo.escalated(limit + 1, decode_cursor(cursor, _ESCALATION_CURSOR))
        page = found[:limit]
        last = page[-1] if page else None
        return {"requests": [representation.queue_item(q.line, now) for q in page],
                "next_cursor": encode_cursor(last.key) if len(found) > limit and last else None}

    def staff_view(self, actor: Actor, raw_id: str, _: Gettext = identity) -> dict:
        request = self._load(normalize_request_id(raw_id))
        self._authorize_office(actor, request.office_id)
        return representation.for_staff(request, self.policy, self.clock(), _)

    def staff_slots(self, actor: Actor, office_id: str, first: date | None,
                    last: date | None) -> dict:
        self._authorize_office(actor, offices.get(office_id)["id"])
        return self.booker.availability(office_id, first, last, for_staff=True)

    def escalate(self, actor: Actor, raw_id: str, body: Escalation, _: Gettext = identity) -> dict:
        return self._staff_step(actor, raw_id, "escalate",
                                lambda r, now: Change(reason_code=body.reason_code), _)

    def schedule_callback(self, actor: Actor, raw_id: str, body: CallbackSchedule,
                          _: Gettext = identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            self._check_callback_time(r, body, now)
            moved = r.callback is not None
            r.callback = {"scheduled_for": iso_utc(body.scheduled_for), "by": actor.id}
            if body.reason_code:
                r.callback["reason_code"] = body.reason_code
            if not r.assignee:
                r.assignee = {"officer": actor.id, "by": actor.id, "at": iso_utc(now)}
            return Change(reason_code=body.reason_code
                          or ("callback_moved" if moved else "callback_scheduled"),
                          notice=CALLBACK_SCHEDULED)
        return self._staff_step(actor, raw_id, "schedule_callback", change, _)

    def _check_callback_time(self, r: ServiceRequest, body: CallbackSchedule,
                             now: datetime) -> None:
        """In the future, on a day the office works, in the requester's callback period and by
        the deadline, all office-local; outside the period or after the deadline only with a
        coded reason (audited)."""
        def refuse(code: str, message: str):
            return errors.ValidationFailed([{"field": "scheduled_for", "code": code,
                                             "message": message}])
        if body.scheduled_for <= now:
            raise refuse("in_past", "the callback time has passed")
        local = body.scheduled_for.astimezone(deadlines.ZoneInfo(r.timezone))
        if not schedule.is_open_day(offices.get(r.office_id), local.date()):
            raise refuse("office_closed", "the office does not work that day")
        start, end = CALLBACK_WINDOWS[r.contact["callback_period"]]
        if not start <= local.time() < end and not body.reason_code:
            raise refuse("outside_callback_period",
                         "the time is outside the requester's callback period; give a "
                         "reason_code to call at another time")
        expecting = workflow.expectation(r.status, r.reached_at is not None,
                                         r.appointment is not None)
        if expecting == workflow.CALLBACK and local.date() > r.due_on and not body.reason_code:
            raise refuse("after_deadline", "the time is after the callback deadline; give a "
                                           "reason_code to call later")

    def record_callback(self, actor: Actor, raw_id: str, body: CallbackAttempt,
                        _: Gettext = identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            r.attempts.append({"at": iso_utc(now), "outcome": body.outcome, "by": actor.id})
            if body.outcome == "reached":
                if r.reached_at is None:
                    r.reached_at = now
                    # The callback is done; a decision is owed next.
                    deadlines.expect(r, deadlines.add_business_days(
                        deadlines.local_day(now, r.timezone),
                        self.policy.decision_business_days))
                return Change(reason_code=body.outcome)
            # Told once, when the attempts that count run out, and only if never reached.
            unreachable = (r.reached_at is None and r.failed_attempts()
                           == self.policy.failed_callbacks_before_notice)
            return Change(reason_code=body.outcome, notice=UNREACHABLE if unreachable else None)
        return self._staff_step(actor, raw_id, "record_callback", change, _)

    def assign(self, actor: Actor, raw_id: str, body: Assignment, _: Gettext = identity) -> dict:
        """A supervisor gives the request to an officer of the office (or takes it back)."""
        def change(r: ServiceRequest, now: datetime) -> Change:
            if not workflow.in_queue(r.status, r.appointment is not None):
                raise errors.InvalidTransition("Nothing is owed on this request any more.",
                                               state=r.status)
            r.assignee = {"officer": body.officer, "by": actor.id, "at": iso_utc(now)}
            return Change(reason_code=body.reason_code)
        return self._staff_step(actor, raw_id, "assign", change, _)

    def transfer(self, actor: Actor, raw_id: str, body: Transfer, _: Gettext = identity) -> dict:
        """A supervisor moves a misrouted request to the office that serves the requester. The
        promised date stands (re-read in the new office's zone); the requester is told."""
        try:
            target = offices.get(body.office_id)
        except errors.UnknownOffice:
            raise errors.ValidationFailed([{"field": "office_id", "code": "unknown_office",
                                            "message": "no field office has that id"}]) from None

        def change(r: ServiceRequest, now: datetime) -> Change:
            if target["id"] == r.office_id:
                raise errors.ValidationFailed([{"field": "office_id", "code": "same_office",
                                                "message": "the request is already there"}])
            r.transfers.append({"from": r.office_id, "to": target["id"],
                                "reason_code": body.reason_code, "note": body.note,
                                "by": actor.id, "at": iso_utc(now)})
            r.office_id, r.timezone = target["id"], target["timezone"]
            deadlines.expect(r, r.due_on)
            r.callback, r.assignee = None, None
            return Change(reason_code=body.reason_code, notice=TRANSFERRED)
        return self._staff_step(actor, raw_id, "transfer", change, _)

    def acknowledge_breach(self, actor: Actor, raw_id: str, body: BreachAcknowledgement,
                           _: Gettext = identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            if not r.supervisor_flag:
                raise errors.InvalidTransition("No missed deadline is flagged on this request.",
                                               state=r.status)
            r.supervisor_flag = {**r.supervisor_flag, "acknowledged": {
                "by": actor.id, "note": body.note, "at": iso_utc(now)}}
            return Change(reason_code="breach_acknowledged")
        return self._staff_step(actor, raw_id, "acknowledge_breach", change, _)
