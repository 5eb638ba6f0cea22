"""Triage use cases, one file each, composed into the service the views, jobs and notices use:

- `submission`: submit (online or by phone), routed by service area, assessed, given a deadline;
- `requester`: status and appeal, after the requester proves who they are;
- `handling`: the office queue and staff view, callbacks, assignment, transfer, breaches;
- `decisions`: grant, resolve, deny, urgency changes, appeal decisions;
- `watch`: the deadline watch.

All of them change a request through `steps.StepCore._step` (conditional on the version read).
"""
from __future__ import annotations

from chalicelib.triage.decisions import Decisions
from chalicelib.triage.handling import OfficeHandling
from chalicelib.triage.kinds import (APPEAL_DECIDED, APPEAL_RECEIVED, DEADLINE_MISSED,  # noqa: F401
                                     DENIED, NOTICE_KINDS, RECEIVED, RESOLVED, TRANSFERRED,
                                     UNREACHABLE)
from chalicelib.triage.requester import RequesterSteps
from chalicelib.triage.steps import utc_now  # noqa: F401
from chalicelib.triage.submission import Submission, facts_of  # noqa: F401
from chalicelib.triage.watch import DeadlineWatch


class TriageService(Submission, RequesterSteps, OfficeHandling, Decisions, DeadlineWatch):
    """The triage context's one service object (see the module docstring for its parts)."""
