"""Triage API: public service requests and the staff workflow. Parse, call the service, serialize.

Staff routes carry the shared `staff_identity` authorizer and `staff(...)` role check
(chalicelib/staff/routes.py explains how 401 and 403 are answered).
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from chalice import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import contract, i18n, links, params, wiring
from chalicelib.params import DateRange, OfficePath
from chalicelib.problems import handled
from chalicelib.staff.identity import Actor
from chalicelib.staff.roles import HEADQUARTERS
from chalicelib.staff.routes import staff, staff_identity
from chalicelib.triage import codes, responses
from chalicelib.triage.handling import QUEUE_PAGE, QUEUE_PAGE_MAX, page_size
from chalicelib.triage.validation import (AddedInformation, Appeal, AppealDecision, Assignment,
                                          BreachAcknowledgement, CallbackAttempt,
                                          CallbackSchedule, Denial, Escalation, Grant, Proof,
                                          Resolution, ServiceRequestBody, Transfer,
                                          UrgencyOverride, Withdrawal, parse,
                                          parse_or_default)
from chalicelib.triage.workflow import SUPERVISOR, TIER1, TIER2

api = Blueprint(__name__)
PUBLIC, STAFF = ("service requests",), ("staff: service requests",)


class RequestPath(BaseModel):
    request_id: str = Field(description="As given at submission (dashes are ignored).")


class Page(BaseModel):
    cursor: str | None = Field(default=None, description="`next_cursor` of the page before.")
    limit: int = Field(default=QUEUE_PAGE, ge=1, le=QUEUE_PAGE_MAX,
                       description="Requests per page.")


class QueueQuery(Page):
    office_id: str | None = Field(default=None, description="Default: your own office.")


_STEP_PROBLEMS = {404: ["service_request_not_found"],
                  409: ["invalid_transition", "concurrent_update"]}
# Decisions need the requester reached first (or the configured failed attempts).
_DECISION = {409: ["contact_required"]}
# Steps that may book the visit: the booking's own problems too.
_BOOKING_STEP = {404: ["unknown_slot", "unknown_office"],
                 409: ["slot_unavailable", "already_booked", "appointment_in_other_region",
                       "contact_limit_reached", "office_not_self_service"]}


def _merged(*sources: dict) -> dict[int, list[str]]:
    merged: dict[int, list[str]] = {}
    for source in sources:
        for status, found in source.items():
            merged.setdefault(status, []).extend(c for c in found if c not in merged[status])
    return merged


def _step(summary: str, request: type[BaseModel], **extra):
    problems = _merged(_STEP_PROBLEMS, extra.pop("problems", {}))
    return contract.operation(summary, tags=STAFF, path=RequestPath, request=request,
                              responses={200: responses.StaffView}, problems=problems, **extra)


def _requester_step(summary: str, request: type[BaseModel], **extra):
    problems = _merged(_STEP_PROBLEMS, extra.pop("problems", {}))
    return contract.operation(summary, tags=PUBLIC, path=RequestPath, request=request,
                              responses={200: responses.RequestStatus}, problems=problems,
                              **extra)


def _accept_language() -> str | None:
    return (api.current_request.headers or {}).get("accept-language") or None


def _gettext(chosen: str | None = None) -> Callable[[str], str]:
    """The caller's `Accept-Language`; without one, the language the requester `chosen`."""
    header = _accept_language()
    language = i18n.negotiate(header) if header or not chosen else i18n.supported(chosen)
    return i18n.translator(language).gettext


def _stored_or_asked() -> Callable[[str], str] | None:
    """None lets the service answer in the language stored with the request."""
    return _gettext() if _accept_language() else None


def _body() -> bytes | None:
    return api.current_request.raw_body


def _query(name: str) -> str | None:
    return params.query(api.current_request, name)


def _date_param(name: str) -> date | None:
    return params.date_query(api.current_request, name)


def _service():
    return wiring.triage_service()


def _idempotency_key() -> str | None:
    return params.idempotency_key(api.current_request)


def _created(outcome, location: str) -> Response:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if outcome.status == 201:
        headers["Location"] = links.location(
            api.current_request, location.format(id=outcome.body["request_id"]))
    return Response(outcome.body, status_code=outcome.status, headers=headers)


# --- public -------------------------------------------------------------------------------

@api.route("/triage/criteria")
@contract.operation("The published triage criteria, every version", tags=PUBLIC,
                    responses={200: responses.Criteria})
@handled
def criteria():
    return _service().criteria(_gettext())


@api.route("/triage/codes")
@contract.operation("The code lists of triage, labelled in the caller's language",
                    tags=PUBLIC, responses={200: responses.CodeLists})
@handled
def code_lists():
    _ = _gettext()
    return {"inquiry_types": codes.labelled(codes.INQUIRY_TYPES, _),
            "circumstances": codes.labelled(codes.CIRCUMSTANCES, _),
            "deadline_kinds": codes.labelled(codes.DEADLINE_KINDS, _),
            "callback_periods": codes.labelled(codes.CALLBACK_PERIODS, _),
            "levels": codes.labelled(codes.LEVELS, _),
            "resolution_outcomes": codes.labelled(codes.RESOLUTION_OUTCOMES, _),
            "denial_reasons": codes.labelled(codes.DENIAL_REASONS, _),
            "appeal_reasons": {outcome: codes.labelled(reasons, _)
                               for outcome, reasons in codes.APPEAL_REASONS.items()},
            "escalation_reasons": list(codes.ESCALATION_REASONS),
            "override_reasons": list(codes.OVERRIDE_REASONS),
            "callback_outcomes": list(codes.CALLBACK_OUTCOMES)}


@api.route("/service-requests", methods=["POST"])
@contract.operation(
    "Ask for a callback (and, if warranted, a visit)", tags=PUBLIC, request=ServiceRequestBody,
    responses={201: responses.Submitted},
    problems={400: ["invalid_parameter", "invalid_header"], 404: ["unknown_zip"],
              409: ["concurrent_update"], 422: ["idempotency_key_reused"]},
    regional=True,  # the ZIP's office may be another region's (421) or moving (503)
    request_headers=(contract.IDEMPOTENCY_KEY,),
    response_headers={201: (contract.IDEMPOTENT_REPLAYED,)},
    links={201: {"StatusOfTheRequest": {
        "operationId": "status",
        "parameters": {"request_id": "$response.body#/request_id"},
        "requestBody": {"last_name": "$request.body#/applicant/last_name",
                        "date_of_birth": "$request.body#/applicant/date_of_birth"}}}})
@handled
def submit():
    body = parse(ServiceRequestBody, _body())
    return _created(_service().submit_once(body, _idempotency_key(), _=_gettext(body.language)),
                    "/v1/service-requests/{id}/status")


@api.route("/service-requests/{request_id}/status", methods=["POST"])
@contract.operation(
    "A service request's status (proof: last name and date of birth)", tags=PUBLIC,
    path=RequestPath, request=Proof, responses={200: responses.RequestStatus},
    problems={404: ["service_request_not_found"]})
@handled
def status(request_id):
    return _service().status(request_id, parse(Proof, _body()), _stored_or_asked())


@api.route("/service-requests/{request_id}/appeal", methods=["POST"])
@_requester_step("Appeal a denial or a resolution without a visit", Appeal,
                 problems={409: ["appeal_window_closed"]})
@handled
def appeal(request_id):
    return _service().appeal(request_id, parse(Appeal, _body()), _stored_or_asked())


@api.route("/service-requests/{request_id}/withdraw", methods=["POST"])
@_requester_step("Withdraw your request (proof: last name and date of birth)", Withdrawal)
@handled
def withdraw(request_id):
    return _service().withdraw(request_id, parse(Withdrawal, _body()), _stored_or_asked())


@api.route("/service-requests/{request_id}/information", methods=["POST"])
@_requester_step("Add information to your request (the criteria run again; the level never "
                 "drops)", AddedInformation)
@handled
def add_information(request_id):
    return _service().add_information(request_id, parse(AddedInformation, _body()),
                                      _stored_or_asked())


# --- staff --------------------------------------------------------------------------------

@api.route("/staff/service-requests", methods=["POST"], authorizer=staff_identity)
@contract.operation(
    "Submit a service request taken by phone", tags=STAFF, request=ServiceRequestBody,
    responses={201: responses.Submitted},
    problems={400: ["invalid_parameter", "invalid_header"], 404: ["unknown_zip"],
              409: ["concurrent_update"], 422: ["idempotency_key_reused"]},
    regional=True,  # the ZIP's office may be another region's (421) or moving (503)
    request_headers=(contract.IDEMPOTENCY_KEY,),
    response_headers={201: (contract.IDEMPOTENT_REPLAYED,)})
@handled
@staff(TIER1)
def submit_by_phone(actor: Actor):
    body = parse(ServiceRequestBody, _body())
    return _created(_service().submit_once(body, _idempotency_key(), actor, _gettext()),
                    "/v1/staff/service-requests/{id}")


@api.route("/staff/queue", authorizer=staff_identity)
@contract.operation(
    "An office's queue, most urgent first, a page at a time", tags=STAFF, query=QueueQuery,
    responses={200: responses.Queue},
    problems={400: ["invalid_parameter"], 404: ["unknown_office"]})
@handled
@staff(TIER2, SUPERVISOR)
def queue(actor: Actor):
    return _service().queue(actor, _query("office_id") or actor.office_id, _gettext(),
                            cursor=_query("cursor"), limit=page_size(_query("limit")))


@api.route("/staff/escalations", authorizer=staff_identity)
@contract.operation(
    "Requests that missed repeated deadlines, every office (headquarters)", tags=STAFF,
    query=Page, responses={200: responses.Escalations}, problems={400: ["invalid_parameter"]})
@handled
@staff(HEADQUARTERS)
def escalations(actor: Actor):
    return _service().escalations(actor, _gettext(), cursor=_query("cursor"),
                                  limit=page_size(_query("limit")))


@api.route("/staff/offices/{office_id}/slots", authorizer=staff_identity)
@contract.operation(
    "Open times at any office of yours, contact-center ones included", tags=STAFF,
    path=OfficePath, query=DateRange, responses={200: responses.Slots},
    problems={400: ["invalid_parameter", "invalid_range", "reversed_range"],
              404: ["unknown_office"]})
@handled
@staff(TIER2, SUPERVISOR)
def office_slots(actor: Actor, office_id):
    return _service().staff_slots(actor, office_id, _date_param("from"), _date_param("to"))


@api.route("/staff/service-requests/{request_id}", authorizer=staff_identity)
@contract.operation(
    "A service request with everything staff need", tags=STAFF, path=RequestPath,
    responses={200: responses.StaffView}, problems={404: ["service_request_not_found"]})
@handled
@staff(TIER1, TIER2, SUPERVISOR)
def staff_view(actor: Actor, request_id):
    return _service().staff_view(actor, request_id, _gettext())


@api.route("/staff/service-requests/{request_id}/escalate", methods=["POST"],
           authorizer=staff_identity)
@_step("Escalate to Tier 2", Escalation, request_required=False)
@handled
@staff(TIER1, SUPERVISOR)
def escalate(actor: Actor, request_id):
    return _service().escalate(actor, request_id, parse_or_default(Escalation, _body()),
                               _gettext())


@api.route("/staff/service-requests/{request_id}/callbacks", methods=["POST"],
           authorizer=staff_identity)
@_step("Schedule the callback", CallbackSchedule)
@handled
@staff(TIER2, SUPERVISOR)
def schedule_callback(actor: Actor, request_id):
    return _service().schedule_callback(actor, request_id, parse(CallbackSchedule, _body()),
                                        _gettext())


@api.route("/staff/service-requests/{request_id}/callback-attempts", methods=["POST"],
           authorizer=staff_identity)
@_step("Record a callback attempt", CallbackAttempt)
@handled
@staff(TIER2, SUPERVISOR)
def record_callback(actor: Actor, request_id):
    return _service().record_callback(actor, request_id, parse(CallbackAttempt, _body()),
                                      _gettext())


@api.route("/staff/service-requests/{request_id}/grant", methods=["POST"],
           authorizer=staff_identity)
@_step("Grant a visit: book the slot", Grant, problems=_merged(_BOOKING_STEP, _DECISION))
@handled
@staff(TIER2, SUPERVISOR)  # supervisors only for an overturned appeal (the workflow decides)
def grant(actor: Actor, request_id):
    return _service().grant(actor, request_id, parse(Grant, _body()), _gettext())


@api.route("/staff/service-requests/{request_id}/resolve", methods=["POST"],
           authorizer=staff_identity)
@_step("Resolve without a visit", Resolution, problems=_DECISION)
@handled
@staff(TIER1, TIER2)
def resolve(actor: Actor, request_id):
    return _service().resolve(actor, request_id, parse(Resolution, _body()), _gettext())


@api.route("/staff/service-requests/{request_id}/deny", methods=["POST"],
           authorizer=staff_identity)
@_step("Deny a visit", Denial, problems=_DECISION)
@handled
@staff(TIER2)
def deny(actor: Actor, request_id):
    return _service().deny(actor, request_id, parse(Denial, _body()), _gettext())


@api.route("/staff/service-requests/{request_id}/override-urgency", methods=["POST"],
           authorizer=staff_identity)
@_step("Override the urgency level (an emergency downgrade takes a second person)",
       UrgencyOverride, problems={403: ["second_person_required"]})
@handled
@staff(TIER2, SUPERVISOR)
def override_urgency(actor: Actor, request_id):
    return _service().override_urgency(actor, request_id, parse(UrgencyOverride, _body()),
                                       _gettext())


@api.route("/staff/service-requests/{request_id}/appeal-decision", methods=["POST"],
           authorizer=staff_identity)
@_step("Decide an appeal", AppealDecision,
       problems=_merged(_BOOKING_STEP, {403: ["same_officer"]}))
@handled
@staff(SUPERVISOR)
def appeal_decision(actor: Actor, request_id):
    return _service().decide_appeal(actor, request_id, parse(AppealDecision, _body()),
                                    _gettext())


@api.route("/staff/service-requests/{request_id}/assign", methods=["POST"],
           authorizer=staff_identity)
@_step("Assign the request to an officer", Assignment)
@handled
@staff(SUPERVISOR)
def assign(actor: Actor, request_id):
    return _service().assign(actor, request_id, parse(Assignment, _body()), _gettext())


@api.route("/staff/service-requests/{request_id}/transfer", methods=["POST"],
           authorizer=staff_identity)
@_step("Transfer the request to another office", Transfer)
@handled
@staff(SUPERVISOR)
def transfer(actor: Actor, request_id):
    return _service().transfer(actor, request_id, parse(Transfer, _body()), _gettext())


@api.route("/staff/service-requests/{request_id}/acknowledge-breach", methods=["POST"],
           authorizer=staff_identity)
@_step("Acknowledge a missed deadline", BreachAcknowledgement)
@handled
@staff(SUPERVISOR)
def acknowledge_breach(actor: Actor, request_id):
    return _service().acknowledge_breach(actor, request_id,
                                         parse(BreachAcknowledgement, _body()), _gettext())
