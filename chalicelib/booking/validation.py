"""Request bodies: strict shapes, unknown fields rejected, errors that never echo the input."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, ValidationError,
                      field_validator, model_validator)

from chalicelib import errors, json_body
from chalicelib.booking.domain import ACCOMMODATION_CODES, LANGUAGES, REASON_CODES
from chalicelib.i18n import N_

MAX_BODY_BYTES = 16 * 1024

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AA AE AP".split())
# A letter, then letters (with their combining marks), spaces, apostrophes, dots and hyphens.
# Written with `\p{..}` classes and [0-9] rather than `\W`/`\d`, which mean different things in
# Python, Rust (pydantic) and JavaScript: openapi.json publishes these patterns to browsers.
_NAME = r"^\p{L}[\p{L}\p{M} '’.-]*$"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Numbers without a country code are read as US numbers; "+" numbers may be from anywhere.
PHONE_REGION = "US"
# Published for clients: 10 to 15 digits (a US number, or E.164 with its country code).
_PHONE = r"^\+?[ ().-]*(?:[0-9][ ().-]*){10,15}$"

Model = TypeVar("Model", bound=BaseModel)


def _iso_date_only(value: Any) -> Any:
    """Only the `YYYY-MM-DD` spelling: pydantic's lax dates also take epoch numbers and
    midnight datetimes, and a birth date that parses several ways is a guess, not a fact.
    (A `date` object comes only from code, never from JSON.)"""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(N_("Enter a date as YYYY-MM-DD."))
    return value


def _plausible_birth_date(value: date) -> date:
    if value > date.today():
        raise ValueError(N_("date of birth is in the future"))
    if value.year < 1900:
        raise ValueError(N_("date of birth is before 1900"))
    return value


# A date of birth wherever one is sent: booking, proofs (lookup, cancel, reschedule, triage).
BirthDate = Annotated[date, BeforeValidator(_iso_date_only)]


def e164_phone(value: str) -> str:
    """The number in E.164 (`+16175550100`), or ValueError when it cannot be a real number."""
    # Imported on first use: only bodies with a phone number need the metadata.
    import phonenumbers

    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(N_("Enter a phone number that can be dialed, with its area code.")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(N_("Enter a phone number that can be dialed, with its area code."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class _Strict(BaseModel):
    # Validators are built on a body's first parse, not at import (cold start, issue 14).
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Address(_Strict):
    line1: str = Field(min_length=1, max_length=100)
    line2: str | None = Field(default=None, max_length=100)
    city: str = Field(min_length=1, max_length=60)
    # Any case is accepted; the schema lists the canonical upper-case codes for clients.
    state: str = Field(min_length=2, max_length=2,
                       json_schema_extra={"enum": sorted(US_STATES)})
    zip: str = Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$")

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        if value.upper() not in US_STATES:
            raise ValueError(N_("not a US state or territory code"))
        return value.upper()


class Applicant(_Strict):
    first_name: str = Field(min_length=1, max_length=60, pattern=_NAME)
    last_name: str = Field(min_length=1, max_length=60, pattern=_NAME)
    date_of_birth: BirthDate
    email: EmailStr | None = None
    # The published pattern also states the 10 to 15 digits a real number has (`_e164` checks
    # the number itself), so a client can check a phone number before sending it.
    phone: str = Field(min_length=7, max_length=25, pattern=r"^\+?[0-9 ().-]+$",
                       json_schema_extra={"pattern": _PHONE})
    address: Address

    @field_validator("date_of_birth")
    @classmethod
    def _plausible(cls, value: date) -> date:
        return _plausible_birth_date(value)

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return e164_phone(value)


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
    # A hold (POST /v1/holds) on this slot: its seat becomes the booking's.
    hold_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")

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
            raise ValueError(N_("an email address is required when contact_method is email"))
        return self


class Proof(_Strict):
    last_name: str = Field(min_length=1, max_length=60)
    date_of_birth: BirthDate


class RescheduleRequest(Proof):
    slot_id: str = Field(min_length=1, max_length=80)


def parse_json(raw: bytes | None) -> Any:
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise errors.PayloadTooLarge("Request bodies are limited to {max_bytes} bytes.",
                                     max_bytes=MAX_BODY_BYTES)
    if not raw:
        raise errors.MalformedJson("The request needs a JSON body.")
    return json_body.loads(raw)


def parse(model: type[Model], raw: bytes | None) -> Model:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise errors.ValidationFailed([{"field": "", "code": "type",
                                        "message": N_("The body must be a JSON object.")}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise errors.ValidationFailed(_describe_all(error.errors())) from None


def _describe_all(errors_: list[dict]) -> list[dict]:
    """Each failing field by path, with a stable `code` and a message for people (an English
    gettext msgid; `problems.localized` translates it and fills in `{placeholders}` from the
    entry). Never the submitted value, never a pattern, never pydantic's own text (it can quote
    either). Unknown fields are counted under the object that held them, never named: a caller
    who typed an email address as a field name must not get it back."""
    described, unknown = [], {}
    for error in errors_:
        path = [str(p) for p in error["loc"]]
        if error["type"] == "extra_forbidden":
            parent = ".".join(path[:-1])
            unknown[parent] = unknown.get(parent, 0) + 1
            continue
        described.append(_describe(error, ".".join(path)))
    for parent, count in unknown.items():
        described.append({"field": parent, "code": "unknown_field", "count": count,
                          "message": N_("Remove the fields this request does not accept "
                                        "({count}).")})
    return described


# pydantic error types -> our message (English msgid), by the rule that failed.
_MESSAGES = {
    "missing": N_("This field is required."),
    "string_type": N_("Enter text here."),
    "bool_type": N_("Enter true or false."),
    "int_type": N_("Enter a whole number."),
    "int_parsing": N_("Enter a whole number."),
    "list_type": N_("Enter a list."),
    "model_type": N_("Enter an object with the fields this request accepts."),
    "model_attributes_type": N_("Enter an object with the fields this request accepts."),
    "dict_type": N_("Enter an object with the fields this request accepts."),
    "literal_error": N_("Choose one of the allowed values."),
    "enum": N_("Choose one of the allowed values."),
    "string_too_long": N_("Use at most {max_length} characters."),
    "too_long": N_("Give at most {max_length} items."),
    "too_short": N_("Give at least {min_length} items."),
    "date_type": N_("Enter a date as YYYY-MM-DD."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": N_("Enter a date as YYYY-MM-DD."),
    "datetime_type": N_("Enter a date and time with its UTC offset, such as "
                        "2026-05-04T09:30:00-04:00."),
    "datetime_parsing": N_("Enter a date and time with its UTC offset, such as "
                           "2026-05-04T09:30:00-04:00."),
    "datetime_from_date_parsing": N_("Enter a date and time with its UTC offset, such as "
                                     "2026-05-04T09:30:00-04:00."),
    "timezone_aware": N_("Enter a date and time with its UTC offset, such as "
                         "2026-05-04T09:30:00-04:00."),
}
# Fields whose format is a pattern: say what is expected in words, never the pattern.
_FORMATS = {
    "first_name": N_("Use letters, spaces, apostrophes, periods and hyphens, starting with a "
                     "letter."),
    "last_name": N_("Use letters, spaces, apostrophes, periods and hyphens, starting with a "
                    "letter."),
    "phone": N_("Enter a phone number using digits, spaces, parentheses, periods or hyphens."),
    "zip": N_("Enter a ZIP code such as 02108 or 02108-1234."),
    "a_number": N_("Enter an A-number: 8 or 9 digits, with or without the leading A."),
    "receipt_number": N_("Enter a receipt number: 3 letters followed by 10 digits."),
}
_NOT_VALID = N_("This value is not valid.")


def _describe(error: dict, field: str) -> dict:
    kind, context = error["type"], error.get("ctx") or {}
    name = field.rsplit(".", 1)[-1]
    entry: dict = {"field": field, "code": kind}
    if name == "email" and kind != "missing":
        message = N_("Enter a valid email address.")  # the validator's text quotes the address
    elif kind == "string_too_short":
        entry["min_length"] = context.get("min_length", 1)
        message = (N_("This field must not be empty.") if entry["min_length"] <= 1
                   else N_("Use at least {min_length} characters."))
    elif kind == "string_pattern_mismatch":
        message = _FORMATS.get(name, N_("This is not in the expected format."))
    elif kind == "value_error":
        # Our own validators' texts (this module and triage's): no input in them.
        message = str(error["msg"]).removeprefix("Value error, ")
    else:
        message = _MESSAGES.get(kind, _NOT_VALID)
        for limit in ("max_length", "min_length"):
            if "{" + limit + "}" in message:
                entry[limit] = context.get(limit)
    entry["message"] = message
    return entry


class HoldRequest(_Strict):
    """`POST /v1/holds`: the slot to hold a seat of while the booking form is filled in."""
    slot_id: str = Field(min_length=1, max_length=80)
