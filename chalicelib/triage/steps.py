"""The one way a service request changes: read it, check the workflow and the caller's office,
apply the step, and write it on the condition that it is still at the version read. Of two
concurrent steps exactly one is written; the loser re-reads and is checked again against what
the winner wrote, so it gets the error that explains the new state (usually
`invalid_transition`). Storage, booking and messaging come in through ports; the clock is
injected. The use cases (submission, requester, handling, decisions, watch) build on this."""
from __future__ import annotations

import copy
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from chalicelib import errors
from chalicelib.booking import offices, schedule
from chalicelib.booking.service import OnBehalfBooking
from chalicelib.limits.service import NO_LIMIT, REQUEST_PROOF, ProofAttempts
from chalicelib.triage import representation, workflow
from chalicelib.triage.deadlines import DeadlinePolicy
from chalicelib.staff.identity import Actor
from chalicelib.triage.domain import (AuditEntry, ServiceRequest, format_request_id,
                                      iso_utc, normalize_request_id, proof_matches)
from chalicelib.triage.ports import Booker, NoticePublisher, PublishFailed, Rejected, \
    TriageRepository
from chalicelib.triage.validation import Proof

log = logging.getLogger("chalicelib.triage.service")

Clock = Callable[[], datetime]
Gettext = Callable[[str], str]
ATTEMPTS = 4  # re-reads after losing a race before giving up with concurrent_update

# What a granted visit is booked as, so the office sees the usual appointment reason.
VISIT_REASON = {
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


def identity(text: str) -> str:
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


class Moot(Exception):
    """The deadline the job saw has been met or moved meanwhile."""


def digest(*parts: str | None) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _moved(before: ServiceRequest, after: ServiceRequest, target: str) -> bool:
    def owed(r: ServiceRequest, state: str):
        return workflow.expectation(state, r.reached_at is not None, r.appointment is not None)
    return (target != before.status or after.office_id != before.office_id
            or owed(before, before.status) != owed(after, target))


class StepCore:
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

    def load(self, request_id: str) -> ServiceRequest | None:
        return self.repo.get(request_id)

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
            offices.get(request.office_id)  # proven: 421/503 if another region serves it now
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
        for _attempt in range(ATTEMPTS):
            current = self._load(request_id)
            if actor.role != workflow.REQUESTER and actor.role != workflow.SYSTEM:
                self._authorize_office(actor, current.office_id)
            offices.get(current.office_id)  # 421/503 unless this stage serves the office now
            target = workflow.next_state(current.status, step, actor.role)
            now = self.clock()
            updated = copy.deepcopy(current)
            made = change(updated, now)
            if _moved(current, updated, target):
                # The flag was about the deadline of a step now taken: it clears.
                updated.supervisor_flag = updated.escalation = updated.breached_for = None
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
            reason={"category": VISIT_REASON[updated.inquiry_type],
                    "details": f"Service request {format_request_id(updated.request_id)}",
                    # The confirmation names the request the visit answers.
                    "service_request": format_request_id(updated.request_id)},
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

    # --- notices ------------------------------------------------------------------------

    def notice_settled(self, request_id: str, kind: str, version: int) -> None:
        self.repo.clear_notice(request_id, f"{kind}:{version}")

    def pending_notices(self, older_than: datetime):
        """(request id, {"kind:version", ...}) recorded before `older_than` and not yet settled."""
        return self.repo.pending_outbox(older_than)
