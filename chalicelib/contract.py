"""Every route's contract, declared beside its view; `openapi.json` is generated from these.

Each view in the Chalice route table declares what it accepts and answers with
`@contract.operation(...)`, placed directly under `@api.route(...)` (above `@handled`):

    @api.route("/appointments", methods=["POST"])
    @contract.operation(
        "Book an appointment", tags=("booking",),
        request=BookingRequest,                       # the JSON body's pydantic model
        responses={201: responses.Booking},           # one pydantic model per 2xx status
        problems={404: ["unknown_slot"], 409: ["slot_unavailable", "already_booked"]},
        request_headers=(contract.IDEMPOTENCY_KEY,),
        response_headers={201: (contract.IDEMPOTENT_REPLAYED,)})
    @handled
    def book(): ...

- `query=` takes a pydantic model whose fields are the query parameters (documentation and
  schema; the view still reads them, so its own messages stay in charge). Path parameters come
  from the route's path; `path=` may give a model with their patterns and descriptions.
- `problems=` lists the problem `code`s the view itself answers, by status. The problems every
  route of a kind can answer are added for you: 422 `validation_failed`, 400 `malformed_json`
  and 413 `payload_too_large` when there is a request body; 401/403 on staff routes; 429 and 500
  everywhere. Staff routes are the ones with `authorizer=staff_identity`: the generator gives them
  the bearer security scheme and reads their roles from `@staff(...)`.
- At run time the wrapper checks each answer against its declaration: a 2xx body must validate
  against its model, a problem must carry a declared code. In the `local` and `test` stages a
  mismatch raises (the test that hit it fails with a 500 and the reason in the log); in deployed
  stages it is logged and the answer goes out unchanged.

A route without a declaration fails `tests/api/test_contract.py` (CORS preflight `OPTIONS` views,
marked `preflight = True` by chalicelib/cors.py, are not operations and need none). After changing a declaration,
a model, or a representation, regenerate the committed document with `make openapi`
(`.venv/bin/python -m chalicelib.openapi`); `tests/api/test_openapi.py` fails while it is stale.
The generator (`chalicelib/openapi.py`) is never imported on the Lambda path.
"""
from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Sequence

from chalice import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib import settings as config

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Stages in which a broken contract is an error to fix now rather than a log line.
STRICT_STAGES = frozenset({"local", "test"})


class ContractViolation(Exception):
    """A view answered something its declaration does not allow."""


# --- response models ------------------------------------------------------------------------

class Body(BaseModel):
    """Base of every response model. Unknown keys are a contract violation (a field added to a
    representation must be added to its model), and schemas are built on first use, not at
    import, so the models cost nothing on a cold start."""
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Parameters(BaseModel):
    """Base of the query and path parameter models: they document parameters that the views
    read themselves, so their schemas are built only when the generator asks (`make openapi`),
    never on a cold start."""
    model_config = ConfigDict(defer_build=True)


def optional(description: str | None = None, **kwargs: Any) -> Any:
    """A key that some answers leave out (rather than send as null)."""
    return Field(default=None, description=description, **kwargs)


class FieldError(Body):
    field: str = Field(description="Dotted path of the failing field ('' for the whole body).")
    code: str = Field(description="The rule that failed (stable, for programs).")
    message: str = Field(description="What is wrong, for people; never the submitted value.")
    min_length: int | None = optional("string_too_short, too_short: the fewest allowed.")
    max_length: int | None = optional("string_too_long, too_long: the most allowed.")
    count: int | None = optional("unknown_field: how many fields this object does not take "
                                 "(never their names).")


class Window(Body):
    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date


class AlternativeSlot(Body):
    slot_id: str
    start: str = Field(json_schema_extra={"format": "date-time"})
    end: str = Field(json_schema_extra={"format": "date-time"})
    available: int


class Problem(Body):
    """RFC 9457 problem details, plus a stable `code` and the members some problems carry."""
    model_config = ConfigDict(extra="allow")
    type: str = Field(description="urn:infopass:problem:<code>",
                      json_schema_extra={"format": "uri-reference"})
    title: str = Field(description="Short summary in the caller's language (Accept-Language).")
    status: int = Field(ge=400, le=599)
    code: str = Field(description="Stable machine-readable code; the same in every language.")
    detail: str | None = optional("Explanation of this occurrence.")
    instance: str | None = optional(json_schema_extra={"format": "uri-reference"})
    errors: list[FieldError] | None = optional("validation_failed: every failing field.")
    alternatives: list[AlternativeSlot] | None = optional(
        "slot_unavailable: the nearest open times at the same office.")
    window: Window | None = optional("invalid_range: the dates that can be asked for.")
    request_path: str | None = optional(
        "office_not_self_service: where to submit a service request instead.")
    retry_after: int | None = optional(
        "rate_limited, too_many_attempts, office_moving: seconds to wait.")
    home_region: str | None = optional(
        "office_in_other_region: the region whose API serves the office.")
    home_base_url: str | None = optional(
        "office_in_other_region: that region's API base URL (also in the Link header).",
        json_schema_extra={"format": "uri"})
    changes_close_at: str | None = optional(
        "too_late: when online changes closed (office-local time with its offset).",
        json_schema_extra={"format": "date-time"})
    cutoff_hours: int | None = optional("too_late: hours before the start changes close.")
    min_interval_days: int | None = optional(
        "too_soon_since_last_visit: days between visits.")
    contact_center_phone: str | None = optional(
        "too_late, too_soon_since_last_visit, office_not_self_service: who can still help.")
    max_bytes: int | None = optional("payload_too_large: the largest body accepted.")
    limit: int | None = optional(
        "contact_limit_reached: upcoming appointments one email or phone may share; "
        "hold_limit_reached: active holds per connection.")
    state: str | None = optional("invalid_transition: the request's current state.")
    current_version: int | None = optional(
        "concurrent_update (office settings): the version to read again.")
    affected_slots: list[dict[str, Any]] | None = optional(
        "capacity_below_booked: the slots whose booked seats the change would remove "
        "({slot_id, start, booked, new_capacity}).")


# --- headers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Header:
    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


IDEMPOTENCY_KEY = Header(
    "Idempotency-Key", "Repeat a request safely: the same key and body within 24 hours answer "
    "the first response again (with Idempotent-Replayed: true).",
    {"type": "string", "minLength": 1, "maxLength": 255})
ACCEPT_LANGUAGE = Header(
    "Accept-Language", "Language of titles, labels and messages (en, es, zh-Hans, zh-Hant, vi, "
    "ko, tl, ru, ar, ht, fr, pt); English when none matches.")
IDEMPOTENT_REPLAYED = Header(
    "Idempotent-Replayed", "Present, as 'true', when this answer repeats an earlier one for the "
    "same Idempotency-Key.", {"type": "string", "enum": ["true"]})
LOCATION = Header("Location", "Where the created resource can be read.",
                  {"type": "string", "format": "uri-reference"})
CONTENT_LANGUAGE = Header("Content-Language", "The language the answer's texts are in.")
ETAG = Header("ETag", "The office settings' version, quoted: send it back as If-Match.",
              {"type": "string", "pattern": '^"[0-9]+"$'})
IF_MATCH = Header("If-Match", "The settings' version you read (the ETag); or send `version` in "
                  "the body.", {"type": "string", "maxLength": 40})
RETRY_AFTER = Header("Retry-After", "Seconds to wait before trying again.",
                     {"type": "string", "pattern": "^[0-9]+$"})
WWW_AUTHENTICATE = Header("WWW-Authenticate", "How to authenticate: Bearer.")
LINK = Header("Link", 'office_in_other_region: <home_base_url>; rel="alternate".')

# Problems any route of a kind can answer, added to every declaration of that kind.
BODY_PROBLEMS: Mapping[int, tuple[str, ...]] = {
    400: ("malformed_json",), 413: ("payload_too_large",), 415: ("unsupported_media_type",),
    422: ("validation_failed",)}
STAFF_PROBLEMS: Mapping[int, tuple[str, ...]] = {
    401: ("missing_token", "invalid_token", "token_expired", "unauthorized"),
    403: ("role_not_allowed", "other_office")}
# Regions (chalicelib/regions.py): a route that reaches one office's calendar answers these in a
# multi-region stage when another region serves that office, or while it moves.
REGION_PROBLEMS: Mapping[int, tuple[str, ...]] = {
    421: ("office_in_other_region",), 503: ("office_moving",)}
# The not-found codes of routes that reach an office (so they also answer REGION_PROBLEMS).
_OFFICE_REACHING = frozenset({"unknown_office", "unknown_slot", "appointment_not_found",
                              "hold_not_found", "service_request_not_found",
                              "waitlist_entry_not_found"})
COMMON_PROBLEMS: Mapping[int, tuple[str, ...]] = {
    429: ("too_many_requests", "rate_limited", "too_many_attempts"), 500: ("internal_error",)}


# --- declarations ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    summary: str
    responses: Mapping[int, type[BaseModel] | None]
    description: str = ""
    tags: tuple[str, ...] = ()
    request: type[BaseModel] | None = None
    request_required: bool = True
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    problems: Mapping[int, Sequence[str]] = field(default_factory=dict)
    request_headers: tuple[Header, ...] = ()
    response_headers: Mapping[int, tuple[Header, ...]] = field(default_factory=dict)
    # OpenAPI links from a 2xx answer to the next operations (stateful contract tests, clients).
    links: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    staff: bool = False  # filled in from the route table by the generator and the tests
    # Whether the route reaches one office's calendar (REGION_PROBLEMS); None: inferred from
    # its not-found codes.
    regional: bool | None = None

    @property
    def reaches_an_office(self) -> bool:
        if self.regional is not None:
            return self.regional
        return bool(_OFFICE_REACHING & set(self.problems.get(404, ())))

    def all_problems(self, staff: bool) -> dict[int, tuple[str, ...]]:
        merged: dict[int, list[str]] = {}
        extra = [COMMON_PROBLEMS, self.problems]
        if self.request is not None:
            extra.append(BODY_PROBLEMS)
        if staff:
            extra.append(STAFF_PROBLEMS)
        if self.reaches_an_office:
            extra.append(REGION_PROBLEMS)
        for source in extra:
            for status, codes in source.items():
                bucket = merged.setdefault(status, [])
                bucket.extend(c for c in codes if c not in bucket)
        return {status: tuple(codes) for status, codes in sorted(merged.items())}


def operation(summary: str, *, responses: Mapping[int, type[BaseModel] | None],
              **details: Any) -> Callable[[Callable], Callable]:
    """Declare a view's contract (see the module docstring) and check its answers against it."""
    declared = Operation(summary, responses, **details)
    for status in declared.responses:
        if not 200 <= status < 300:
            raise ValueError(f"responses are 2xx bodies; list {status} under problems=")

    def decorate(view: Callable) -> Callable:
        staff = bool(getattr(view, "staff_roles", None))

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            answer = view(*args, **kwargs)
            try:
                check(declared, answer, staff)
            except ContractViolation as violation:
                if config.settings.stage in STRICT_STAGES:
                    raise
                log.error("contract violation", extra={"view": view.__name__,
                                                       "violation": str(violation)})
            return _typed(answer)

        wrapper.contract = declared  # type: ignore[attr-defined]
        return wrapper
    return decorate


def _typed(answer: Any) -> Any:
    """Say what the body is: Chalice leaves Content-Type out for a view's dict, and clients (and
    the contract tests) read the media type before the body."""
    if isinstance(answer, Response):
        if answer.status_code == 204:
            return answer  # no body, so no media type
        if not any(k.lower() == "content-type" for k in answer.headers or {}):
            answer.headers = {**(answer.headers or {}), "Content-Type": "application/json"}
        return answer
    return Response(answer, headers={"Content-Type": "application/json"})


def is_preflight(view: Callable) -> bool:
    """CORS preflight views (chalicelib/cors.py) answer browsers, not API callers: no contract."""
    return bool(getattr(view, "preflight", False))


def declaration(view: Callable) -> Operation | None:
    return getattr(view, "contract", None)


def check(declared: Operation, answer: Any, staff: bool) -> None:
    """Raise ContractViolation unless `answer` (a view's return value) fits `declared`."""
    if isinstance(answer, Response):
        status, body = answer.status_code, answer.body
    else:
        status, body = 200, answer
    if 200 <= status < 300:
        if status not in declared.responses:
            raise ContractViolation(f"status {status} is not declared")
        model = declared.responses[status]
        if model is None:
            if body not in (None, "", b""):
                raise ContractViolation(f"status {status} declares no body")
            return
        try:
            if isinstance(body, (str, bytes)):
                model.model_validate_json(body)
            else:
                model.model_validate(body)
        except ValidationError as error:
            raise ContractViolation(
                f"{status} body does not fit {model.__name__}: "
                + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                            for e in error.errors(include_input=False))) from None
        return
    code = _problem_code(body)
    codes = declared.all_problems(staff).get(status, ())
    if code not in codes:
        raise ContractViolation(
            f"problem {status} '{code}' is not declared (declared for {status}: {list(codes)}); "
            "add it to problems= and run `make openapi`")


def _problem_code(body: Any) -> str | None:
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    return body.get("code") if isinstance(body, dict) else None
