"""The waitlist's answers (the contract of its routes; no personal data in any of them)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.booking import responses as booking
from chalicelib.contract import Body, optional

LocalTime = Field(description="Office-local time with its UTC offset (ISO 8601).",
                  json_schema_extra={"format": "date-time"})


class WaitlistOffer(Body):
    """A seat held for this person until `expires_at`: accept it to book it."""
    slot_id: str
    start: str = LocalTime
    expires_at: str = Field(description="UTC.", json_schema_extra={"format": "date-time"})
    expires_at_local: str = LocalTime
    expires_in_seconds: int = Field(ge=0)


class WaitlistEntry(Body):
    waitlist_id: str = Field(description="16 hex digits; with the last name and date of birth "
                                         "it proves the entry is yours.")
    status: Literal["waiting", "offered", "booked", "left", "expired", "offer_lapsed"]
    office_id: str
    timezone: str = Field(description="IANA time zone of the office.")
    from_: str = Field(alias="from", description="First office-local date, inclusive.",
                       json_schema_extra={"format": "date"})
    to: str = Field(description="Last office-local date, inclusive.",
                    json_schema_extra={"format": "date"})
    language: str
    contact_method: Literal["email", "mail"]
    offer: WaitlistOffer | None = Field(description="Set while an offer is open.")
    confirmation_number: str | None = Field(description="Set once an offer was accepted.")
    position: int | None = Field(
        ge=1, description="While waiting: your place in line, 1 + the people still waiting at "
                          "this office who joined before you and whose dates share a day with "
                          "yours (they are offered a seat you could both take first). Null "
                          "otherwise.")


class WaitlistAccepted(WaitlistEntry):
    appointment: booking.Booking
