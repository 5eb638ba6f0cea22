"""Triage request bodies: strict shapes (unknown fields rejected), errors that list fields and rules
and never echo the input. Shares the booking context's applicant rules, so one person is spelled
the same way in both."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, Field, StrictBool, field_validator, model_validator

from chalicelib.booking.domain import LANGUAGES
from chalicelib.booking.validation import Address, Applicant, Proof, _Strict, parse
from chalicelib.i18n import N_
from chalicelib.triage.codes import (APPEAL_REASONS, ASSIGNMENT_REASONS, CALLBACK_OUTCOMES,
                                     CALLBACK_PERIODS, CALLBACK_TIME_REASONS, CIRCUMSTANCES,
                                     DEADLINE_KINDS, DENIAL_REASONS, ESCALATION_REASONS,
                                     INQUIRY_TYPES, LEVELS, OVERRIDE_REASONS,
                                     RESOLUTION_OUTCOMES, TRANSFER_REASONS)

Model = TypeVar("Model", bound=BaseModel)

MAX_DESCRIPTION = 2000
MAX_NOTE = 1000


class Requester(Applicant):
    """A booking applicant whose postal address is optional: a callback needs a phone."""
    address: Address | None = None


class DeadlineFact(_Strict):
    date: date
    kind: Literal[tuple(DEADLINE_KINDS)]  # type: ignore[valid-type]
    note: str = Field(default="", max_length=200)


class CaseFacts(_Strict):
    filed_date: date | None = None
    deadlines: list[DeadlineFact] = Field(default_factory=list, max_length=10)

    @field_validator("filed_date")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError(N_("the filing date is in the future"))
        return value


class Circumstance(_Strict):
    kind: Literal[tuple(CIRCUMSTANCES)]  # type: ignore[valid-type]
    note: str = Field(default="", max_length=300)


class ServiceRequestBody(_Strict):
    applicant: Requester
    callback_period: Literal[tuple(CALLBACK_PERIODS)]  # type: ignore[valid-type]
    language: Literal[LANGUAGES] = "en"  # type: ignore[valid-type]
    interpreter_needed: StrictBool = False
    contact_method: Literal["email", "mail"] = "email"
    zip: str = Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$")
    receipt_number: str | None = Field(default=None, pattern=r"^[A-Za-z]{3}[0-9]{10}$")
    a_number: str | None = Field(default=None, pattern=r"^[Aa]?-?[0-9]{8,9}$")
    inquiry_type: Literal[tuple(INQUIRY_TYPES)]  # type: ignore[valid-type]
    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    case_facts: CaseFacts = Field(default_factory=CaseFacts)
    circumstances: list[Circumstance] = Field(default_factory=list, max_length=len(CIRCUMSTANCES))

    @field_validator("a_number")
    @classmethod
    def _canonical_a_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return "A" + "".join(ch for ch in value if ch.isdigit()).zfill(9)

    @field_validator("receipt_number")
    @classmethod
    def _upper_receipt(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @field_validator("circumstances")
    @classmethod
    def _one_of_each(cls, value: list[Circumstance]) -> list[Circumstance]:
        if len({c.kind for c in value}) != len(value):
            raise ValueError(N_("each circumstance kind may be given once"))
        return value

    @model_validator(mode="after")
    def _reachable(self) -> "ServiceRequestBody":
        if self.contact_method == "email" and not self.applicant.email:
            raise ValueError(N_("an email address is required when contact_method is email"))
        if self.contact_method == "mail" and not self.applicant.address:
            raise ValueError(N_("a postal address is required when contact_method is mail"))
        return self


class Escalation(_Strict):
    reason_code: Literal[ESCALATION_REASONS] = "visit_may_be_warranted"  # type: ignore[valid-type]


class CallbackSchedule(_Strict):
    scheduled_for: AwareDatetime
    # Needed outside the requester's callback period or after the deadline (audited).
    reason_code: Literal[CALLBACK_TIME_REASONS] | None = None  # type: ignore[valid-type]

    @field_validator("scheduled_for")
    @classmethod
    def _in_utc(cls, value: datetime) -> datetime:
        # 9999-12-31T23:59:59-12:00 parses but has no UTC equivalent: refuse it here, not with
        # an OverflowError wherever it is first compared or stored.
        try:
            return value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError(N_("Enter a time within the supported range.")) from None


class Assignment(_Strict):
    officer: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:+-]+$")
    reason_code: Literal[ASSIGNMENT_REASONS]  # type: ignore[valid-type]


class Transfer(_Strict):
    office_id: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")
    reason_code: Literal[TRANSFER_REASONS]  # type: ignore[valid-type]
    note: str = Field(default="", max_length=MAX_NOTE)


class BreachAcknowledgement(_Strict):
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class CallbackAttempt(_Strict):
    outcome: Literal[CALLBACK_OUTCOMES]  # type: ignore[valid-type]


class Grant(_Strict):
    slot_id: str = Field(min_length=1, max_length=80)
    note: str = Field(default="", max_length=MAX_NOTE)


class Resolution(_Strict):
    outcome_code: Literal[tuple(RESOLUTION_OUTCOMES)]  # type: ignore[valid-type]
    note: str = Field(default="", max_length=MAX_NOTE)
    # The requester agreed, on the call, that this settles it: then there is nothing to appeal.
    confirmed_by_requester: StrictBool = False


class Denial(_Strict):
    reason_code: Literal[tuple(DENIAL_REASONS)]  # type: ignore[valid-type]
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class UrgencyOverride(_Strict):
    level: Literal[tuple(LEVELS)]  # type: ignore[valid-type]
    reason_code: Literal[OVERRIDE_REASONS]  # type: ignore[valid-type]
    note: str = Field(min_length=1, max_length=MAX_NOTE)


class Appeal(Proof):
    statement: str = Field(min_length=1, max_length=MAX_DESCRIPTION)


class Withdrawal(Proof):
    pass


class AddedInformation(Proof):
    """New facts from the requester: deadlines and circumstances are added to what they gave."""
    deadlines: list[DeadlineFact] = Field(default_factory=list, max_length=10)
    circumstances: list[Circumstance] = Field(default_factory=list,
                                              max_length=len(CIRCUMSTANCES))
    note: str = Field(default="", max_length=MAX_DESCRIPTION)

    @model_validator(mode="after")
    def _something_new(self) -> "AddedInformation":
        if not (self.deadlines or self.circumstances or self.note.strip()):
            raise ValueError(N_("Give at least one deadline, circumstance or note."))
        return self


class AppealDecision(_Strict):
    outcome: Literal["upheld", "overturned"]
    reason_code: str = Field(min_length=1, max_length=60)
    note: str = Field(min_length=1, max_length=MAX_NOTE)
    # An overturn may book the visit at once, through the same path as a grant.
    slot_id: str | None = Field(default=None, min_length=1, max_length=80)

    @model_validator(mode="after")
    def _code_fits_outcome(self) -> "AppealDecision":
        if self.reason_code not in APPEAL_REASONS[self.outcome]:
            raise ValueError(f"reason_code must be one of {sorted(APPEAL_REASONS[self.outcome])} "
                             f"when the outcome is {self.outcome}")
        if self.slot_id and self.outcome != "overturned":
            raise ValueError(N_("slot_id is only for an overturned appeal"))
        return self


def parse_or_default(model: type[Model], raw: bytes | None) -> Model:
    """Bodies whose fields all have defaults may be left out."""
    if not raw or not raw.strip():
        return model()
    return parse(model, raw)


__all__ = ["parse", "parse_or_default", "Proof", "ServiceRequestBody", "Escalation",
           "CallbackSchedule", "CallbackAttempt", "Grant", "Resolution", "Denial",
           "UrgencyOverride", "Appeal", "AppealDecision", "Assignment", "Transfer",
           "BreachAcknowledgement", "Withdrawal", "AddedInformation"]
