"""Triage use cases: submit, status, appeal; the staff steps; the deadline watch.

Every step reads the request, checks the workflow and the caller's office, and writes the new
state with a condition on the version it read: of two concurrent steps exactly one is written. The
loser re-reads and is checked again against what the winner wrote, so it gets the error that
explains the new state (usually `invalid_transition`). Storage, booking and messaging come in
through ports; the clock is injected.
"""
from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from chalicelib import errors
from chalicelib.booking import offices, schedule
from chalicelib.booking.domain import person_key
from chalicelib.booking.service import OnBehalfBooking, Outcome
from chalicelib.limits.service import NO_LIMIT, REQUEST_PROOF, ProofAttempts
from chalicelib.triage import criteria, deadlines, representation, workflow
from chalicelib.triage.deadlines import DeadlinePolicy
from chalicelib.triage.domain import (REQUESTER, SYSTEM, Actor, AuditEntry, ServiceRequest,
                                      format_request_id, iso_utc, new_request_id,
                                      normalize_request_id, proof_digest, proof_matches)
from chalicelib.triage.ports import (CLAIM_LABEL, Booker, IdempotencyClaim, NoticePublisher,
                                     PublishFailed, Rejected, TriageRepository)
from chalicelib.triage.validation import (Appeal, AppealDecision, CallbackAttempt,
                                          CallbackSchedule, Denial, Escalation, Grant, Proof,
                                          Resolution, ServiceRequestBody, UrgencyOverride)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Gettext = Callable[[str], str]
_ATTEMPTS = 4  # re-reads after losing a race before giving up with concurrent_update
QUEUE_LIMIT = 200

# Notice kinds of the `service_request` subject.
RECEIVED = "service_request_received"
DEADLINE_MISSED = "callback_deadline_missed"
UNREACHABLE = "callback_attempts_failed"
RESOLVED = "service_request_resolved"
DENIED = "service_request_denied"
APPEAL_RECEIVED = "appeal_received"
APPEAL_DECIDED = "appeal_decided"
NOTICE_KINDS = (RECEIVED, DEADLINE_MISSED, UNREACHABLE, RESOLVED, DENIED, APPEAL_RECEIVED,
                APPEAL_DECIDED)

# What a granted visit is booked as, so the office sees the usual appointment reason.
_VISIT_REASON = {
    "case_status_outside_processing_times": "case_inquiry",
    "emergency_travel_document": "emergency_travel_document",
    "i551_evidence_stamp": "evidence_of_status",
    "card_or_document_error": "document_error",
    "accommodation_request": "accommodation_request",
    "interview_documents": "interview_documents",
    "expedite_request": "case_inquiry",
    "other": "other",
}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _in(language: str) -> Gettext:
    from chalicelib import i18n

    return i18n.translator(language).gettext


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Change:
    """What a step records besides the new state: the audit's reason code and level change, and
    the notice it sends (if any)."""
    reason_code: str | None = None
    notice: str | None = None
    level_from: str | None = None
    level_to: str | None = None


Mutation = Callable[[ServiceRequest, datetime], Change]


class TriageService:
    def __init__(self, repository: TriageRepository, booker: Booker,
                 publisher: NoticePublisher, *, policy: DeadlinePolicy, pepper: str,
                 idempotency_ttl: timedelta = timedelta(hours=24),
                 clock: Clock = utc_now, attempts: ProofAttempts = NO_LIMIT) -> None:
        self.repo = repository
        self.attempts = attempts
        self.booker = booker
        self.publisher = publisher
        self.policy = policy
        self.pepper = pepper
        self.idempotency_ttl = idempotency_ttl
        self.clock = clock

    # --- public -------------------------------------------------------------------------

    def criteria(self, _: Gettext = _identity) -> dict:
        return representation.rule_sets(self.policy, _)

    def submit(self, body: ServiceRequestBody, actor: Actor = REQUESTER,
               _: Gettext = _identity) -> dict:
        return self.submit_once(body, None, actor, _).body

    def submit_once(self, body: ServiceRequestBody, idempotency_key: str | None,
                    actor: Actor = REQUESTER, _: Gettext = _identity) -> Outcome:
        """Submit, honouring the client's Idempotency-Key as a booking does: the same key and
        body give the first response again (no second request, no second notice); the same key
        with another body is `idempotency_key_reused`. The claim is written in the request's own
        transaction, so of concurrent retries exactly one creates the request. Keys are scoped
        to the caller (the public, or one staff member) and kept apart from booking keys."""
        body_hash = _hash(body.model_dump_json())
        claim_key = _hash("service_request", actor.id, idempotency_key) \
            if idempotency_key else None
        if claim_key:
            replay = self._replay(claim_key, body_hash)
            if replay:
                return replay
        channel = "online" if actor.role == workflow.REQUESTER else "phone"
        office = self._office_for(body.zip)
        zone = office["timezone"]
        a = body.applicant
        key = person_key(self.pepper, a.first_name, a.last_name, a.date_of_birth, body.a_number)
        for _attempt in range(_ATTEMPTS):
            now = self.clock()
            today = schedule.local_today(zone, now)
            assessment = criteria.evaluate(criteria.current(today), facts_of(body, today))
            due_on = deadlines.due_date(assessment.level, now, zone, self.policy)
            request_id = new_request_id()
            request = ServiceRequest(
                request_id=request_id, status=workflow.SUBMITTED, version=1, channel=channel,
                office_id=office["id"], timezone=zone, person_key=key,
                proof=proof_digest(self.pepper, request_id, a.last_name, a.date_of_birth),
                applicant=a.model_dump(mode="json", exclude_none=True),
                contact={"callback_period": body.callback_period, "language": body.language,
                         "interpreter_needed": body.interpreter_needed,
                         "contact_method": body.contact_method},
                zip=body.zip, inquiry_type=body.inquiry_type, description=body.description,
                case_facts=body.case_facts.model_dump(mode="json"),
                circumstances=[c.model_dump(mode="json") for c in body.circumstances],
                criteria_version=assessment.version, computed_level=assessment.level,
                fired=list(assessment.fired), level=assessment.level, due_on=due_on,
                due_at=deadlines.end_of(due_on, zone), created_at=now, updated_at=now,
                a_number=body.a_number, receipt_number=body.receipt_number,
                audit=[AuditEntry(now, actor.id, actor.role, "submit", None, workflow.SUBMITTED,
                                  reason_code=channel, level_to=assessment.level).to_dict()],
                pending_notices={f"{RECEIVED}:1"})
            response = representation.submitted(request, _)
            claim = IdempotencyClaim(claim_key, body_hash, 201, response,
                                     int((now + self.idempotency_ttl).timestamp())) \
                if claim_key else None
            try:
                self.repo.add(request, claim, now)
            except Rejected as rejected:
                if claim_key and CLAIM_LABEL in rejected.failed:
                    replay = self._replay(claim_key, body_hash)
                    if replay:
                        return replay
                continue  # an id collision (draw another), or a claim that expired meanwhile
            log.info("service request submitted", extra={
                "office_id": office["id"], "urgency": request.level, "channel": channel,
                "criteria_version": request.criteria_version})
            self._notify(RECEIVED, request)
            return Outcome(201, response)
        raise errors.ConcurrentUpdate()

    def _replay(self, claim_key: str, body_hash: str) -> Outcome | None:
        stored = self.repo.stored_response(claim_key, self.clock())
        if stored is None:
            return None
        if stored.body_hash != body_hash:
            raise errors.IdempotencyKeyReused()
        return Outcome(stored.status, stored.body, replayed=True)

    def status(self, raw_id: str, proof: Proof, _: Gettext | None = _identity) -> dict:
        """`_=None`: answer in the language the requester chose when submitting."""
        request = self._proven(raw_id, proof)
        return representation.for_requester(request, self.policy, self.clock(),
                                            _ or _in(request.language))

    def appeal(self, raw_id: str, body: Appeal, _: Gettext | None = _identity) -> dict:
        proven = self._proven(raw_id, body)
        _ = _ or _in(proven.language)

        def change(r: ServiceRequest, now: datetime) -> Change:
            deadline = representation.appeal_by(r, self.policy)
            if deadline is None or now >= deadline:
                raise errors.AppealWindowClosed(
                    "Appeals are accepted for {appeal_window_days} days after a denial.",
                    appeal_window_days=self.policy.appeal_window_days)
            r.appeal = {"requested_at": iso_utc(now), "statement": body.statement}
            return Change(notice=APPEAL_RECEIVED)

        request = self._step(REQUESTER, normalize_request_id(raw_id), "appeal", change)
        return representation.for_requester(request, self.policy, self.clock(), _)

    # --- staff --------------------------------------------------------------------------

    def queue(self, actor: Actor, office_id: str, _: Gettext = _identity) -> dict:
        office = offices.get(office_id)
        self._authorize_office(actor, office["id"])
        now = self.clock()
        items = [representation.queue_item(r, now)
                 for r in self.repo.queue(office["id"], QUEUE_LIMIT)]
        return {"office_id": office["id"], "timezone": office["timezone"], "requests": items}

    def staff_view(self, actor: Actor, raw_id: str, _: Gettext = _identity) -> dict:
        request = self._load(normalize_request_id(raw_id))
        self._authorize_office(actor, request.office_id)
        return representation.for_staff(request, self.policy, self.clock(), _)

    def staff_slots(self, actor: Actor, office_id: str, first: date | None,
                    last: date | None) -> dict:
        self._authorize_office(actor, offices.get(office_id)["id"])
        return self.booker.availability(office_id, first, last, for_staff=True)

    def escalate(self, actor: Actor, raw_id: str, body: Escalation, _: Gettext = _identity) -> dict:
        return self._staff_step(actor, raw_id, "escalate",
                                lambda r, now: Change(reason_code=body.reason_code), _)

    def schedule_callback(self, actor: Actor, raw_id: str, body: CallbackSchedule,
                          _: Gettext = _identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            if body.scheduled_for <= now:
                raise errors.ValidationFailed([{"field": "scheduled_for", "code": "in_past",
                                                "message": "the callback time has passed"}])
            moved = r.callback is not None
            r.callback = {"scheduled_for": iso_utc(body.scheduled_for), "by": actor.id}
            return Change(reason_code="callback_moved" if moved else "callback_scheduled")
        return self._staff_step(actor, raw_id, "schedule_callback", change, _)

    def record_callback(self, actor: Actor, raw_id: str, body: CallbackAttempt,
                        _: Gettext = _identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            r.attempts.append({"at": iso_utc(now), "outcome": body.outcome, "by": actor.id})
            if body.outcome == "reached":
                r.reached_at = r.reached_at or now
                return Change(reason_code=body.outcome)
            # Told once, when the attempts that count run out, and only if never reached.
            unreachable = (r.reached_at is None and r.failed_attempts()
                           == self.policy.failed_callbacks_before_notice)
            return Change(reason_code=body.outcome, notice=UNREACHABLE if unreachable else None)
        return self._staff_step(actor, raw_id, "record_callback", change, _)

    def resolve(self, actor: Actor, raw_id: str, body: Resolution, _: Gettext = _identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            r.decision = self._decision("resolution", body.outcome_code, body.note, actor, now)
            return Change(reason_code=body.outcome_code, notice=RESOLVED)
        return self._staff_step(actor, raw_id, "resolve", change, _)

    def deny(self, actor: Actor, raw_id: str, body: Denial, _: Gettext = _identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            r.decision = self._decision("denial", body.reason_code, body.note, actor, now)
            return Change(reason_code=body.reason_code, notice=DENIED)
        return self._staff_step(actor, raw_id, "deny", change, _)

    def override_urgency(self, actor: Actor, raw_id: str, body: UrgencyOverride,
                         _: Gettext = _identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            before = r.level
            r.level = body.level
            r.override = {"level": body.level, "reason_code": body.reason_code,
                          "note": body.note, "by": actor.id, "role": actor.role,
                          "at": iso_utc(now)}
            # A promised date never moves later; a higher level may bring it forward.
            due_on = min(r.due_on, deadlines.due_date(body.level, now, r.timezone, self.policy))
            if due_on != r.due_on:
                r.due_on, r.due_at = due_on, deadlines.end_of(due_on, r.timezone)
            return Change(reason_code=body.reason_code, level_from=before, level_to=body.level)
        return self._staff_step(actor, raw_id, "override_urgency", change, _)

    def grant(self, actor: Actor, raw_id: str, body: Grant, _: Gettext = _identity) -> dict:
        """Book the visit: after a callback, or later for an appeal overturned without a time."""
        def change(r: ServiceRequest, now: datetime) -> Change:
            if r.status == workflow.APPEAL_OVERTURNED:
                if r.appointment:
                    raise errors.InvalidTransition(
                        "The overturn already booked this request's visit.", state=r.status)
                # The denial stays the decision the appeal overturned (the requester still
                # sees both); the booking is recorded with the appeal.
                r.appeal = {**(r.appeal or {}), "visit_granted": {
                    "by": actor.id, "role": actor.role, "note": body.note, "at": iso_utc(now)}}
                return Change(reason_code="visit_warranted")
            r.decision = self._decision("grant", "visit_warranted", body.note, actor, now)
            return Change(reason_code="visit_warranted")
        return self._staff_step(actor, raw_id, "grant", change, _, book_slot=body.slot_id)

    def decide_appeal(self, actor: Actor, raw_id: str, body: AppealDecision,
                      _: Gettext = _identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            if r.decision and r.decision.get("by") == actor.id:
                raise errors.SameOfficer()
            r.appeal = {**(r.appeal or {}), "decision": {
                "outcome": body.outcome, "code": body.reason_code, "note": body.note,
                "by": actor.id, "at": iso_utc(now)}}
            return Change(reason_code=body.reason_code, notice=APPEAL_DECIDED)
        step = "uphold" if body.outcome == "upheld" else "overturn"
        return self._staff_step(actor, raw_id, step, change, _, book_slot=body.slot_id)

    # --- the deadline watch -------------------------------------------------------------

    def watch_deadlines(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Remind the office's Tier 2 queue of deadlines ending soon; for deadlines that passed,
        flag the request to supervisors and give the requester a new date. Never closes or
        rejects a request. Safe to run late or twice: each write is conditional on the version
        and deadline it saw."""
        now = self.clock()
        counts = {"reminded": 0, "breached": 0, "skipped": 0}
        chosen = office_ids or [o["id"] for o in offices.all_offices()]
        for office_id in chosen:
            for seen in self.repo.awaiting_callback_due_before(
                    office_id, now + self.policy.reminder_before):
                if seen.status not in workflow.AWAITING_CALLBACK or seen.reached_at:
                    continue
                if deadlines.is_past(seen.due_at, now):
                    counts[self._breach(seen, now)] += 1
                elif deadlines.is_near(seen.due_at, now, self.policy) \
                        and seen.reminded_for != iso_utc(seen.due_at):
                    counts[self._remind(seen)] += 1
        return counts

    def _breach(self, seen: ServiceRequest, now: datetime) -> str:
        def change(r: ServiceRequest, at: datetime) -> Change:
            if r.due_at != seen.due_at or r.reached_at:
                raise _Moot()
            new_on = deadlines.new_date_after_breach(r.level, at, r.timezone, self.policy)
            r.breaches.append({"at": iso_utc(at), "missed_due_on": r.due_on.isoformat(),
                               "new_due_on": new_on.isoformat(), "version": r.version + 1})
            r.supervisor_flag = {"reason": "deadline_missed", "at": iso_utc(at)}
            r.due_on, r.due_at = new_on, deadlines.end_of(new_on, r.timezone)
            return Change(reason_code="deadline_missed", notice=DEADLINE_MISSED)
        return self._system_step(seen, "deadline_missed", change, "breached")

    def _remind(self, seen: ServiceRequest) -> str:
        def change(r: ServiceRequest, at: datetime) -> Change:
            if r.due_at != seen.due_at or r.reached_at:
                raise _Moot()
            r.reminded_for = iso_utc(r.due_at)
            return Change(reason_code="deadline_near")
        return self._system_step(seen, "deadline_reminder", change, "reminded")

    def _system_step(self, seen: ServiceRequest, step: str, change: Mutation, done: str) -> str:
        try:
            self._step(SYSTEM, seen.request_id, step, change)
        except (_Moot, errors.InvalidTransition, errors.ConcurrentUpdate):
            return "skipped"  # someone acted on it meanwhile; the next run looks again
        log.info("deadline watch", extra={"step": step, "office_id": seen.office_id,
                                          "urgency": seen.level})
        return done

    # --- notices ------------------------------------------------------------------------

    def notice_settled(self, request_id: str, kind: str, version: int) -> None:
        self.repo.clear_notice(request_id, f"{kind}:{version}")

    def load(self, request_id: str) -> ServiceRequest | None:
        return self.repo.get(request_id)

    def pending_notices(self, older_than: datetime):
        """(request id, {"kind:version", ...}) recorded before `older_than` and not yet settled."""
        return self.repo.pending_outbox(older_than)

    # --- internals ----------------------------------------------------------------------

    def _office_for(self, zip_code: str) -> dict:
        try:
            return offices.nearest(zip_code, 1)[0][0]
        except errors.UnknownZip:
            raise errors.ValidationFailed([{"field": "zip", "code": "unknown_zip",
                                            "message": "that ZIP code is not known"}]) from None

    def _load(self, request_id: str | None) -> ServiceRequest:
        request = self.repo.get(request_id) if request_id else None
        if request is None:
            raise errors.ServiceRequestNotFound()
        return request

    def _proven(self, raw_id: str, proof: Proof) -> ServiceRequest:
        request_id = normalize_request_id(raw_id)
        # Failures are counted per id, real or not, so the limit is no oracle either.
        with self.attempts.proof_attempt(REQUEST_PROOF, request_id or raw_id.strip().upper()):
            request = self.repo.get(request_id) if request_id else None
            # One answer for "no such request" and "wrong person": no oracle for guessing either.
            if request is None or not proof_matches(self.pepper, request.proof, request_id,
                                                    proof.last_name, proof.date_of_birth):
                raise errors.ServiceRequestNotFound()
        return request

    @staticmethod
    def _authorize_office(actor: Actor, office_id: str) -> None:
        """Tier 1 agents answer for every office; Tier 2 officers and supervisors for theirs."""
        if actor.role in (workflow.TIER2, workflow.SUPERVISOR) and actor.office_id != office_id:
            raise errors.OtherOffice()

    @staticmethod
    def _decision(kind: str, code: str, note: str, actor: Actor, now: datetime) -> dict:
        return {"kind": kind, "code": code, "note": note, "by": actor.id, "role": actor.role,
                "at": iso_utc(now)}

    def _staff_step(self, actor: Actor, raw_id: str, step: str, change: Mutation, _: Gettext,
                    book_slot: str | None = None) -> dict:
        request = self._step(actor, normalize_request_id(raw_id), step, change, book_slot)
        return representation.for_staff(request, self.policy, self.clock(), _)

    def _step(self, actor: Actor, request_id: str | None, step: str, change: Mutation,
              book_slot: str | None = None) -> ServiceRequest:
        for _attempt in range(_ATTEMPTS):
            current = self._load(request_id)
            if actor.role != workflow.REQUESTER and actor.role != workflow.SYSTEM:
                self._authorize_office(actor, current.office_id)
            target = workflow.next_state(current.status, step, actor.role)
            now = self.clock()
            updated = copy.deepcopy(current)
            made = change(updated, now)
            updated.status, updated.version, updated.updated_at = target, current.version + 1, now
            updated.audit.append(AuditEntry(
                now, actor.id, actor.role, step, current.status, target, made.reason_code,
                made.level_from, made.level_to).to_dict())
            if made.notice:
                updated.pending_notices.add(f"{made.notice}:{updated.version}")
            try:
                if book_slot:
                    self._book(updated, current, book_slot)
                else:
                    self.repo.save(updated, current.version)
            except Rejected:
                continue  # lost a race: read what won and check the step again
            log.info("service request step", extra={
                "step": step, "from": current.status, "to": target, "role": actor.role,
                "office_id": current.office_id})
            if made.notice:
                self._notify(made.notice, updated)
            return updated
        raise errors.ConcurrentUpdate()

    def _book(self, updated: ServiceRequest, current: ServiceRequest, slot_id: str) -> None:
        """Book the visit and move the request in one transaction: the seat, the person's
        one active appointment and the request's version all hold, or nothing is written."""
        parsed = schedule.parse_slot_id(slot_id)
        if parsed is None:
            raise errors.UnknownSlot()
        if parsed[0] != updated.office_id:
            raise errors.OtherOffice("That time is at another field office.")
        a = updated.applicant
        spec = OnBehalfBooking(
            slot_id=slot_id,
            applicant={k: a[k] for k in ("first_name", "last_name", "date_of_birth", "phone",
                                         "email", "address") if a.get(k) is not None},
            reason={"category": _VISIT_REASON[updated.inquiry_type],
                    "details": f"Service request {format_request_id(updated.request_id)}"},
            language=updated.language, contact_method=updated.contact["contact_method"],
            a_number=updated.a_number, receipt_number=updated.receipt_number,
            accommodations=("language_interpreter",)
            if updated.contact.get("interpreter_needed") else ())

        def together(appointment) -> list:
            updated.appointment = {
                "confirmation_number": appointment.confirmation_number,
                "office_id": appointment.office_id, "slot_id": appointment.slot_id,
                "start": representation.local_iso(appointment.start, appointment.timezone),
                "end": representation.local_iso(appointment.end, appointment.timezone),
                "timezone": appointment.timezone}
            return [self.repo.save_part(updated, current.version)]

        self.booker.book_on_behalf(spec, together)

    def _notify(self, kind: str, request: ServiceRequest) -> None:
        # The request already carries the notice in its outbox; the notices sweep re-publishes
        # it if this fails, so a failed publish never fails or undoes the step.
        try:
            self.publisher.publish(kind, request.request_id, request.version)
        except PublishFailed:
            log.warning("notice publish deferred to outbox", extra={"kind": kind})


class _Moot(Exception):
    """The deadline the job saw has been met or moved meanwhile."""


def _hash(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def facts_of(body: ServiceRequestBody, today: date) -> criteria.Facts:
    return criteria.Facts(
        inquiry_type=body.inquiry_type, today=today,
        deadlines=tuple(criteria.Deadline(d.date, d.kind) for d in body.case_facts.deadlines),
        circumstances=frozenset(c.kind for c in body.circumstances),
        filed_date=body.case_facts.filed_date)
