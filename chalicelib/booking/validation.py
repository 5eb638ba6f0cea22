"""Request bodies: strict shapes, unknown fields rejected, errors that never echo the input."""
from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, TypeVar

from pydantic import (BaseModel, ConfigDict, EmailStr, Field, ValidationError,
                      field_validator, model_validator)

from chalicelib import errors, json_body
from chalicelib.booking.domain import ACCOMMODATION_CODES, LANGUAGES, REASON_CODES

MAX_BODY_BYTES = 16 * 1024

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AA AE AP".split())
_NAME = r"^[^\W\d_](?:[^\W\d_]|[ '’.\-])*$"
_PHONE_DIGITS = re.compile(r"\d")

Model = TypeVar("Model", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Address(_Strict):
    line1: str = Field(min_length=1, max_length=100)
    line2: str | None = Field(default=None, max_length=100)
    city: str = Field(min_length=1, max_length=60)
    state: str = Field(min_length=2, max_length=2)
    zip: str = Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$")

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value.upper() not in US_STATES:
            raise ValueError("not a US state or territory code")
        return value.upper()


class Applicant(_Strict):
    first_name: str = Field(min_length=1, max_length=60, pattern=_NAME)
    last_name: str = Field(min_length=1, max_length=60, pattern=_NAME)
    date_of_birth: date
    email: EmailStr | None = None
    phone: str = Field(min_length=7, max_length=25, pattern=r"^\+?[\d ().\-]+$")
    address: Address

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth_date(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("date of birth is in the future")
        if value.year < 1900:
            raise ValueError("date of birth is before 1900")
        return value

    @field_validator("phone")
    @classmethod
    def _enough_digits(cls, value: str) -> str:
        digits = len(_PHONE_DIGITS.findall(value))
        if not 10 <= digits <= 15:
            raise ValueError("a phone number has 10 to 15 digits")
        return value


class Reason(_Strict):
    category: Literal[REASON_CODES]  # type: ignore[valid-type]
    details: str = Field(default="", max_length=1000)


class BookingRequest(_Strict):
    slot_id: str = Field(min_length=1, max_length=80)
    applicant: Applicant
    a_number: str | None = Field(default=None, pattern=r"^[Aa]?-?[0-9]{8,9}$")
    receipt_number: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}[0-9]{10}$")
    reason: Reason
    language: Literal[LANGUAGES] = "en"  # type: ignore[valid-type]
    accommodations: list[Literal[ACCOMMODATION_CODES]] = Field(  # type: ignore[valid-type]
        default_factory=list, max_length=len(ACCOMMODATION_CODES))
    contact_method: Literal["email", "mail"] = "email"

    @field_validator("a_number")
    @classmethod
    def _canonical_a_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return "A" + re.sub(r"\D", "", value).zfill(9)

    @field_validator("receipt_number")
    @classmethod
    def _upper_receipt(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @model_validator(mode="after")
    def _email_for_email_contact(self) -> "BookingRequest":
        if self.contact_method == "email" and not self.applicant.email:
            raise ValueError("an email address is required when contact_method is email")
        return self


class Proof(_Strict):
    last_name: str = Field(min_length=1, max_length=60)
    date_of_birth: date


class RescheduleRequest(Proof):
    slot_id: str = Field(min_length=1, max_length=80)


def parse_json(raw: bytes | None) -> Any:
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge(f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
    if not raw:
        raise errors.MalformedJson("The request needs a JSON body.")
    return json_body.loads(raw)


def parse(model: type[Model], raw: bytes | None) -> Model:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise errors.ValidationFailed([{"field": "", "code": "type",
                                        "message": "the body must be a JSON object"}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise errors.ValidationFailed([_describe(e) for e in error.errors()]) from None


def _describe(error: dict) -> dict[str, str]:
    # Only the path, the rule and pydantic's generic message: never `input`, which may be PII.
    message = error["msg"]
    field = ".".join(str(p) for p in error["loc"])
    if error["type"].startswith("value_error"):
        message = message.removeprefix("Value error, ")
    if field.endswith("email"):
        message = "not a valid email address"  # the validator's detail can quote the address
    return {"field": field, "code": error["type"],
            "message": message}
