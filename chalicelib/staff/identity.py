"""Who a staff member is (from their verified token) and who takes a step. Plain Python."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    subject: str
    roles: frozenset[str]
    office_id: str | None
    expires_at: int


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a staff member (token subject, the role the step was taken in, the
    office a Tier 2 officer or supervisor belongs to), the requester, or a job."""
    id: str
    role: str
    office_id: str | None = None
