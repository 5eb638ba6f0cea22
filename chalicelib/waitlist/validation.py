"""The waitlist's request bodies."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from chalicelib.booking.domain import LANGUAGES
from chalicelib.booking.validation import Applicant, BirthDate, Reason, _Strict, N_


class WaitlistRequest(_Strict):
    office_id: str = Field(min_length=1, max_length=40)
    # Office-local dates, inclusive, YYYY-MM-DD only (as birth dates are read).
    from_: BirthDate = Field(alias="from")
    to: BirthDate
    applicant: Applicant
    # What the visit is about, as in a booking; a seat offered from the waitlist is booked with it.
    reason: Reason = Field(default_factory=lambda: Reason(category="other"))
    language: Literal[LANGUAGES] = "en"  # type: ignore[valid-type]
    contact_method: Literal["email", "mail"] = "email"

    @model_validator(mode="after")
    def _email_for_email_contact(self) -> "WaitlistRequest":
        if self.contact_method == "email" and not self.applicant.email:
            raise ValueError(N_("an email address is required when contact_method is email"))
        return self
