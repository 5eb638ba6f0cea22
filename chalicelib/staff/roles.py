"""The staff roles: Cognito groups of the staff user pool, one group per role.

- tier1: contact-centre agents (any office): triage first contact, booking for callers.
- tier2: field-office officers: callbacks and triage decisions for their office.
- supervisor: appeals and oversight of their office's requests.
- office_admin: their office's schedule, closures, mode and letters.
- headquarters: every office's schedule, closures and mode; published performance.
- front_desk: their office's day: roster, check-in, no-shows, booking for walk-ins.
"""
from __future__ import annotations

TIER1, TIER2, SUPERVISOR, OFFICE_ADMIN = "tier1", "tier2", "supervisor", "office_admin"
HEADQUARTERS, FRONT_DESK = "headquarters", "front_desk"
# Least to most privileged: infra gives the later ones the higher Cognito group precedence.
STAFF_ROLES = (TIER1, FRONT_DESK, TIER2, SUPERVISOR, OFFICE_ADMIN, HEADQUARTERS)
# Roles that act for one field office only: a token in one of them must carry `custom:office_id`.
OFFICE_BOUND = frozenset({TIER2, SUPERVISOR, FRONT_DESK})
