"""Scheduled booking jobs."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from chalicelib import wiring

jobs = Blueprint(__name__)
log = logging.getLogger(__name__)


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="generate_slots")
def generate_slots(event):
    """Keeps every office's booking window filled; idempotent, so hourly runs are cheap."""
    created = wiring.booking_service().generate_slots()
    log.info("slots generated", extra={"slots_created": sum(created.values())})
    return created
