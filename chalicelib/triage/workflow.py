"""The service-request workflow: which step may follow which, and who may take it. Pure.

    submitted ──resolve (tier1, a phone request)──> resolved_by_tier1
        ├─schedule_callback (tier2, supervisor)──> callback_scheduled   (online: office queue)
        └─escalate (tier1, supervisor)──> escalated ──schedule_callback (tier2, supervisor)──>
                                                        callback_scheduled
    callback_scheduled ──grant (tier2)──> appointment_granted
                       ──resolve (tier2)──> resolved_without_appointment
                       ──deny (tier2)──> denied ──appeal (requester)──> appeal_requested
    appeal_requested ──uphold (supervisor)──> appeal_upheld
                     ──overturn (supervisor)──> appeal_overturned
    appeal_overturned ──grant (tier2, supervisor)──> appointment_granted

An overturn may book the visit at once (with a slot); if it does not, the request waits in the
office queue until a Tier 2 officer or a supervisor grants a time through the same grant (the
service refuses that grant when the overturn already booked one).

Steps that keep the state (moving a callback, recording a call attempt, overriding the urgency
level, the deadline job's reminders and breaches) are listed too, so every write goes through the
same check. Anything not listed is an invalid transition.
"""
from __future__ import annotations

from chalicelib import errors
# The staff roles are shared (chalicelib/staff/roles.py); triage steps name the ones they admit.
from chalicelib.staff.roles import SUPERVISOR, TIER1, TIER2

SUBMITTED = "submitted"
RESOLVED_BY_TIER1 = "resolved_by_tier1"
ESCALATED = "escalated"
CALLBACK_SCHEDULED = "callback_scheduled"
APPOINTMENT_GRANTED = "appointment_granted"
RESOLVED_WITHOUT_APPOINTMENT = "resolved_without_appointment"
DENIED = "denied"
APPEAL_REQUESTED = "appeal_requested"
APPEAL_UPHELD = "appeal_upheld"
APPEAL_OVERTURNED = "appeal_overturned"
WITHDRAWN = "withdrawn"
# The person cancelled the granted visit: the request is open again for a new grant.
VISIT_CANCELLED = "visit_cancelled"

STATES = (SUBMITTED, RESOLVED_BY_TIER1, ESCALATED, CALLBACK_SCHEDULED, APPOINTMENT_GRANTED,
          RESOLVED_WITHOUT_APPOINTMENT, DENIED, APPEAL_REQUESTED, APPEAL_UPHELD,
          APPEAL_OVERTURNED, WITHDRAWN, VISIT_CANCELLED)
# A callback is owed: the deadline job watches these (until the requester has been reached).
AWAITING_CALLBACK = frozenset({SUBMITTED, ESCALATED, CALLBACK_SCHEDULED})
# In the office's queue: a callback is owed or an appeal waits for a supervisor.
OPEN = AWAITING_CALLBACK | {APPEAL_REQUESTED, VISIT_CANCELLED}

REQUESTER = "requester"
SYSTEM = "system"

# (from state, step) -> (to state, roles that may take the step)
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (SUBMITTED, "escalate"): (ESCALATED, frozenset({TIER1, SUPERVISOR})),
    (SUBMITTED, "resolve"): (RESOLVED_BY_TIER1, frozenset({TIER1})),
    # Online requests are routed to the office serving the requester's area and sit in its
    # Tier 2 queue: an officer there calls back without waiting for Tier 1.
    (SUBMITTED, "schedule_callback"): (CALLBACK_SCHEDULED, frozenset({TIER2, SUPERVISOR})),
    (ESCALATED, "schedule_callback"): (CALLBACK_SCHEDULED, frozenset({TIER2, SUPERVISOR})),
    (CALLBACK_SCHEDULED, "schedule_callback"): (CALLBACK_SCHEDULED, frozenset({TIER2, SUPERVISOR})),
    (CALLBACK_SCHEDULED, "record_callback"): (CALLBACK_SCHEDULED, frozenset({TIER2, SUPERVISOR})),
    (CALLBACK_SCHEDULED, "grant"): (APPOINTMENT_GRANTED, frozenset({TIER2})),
    (CALLBACK_SCHEDULED, "resolve"): (RESOLVED_WITHOUT_APPOINTMENT, frozenset({TIER2})),
    (CALLBACK_SCHEDULED, "deny"): (DENIED, frozenset({TIER2})),
    (DENIED, "appeal"): (APPEAL_REQUESTED, frozenset({REQUESTER})),
    # Any closure without a visit can be appealed, unless the requester confirmed it on a
    # reached callback (the service checks that and the window).
    (RESOLVED_BY_TIER1, "appeal"): (APPEAL_REQUESTED, frozenset({REQUESTER})),
    (RESOLVED_WITHOUT_APPOINTMENT, "appeal"): (APPEAL_REQUESTED, frozenset({REQUESTER})),
    (APPEAL_REQUESTED, "uphold"): (APPEAL_UPHELD, frozenset({SUPERVISOR})),
    (APPEAL_REQUESTED, "overturn"): (APPEAL_OVERTURNED, frozenset({SUPERVISOR})),
    # An overturn without a time still owes the visit; the office books it later.
    (APPEAL_OVERTURNED, "grant"): (APPOINTMENT_GRANTED, frozenset({TIER2, SUPERVISOR})),
    # Taken by the booking core when the person cancels (not a step anyone asks triage for).
    (APPOINTMENT_GRANTED, "visit_cancelled"): (VISIT_CANCELLED, frozenset({SYSTEM})),
    (VISIT_CANCELLED, "grant"): (APPOINTMENT_GRANTED, frozenset({TIER2, SUPERVISOR})),
    # A misrouted request moves to the office that serves the requester; a callback the first
    # office scheduled is that office's, so the new office schedules its own.
    (SUBMITTED, "transfer"): (SUBMITTED, frozenset({SUPERVISOR})),
    (ESCALATED, "transfer"): (ESCALATED, frozenset({SUPERVISOR})),
    (CALLBACK_SCHEDULED, "transfer"): (ESCALATED, frozenset({SUPERVISOR})),
}
for _state in AWAITING_CALLBACK:
    TRANSITIONS[(_state, "override_urgency")] = (_state, frozenset({TIER2, SUPERVISOR}))
    # The requester adds facts while a callback or decision is owed: the criteria run again.
    TRANSITIONS[(_state, "add_information")] = (_state, frozenset({REQUESTER}))
# The requester may withdraw whatever is still open (the service refuses it once a visit is
# booked: cancelling the appointment is the way then).
for _state in OPEN | {APPEAL_OVERTURNED}:
    TRANSITIONS[(_state, "withdraw")] = (WITHDRAWN, frozenset({REQUESTER}))
for _state in OPEN | {APPEAL_OVERTURNED}:
    TRANSITIONS[(_state, "assign")] = (_state, frozenset({SUPERVISOR}))
    TRANSITIONS[(_state, "acknowledge_breach")] = (_state, frozenset({SUPERVISOR}))
    TRANSITIONS[(_state, "deadline_reminder")] = (_state, frozenset({SYSTEM}))
    TRANSITIONS[(_state, "deadline_missed")] = (_state, frozenset({SYSTEM}))


def in_queue(state: str, has_appointment: bool) -> bool:
    """Open for the office: a callback owed, an appeal waiting for a supervisor, or an overturned
    appeal whose visit is still to be booked."""
    return state in OPEN or (state == APPEAL_OVERTURNED and not has_appointment)


# What an open request owes the requester, by state (see `expectation`).
CALLBACK, DECISION, APPEAL_DECISION, VISIT = "callback", "decision", "appeal_decision", "visit"


def expectation(state: str, reached: bool, has_appointment: bool) -> str | None:
    """What the request's deadline is for: a callback until the requester is reached, then a
    decision; a supervisor's decision on an appeal; the visit an overturn promised."""
    if state in AWAITING_CALLBACK:
        return DECISION if reached else CALLBACK
    if state == APPEAL_REQUESTED:
        return APPEAL_DECISION
    if state == VISIT_CANCELLED or (state == APPEAL_OVERTURNED and not has_appointment):
        return VISIT
    return None


def next_state(state: str, step: str, role: str) -> str:
    """The state after `step`; raises when the step is not possible now or not for this role."""
    found = TRANSITIONS.get((state, step))
    if found is None:
        raise errors.InvalidTransition(
            f"'{step}' is not possible while the request is '{state}'.", state=state)
    target, roles = found
    if role not in roles:
        raise errors.RoleNotAllowed(
            f"The '{role}' role cannot take the '{step}' step while the request is '{state}'.")
    return target


def steps_from(state: str) -> list[str]:
    """What staff or the requester can do next (the deadline job's steps left out)."""
    return sorted({step for (source, step), (_, roles) in TRANSITIONS.items()
                   if source == state and roles != {SYSTEM}})
