"""The shapes of the booking API's answers (the `representation` functions build them); the
contract checks every 2xx body against these and `openapi.json` publishes them."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.booking.domain import ACCOMMODATION_CODES, LANGUAGES, REASON_CODES
from chalicelib.contract import Body, optional

Language = Literal[LANGUAGES]  # type: ignore[valid-type]
ReasonCode = Literal[REASON_CODES]  # type: ignore[valid-type]
LocalTime = Field(description="Office-local time with its UTC offset (ISO 8601).",
                  json_schema_extra={"format": "date-time"})


class Health(Body):
    status: Literal["ok"]


class OfficeAddress(Body):
    line1: str
    line2: str | None = optional()
    city: str
    state: str
    zip: str


class OfficeSummary(Body):
    id: str
    name: str
    address: OfficeAddress
    timezone: str = Field(description="IANA time zone of the office.")
    scheduling: Literal["self_service", "contact_center"] = Field(
        description="self_service: book online; contact_center: submit a service request.")
    distance_miles: float | None = optional("From the ZIP code searched (office search only).")
    request_path: str | None = optional("Where to ask for a visit when scheduling is "
                                        "contact_center.")


class OfficesNear(Body):
    zip: str
    offices: list[OfficeSummary]


class Closure(Body):
    date: str = Field(json_schema_extra={"format": "date"})
    reason: str | None = optional()


class Schedule(Body):
    slot_minutes: int
    capacity: int
    hours: dict[str, list[list[str]]] = Field(
        description="Opening hours by weekday (mon..sun): [[\"08:00\", \"12:00\"], ...].")


class OfficeDetail(OfficeSummary):
    latitude: float
    longitude: float
    services: list[ReasonCode]
    schedule: Schedule
    closures: list[Closure]


class Slot(Body):
    slot_id: str = Field(description="Pass to POST /v1/appointments.")
    start: str = LocalTime
    end: str = LocalTime
    available: int = Field(ge=0, description="Seats still open.")


class Slots(Body):
    office_id: str
    timezone: str
    slots: list[Slot]


class ReasonLabel(Body):
    code: ReasonCode
    label: str


class Reasons(Body):
    language: Language
    reasons: list[ReasonLabel]


class Languages(Body):
    languages: list[Language]
    default: Language


class Booking(Body):
    confirmation_number: str
    status: Literal["booked", "cancelled"]
    office: OfficeSummary
    start: str = LocalTime
    end: str = LocalTime
    what_to_bring: list[str]


class ApplicantContact(Body):
    first_name: str
    last_name: str
    email: str | None
    phone: str


class AppointmentReason(Body):
    category: ReasonCode
    details: str


class Appointment(Booking):
    """Shown only after the caller proved who they are."""
    version: int
    slot_id: str
    timezone: str
    changes_close_at: str = Field(description="Online changes close at this office-local time.",
                                  json_schema_extra={"format": "date-time"})
    applicant: ApplicantContact
    reason: AppointmentReason
    language: Language
    contact_method: Literal["email", "mail"]
    accommodations: list[Literal[ACCOMMODATION_CODES]]  # type: ignore[valid-type]
    contact_center_phone: str
