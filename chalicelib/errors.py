"""Domain errors. Each carries a stable `code`; `chalicelib.problems` maps them to HTTP.

No HTTP here: the same errors come out of the API, SQS consumers and scheduled jobs.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    title = "The request could not be completed"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def headers(self) -> dict[str, str]:
        """HTTP headers the problem carries besides its body (Retry-After, Link)."""
        return {}


class BadRequest(DomainError):
    code = "bad_request"
    title = "The request is malformed"


class MalformedJson(BadRequest):
    code = "malformed_json"
    title = "The request body is not valid JSON"


class InvalidRange(BadRequest):
    code = "invalid_range"
    title = "The date range is outside the booking window"


class ReversedRange(BadRequest):
    code = "reversed_range"
    title = "The date range ends before it starts"


class InvalidHeader(BadRequest):
    code = "invalid_header"
    title = "A request header is malformed"


class InvalidParameter(BadRequest):
    code = "invalid_parameter"
    title = "A query parameter is missing or malformed"


class InvalidZip(InvalidParameter):
    code = "invalid_zip"
    title = "A ZIP code has five digits"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    title = "The request body is too large"


class ValidationFailed(DomainError):
    """`errors` lists failing fields by path and rule, never the submitted values (they may be PII)."""
    code = "validation_failed"
    title = "Some fields are missing or invalid"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        super().__init__(detail, errors=errors)
        self.errors = errors


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class UnknownZip(NotFound):
    code = "unknown_zip"
    title = "That ZIP code is not known"


class UnknownOffice(NotFound):
    code = "unknown_office"
    title = "No field office has that id"


class UnknownSlot(NotFound):
    code = "unknown_slot"
    title = "No appointment time has that id"


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    title = "No appointment matches that confirmation number and identity"


class Conflict(DomainError):
    code = "conflict"
    title = "The request conflicts with the current state"


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    title = "That time is no longer available"


class AlreadyBooked(Conflict):
    code = "already_booked"
    title = "This person already has an appointment"


class AppointmentInOtherRegion(Conflict):
    """The person's nationwide claim names a booking made through another region's service
    (issue 16). Names only that region and its API's base URL, never whose it is."""
    code = "appointment_in_other_region"
    title = "This person already has an appointment booked through another region"

    def __init__(self, region: str, base_url: str | None = None) -> None:
        super().__init__("Look it up, change or cancel it through the {region} service.",
                         region=region, **({"base_url": base_url} if base_url else {}))


class ContactLimitReached(Conflict):
    code = "contact_limit_reached"
    title = "Too many active appointments use this email address or phone number"


class TooSoon(Conflict):
    code = "too_soon_since_last_visit"
    title = "The minimum interval since this person's last visit has not passed"


class OfficeNotSelfService(Conflict):
    code = "office_not_self_service"
    title = "This office schedules visits through the contact center"


class TooLate(Conflict):
    code = "too_late"
    title = "This appointment can no longer be changed online"


class NotChangeable(Conflict):
    code = "not_changeable"
    title = "This appointment is not active"


class SameSlot(Conflict):
    code = "same_slot"
    title = "The appointment is already at that time"


class ConcurrentUpdate(Conflict):
    code = "concurrent_update"
    title = "Someone changed this at the same time; try again"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was used with a different request body"


# --- triage (issue 4) -------------------------------------------------------------------------

class ServiceRequestNotFound(NotFound):
    code = "service_request_not_found"
    title = "No service request matches that number and identity"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "That step is not possible in the request's current state"


class AppealWindowClosed(Conflict):
    code = "appeal_window_closed"
    title = "The time to appeal this decision has passed"


class Unauthenticated(DomainError):
    """401: no staff token, or one that is not valid now. Never says more than which of those."""
    code = "unauthenticated"
    title = "Sign in as staff to use this"


class MissingToken(Unauthenticated):
    code = "missing_token"
    title = "A staff bearer token is required"


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    title = "The staff token is not valid"


class TokenExpired(Unauthenticated):
    code = "token_expired"
    title = "The staff token has expired"


class Forbidden(DomainError):
    """403: a valid staff identity that may not do this."""
    code = "forbidden"
    title = "Your role does not allow this"


class RoleNotAllowed(Forbidden):
    code = "role_not_allowed"
    title = "Your role does not allow this"


class OtherOffice(Forbidden):
    code = "other_office"
    title = "This belongs to another field office"


class SameOfficer(Forbidden):
    code = "same_officer"
    title = "The officer who made a decision cannot decide its appeal"


# --- letters (the office side of the mail channel) --------------------------------------------

class LetterNotFound(NotFound):
    code = "letter_not_found"
    title = "Your office has no letter with that id"


class AlreadyPrinted(Conflict):
    code = "already_printed"
    title = "This letter has already been printed"


# --- limits (issue 9) ---------------------------------------------------------------------------

class OfficeInOtherRegion(DomainError):
    """421: the office's home is another region's stage; only that stage reads and writes its
    calendar. The problem names the home region and its API base URL so a client can follow."""
    code = "office_in_other_region"
    title = "This office is served by another region"

    def __init__(self, home_region: str, home_base_url: str | None) -> None:
        super().__init__(None, home_region=home_region, home_base_url=home_base_url)
        self.home_base_url = home_base_url

    def headers(self) -> dict[str, str]:
        return {"Link": f'<{self.home_base_url}>; rel="alternate"'} if self.home_base_url else {}


class OfficeMoving(DomainError):
    """503: the office is moving to another region; nothing reads or writes its calendar until
    the move ends (about a minute)."""
    code = "office_moving"
    title = "This office is moving to another region; try again in a minute"

    def __init__(self, retry_after: int) -> None:
        super().__init__(None, retry_after=retry_after)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyRequests(DomainError):
    """429: counted out for now. `retry_after` (seconds) becomes the Retry-After header and a
    field of the body."""
    code = "too_many_requests"
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyAttempts(TooManyRequests):
    code = "too_many_attempts"
    title = "Too many failed attempts for this number; try again later"


class RateLimited(TooManyRequests):
    code = "rate_limited"
    title = "Too many requests from this connection; try again later"


# --- office operations (issue 12) ----------------------------------------------------------------

class InvalidSetting(ValidationFailed):
    """An office setting that does not hold together; `field` names where (never the value)."""
    code = "invalid_setting"
    title = "The setting is not valid"

    def __init__(self, detail: str, field: str = "") -> None:
        super().__init__([{"field": field, "code": self.code}], detail)


class InvalidSchedule(InvalidSetting):
    code = "invalid_schedule"
    title = "The schedule is not valid"


class InvalidClosure(InvalidSetting):
    code = "invalid_closure"
    title = "The closure is not valid"


class CapacityBelowBooked(Conflict):
    code = "capacity_below_booked"
    title = "The change would remove seats that are already booked"


class ClosureNotFound(NotFound):
    code = "closure_not_found"
    title = "This office has no closure with that id"


class ClosureStarted(Conflict):
    code = "closure_started"
    title = "This closure has already begun and cannot be withdrawn"


class AlreadyMarked(Conflict):
    code = "already_marked"
    title = "This appointment has already been marked"


class TooEarlyToMark(Conflict):
    code = "too_early_to_mark"
    title = "It is too early to mark this appointment"


# --- triage without dead ends (issue 11) ------------------------------------------------------

class ContactRequired(Conflict):
    code = "contact_required"
    title = "Reach the requester, or try the configured number of times, before deciding"


class SecondPersonRequired(Forbidden):
    code = "second_person_required"
    title = "Another officer must confirm this change"


# --- holds (issue 13) ----------------------------------------------------------------------------

class HoldNotFound(NotFound):
    code = "hold_not_found"
    title = "No hold has that id"


class HoldExpired(Conflict):
    code = "hold_expired"
    title = "The hold has expired"


class HoldAlreadyUsed(Conflict):
    code = "hold_already_used"
    title = "The hold has already been used or given back"


class HoldAlreadyExtended(Conflict):
    code = "hold_already_extended"
    title = "The hold has already been extended once"


class HoldSlotMismatch(Conflict):
    code = "hold_slot_mismatch"
    title = "The hold is for another appointment time"


class HoldLimitReached(Conflict):
    """One active hold per client: book with it or give it back before holding another."""
    code = "hold_limit_reached"
    title = "This connection already holds an appointment time"


# --- waitlist (issue 13) -------------------------------------------------------------------------

class WaitlistEntryNotFound(NotFound):
    code = "waitlist_entry_not_found"
    title = "No waitlist entry matches that number and identity"


class AlreadyWaiting(Conflict):
    code = "already_waiting"
    title = "This person is already on a waitlist"


class NoOpenOffer(Conflict):
    code = "no_open_offer"
    title = "There is no open offer to accept"
