"""The shapes of the triage API's answers (`representation` builds them); the contract checks every
2xx body against these and `openapi.json` publishes them."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.booking.domain import LANGUAGES
from chalicelib.booking.responses import OfficeSummary, Slots  # noqa: F401 (re-exported)
from chalicelib.contract import Body, optional
from chalicelib.triage import codes, workflow

Status = Literal[workflow.STATES]  # type: ignore[valid-type]
Level = Literal[tuple(codes.LEVELS)]  # type: ignore[valid-type]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]
_DATE = {"format": "date"}
_TIME = {"format": "date-time"}


def _time(description: str | None = None) -> Any:
    return Field(description=description, json_schema_extra=_TIME)


# --- public ---------------------------------------------------------------------------------

class CallbackWithin(Body):
    business_days: int | None = optional()
    calendar_days: int | None = optional()


class LevelRule(Body):
    level: Level
    label: str
    callback_within: CallbackWithin


class BusinessDays(Body):
    weekdays: list[str]
    except_: str = Field(alias="except")


class Criterion(Body):
    id: str
    level: Level
    explanation: str
    conditions: dict[str, Any] = Field(description="When the criterion fires (published rules).")


class RuleSet(Body):
    version: str
    effective_from: str = Field(json_schema_extra=_DATE)
    summary: str
    criteria: list[Criterion]


class Criteria(Body):
    levels: list[LevelRule]
    business_days: BusinessDays
    versions: list[RuleSet]


class Label(Body):
    code: str
    label: str


class CodeLists(Body):
    inquiry_types: list[Label]
    circumstances: list[Label]
    deadline_kinds: list[Label]
    callback_periods: list[Label]
    levels: list[Label]
    resolution_outcomes: list[Label]
    denial_reasons: list[Label]
    appeal_reasons: dict[str, list[Label]] = Field(description="By appeal outcome.")
    escalation_reasons: list[str]
    override_reasons: list[str]
    callback_outcomes: list[str]


class FiredCriterion(Body):
    id: str
    level: Level | None
    explanation: str | None


class Submitted(Body):
    request_id: str = Field(description="Keep it: with your last name and date of birth it "
                                        "shows the request's status.")
    status: Status
    status_label: str = Field(description="The status in the caller's language.")
    urgency: Level
    expected_callback_by: str = Field(json_schema_extra=_DATE)
    criteria_version: str
    criteria: list[FiredCriterion]
    office: OfficeSummary


class Urgency(Body):
    level: Level
    label: str
    criteria_version: str
    criteria: list[FiredCriterion]
    changed_by_officer: bool
    reason: Label | None = Field(description="Why an officer changed the level (coded).")


class ExpectedBy(Body):
    date: str = Field(description="The last office-local day it is due.",
                      json_schema_extra=_DATE)
    expecting: str = Field(description="What the request is owed next (stable code).")
    label: str


class ScheduledCallback(Body):
    scheduled_for: str | None = _time("Office-local time of the planned call.")


class Decision(Body):
    kind: str
    code: str
    decided_at: str | None = _time()
    text: str | None = optional()


class GrantedAppointment(Body):
    office_id: str
    slot_id: str
    start: str = _time()
    end: str = _time()
    timezone: str
    confirmation_number: str


class AppealOutcome(Body):
    outcome: Literal["upheld", "overturned"]
    code: str
    text: str
    decided_at: str | None = _time()


class AppealState(Body):
    appeal_by: str | None = _time("Office-local deadline to appeal.")
    state: Literal["available", "closed", "requested", "upheld", "overturned"]
    requested_at: str | None = optional(json_schema_extra=_TIME)
    decision: AppealOutcome | None = optional()


class RequestStatus(Body):
    """Shown only after the requester proved who they are. No staff ids, no staff notes."""
    request_id: str
    status: Status
    status_label: str = Field(description="The status in the caller's language.")
    version: int
    urgency: Urgency
    expected_callback_by: str | None = Field(json_schema_extra=_DATE)
    expected_by: ExpectedBy | None = Field(description="What an open request owes you, and "
                                                       "by when; null once nothing is owed.")
    callback: ScheduledCallback | None
    decision: Decision | None
    appointment: GrantedAppointment | None
    appeal: AppealState | None
    office: OfficeSummary
    contact_center_phone: str


# --- staff ----------------------------------------------------------------------------------

class QueueItem(Body):
    request_id: str
    status: Status
    level: Level
    expected_callback_by: str = Field(json_schema_extra=_DATE)
    due_at: str = _time()
    expecting: str | None = Field(description="What the request is owed next; null when "
                                              "nothing is.")
    overdue: bool
    due_cap: dict[str, Any] | None = Field(
        description="{deadline_on, kind, uncapped_on}: the requester's own deadline came first.")
    deadline_reminder: bool
    supervisor_flag: dict[str, Any] | None
    breaches: int
    escalation: dict[str, Any] | None = Field(description="{to, at, ...}: sent to headquarters.")
    assigned_to: str | None
    office_id: str
    transferred: bool
    possible_duplicate: bool
    inquiry_type: str
    channel: Literal["online", "phone"]
    interpreter_needed: bool
    language: Language
    callback: dict[str, Any] | None = Field(description="{scheduled_for, by}")
    failed_callback_attempts: int
    reached: bool
    created_at: str = _time()
    version: int


class Queue(Body):
    office_id: str
    timezone: str
    requests: list[QueueItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last page.")


class Escalations(Body):
    """Requests that missed repeated deadlines, every office, oldest escalation first."""
    requests: list[QueueItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last page.")


class StaffUrgency(Body):
    level: Level
    computed_level: Level
    criteria_version: str
    criteria: list[FiredCriterion]
    override: dict[str, Any] | None = Field(description="{level, reason_code, note, by, at}")
    pending_downgrade: dict[str, Any] | None = Field(
        description="An emergency downgrade waiting for a second person.")


class AuditEntry(Body):
    at: str = _time()
    actor: str
    role: str
    step: str
    from_: str | None = Field(alias="from")
    to: str
    reason_code: str | None
    level_from: str | None = optional()
    level_to: str | None = optional()


class StaffView(QueueItem):
    """Everything staff need to work a request, with the requester's personal data."""
    status_label: str
    timezone: str
    assignee: dict[str, Any] | None = Field(description="{officer, by, at}")
    transfers: list[dict[str, Any]] = Field(description="[{from, to, reason_code, by, at}]")
    breach_history: list[dict[str, Any]]
    applicant: dict[str, Any]
    contact: dict[str, Any]
    zip: str
    a_number: str | None
    receipt_number: str | None
    description: str
    case_facts: dict[str, Any]
    added_information: list[dict[str, Any]] = Field(description="What the requester added.")
    cancelled_visits: list[dict[str, Any]]
    rebooked: list[dict[str, Any]] | None
    duplicate_of: str | None = Field(description="Another open request of the same person.")
    circumstances: list[dict[str, Any]]
    urgency: StaffUrgency
    attempts: list[dict[str, Any]] = Field(description="[{at, outcome, by}]")
    reached_at: str | None = _time()
    decision: dict[str, Any] | None = Field(description="{kind, code, note, by, role, at}")
    appointment: GrantedAppointment | None
    appeal: dict[str, Any] | None
    next_steps: list[str]
    audit: list[AuditEntry]
