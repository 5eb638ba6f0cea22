"""What the requester does with their own request, after proving who they are: see it, appeal."""
from __future__ import annotations

from datetime import datetime

from chalicelib import errors
from chalicelib.triage import deadlines, representation
from chalicelib.triage.domain import REQUESTER, ServiceRequest, iso_utc, normalize_request_id
from chalicelib.triage.kinds import APPEAL_RECEIVED
from chalicelib.triage.steps import Change, Gettext, StepCore, identity
from chalicelib.triage.validation import Appeal, Proof


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
                    "denial.")
            r.appeal = {"requested_at": iso_utc(now), "statement": body.statement}
            deadlines.expect(r, deadlines.add_business_days(
                deadlines.local_day(now, r.timezone), self.policy.appeal_decision_business_days))
            return Change(notice=APPEAL_RECEIVED)

        request = self._step(REQUESTER, normalize_request_id(raw_id), "appeal", change)
        return representation.for_requester(request, self.policy, self.clock(), _)
