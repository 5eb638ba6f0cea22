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
    home_region: str | None = optional(
        "Multi-region stages: the region whose API serves this office (README \"Regions\").")
    api_base_url: str | None = optional(
        "Multi-region stages: that region's API base URL; send this office's requests there.",
        json_schema_extra={"format": "uri"})


class OfficesNear(Body):
    zip: str
    offices: list[OfficeSummary]


class Closure(Body):
    """A day or time range the office is closed (no staff names, no staff notes)."""
    from_: str = Field(alias="from", description="As set, office time: YYYY-MM-DD (whole "
                                                 "days) or YYYY-MM-DDTHH:MM.")
    to: str = Field(description="As set: the last closed day, or the end time (excluded).")
    start: str = Field(description="UTC.", json_schema_extra={"format": "date-time"})
    end: str = Field(description="UTC, excluded.", json_schema_extra={"format": "date-time"})
    reason_code: str


class Schedule(Body):
    effective_from: str | None = optional("The first office-local day it applies to.",
                                          json_schema_extra={"format": "date"})
    slot_minutes: int
    capacity: int
    reserved_seats: int | None = optional("Of the seats per slot, kept for triage grants and "
                                          "staff bookings until the release lead time.")
    release_lead_hours: int | None = optional("Hours before a slot starts when its unused "
                                              "reserved seats go to the public.")
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
    available: int = Field(ge=0, description="Seats still open to this caller.")
    reserved: int | None = optional("Staff only: of those, seats kept for triage grants and "
                                    "staff bookings (taken first).")


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


AppointmentStatus = Literal["booked", "cancelled", "checked_in", "no_show"]


class ApplicantContact(Body):
    first_name: str
    last_name: str
    email: str | None
    phone: str


class AppointmentReason(Body):
    category: ReasonCode
    details: str
    service_request: str | None = optional("The service request this visit was granted for "
                                           "(triage).")


class Booking(Body):
    """An appointment as its booking answers it: what lookup shows, without the applicant."""
    confirmation_number: str
    status: AppointmentStatus
    status_label: str | None = optional("The status in the caller's language.")
    version: int = Field(description="Changes with every change to the appointment.")
    slot_id: str
    office: OfficeSummary
    timezone: str = Field(description="IANA time zone of the office.")
    start: str = LocalTime
    end: str = LocalTime
    changes_close_at: str = Field(description="Online reschedules close at this office-local "
                                              "time; cancelling stays open until `start`.",
                                  json_schema_extra={"format": "date-time"})
    changes_closed: bool = Field(description="True once online reschedules are closed.")
    what_to_bring: list[str]
    reason: AppointmentReason
    language: Language
    contact_method: Literal["email", "mail"]
    accommodations: list[Literal[ACCOMMODATION_CODES]]  # type: ignore[valid-type]
    contact_center_phone: str


class Appointment(Booking):
    """Shown only after the caller proved who they are."""
    applicant: ApplicantContact


class Hold(Body):
    """A seat held while the booking form is filled in; book with `hold_id` to use it."""
    hold_id: str = Field(description="The only key to the hold: keep it private.")
    status: Literal["active", "converted", "released", "expired"]
    slot_id: str
    office_id: str
    timezone: str
    start: str = LocalTime
    expires_at: str = Field(description="UTC.", json_schema_extra={"format": "date-time"})
    expires_at_local: str = LocalTime
    expires_in_seconds: int = Field(ge=0)
    extendable: bool = Field(description="True while the hold can still be extended (once).")
