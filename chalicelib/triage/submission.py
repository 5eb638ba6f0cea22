"""Submitting a request (online, or by a Tier 1 agent on the phone): route it to the office
serving the requester's area, assess it against the published criteria, give it a deadline."""
from __future__ import annotations

from datetime import date

from chalicelib import errors
from chalicelib.booking import offices, schedule
from chalicelib.booking.domain import person_key
from chalicelib.booking.service import Outcome
from chalicelib.triage import criteria, deadlines, representation, service_area, workflow
from chalicelib.staff.identity import Actor
from chalicelib.triage.domain import (REQUESTER, AuditEntry, ServiceRequest,
                                      new_request_id, proof_digest)
from chalicelib.triage.kinds import RECEIVED
from chalicelib.triage.ports import CLAIM_LABEL, IdempotencyClaim, Rejected
from chalicelib.triage.steps import ATTEMPTS, Gettext, StepCore, digest, identity, log
from chalicelib.triage.validation import ServiceRequestBody


class Submission(StepCore):
    def criteria(self, _: Gettext = identity) -> dict:
        return representation.rule_sets(self.policy, _)

    def submit(self, body: ServiceRequestBody, actor: Actor = REQUESTER,
               _: Gettext = identity) -> dict:
        return self.submit_once(body, None, actor, _).body

    def submit_once(self, body: ServiceRequestBody, idempotency_key: str | None,
                    actor: Actor = REQUESTER, _: Gettext = identity) -> Outcome:
        """Submit, honouring the client's Idempotency-Key as a booking does: the same key and
        body give the first response again (no second request, no second notice); the same key
        with another body is `idempotency_key_reused`. The claim is written in the request's own
        transaction, so of concurrent retries exactly one creates the request. Keys are scoped
        to the caller (the public, or one staff member) and kept apart from booking keys."""
        body_hash = digest(body.model_dump_json())
        claim_key = digest("service_request", actor.id, idempotency_key) \
            if idempotency_key else None
        if claim_key:
            replay = self._replay(claim_key, body_hash)
            if replay:
                return replay
        channel = "online" if actor.role == workflow.REQUESTER else "phone"
        office = self._office_for(body.zip)
        zone = office["timezone"]
        a = body.applicant
        key = person_key(self.pepper, a.first_name, a.last_name, a.date_of_birth)
        for _attempt in range(ATTEMPTS):
            # A second open request of the same person is linked for staff; the answer to
            # whoever submitted it says nothing about the first (they may not be the person).
            duplicate_of, marks_person, replacing = self._earlier_of(key)
            now = self.clock()
            today = schedule.local_today(zone, now)
            assessment = criteria.evaluate(criteria.current(today), facts_of(body, today))
            due_on, cap = self._due_on(assessment.level, now, zone, today, body)
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
                a_number=body.a_number, receipt_number=body.receipt_number, due_cap=cap,
                duplicate_of=duplicate_of,
                audit=[AuditEntry(now, actor.id, actor.role, "submit", None, workflow.SUBMITTED,
                                  reason_code=channel, level_to=assessment.level).to_dict()],
                pending_notices={f"{RECEIVED}:1"})
            response = representation.submitted(request, _)
            claim = IdempotencyClaim(claim_key, body_hash, 201, response,
                                     int((now + self.idempotency_ttl).timestamp())) \
                if claim_key else None
            try:
                self.repo.add(request, claim, now, marks_person=marks_person, replacing=replacing)
            except Rejected as rejected:
                if claim_key and CLAIM_LABEL in rejected.failed:
                    replay = self._replay(claim_key, body_hash)
                    if replay:
                        return replay
                # An id collision (draw another), a claim that expired meanwhile, or a
                # concurrent submission of the same person that took the marker first (this one
                # then links to it).
                continue
            log.info("service request submitted", extra={
                "office_id": office["id"], "urgency": request.level, "channel": channel,
                "criteria_version": request.criteria_version})
            self._notify(RECEIVED, request)
            return Outcome(201, response)
        raise errors.ConcurrentUpdate()

    def _earlier_of(self, key: str) -> tuple[str | None, bool, str | None]:
        """(the open request to link to, whether this request takes the person's marker, the
        closed request the marker still points at). The marker decides between concurrent
        submissions (exactly one takes it); the open-by-person index, eventually consistent,
        finds an open request the marker no longer points at."""
        marked = self.repo.open_marker(key)
        if marked is not None:
            first = self.repo.get(marked)
            if first is not None and first.status in workflow.OPEN:
                return marked, False, None
        others = [r.request_id for r in self.repo.open_of_person(key) if r.request_id != marked]
        return (others[0] if others else None), True, marked

    def _due_on(self, level: str, now, zone: str, today: date,
                body: ServiceRequestBody) -> tuple[date, dict | None]:
        """The level's date, capped by the person's own earliest deadline (staff see the cap)."""
        uncapped = deadlines.due_date(level, now, zone, self.policy)
        stated = {d.date: d.kind for d in sorted(body.case_facts.deadlines,
                                                 key=lambda d: d.date, reverse=True)}
        due_on, capped_by = deadlines.capped(uncapped, today, list(stated))
        if capped_by is None:
            return uncapped, None
        return due_on, {"deadline_on": capped_by.isoformat(), "kind": stated[capped_by],
                        "uncapped_on": uncapped.isoformat()}

    def _replay(self, claim_key: str, body_hash: str) -> Outcome | None:
        stored = self.repo.stored_response(claim_key, self.clock())
        if stored is None:
            return None
        if stored.body_hash != body_hash:
            raise errors.IdempotencyKeyReused()
        return Outcome(stored.status, stored.body, replayed=True)

    @staticmethod
    def _office_for(zip_code: str) -> dict:
        try:
            return offices.get(service_area.office_for(zip_code))
        except errors.UnknownZip:
            raise errors.ValidationFailed([{"field": "zip", "code": "unknown_zip",
                                            "message": "that ZIP code is not known"}]) from None


def facts_of(body: ServiceRequestBody, today: date) -> criteria.Facts:
    return criteria.Facts(
        inquiry_type=body.inquiry_type, today=today,
        deadlines=tuple(criteria.Deadline(d.date, d.kind) for d in body.case_facts.deadlines),
        circumstances=frozenset(c.kind for c in body.circumstances),
        filed_date=body.case_facts.filed_date)
