"""Waitlist API: parse, call the service, serialize."""
from __future__ import annotations

from chalice import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import contract, links, params, wiring
from chalicelib.booking.validation import Proof, parse
from chalicelib.limits.service import BOOKING_CLIENT
from chalicelib.problems import handled
from chalicelib.waitlist import responses
from chalicelib.waitlist.validation import WaitlistRequest

api = Blueprint(__name__)
WAITLIST = ("waitlist",)
_PROVEN = {404: ["waitlist_entry_not_found"]}


class WaitlistPath(BaseModel):
    waitlist_id: str = Field(description="As POST /v1/waitlist gave it (16 hex digits).")


@api.route("/waitlist", methods=["POST"])
@contract.operation(
    "Wait for a seat at an office between two dates (one entry per person)", tags=WAITLIST,
    request=WaitlistRequest, responses={201: responses.WaitlistEntry},
    problems={400: ["reversed_range", "invalid_range"], 404: ["unknown_office"],
              409: ["already_waiting", "already_booked", "office_not_self_service",
                    "concurrent_update"]},
    response_headers={201: (contract.LOCATION,)})
@handled
def join_waitlist():
    # Counted as bookings are, before the body is read: joining is no way around that limit.
    wiring.limiter().client_request(BOOKING_CLIENT, params.source_ip(api.current_request))
    request = parse(WaitlistRequest, api.current_request.raw_body)
    body = wiring.waitlist_service().join(request)
    return Response(body, status_code=201, headers={"Location": links.location(
        api.current_request, f"/v1/waitlist/{body['waitlist_id']}/status")})


@api.route("/waitlist/{waitlist_id}/status", methods=["POST"])
@contract.operation(
    "A waitlist entry and its open offer (proof: last name and date of birth)", tags=WAITLIST,
    path=WaitlistPath, request=Proof, responses={200: responses.WaitlistEntry},
    problems=_PROVEN)
@handled
def waitlist_status(waitlist_id):
    return wiring.waitlist_service().status(waitlist_id,
                                            parse(Proof, api.current_request.raw_body))


@api.route("/waitlist/{waitlist_id}/leave", methods=["POST"])
@contract.operation(
    "Leave the waitlist (an open offer goes to the next person)", tags=WAITLIST,
    path=WaitlistPath, request=Proof, responses={200: responses.WaitlistEntry},
    problems=_PROVEN)
@handled
def leave_waitlist(waitlist_id):
    return wiring.waitlist_service().leave(waitlist_id,
                                           parse(Proof, api.current_request.raw_body))


@api.route("/waitlist/{waitlist_id}/accept", methods=["POST"])
@contract.operation(
    "Accept the offered seat: it is booked with the offer's hold", tags=WAITLIST,
    path=WaitlistPath, request=Proof, responses={200: responses.WaitlistAccepted},
    problems={404: ["waitlist_entry_not_found", "unknown_slot", "unknown_office",
                    "hold_not_found"],
              409: ["no_open_offer", "already_booked", "appointment_in_other_region",
                    "contact_limit_reached",
                    "too_soon_since_last_visit", "slot_unavailable", "office_not_self_service",
                    "hold_already_used", "hold_expired", "hold_slot_mismatch",
                    "concurrent_update"]})
@handled
def accept_waitlist_offer(waitlist_id):
    return wiring.waitlist_service().accept(waitlist_id,
                                            parse(Proof, api.current_request.raw_body))
