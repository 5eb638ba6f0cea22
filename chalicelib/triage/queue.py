"""What a line of the Tier 2 queue (and of the headquarters view) holds: enough to pick the next
request, no personal data. The line is kept with each request and is all the queue indexes
project, so reading a page costs about what the page shows (whole requests cost 3.3 times as
much: applicant, contact, audit)."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.triage import workflow
from chalicelib.triage.domain import ServiceRequest, iso_utc


@dataclass(frozen=True)
class Queued:
    """One request as the queue indexes return it: its line and its index key (the cursor)."""
    key: str
    line: dict

    @property
    def request_id(self) -> str:
        return self.line["request_id"]


def queue_line(r: ServiceRequest) -> dict:
    """Times in UTC; the view puts them in the office's zone."""
    return {
        "request_id": r.request_id, "status": r.status, "level": r.level,
        "due_on": r.due_on.isoformat(), "due_at": iso_utc(r.due_at), "timezone": r.timezone,
        "expecting": workflow.expectation(r.status, r.reached_at is not None,
                                          r.appointment is not None),
        "due_cap": r.due_cap, "deadline_reminder": r.reminded_for == iso_utc(r.due_at),
        "supervisor_flag": r.supervisor_flag, "breaches": len(r.breaches),
        "escalation": r.escalation, "assigned_to": (r.assignee or {}).get("officer"),
        "office_id": r.office_id, "transferred": bool(r.transfers),
        "possible_duplicate": r.duplicate_of is not None, "inquiry_type": r.inquiry_type,
        "channel": r.channel, "interpreter_needed": r.contact.get("interpreter_needed", False),
        "language": r.language, "callback": r.callback,
        "failed_callback_attempts": r.failed_attempts(), "reached": r.reached_at is not None,
        "created_at": iso_utc(r.created_at), "version": r.version,
    }
