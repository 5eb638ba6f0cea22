"""Waitlist API: parse, call the service, serialize."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import links, params, wiring
from chalicelib.booking.validation import Proof, parse
from chalicelib.limits.service import BOOKING_CLIENT
from chalicelib.problems import handled
from chalicelib.waitlist.validation import WaitlistRequest

api = Blueprint(__name__)


@api.route("/waitlist", methods=["POST"])
@handled
def join():
    # Counted as bookings are, before the body is read: joining is no way around that limit.
    wiring.limiter().client_request(BOOKING_CLIENT, params.source_ip(api.current_request))
    request = parse(WaitlistRequest, api.current_request.raw_body)
    body = wiring.waitlist_service().join(request)
    return Response(body, status_code=201, headers={"Location": links.location(
        api.current_request, f"/v1/waitlist/{body['waitlist_id']}/status")})


@api.route("/waitlist/{waitlist_id}/status", methods=["POST"])
@handled
def status(waitlist_id):
    return wiring.waitlist_service().status(waitlist_id,
                                            parse(Proof, api.current_request.raw_body))


@api.route("/waitlist/{waitlist_id}/leave", methods=["POST"])
@handled
def leave(waitlist_id):
    return wiring.waitlist_service().leave(waitlist_id,
                                           parse(Proof, api.current_request.raw_body))


@api.route("/waitlist/{waitlist_id}/accept", methods=["POST"])
@handled
def accept(waitlist_id):
    return wiring.waitlist_service().accept(waitlist_id,
                                            parse(Proof, api.current_request.raw_body))
