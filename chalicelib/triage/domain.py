"""Service requests as the triage service sees them: ids, proofs, the audit trail. Plain Python."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from chalicelib.booking.domain import iso_utc, proof_digest, proof_matches  # noqa: F401
from chalicelib.staff.identity import Actor

# Crockford's base32, as confirmation numbers: readable over a phone, no I, L, O or U.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
REQUEST_ID_LENGTH = 16  # 80 random bits: not guessable, not enumerable


def new_request_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(REQUEST_ID_LENGTH))


def normalize_request_id(raw: str) -> str | None:
    cleaned = "".join(ch for ch in raw.upper() if ch not in "- ").translate(_READ_ALIKES)
    if len(cleaned) != REQUEST_ID_LENGTH or any(ch not in _ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_request_id(request_id: str) -> str:
    return "-".join(request_id[i:i + 4] for i in range(0, len(request_id), 4))


REQUESTER = Actor("requester", "requester")
SYSTEM = Actor("deadline-job", "system")


@dataclass(frozen=True)
class AuditEntry:
    """One step. Codes and ids only: never names, birth dates, phone numbers or text typed by
    the requester (or notes typed by staff, which may quote them)."""
    at: datetime
    actor: str
    role: str
    step: str
    from_state: str | None
    to_state: str
    reason_code: str | None = None
    level_from: str | None = None
    level_to: str | None = None

    def to_dict(self) -> dict[str, Any]:
        entry = {"at": iso_utc(self.at), "actor": self.actor, "role": self.role,
                 "step": self.step, "from": self.from_state, "to": self.to_state,
                 "reason_code": self.reason_code}
        if self.level_from or self.level_to:
            entry.update(level_from=self.level_from, level_to=self.level_to)
        return entry


@dataclass
class ServiceRequest:
    request_id: str
    status: str
    version: int
    channel: str  # online | phone
    office_id: str
    timezone: str
    person_key: str
    proof: str
    # PII, shown only to staff and to the proven requester; never in logs, events or the audit.
    applicant: dict  # first_name, last_name, date_of_birth, phone, email?, address?
    contact: dict  # callback_period, language, interpreter_needed, contact_method
    zip: str
    inquiry_type: str
    description: str
    case_facts: dict  # filed_date?, deadlines: [{date, kind, note}]
    circumstances: list[dict]  # [{kind, note}]
    criteria_version: str
    computed_level: str  # what the criteria gave
    fired: list[str]
    level: str  # in force: computed, or an officer's override
    due_on: date
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    a_number: str | None = None
    receipt_number: str | None = None
    override: dict | None = None  # {level, reason_code, note, by, at}
    callback: dict | None = None  # {scheduled_for, by}
    attempts: list[dict] = field(default_factory=list)  # [{at, outcome, by}]
    reached_at: datetime | None = None
    decision: dict | None = None  # {kind, code, note, by, role, at}
    appointment: dict | None = None
    appeal: dict | None = None  # {requested_at, statement, decision?}
    reminded_for: str | None = None  # the due_at a Tier 2 reminder was raised for
    breaches: list[dict] = field(default_factory=list)  # [{at, missed_due_on, new_due_on}]
    supervisor_flag: dict | None = None  # {reason, expecting, at, acknowledged?}
    escalation: dict | None = None  # {to: headquarters, at, breaches} after repeated breaches
    breached_for: str | None = None  # the due_at held overdue (escalated, not rolled forward)
    assignee: dict | None = None  # {officer, by, at}: who owns the next step
    transfers: list[dict] = field(default_factory=list)  # [{from, to, reason_code, note, by, at}]
    added_information: list[dict] = field(default_factory=list)  # [{at, note}] requester's
    duplicate_of: str | None = None  # another open request of the same person (staff only)
    cancelled_visits: list[dict] = field(default_factory=list)  # appointments the person cancelled
    rebooked: list[dict] = field(default_factory=list)  # [{by, role, note, at}] after a cancel
    pending_downgrade: dict | None = None  # {level, reason_code, note, by, role, at}
    due_cap: dict | None = None  # {deadline_on, kind, uncapped_on}: a stated deadline came first
    audit: list[dict] = field(default_factory=list)
    pending_notices: set[str] = field(default_factory=set)

    @property
    def language(self) -> str:
        return self.contact.get("language", "en")

    def failed_attempts(self) -> int:
        return sum(1 for a in self.attempts if a["outcome"] != "reached")
