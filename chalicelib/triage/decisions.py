"""The decisions on a request: grant a visit, resolve without one, deny, change the urgency,
decide an appeal. Each is coded and audited; a grant books through the booking core."""
from __future__ import annotations

from datetime import datetime

from chalicelib import errors
from chalicelib.triage import deadlines, workflow
from chalicelib.staff.identity import Actor
from chalicelib.triage.domain import ServiceRequest, iso_utc
from chalicelib.triage.kinds import APPEAL_DECIDED, DENIED, RESOLVED, URGENCY_CHANGED
from chalicelib.triage.steps import Change, Gettext, StepCore, identity
from chalicelib.triage.validation import AppealDecision, Denial, Grant, Resolution, UrgencyOverride


def on_the_call(r: ServiceRequest, actor: Actor) -> bool:
    """A Tier 1 agent deciding a phone request they are taking is talking to the requester."""
    return r.channel == "phone" and actor.role == workflow.TIER1 \
        and r.status == workflow.SUBMITTED


class Decisions(StepCore):
    def _contacted(self, r: ServiceRequest, actor: Actor, code: str) -> None:
        """No decision without contact: a reached callback, the configured number of failed
        attempts (the requester was told how to ask again), or the agent on the phone call.
        A duplicate is closed without calling: the other request carries the contact."""
        if code == "duplicate_request" or r.reached_at or on_the_call(r, actor) \
                or r.failed_attempts() >= self.policy.failed_callbacks_before_notice:
            return
        raise errors.ContactRequired(
            f"Reach the requester, or try {self.policy.failed_callbacks_before_notice} times, "
            "before deciding.")

    def resolve(self, actor: Actor, raw_id: str, body: Resolution, _: Gettext = identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            self._contacted(r, actor, body.outcome_code)
            if body.confirmed_by_requester and not (r.reached_at or on_the_call(r, actor)):
                raise errors.ValidationFailed([{
                    "field": "confirmed_by_requester", "code": "not_reached",
                    "message": "only a requester reached on a call can confirm"}])
            r.decision = self._decision("resolution", body.outcome_code, body.note, actor, now)
            r.decision["confirmed_by_requester"] = body.confirmed_by_requester
            return Change(reason_code=body.outcome_code, notice=RESOLVED)
        return self._staff_step(actor, raw_id, "resolve", change, _)

    def deny(self, actor: Actor, raw_id: str, body: Denial, _: Gettext = identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            self._contacted(r, actor, body.reason_code)
            r.decision = self._decision("denial", body.reason_code, body.note, actor, now)
            return Change(reason_code=body.reason_code, notice=DENIED)
        return self._staff_step(actor, raw_id, "deny", change, _)

    def override_urgency(self, actor: Actor, raw_id: str, body: UrgencyOverride,
                         _: Gettext = identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            before = r.level
            proposal = {"level": body.level, "reason_code": body.reason_code,
                        "note": body.note, "by": actor.id, "role": actor.role,
                        "at": iso_utc(now)}
            if before == "emergency" and body.level != "emergency":
                # Downgrading an emergency takes two people: the first proposes, another
                # officer or supervisor of the office confirms the same level.
                pending = r.pending_downgrade
                if pending is None or pending["level"] != body.level:
                    r.pending_downgrade = proposal
                    return Change(reason_code="downgrade_proposed")
                if pending["by"] == actor.id:
                    raise errors.SecondPersonRequired()
                proposal["proposed_by"] = pending["by"]
            r.pending_downgrade = None
            r.level = body.level
            r.override = proposal
            # A promised date never moves later; a higher level may bring it forward.
            due_on = min(r.due_on, deadlines.due_date(body.level, now, r.timezone, self.policy))
            if due_on != r.due_on:
                deadlines.expect(r, due_on)
            return Change(reason_code=body.reason_code, level_from=before, level_to=body.level,
                          notice=URGENCY_CHANGED if before != body.level else None)
        return self._staff_step(actor, raw_id, "override_urgency", change, _)

    def grant(self, actor: Actor, raw_id: str, body: Grant, _: Gettext = identity) -> dict:
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
            if r.status == workflow.VISIT_CANCELLED:
                # The decision stands; the new booking is recorded with it.
                r.rebooked = [*r.rebooked, {"by": actor.id, "role": actor.role,
                                            "note": body.note, "at": iso_utc(now)}]
                return Change(reason_code="visit_rebooked")
            r.decision = self._decision("grant", "visit_warranted", body.note, actor, now)
            return Change(reason_code="visit_warranted")
        return self._staff_step(actor, raw_id, "grant", change, _, book_slot=body.slot_id)

    def decide_appeal(self, actor: Actor, raw_id: str, body: AppealDecision,
                      _: Gettext = identity) -> dict:
        def change(r: ServiceRequest, now: datetime) -> Change:
            if r.decision and r.decision.get("by") == actor.id:
                raise errors.SameOfficer()
            r.appeal = {**(r.appeal or {}), "decision": {
                "outcome": body.outcome, "code": body.reason_code, "note": body.note,
                "by": actor.id, "at": iso_utc(now)}}
            if body.outcome == "overturned" and not body.slot_id:
                # The visit is owed: the office books it by this date.
                deadlines.expect(r, deadlines.add_business_days(
                    deadlines.local_day(now, r.timezone),
                    self.policy.visit_after_overturn_business_days))
            return Change(reason_code=body.reason_code, notice=APPEAL_DECIDED)
        step = "uphold" if body.outcome == "upheld" else "overturn"
        return self._staff_step(actor, raw_id, step, change, _, book_slot=body.slot_id)
