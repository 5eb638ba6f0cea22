"""Scheduled booking jobs."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from chalicelib import wiring
from chalicelib.observability import emit_counts

jobs = Blueprint(__name__)
log = logging.getLogger(__name__)

RELEASED_METRIC = "ReservedSeatsReleased"
RETURNED_METRIC = "ExpiredHoldSeatsReturned"


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="generate_slots")
def generate_slots(event):
    """Keeps every office's booking window filled; idempotent, so hourly runs are cheap."""
    created = wiring.booking_service().generate_slots()
    log.info("slots generated", extra={"slots_created": sum(created.values())})
    return created


@jobs.schedule(Rate(15, unit=Rate.MINUTES), name="release_reserved_seats")
def release_reserved_seats(event):
    """Gives the unused reserved seats of slots starting within each office's release lead
    time to the public; the count of seats released is a metric (zero included)."""
    counts = wiring.reserved_seat_release().run()
    emit_counts({RELEASED_METRIC: counts["released"]})
    log.info("reserved seats released", extra=counts)
    return counts


@jobs.schedule(Rate(15, unit=Rate.MINUTES), name="unlist_booked_out_slots")
def unlist_booked_out_slots(event):
    """Takes the slots that have no seat to show out of the `listed` index availability reads
    (chalicelib/booking/listing.py); a seat freed later lists its slot again in its own write."""
    counts = wiring.booked_out_unlisting().run()
    log.info("booked-out slots unlisted", extra=counts)
    return counts


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="return_expired_holds")
def return_expired_holds(event):
    """Puts the seats of expired holds back in their slots' public counts (they are free to
    bookings from the moment they expire; this keeps the counts and listings exact)."""
    counts = wiring.hold_service().return_expired()
    emit_counts({RETURNED_METRIC: counts["returned"]})
    log.info("expired holds returned", extra=counts)
    return counts


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="sweep_claims")
def sweep_claims(event):
    """Resolves this region's pending person claims whose lease ran out (their request died
    between the booking transaction and the claim's confirmation): confirmed when the
    appointment is here, deleted otherwise (chalicelib/booking/claims.py)."""
    counts = wiring.nationwide_claims().sweep()
    log.info("claims swept", extra=counts)
    return counts
