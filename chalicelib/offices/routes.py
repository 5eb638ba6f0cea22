"""Staff API for office operations: settings, schedule, mode, closures. Parse, call the
service, serialize. Behind the shared `staff_identity` authorizer and `staff(...)` role check
(chalicelib/staff/routes.py explains how 401 and 403 are answered)."""
from __future__ import annotations

from chalice import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import contract, errors, params, wiring
from chalicelib.booking import responses as booking_responses
from chalicelib.offices import responses
from chalicelib.offices.validation import (AssistedBooking, AssistedCancellation,
                                           AssistedReschedule, ClosureBody, ModeBody,
                                           ScheduleBody, parse)
from chalicelib.params import ConfirmationPath, OfficePath
from chalicelib.problems import handled
from chalicelib.staff.identity import Actor
from chalicelib.staff.roles import (FRONT_DESK, HEADQUARTERS, OFFICE_ADMIN, SUPERVISOR,
                                    TIER1, TIER2)
from chalicelib.staff.routes import staff, staff_identity

api = Blueprint(__name__)
ADMINS = (OFFICE_ADMIN, HEADQUARTERS)
SETTINGS, DAY = ("staff: office settings",), ("staff: the day at the office",)


class ClosurePath(OfficePath):
    closure_id: str = Field(description="A `closure_id` from the office's settings.")


class RosterQuery(BaseModel):
    date: str | None = Field(default=None, json_schema_extra={"format": "date"},
                             description="Office-local day (default: today).")


def _settings_change(summary: str, request: type[BaseModel] | None, response: type[BaseModel],
                     problems: dict, status: int = 200, **extra):
    """A change to an office's settings: conditioned on the version read (If-Match or the
    body's `version`), answered with the new version as ETag."""
    merged = {400: ["invalid_parameter"], 404: ["unknown_office"], 409: ["concurrent_update"]}
    for code_status, codes in problems.items():
        merged[code_status] = [*merged.get(code_status, []), *codes]
    return contract.operation(
        summary, tags=SETTINGS, path=OfficePath, request=request, responses={status: response},
        problems=merged, request_headers=(contract.IF_MATCH,),
        response_headers={status: (contract.ETAG,)}, **extra)


def _body() -> bytes | None:
    return api.current_request.raw_body


def _version(body_version: int | None) -> int | None:
    """The version read: `If-Match` (an ETag, quoted or not) or the body's `version`."""
    raw = (api.current_request.headers or {}).get("if-match")
    if raw is None:
        return body_version
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise errors.InvalidParameter("If-Match carries the settings' version, e.g. \"7\".")
    if body_version is not None and body_version != int(value):
        raise errors.InvalidParameter("If-Match and the body's 'version' disagree.")
    return int(value)


def _with_etag(body: dict, status: int = 200) -> Response:
    return Response(body, status_code=status, headers={"ETag": f'"{body["version"]}"'})


@api.route("/staff/offices/{office_id}/settings", authorizer=staff_identity)
@contract.operation(
    "An office's settings: schedules, mode, closures, version", tags=SETTINGS, path=OfficePath,
    responses={200: responses.OfficeSettings}, problems={404: ["unknown_office"]},
    response_headers={200: (contract.ETAG,)})
@handled
@staff(*ADMINS)
def settings(actor: Actor, office_id):
    return _with_etag(wiring.office_administration().settings(actor, office_id))


@api.route("/staff/offices/{office_id}/schedule", methods=["PUT"], authorizer=staff_identity)
@_settings_change("Change the weekly schedule from a future date (booked seats are kept)",
                  ScheduleBody, responses.ScheduleChanged,
                  {409: ["capacity_below_booked"], 422: ["invalid_schedule"]})
@handled
@staff(*ADMINS)
def change_schedule(actor: Actor, office_id):
    # Here, not at the top: the service brings PynamoDB, which a cold office search defers.
    from chalicelib.offices.service import ScheduleChange

    body = parse(ScheduleBody, _body())
    change = ScheduleChange(_version(body.version), body.effective_from, body.slot_minutes,
                            body.capacity, {d: [list(p) for p in r] for d, r in body.hours.items()},
                            body.reserved_seats, body.release_lead_hours)
    return _with_etag(wiring.office_administration().change_schedule(actor, office_id, change))


@api.route("/staff/offices/{office_id}/mode", methods=["PUT"], authorizer=staff_identity)
@_settings_change("Switch between self-service and contact-center scheduling", ModeBody,
                  responses.OfficeSettings, {422: ["invalid_setting"]})
@handled
@staff(*ADMINS)
def change_mode(actor: Actor, office_id):
    body = parse(ModeBody, _body())
    return _with_etag(wiring.office_administration().change_mode(
        actor, office_id, body.mode, _version(body.version)))


@api.route("/staff/offices/{office_id}/closures", methods=["POST"], authorizer=staff_identity)
@_settings_change("Close the office for days or hours: its appointments are cancelled and "
                  "the people told", ClosureBody, responses.ClosureAdded,
                  {422: ["invalid_closure"]}, status=201)
@handled
@staff(*ADMINS)
def add_closure(actor: Actor, office_id):
    body = parse(ClosureBody, _body())
    office, closure = wiring.office_administration().add_closure(
        actor, office_id, body.from_, body.to, body.reason_code, body.note,
        _version(body.version))
    # The closure's appointments: the first ones now, the rest by the closure job.
    cancelled = wiring.closure_job().run(office_ids=[office_id],
                                         closure_id=closure["closure_id"], limit=25)
    return Response({**closure, "version": office["version"],
                     "appointments_cancelled": cancelled["cancelled"],
                     "appointments_remaining": cancelled["remaining"]},
                    status_code=201, headers={"ETag": f'"{office["version"]}"'})


@api.route("/staff/offices/{office_id}/closures/{closure_id}", methods=["DELETE"],
           authorizer=staff_identity)
@contract.operation(
    "Re-open a closure that has not started (its slots open again)", tags=SETTINGS,
    path=ClosurePath, responses={200: responses.ClosureRemoved},
    problems={404: ["unknown_office", "closure_not_found"],
              409: ["closure_started", "concurrent_update"]},
    response_headers={200: (contract.ETAG,)})
@handled
@staff(*ADMINS)
def remove_closure(actor: Actor, office_id, closure_id):
    return _with_etag(wiring.office_administration().remove_closure(actor, office_id,
                                                                    closure_id))


@api.route("/staff/offices/{office_id}/changes", authorizer=staff_identity)
@contract.operation(
    "The office's audit trail of settings changes, newest first", tags=SETTINGS,
    path=OfficePath, responses={200: responses.OfficeChanges},
    problems={404: ["unknown_office"]})
@handled
@staff(*ADMINS)
def changes(actor: Actor, office_id):
    return wiring.office_administration().changes(actor, office_id)


# --- the day at the office ---------------------------------------------------------------------

DESK = (FRONT_DESK, TIER2, SUPERVISOR, OFFICE_ADMIN)
MARKERS = (FRONT_DESK, SUPERVISOR, OFFICE_ADMIN)


def _mark(summary: str):
    return contract.operation(
        summary, tags=DAY, path=ConfirmationPath, responses={200: responses.AttendanceMark},
        problems={404: ["appointment_not_found"],
                  409: ["already_marked", "too_early_to_mark"]})


@api.route("/staff/offices/{office_id}/roster", authorizer=staff_identity)
@contract.operation(
    "The day's appointments at an office (no contact details)", tags=DAY, path=OfficePath,
    query=RosterQuery, responses={200: responses.Roster},
    problems={400: ["invalid_parameter"], 404: ["unknown_office"]})
@handled
@staff(*DESK)
def roster(actor: Actor, office_id):
    return wiring.front_desk().roster(actor, office_id,
                                      params.date_query(api.current_request, "date"))


@api.route("/staff/appointments/{confirmation_number}/check-in", methods=["POST"],
           authorizer=staff_identity)
@_mark("Check a person in (from an hour before the start)")
@handled
@staff(*MARKERS)
def check_in(actor: Actor, confirmation_number):
    return wiring.front_desk().check_in(actor, confirmation_number)


@api.route("/staff/appointments/{confirmation_number}/no-show", methods=["POST"],
           authorizer=staff_identity)
@_mark("Mark a missed appointment (after the grace period)")
@handled
@staff(*MARKERS)
def no_show(actor: Actor, confirmation_number):
    return wiring.front_desk().no_show(actor, confirmation_number)


@api.route("/staff/appointments/{confirmation_number}/complete", methods=["POST"],
           authorizer=staff_identity)
@_mark("Mark a checked-in visit complete")
@handled
@staff(*MARKERS)
def complete(actor: Actor, confirmation_number):
    return wiring.front_desk().complete(actor, confirmation_number)


# --- assisted digital --------------------------------------------------------------------------

ASSISTERS = (TIER1, FRONT_DESK)
ASSISTED = ("staff: assisted booking",)
_BOOKING_PROBLEMS = {404: ["unknown_slot", "unknown_office"],
                     409: ["slot_unavailable", "already_booked", "appointment_in_other_region",
                           "contact_limit_reached", "too_soon_since_last_visit",
                           "office_not_self_service", "concurrent_update"]}


@api.route("/staff/appointments", methods=["POST"], authorizer=staff_identity)
@contract.operation(
    "Book for a caller or walk-in (their identity checked by staff)", tags=ASSISTED,
    request=AssistedBooking, responses={201: responses.AssistedBookingMade},
    problems=_BOOKING_PROBLEMS)
@handled
@staff(*ASSISTERS)
def book_for_caller(actor: Actor):
    body = parse(AssistedBooking, _body())
    return Response(wiring.assisted_digital().book(actor, body), status_code=201)


@api.route("/staff/appointments/{confirmation_number}/reschedule", methods=["POST"],
           authorizer=staff_identity)
@contract.operation(
    "Move a caller's appointment", tags=ASSISTED, path=ConfirmationPath,
    request=AssistedReschedule, responses={200: booking_responses.Appointment},
    problems={404: ["appointment_not_found", *_BOOKING_PROBLEMS[404]],
              409: ["not_changeable", "too_late", "same_slot", *_BOOKING_PROBLEMS[409]]})
@handled
@staff(*ASSISTERS)
def reschedule_for_caller(actor: Actor, confirmation_number):
    body = parse(AssistedReschedule, _body())
    return wiring.assisted_digital().reschedule(actor, confirmation_number, body)


@api.route("/staff/appointments/{confirmation_number}/cancel", methods=["POST"],
           authorizer=staff_identity)
@contract.operation(
    "Cancel a caller's appointment", tags=ASSISTED, path=ConfirmationPath,
    request=AssistedCancellation, responses={200: booking_responses.Appointment},
    problems={404: ["appointment_not_found"],
              409: ["not_changeable", "too_late", "concurrent_update"]})
@handled
@staff(*ASSISTERS)
def cancel_for_caller(actor: Actor, confirmation_number):
    body = parse(AssistedCancellation, _body())
    return wiring.assisted_digital().cancel(actor, confirmation_number, body)
