"""Public booking API: parse, call the service, serialize."""
from __future__ import annotations

from datetime import date

from chalice import Blueprint, Response

from pydantic import BaseModel, Field

from chalicelib import contract, errors, i18n, links, params, wiring
from chalicelib.booking import domain, offices, representation, responses
from chalicelib.booking.validation import BookingRequest, Proof, RescheduleRequest, parse
from chalicelib.booking.validation import HoldRequest
from chalicelib.limits.service import BOOKING_CLIENT, HOLD_CLIENT
from chalicelib.params import ConfirmationPath, DateRange, OfficePath
from chalicelib.problems import handled

api = Blueprint(__name__)

MAX_OFFICES = 20
BOOKING = ("booking",)


class OfficesQuery(BaseModel):
    zip: str = Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$",
                     description="ZIP code to search near (5 digits, or ZIP+4).")
    limit: int = Field(default=5, ge=1, le=MAX_OFFICES, description="How many offices.")


_PROOF_LINK = {"confirmation_number": "$response.body#/confirmation_number"}
_PROOF_BODY = {"last_name": "$request.body#/applicant/last_name",
               "date_of_birth": "$request.body#/applicant/date_of_birth"}


def _query(name: str) -> str | None:
    return params.query(api.current_request, name)


def _date_param(name: str) -> date | None:
    return params.date_query(api.current_request, name)


@api.route("/health")
@contract.operation("Is the API up", tags=("service",), responses={200: responses.Health})
@handled
def health():
    return {"status": "ok"}


@api.route("/offices")
@contract.operation(
    "Field offices nearest a ZIP code", tags=BOOKING, query=OfficesQuery,
    responses={200: responses.OfficesNear},
    problems={400: ["invalid_zip", "invalid_parameter"], 404: ["unknown_zip"]})
@handled
def offices_near():
    zip_code = offices.zip5(_query("zip") or "")
    limit = params.int_query(api.current_request, "limit", default=5, low=1, high=MAX_OFFICES)
    return {"zip": zip_code, "offices": wiring.booking_service().offices_near(zip_code, limit)}


@api.route("/offices/{office_id}")
@contract.operation(
    "One field office: address, hours, services, closures", tags=BOOKING, path=OfficePath,
    responses={200: responses.OfficeDetail}, problems={404: ["unknown_office"]})
@handled
def office(office_id):
    return representation.office_detail(offices.get(office_id))


@api.route("/offices/{office_id}/slots")
@contract.operation(
    "Open appointment times at an office", tags=BOOKING, path=OfficePath, query=DateRange,
    responses={200: responses.Slots},
    problems={400: ["invalid_parameter", "invalid_range", "reversed_range"],
              404: ["unknown_office"], 409: ["office_not_self_service"]})
@handled
def slots(office_id):
    return wiring.booking_service().availability(office_id, _date_param("from"), _date_param("to"))


@api.route("/reasons")
@contract.operation(
    "Reasons for a visit, labelled in the caller's language", tags=BOOKING,
    responses={200: responses.Reasons},
    response_headers={200: (contract.CONTENT_LANGUAGE,)})
@handled
def reasons():
    language = i18n.negotiate((api.current_request.headers or {}).get("accept-language"))
    labels = [{"code": code, "label": i18n.gettext(language, representation.REASON_LABELS[code])}
              for code in domain.REASON_CODES]
    return Response({"language": language, "reasons": labels},
                    headers={"Content-Language": language, "Vary": "Accept-Language"})


@api.route("/languages")
@contract.operation("Languages notices can be sent in", tags=BOOKING,
                    responses={200: responses.Languages})
@handled
def languages():
    return {"languages": list(domain.LANGUAGES), "default": "en"}


def _appointment(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    """In the caller's `Accept-Language`, else the language chosen at booking."""
    header = (api.current_request.headers or {}).get("accept-language")
    language = i18n.negotiate(header) if header else i18n.supported(body.get("language"))
    return Response(representation.with_status_label(body, i18n.translator(language).gettext),
                    status_code=status,
                    headers={**(headers or {}), "Content-Language": language,
                             "Vary": "Accept-Language"})


@api.route("/appointments", methods=["POST"])
@contract.operation(
    "Book an appointment", tags=BOOKING, request=BookingRequest,
    responses={201: responses.Booking},
    problems={400: ["invalid_parameter", "invalid_header"],
              404: ["unknown_slot", "unknown_office", "hold_not_found"],
              409: ["slot_unavailable", "already_booked", "appointment_in_other_region",
                    "contact_limit_reached",
                    "too_soon_since_last_visit", "office_not_self_service",
                    "concurrent_update", "hold_already_used", "hold_expired",
                    "hold_slot_mismatch"],
              422: ["idempotency_key_reused"]},
    request_headers=(contract.IDEMPOTENCY_KEY,),
    response_headers={201: (contract.IDEMPOTENT_REPLAYED, contract.LOCATION,
                            contract.CONTENT_LANGUAGE)},
    links={201: {
        "LookUpTheAppointment": {"operationId": "lookup", "parameters": _PROOF_LINK,
                                 "requestBody": _PROOF_BODY},
        "CancelTheAppointment": {"operationId": "cancel", "parameters": _PROOF_LINK,
                                 "requestBody": _PROOF_BODY}}})
@handled
def book():
    # Every request counts against the client's window, a bot's malformed ones too: in the
    # booking's own transaction when it commits, else by itself (`settle`, a 429 once full).
    admission = wiring.limiter().admission(BOOKING_CLIENT, params.source_ip(api.current_request))
    try:
        request = parse(BookingRequest, api.current_request.raw_body)
        key = params.idempotency_key(api.current_request)
        outcome = wiring.booking_service().book(request, key, admission=admission)
    finally:
        if admission is not None:
            admission.settle()
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if outcome.status == 201:
        # Where the appointment is read again (with the proof of identity lookup asks for).
        headers["Location"] = links.location(
            api.current_request,
            f"/v1/appointments/{outcome.body['confirmation_number']}/lookup")
    return _appointment(outcome.body, outcome.status, headers)


@api.route("/appointments/{confirmation_number}/lookup", methods=["POST"])
@contract.operation(
    "Look up an appointment (proof: last name and date of birth)", tags=BOOKING,
    path=ConfirmationPath, request=Proof, responses={200: responses.Appointment},
    problems={404: ["appointment_not_found"]})
@handled
def lookup(confirmation_number):
    proof = parse(Proof, api.current_request.raw_body)
    return _appointment(wiring.booking_service().lookup(confirmation_number, proof))


@api.route("/appointments/{confirmation_number}/cancel", methods=["POST"])
@contract.operation(
    "Cancel an appointment", tags=BOOKING, path=ConfirmationPath, request=Proof,
    responses={200: responses.Appointment},
    problems={404: ["appointment_not_found"],
              409: ["not_changeable", "too_late", "concurrent_update"]})
@handled
def cancel(confirmation_number):
    proof = parse(Proof, api.current_request.raw_body)
    return _appointment(wiring.booking_service().cancel(confirmation_number, proof))


@api.route("/appointments/{confirmation_number}/reschedule", methods=["POST"])
@contract.operation(
    "Move an appointment to another time", tags=BOOKING, path=ConfirmationPath,
    request=RescheduleRequest, responses={200: responses.Appointment},
    problems={404: ["appointment_not_found", "unknown_slot", "unknown_office"],
              409: ["not_changeable", "too_late", "same_slot", "slot_unavailable",
                    "too_soon_since_last_visit", "office_not_self_service",
                    "concurrent_update"]})
@handled
def reschedule(confirmation_number):
    request = parse(RescheduleRequest, api.current_request.raw_body)
    return _appointment(wiring.booking_service().reschedule(confirmation_number, request))


class HoldPath(BaseModel):
    hold_id: str = Field(pattern=r"^[0-9a-f]{32}$", description="As POST /v1/holds gave it.")


@api.route("/holds", methods=["POST"])
@contract.operation(
    "Hold a seat while the booking form is filled in (one hold per connection)", tags=BOOKING,
    request=HoldRequest, responses={201: responses.Hold},
    problems={404: ["unknown_slot", "unknown_office"],
              409: ["slot_unavailable", "hold_limit_reached", "office_not_self_service"]},
    response_headers={201: (contract.LOCATION,)})
@handled
def hold():
    source_ip = params.source_ip(api.current_request)
    # Counted before the body is read, as bookings are: malformed requests use up the window.
    wiring.limiter().client_request(HOLD_CLIENT, source_ip)
    request = parse(HoldRequest, api.current_request.raw_body)
    body = wiring.hold_service().hold(request.slot_id, source_ip)
    return Response(body, status_code=201, headers={"Location": links.location(
        api.current_request, f"/v1/holds/{body['hold_id']}")})


@api.route("/holds/{hold_id}/extend", methods=["POST"])
@contract.operation(
    "Extend a hold, once", tags=BOOKING, path=HoldPath, responses={200: responses.Hold},
    problems={404: ["hold_not_found"],
              409: ["hold_already_used", "hold_expired", "hold_already_extended"]})
@handled
def extend_hold(hold_id):
    return wiring.hold_service().extend(params.hold_id(hold_id))


@api.route("/holds/{hold_id}", methods=["DELETE"])
@contract.operation(
    "Give a held seat back (at once)", tags=BOOKING, path=HoldPath, responses={204: None},
    problems={404: ["hold_not_found"], 409: ["hold_already_used"]})
@handled
def give_back_hold(hold_id):
    wiring.hold_service().give_back(params.hold_id(hold_id))
    return Response(body="", status_code=204)
