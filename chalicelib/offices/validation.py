"""Office settings request bodies: strict shapes (unknown fields rejected). The rules that span
fields (hours in order, whole slots, closure ranges) are the domain's (chalicelib/offices/domain.py)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from chalicelib.booking.validation import _Strict, parse  # noqa: F401 - parse is re-exported
from chalicelib.offices.domain import CLOSURE_REASONS, MODES

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class ScheduleBody(_Strict):
    """A weekly schedule from `effective_from` on: hours per weekday in office time."""
    effective_from: date
    slot_minutes: int = Field(ge=5, le=240)
    capacity: int = Field(ge=1, le=50, description="seats per slot")
    reserved_seats: int = Field(default=0, ge=0, le=49,
                                description="of the seats per slot, kept for triage grants and "
                                            "staff bookings until the release lead time")
    release_lead_hours: int = Field(default=48, ge=1, le=336,
                                    description="hours before a slot starts when its unused "
                                                "reserved seats go to the public")
    hours: dict[Literal["mon", "tue", "wed", "thu", "fri"],
                list[tuple[str, str]]] = Field(max_length=5)
    version: int | None = Field(default=None, ge=1,
                                description="the version read (or send it as If-Match)")


class ModeBody(_Strict):
    mode: Literal[MODES]  # type: ignore[valid-type]
    version: int | None = Field(default=None, ge=1)


class ClosureBody(_Strict):
    """Whole days (`YYYY-MM-DD`, both included) or an office-time range (`YYYY-MM-DDTHH:MM`)."""
    from_: str = Field(alias="from", min_length=10, max_length=16)
    to: str = Field(min_length=10, max_length=16)
    reason_code: Literal[CLOSURE_REASONS]  # type: ignore[valid-type]
    note: str = Field(default="", max_length=500)
    version: int | None = Field(default=None, ge=1)


# --- assisted digital: staff act for a caller or walk-in ---------------------------------------

from chalicelib.booking.validation import (BookingRequest, Proof,  # noqa: E402
                                           RescheduleRequest)

# How the staff member established who the caller is; coded in the audit, never the evidence.
IDENTITY_CHECKS = ("photo_id_in_person", "a_number_and_birth_date", "receipt_notice",
                   "security_questions_phone")


class AssistedBooking(BookingRequest):
    identity_check: Literal[IDENTITY_CHECKS]  # type: ignore[valid-type]
    # Staff book from the reserve or a free seat, never with a member of the public's hold.
    hold_id: None = Field(default=None, exclude=True)


class AssistedCancellation(Proof):
    identity_check: Literal[IDENTITY_CHECKS]  # type: ignore[valid-type]


class AssistedReschedule(RescheduleRequest):
    identity_check: Literal[IDENTITY_CHECKS]  # type: ignore[valid-type]
