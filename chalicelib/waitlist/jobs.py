"""Scheduled waitlist job."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from chalicelib import wiring
from chalicelib.observability import emit_counts

jobs = Blueprint(__name__)
log = logging.getLogger(__name__)

LAPSED_METRIC = "WaitlistOffersLapsed"


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="move_waitlist_on")
def move_waitlist_on(event):
    """Lapsed offers end and their seats go to the next person waiting; entries whose range
    has passed end; offer notices not yet settled are published again (sent once)."""
    counts = wiring.waitlist_service().move_on()
    emit_counts({LAPSED_METRIC: counts["lapsed"]})
    log.info("waitlist moved on", extra=counts)
    return counts
