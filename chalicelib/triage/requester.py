"""What the requester does with their own request, after proving who they are: see it, appeal."""
from __future__ import annotations

from datetime import date, datetime

from chalicelib import errors
from chalicelib.triage import criteria, deadlines, representation, workflow
from chalicelib.triage.codes import LEVEL_RANK
from chalicelib.triage.domain import REQUESTER, ServiceRequest, iso_utc, normalize_request_id
from chalicelib.triage.kinds import APPEAL_RECEIVED, RESOLVED
from chalicelib.staff.identity import Actor
from chalicelib.triage.steps import Change, Gettext, StepCore, identity

def in_language(language: str) -> Gettext:
    """The requester's stored language, when the caller sent no Accept-Language."""
    from chalicelib import i18n

    return i18n.translator(language).gettext


# The booking core, reporting that the person cancelled a granted visit.
BOOKING = Actor("booking-cancellation", "system")
from chalicelib.triage.validation import AddedInformation, Appeal, Proof, Withdrawal


class RequesterSteps(StepCore):
    def status(self, raw_id: str, proof: Proof, _: Gettext | None = identity) -> dict:
        """`_=None`: answer in the language the requester chose when submitting."""
        request = self._proven(raw_id, proof)
        return representation.for_requester(request, self.policy, self.clock(),
                                            _ or in_language(request.language))

    def appeal(self, raw_id: str, body: Appeal, _: Gettext | None = identity) -> dict:
        proven = self._proven(raw_id, body)
        _ = _ or in_language(proven.language)

        def change(r: ServiceRequest, now: datetime) -> Change:
            deadline = representation.appeal_by(r, self.policy)
            if deadline is None or now >= deadline:
                raise errors.AppealWindowClosed(
                    f"Appeals are accepted for {self.policy.appeal_window_days} days after a "
                    "denial or a resolution the requester did not confirm.")
            r.appeal = {"requested_at": iso_utc(now), "statement": body.statement}
            deadlines.expect(r, deadlines.add_business_days(
                deadlines.local_day(now, r.timezone), self.policy.appeal_decision_business_days))
            return Change(notice=APPEAL_RECEIVED)

        request = self._step(REQUESTER, normalize_request_id(raw_id), "appeal", change)
        return representation.for_requester(request, self.policy, self.clock(), _)

    def withdraw(self, raw_id: str, body: Withdrawal, _: Gettext | None = identity) -> dict:
        """The requester no longer needs help: the request closes, and nobody is owed anything.
        A booked visit is cancelled through the appointment instead."""
        proven = self._proven(raw_id, body)  # always: the proof is the point
        _ = _ or in_language(proven.language)

        def change(r: ServiceRequest, now: datetime) -> Change:
            if r.appointment:
                raise errors.InvalidTransition(
                    "A visit is booked: cancel the appointment instead.", state=r.status)
            r.decision = {"kind": "resolution", "code": "withdrawn", "note": "",
                          "by": REQUESTER.id, "role": REQUESTER.role, "at": iso_utc(now),
                          "confirmed_by_requester": True}
            return Change(reason_code="withdrawn", notice=RESOLVED)

        request = self._step(REQUESTER, normalize_request_id(raw_id), "withdraw", change)
        return representation.for_requester(request, self.policy, self.clock(), _)

    def add_information(self, raw_id: str, body: AddedInformation,
                        _: Gettext | None = identity) -> dict:
        """New deadlines or circumstances: the criteria in force run again on everything the
        requester gave. The level may rise (and its date come forward); it never drops without a
        staff decision. The audit records the step and any level change, never the facts."""
        proven = self._proven(raw_id, body)  # always: the proof is the point
        _ = _ or in_language(proven.language)

        def change(r: ServiceRequest, now: datetime) -> Change:
            r.case_facts = {**r.case_facts, "deadlines": [
                *r.case_facts.get("deadlines", []),
                *[d.model_dump(mode="json") for d in body.deadlines]][-20:]}
            known = {c["kind"] for c in r.circumstances}
            r.circumstances = [*r.circumstances, *[c.model_dump(mode="json")
                                                   for c in body.circumstances
                                                   if c.kind not in known]]
            if body.note.strip():
                r.added_information = [*r.added_information,
                                       {"at": iso_utc(now), "note": body.note}]
            today = deadlines.local_day(now, r.timezone)
            stated = [criteria.Deadline(date.fromisoformat(d["date"]), d["kind"])
                      for d in r.case_facts["deadlines"]]
            assessment = criteria.evaluate(criteria.current(today), criteria.Facts(
                inquiry_type=r.inquiry_type, today=today, deadlines=tuple(stated),
                circumstances=frozenset(c["kind"] for c in r.circumstances),
                filed_date=date.fromisoformat(r.case_facts["filed_date"])
                if r.case_facts.get("filed_date") else None))
            before = r.level
            r.criteria_version, r.computed_level = assessment.version, assessment.level
            r.fired = list(assessment.fired)  # facts only grow: so do the criteria that fire
            if LEVEL_RANK[assessment.level] > LEVEL_RANK[r.level]:
                r.level = assessment.level
            if workflow.expectation(r.status, r.reached_at is not None, False) \
                    == workflow.CALLBACK:
                # The date follows the level and the person's deadlines, only ever earlier.
                due_on = deadlines.due_date(r.level, now, r.timezone, self.policy)
                due_on, cap = deadlines.capped(due_on, today, [d.on for d in stated])
                if due_on < r.due_on:
                    deadlines.expect(r, due_on)
                    if cap:
                        r.due_cap = {"deadline_on": cap.isoformat(), "kind": next(
                            d.kind for d in stated if d.on == cap),
                            "uncapped_on": None}
            raised = r.level != before
            return Change(reason_code="information_added",
                          level_from=before if raised else None,
                          level_to=r.level if raised else None)

        request = self._step(REQUESTER, normalize_request_id(raw_id), "add_information", change)
        return representation.for_requester(request, self.policy, self.clock(), _)

    def visit_cancelled(self, appointment) -> ServiceRequest | None:
        """The person cancelled the visit a grant booked: the request opens again, owing a new
        visit by the visit deadline (the office grants another time from its queue)."""
        number = (appointment.reason or {}).get("service_request")
        request_id = normalize_request_id(number) if number else None
        if request_id is None:
            return None

        def change(r: ServiceRequest, now: datetime) -> Change:
            if not r.appointment or r.appointment["confirmation_number"] != \
                    appointment.confirmation_number:
                raise errors.InvalidTransition("Another visit is booked for this request.",
                                               state=r.status)
            r.cancelled_visits = [*r.cancelled_visits, {**r.appointment,
                                                        "cancelled_at": iso_utc(now)}]
            r.appointment = None
            deadlines.expect(r, deadlines.add_business_days(
                deadlines.local_day(now, r.timezone),
                self.policy.visit_after_overturn_business_days))
            return Change(reason_code="visit_cancelled")

        try:
            return self._step(BOOKING, request_id, "visit_cancelled", change)
        except (errors.InvalidTransition, errors.ServiceRequestNotFound):
            return None  # not (or no longer) this request's visit: nothing to reopen
