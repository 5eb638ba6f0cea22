"""How service requests look to requesters and to staff. Times are office-local with their offset;
texts are translated with the `gettext` the caller passes (the requester's or the caller's
language)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from chalicelib.booking import offices
from chalicelib.booking.domain import format_confirmation_number
from chalicelib.booking.representation import CONTACT_CENTER_PHONE, office_summary
from chalicelib.i18n import N_
from chalicelib.triage import codes, criteria, workflow
from chalicelib.triage.deadlines import DeadlinePolicy
from chalicelib.triage.domain import ServiceRequest, format_request_id, iso_utc
from chalicelib.triage.queue import queue_line

Gettext = Callable[[str], str]

# Labels of `workflow.STATES` for people, shown beside the stable `status` code.
STATUS_LABELS = {
    workflow.SUBMITTED: N_("Received"),
    workflow.RESOLVED_BY_TIER1: N_("Answered"),
    workflow.ESCALATED: N_("Under review by a specialist"),
    workflow.CALLBACK_SCHEDULED: N_("Call back scheduled"),
    workflow.APPOINTMENT_GRANTED: N_("Appointment granted"),
    workflow.RESOLVED_WITHOUT_APPOINTMENT: N_("Resolved without a visit"),
    workflow.DENIED: N_("Visit not granted"),
    workflow.APPEAL_REQUESTED: N_("Appeal under review"),
    workflow.APPEAL_UPHELD: N_("Appeal decided: decision kept"),
    workflow.APPEAL_OVERTURNED: N_("Appeal decided: decision changed"),
    workflow.WITHDRAWN: N_("Withdrawn"),
    workflow.VISIT_CANCELLED: N_("Visit cancelled: a new time will be offered"),
}


def status_label(status: str, _: Gettext) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def local_iso(moment: datetime | str | None, zone: str) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone)).isoformat()


def fired_criteria(version: str, fired: list[str], _: Gettext) -> list[dict]:
    rule_set = criteria.version(version)
    found = [criteria.criterion(rule_set, cid) if rule_set else None for cid in fired]
    return [{"id": cid, "level": c.level if c else None,
             "explanation": _(c.explanation) if c else None} for cid, c in zip(fired, found)]


def rule_sets(policy: DeadlinePolicy, _: Gettext) -> dict:
    return {
        "levels": [
            {"level": "emergency", "label": _(codes.LEVELS["emergency"]),
             "callback_within": {"business_days": policy.emergency_business_days}},
            {"level": "urgent", "label": _(codes.LEVELS["urgent"]),
             "callback_within": {"business_days": policy.urgent_business_days}},
            {"level": "standard", "label": _(codes.LEVELS["standard"]),
             "callback_within": {"calendar_days": policy.standard_calendar_days}},
        ],
        "business_days": {"weekdays": ["mon", "tue", "wed", "thu", "fri"],
                          "except": "us_federal_holidays_including_observed"},
        "versions": [
            {"version": r.version, "effective_from": r.effective_from.isoformat(),
             "summary": _(r.summary),
             "criteria": [{"id": c.id, "level": c.level, "explanation": _(c.explanation),
                           "conditions": c.when} for c in r.criteria]}
            for r in criteria.all_versions()],
    }


def submitted(r: ServiceRequest, _: Gettext) -> dict:
    return {"request_id": format_request_id(r.request_id), "status": r.status,
            "status_label": status_label(r.status, _), "urgency": r.level,
            "expected_callback_by": r.due_on.isoformat(),
            "criteria_version": r.criteria_version,
            "criteria": fired_criteria(r.criteria_version, r.fired, _),
            "office": office_summary(offices.get(r.office_id))}


def _decision(decision: dict | None, zone: str, _: Gettext) -> dict | None:
    if not decision:
        return None
    body = {"kind": decision["kind"], "code": decision["code"], "decided_at": local_iso(decision["at"], zone)}
    if decision["kind"] != "grant":
        body["text"] = _(codes.decision_text(decision["kind"], decision["code"]))
    return body


def _appointment(appointment: dict | None) -> dict | None:
    if not appointment:
        return None
    return {**{k: appointment[k] for k in ("office_id", "slot_id", "start", "end", "timezone")},
            "confirmation_number": format_confirmation_number(appointment["confirmation_number"])}


def appeal_by(r: ServiceRequest, policy: DeadlinePolicy) -> datetime | None:
    """Until when an adverse outcome can be appealed: a denial, or a resolution without a visit
    that the requester did not confirm on a reached callback."""
    if not r.decision or r.decision["kind"] not in ("denial", "resolution"):
        return None
    if r.decision.get("confirmed_by_requester"):
        return None
    decided = datetime.fromisoformat(r.decision["at"].replace("Z", "+00:00"))
    return decided + timedelta(days=policy.appeal_window_days)


def _appeal(r: ServiceRequest, policy: DeadlinePolicy, now: datetime, _: Gettext) -> dict | None:
    deadline = appeal_by(r, policy)
    if deadline is None:
        return None
    body: dict = {"appeal_by": local_iso(deadline, r.timezone)}
    if r.appeal is None:
        body["state"] = "available" if now < deadline else "closed"
        return body
    body["requested_at"] = local_iso(r.appeal["requested_at"], r.timezone)
    decided = r.appeal.get("decision")
    body["state"] = decided["outcome"] if decided else "requested"
    if decided:
        body["decision"] = {"outcome": decided["outcome"], "code": decided["code"],
                            "text": _(codes.decision_text("appeal", decided["code"])),
                            "decided_at": local_iso(decided["at"], r.timezone)}
    return body


def owed(r: ServiceRequest) -> str | None:
    return workflow.expectation(r.status, r.reached_at is not None, r.appointment is not None)


def expected_by(r: ServiceRequest, _: Gettext) -> dict | None:
    """What the open request owes the requester and the last day it is due."""
    expecting = owed(r)
    if expecting is None:
        return None
    return {"date": r.due_on.isoformat(), "expecting": expecting,
            "label": _(codes.EXPECTING[expecting])}


def for_requester(r: ServiceRequest, policy: DeadlinePolicy, now: datetime, _: Gettext) -> dict:
    """Shown only after the requester proved who they are. No staff ids, no staff notes."""
    return {
        "request_id": format_request_id(r.request_id), "status": r.status,
        "status_label": status_label(r.status, _), "version": r.version,
        "urgency": {"level": r.level, "label": _(codes.LEVELS[r.level]),
                    "criteria_version": r.criteria_version,
                    "criteria": fired_criteria(r.criteria_version, r.fired, _),
                    "changed_by_officer": r.override is not None,
                    "reason": {"code": r.override["reason_code"],
                               "label": _(codes.OVERRIDE_REASON_TEXT[r.override["reason_code"]])}
                    if r.override else None},
        "expected_callback_by": r.due_on.isoformat() if r.status in workflow.AWAITING_CALLBACK
        and r.reached_at is None else None,
        "expected_by": expected_by(r, _),
        "callback": {"scheduled_for": local_iso(r.callback["scheduled_for"], r.timezone)}
        if r.callback else None,
        "decision": _decision(r.decision, r.timezone, _),
        "appointment": _appointment(r.appointment),
        "appeal": _appeal(r, policy, now, _),
        "office": office_summary(offices.get(r.office_id)),
        "contact_center_phone": CONTACT_CENTER_PHONE,
    }


def queue_item(line: dict, now: datetime) -> dict:
    """A queue line (chalicelib/triage/queue.py) as staff see it, times in the office's zone."""
    zone = line["timezone"]
    due_at = datetime.fromisoformat(line["due_at"].replace("Z", "+00:00"))
    return {
        "request_id": format_request_id(line["request_id"]), "status": line["status"],
        "level": line["level"], "expected_callback_by": line["due_on"],
        "due_at": local_iso(due_at, zone), "expecting": line["expecting"],
        "overdue": line["expecting"] is not None and now >= due_at,
        "due_cap": line["due_cap"], "deadline_reminder": line["deadline_reminder"],
        "supervisor_flag": line["supervisor_flag"], "breaches": line["breaches"],
        "escalation": line["escalation"], "assigned_to": line["assigned_to"],
        "office_id": line["office_id"], "transferred": line["transferred"],
        "possible_duplicate": line["possible_duplicate"], "inquiry_type": line["inquiry_type"],
        "channel": line["channel"], "interpreter_needed": line["interpreter_needed"],
        "language": line["language"], "callback": line["callback"],
        "failed_callback_attempts": line["failed_callback_attempts"],
        "reached": line["reached"], "created_at": local_iso(line["created_at"], zone),
        "version": line["version"],
    }


def for_staff(r: ServiceRequest, policy: DeadlinePolicy, now: datetime, _: Gettext) -> dict:
    return {
        **queue_item(queue_line(r), now), "status_label": status_label(r.status, _),
        "timezone": r.timezone, "assignee": r.assignee, "transfers": r.transfers,
        "breach_history": r.breaches,
        "applicant": r.applicant, "contact": r.contact, "zip": r.zip,
        "a_number": r.a_number, "receipt_number": r.receipt_number,
        "description": r.description, "case_facts": r.case_facts,
        "added_information": r.added_information,
        "cancelled_visits": r.cancelled_visits, "rebooked": r.rebooked,
        "duplicate_of": format_request_id(r.duplicate_of) if r.duplicate_of else None,
        "circumstances": r.circumstances,
        "urgency": {"level": r.level, "computed_level": r.computed_level,
                    "criteria_version": r.criteria_version,
                    "criteria": fired_criteria(r.criteria_version, r.fired, _),
                    "override": r.override, "pending_downgrade": r.pending_downgrade},
        "attempts": r.attempts, "reached_at": iso_utc(r.reached_at) if r.reached_at else None,
        "decision": r.decision, "appointment": _appointment(r.appointment),
        # Staff see who decided an appeal and their note, on top of what the requester sees.
        "appeal": {**(_appeal(r, policy, now, _) or {}), **r.appeal} if r.appeal else
        _appeal(r, policy, now, _),
        # An overturn that booked the visit already leaves no grant to make.
        "next_steps": [s for s in workflow.steps_from(r.status)
                       if not (s in ("grant", "withdraw") and r.appointment)
                       and not (s == "acknowledge_breach" and not r.supervisor_flag)
                       and not (s == "assign" and owed(r) is None)],
        "audit": r.audit,
    }
