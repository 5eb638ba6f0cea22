"""The shapes of the office operations API's answers (service, roster and assisted digital build
them); the contract checks every 2xx body against these and `openapi.json` publishes them."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from chalicelib.booking.responses import Booking, Schedule
from chalicelib.contract import Body
from chalicelib.offices.domain import CLOSURE_REASONS, MODES
from chalicelib.offices.roster import CHECKED_IN, COMPLETED, NO_SHOW
from chalicelib.offices.validation import IDENTITY_CHECKS

_DATE = {"format": "date"}
_UTC = {"format": "date-time"}


class StaffClosure(Body):
    """A closure as its office's admins see it: with their note."""
    model_config = ConfigDict(populate_by_name=True)
    closure_id: str
    from_: str = Field(alias="from", description="Office time: YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
    to: str
    reason_code: Literal[CLOSURE_REASONS]  # type: ignore[valid-type]
    note: str
    created_at: str = Field(description="UTC.", json_schema_extra=_UTC)


class OfficeSettings(Body):
    office_id: str
    name: str
    timezone: str
    mode: Literal[MODES]  # type: ignore[valid-type]
    version: int = Field(description="Send it back (If-Match or `version`) with a change.")
    schedules: list[Schedule] = Field(description="Weekly schedules, oldest first; each "
                                                  "applies from its `effective_from`.")
    closures: list[StaffClosure]


class SlotsAdjusted(Body):
    created: int
    removed: int
    resized: int
    kept_for_booked_seats: list[str] = Field(
        description="Slots a booking reached first: kept with their seats.")


class ScheduleChanged(OfficeSettings):
    slots: SlotsAdjusted


class SlotsReopened(Body):
    reopened: int
    created: int


class ClosureRemoved(OfficeSettings):
    slots: SlotsReopened


class ClosureAdded(Body):
    model_config = ConfigDict(populate_by_name=True)
    closure_id: str
    from_: str = Field(alias="from")
    to: str
    reason_code: Literal[CLOSURE_REASONS]  # type: ignore[valid-type]
    note: str
    created_at: str = Field(json_schema_extra=_UTC)
    start: str = Field(description="UTC.", json_schema_extra=_UTC)
    end: str = Field(description="UTC, excluded.", json_schema_extra=_UTC)
    slots_closed: int
    version: int = Field(description="The office settings' new version.")
    appointments_cancelled: int = Field(description="Cancelled (and told) before answering.")
    appointments_remaining: int = Field(description="Left for the closure job to cancel.")


class OfficeChange(Body):
    at: str = Field(json_schema_extra=_UTC)
    action: str
    actor: str
    role: str
    version: int
    old: dict[str, Any] | None
    new: dict[str, Any] | None


class OfficeChanges(Body):
    office_id: str
    changes: list[OfficeChange] = Field(description="Newest first.")


Attendance = Literal[CHECKED_IN, NO_SHOW, COMPLETED]  # type: ignore[valid-type]


class RosterLine(Body):
    """What the front desk needs, nothing more: no birth date, contact details or A-number."""
    confirmation_number: str
    start: str = Field(description="Office-local time with its UTC offset.",
                       json_schema_extra=_UTC)
    end: str = Field(json_schema_extra=_UTC)
    name: str
    reason: str | None
    accommodations: list[str]
    language: str
    interpreter_needed: bool
    attendance: Attendance | None


class Roster(Body):
    office_id: str
    date: str = Field(json_schema_extra=_DATE)
    timezone: str
    appointments: list[RosterLine]


class AttendanceMark(Body):
    confirmation_number: str
    attendance: Attendance
    marked_by: str
    marked_at: str = Field(description="UTC.", json_schema_extra=_UTC)


class BookedBy(Body):
    actor: str
    role: str
    identity_check: Literal[IDENTITY_CHECKS]  # type: ignore[valid-type]


class AssistedBookingMade(Booking):
    booked_by: BookedBy
