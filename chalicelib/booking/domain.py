"""Booking rules in plain Python: confirmation numbers, identities, proofs, change windows."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from chalicelib import errors, identity

LANGUAGES = ("en", "es", "zh-Hans", "zh-Hant", "vi", "ko", "tl", "ru", "ar", "fr", "ht", "pt")
REASON_CODES = ("case_inquiry", "emergency_travel_document", "evidence_of_status",
                "document_error", "interview_documents", "accommodation_request", "other")
ACCOMMODATION_CODES = ("wheelchair_access", "sign_language_interpreter", "language_interpreter",
                       "hearing_assistance", "visual_assistance", "service_animal", "seating",
                       "other")
WHAT_TO_BRING = ("appointment_notice", "photo_id", "immigration_documents", "case_documents",
                 "g28_if_attorney")

# Crockford's base32: no I, L, O or U, so a number read aloud over a phone is unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0"})
CONFIRMATION_LENGTH = 12  # 60 bits of randomness


def new_confirmation_number() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CONFIRMATION_LENGTH))


def normalize_confirmation_number(raw: str) -> str | None:
    """Accept what people type or say: any case, dashes or spaces, O for 0, I/L for 1."""
    cleaned = "".join(ch for ch in raw.upper() if ch not in "- ").translate(_READ_ALIKES)
    if len(cleaned) != CONFIRMATION_LENGTH or any(ch not in _ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_confirmation_number(cn: str) -> str:
    return "-".join(cn[i:i + 4] for i in range(0, len(cn), 4))


def normalize_name(name: str) -> str:
    """How a last name is compared in a proof: case, accents, spacing and punctuation do not
    matter. (Proofs keep this folding so existing appointments' proofs stay valid; person keys
    fold look-alike letters too, see `chalicelib.identity`.)"""
    return identity.legacy_fold_name(name)


def _keyed_hash(pepper: str, *parts: str) -> str:
    return identity.keyed_hash(pepper, *parts)


# One person, one key: first and last name and date of birth, look-alike letters folded.
person_key = identity.person_key


def proof_digest(pepper: str, confirmation_number: str, last_name: str,
                 date_of_birth: date) -> str:
    return _keyed_hash(pepper, "proof", confirmation_number, normalize_name(last_name),
                       date_of_birth.isoformat())


def proof_matches(pepper: str, stored_digest: str, confirmation_number: str, last_name: str,
                  date_of_birth: date) -> bool:
    candidate = proof_digest(pepper, confirmation_number, last_name, date_of_birth)
    return hmac.compare_digest(candidate, stored_digest)


@dataclass(frozen=True)
class Policy:
    booking_window_days: int = 14
    change_cutoff: timedelta = timedelta(hours=24)
    min_interval: timedelta = timedelta(days=180)
    max_active_per_contact: int = 2


def ensure_changeable(status: str, start: datetime, now: datetime, policy: Policy,
                      zone: str | None = None) -> None:
    """`zone`: the office's, in which `changes_close_at` is shown (as lookup shows it)."""
    if status != "booked":
        raise errors.NotChangeable()
    closes = start - policy.change_cutoff
    if now >= closes:
        hours = int(policy.change_cutoff.total_seconds() // 3600)
        raise errors.TooLate(
            "Online changes close {cutoff_hours} hours before the appointment; "
            "call the contact center at {contact_center_phone}.",
            cutoff_hours=hours, contact_center_phone="1-800-375-5283",
            changes_close_at=closes.astimezone(ZoneInfo(zone) if zone else start.tzinfo)
            .isoformat())


def ensure_cancellable(status: str, start: datetime, now: datetime) -> None:
    """A seat can be given back until the appointment starts: the change cutoff is for moves
    only, since refusing a cancellation just turns the person into a no-show."""
    if status != "booked":
        raise errors.NotChangeable()
    if now >= start:
        raise errors.TooLate("The appointment has already started.")


def changes_close(start: datetime, policy: Policy) -> datetime:
    return start - policy.change_cutoff


def ensure_bookable(start: datetime, now: datetime, last_day: date, office_tz) -> None:
    if start <= now:
        raise errors.SlotUnavailable("That time has already passed.")
    if start.astimezone(office_tz).date() > last_day:
        raise errors.SlotUnavailable("That time is outside the booking window.")


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Appointment:
    """An appointment as the service sees it; the repository maps it to and from storage."""
    confirmation_number: str
    status: str
    version: int
    office_id: str
    slot_id: str
    start: datetime
    end: datetime
    timezone: str
    person_key: str
    proof: str
    applicant: dict
    reason: dict
    language: str
    contact_method: str
    a_number: str | None = None
    receipt_number: str | None = None
    accommodations: list[str] = field(default_factory=list)
    # The contact seats this appointment holds ("<contact key>#<seat>"), released on cancel.
    contact_seats: list[str] = field(default_factory=list)
    # The pool its seat came from ("public" or "reserved"): where a cancellation returns it.
    seat_pool: str = "public"
    created_at: datetime | None = None
    updated_at: datetime | None = None
