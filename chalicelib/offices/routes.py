"""Staff API for office operations: settings, schedule, mode, closures. Parse, call the
service, serialize. Behind the shared `staff_identity` authorizer and `staff(...)` role check
(chalicelib/staff/routes.py explains how 401 and 403 are answered)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import errors, params, wiring
from chalicelib.offices.service import ScheduleChange
from chalicelib.offices.validation import (AssistedBooking, AssistedCancellation,
                                           AssistedReschedule, ClosureBody, ModeBody,
                                           ScheduleBody, parse)
from chalicelib.problems import handled
from chalicelib.staff.identity import Actor
from chalicelib.staff.roles import (FRONT_DESK, HEADQUARTERS, OFFICE_ADMIN, SUPERVISOR,
                                    TIER1, TIER2)
from chalicelib.staff.routes import staff, staff_identity

api = Blueprint(__name__)
ADMINS = (OFFICE_ADMIN, HEADQUARTERS)


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
@handled
@staff(*ADMINS)
def settings(actor: Actor, office_id):
    return _with_etag(wiring.office_administration().settings(actor, office_id))


@api.route("/staff/offices/{office_id}/schedule", methods=["PUT"], authorizer=staff_identity)
@handled
@staff(*ADMINS)
def change_schedule(actor: Actor, office_id):
    body = parse(ScheduleBody, _body())
    change = ScheduleChange(_version(body.version), body.effective_from, body.slot_minutes,
                            body.capacity, {d: [list(p) for p in r] for d, r in body.hours.items()},
                            body.reserved_seats, body.release_lead_hours)
    return _with_etag(wiring.office_administration().change_schedule(actor, office_id, change))


@api.route("/staff/offices/{office_id}/mode", methods=["PUT"], authorizer=staff_identity)
@handled
@staff(*ADMINS)
def change_mode(actor: Actor, office_id):
    body = parse(ModeBody, _body())
    return _with_etag(wiring.office_administration().change_mode(
        actor, office_id, body.mode, _version(body.version)))


@api.route("/staff/offices/{office_id}/closures", methods=["POST"], authorizer=staff_identity)
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
@handled
@staff(*ADMINS)
def remove_closure(actor: Actor, office_id, closure_id):
    return _with_etag(wiring.office_administration().remove_closure(actor, office_id,
                                                                    closure_id))


@api.route("/staff/offices/{office_id}/changes", authorizer=staff_identity)
@handled
@staff(*ADMINS)
def changes(actor: Actor, office_id):
    return wiring.office_administration().changes(actor, office_id)


# --- the day at the office ---------------------------------------------------------------------

DESK = (FRONT_DESK, TIER2, SUPERVISOR, OFFICE_ADMIN)
MARKERS = (FRONT_DESK, SUPERVISOR, OFFICE_ADMIN)


@api.route("/staff/offices/{office_id}/roster", authorizer=staff_identity)
@handled
@staff(*DESK)
def roster(actor: Actor, office_id):
    return wiring.front_desk().roster(actor, office_id,
                                      params.date_query(api.current_request, "date"))


@api.route("/staff/appointments/{confirmation_number}/check-in", methods=["POST"],
           authorizer=staff_identity)
@handled
@staff(*MARKERS)
def check_in(actor: Actor, confirmation_number):
    return wiring.front_desk().check_in(actor, confirmation_number)


@api.route("/staff/appointments/{confirmation_number}/no-show", methods=["POST"],
           authorizer=staff_identity)
@handled
@staff(*MARKERS)
def no_show(actor: Actor, confirmation_number):
    return wiring.front_desk().no_show(actor, confirmation_number)


@api.route("/staff/appointments/{confirmation_number}/complete", methods=["POST"],
           authorizer=staff_identity)
@handled
@staff(*MARKERS)
def complete(actor: Actor, confirmation_number):
    return wiring.front_desk().complete(actor, confirmation_number)


# --- assisted digital --------------------------------------------------------------------------

ASSISTERS = (TIER1, FRONT_DESK)


@api.route("/staff/appointments", methods=["POST"], authorizer=staff_identity)
@handled
@staff(*ASSISTERS)
def book_for_caller(actor: Actor):
    body = parse(AssistedBooking, _body())
    return Response(wiring.assisted_digital().book(actor, body), status_code=201)


@api.route("/staff/appointments/{confirmation_number}/reschedule", methods=["POST"],
           authorizer=staff_identity)
@handled
@staff(*ASSISTERS)
def reschedule_for_caller(actor: Actor, confirmation_number):
    body = parse(AssistedReschedule, _body())
    return wiring.assisted_digital().reschedule(actor, confirmation_number, body)


@api.route("/staff/appointments/{confirmation_number}/cancel", methods=["POST"],
           authorizer=staff_identity)
@handled
@staff(*ASSISTERS)
def cancel_for_caller(actor: Actor, confirmation_number):
    body = parse(AssistedCancellation, _body())
    return wiring.assisted_digital().cancel(actor, confirmation_number, body)
