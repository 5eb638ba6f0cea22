"""Scheduled office jobs."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from chalicelib import wiring

jobs = Blueprint(__name__)
log = logging.getLogger(__name__)


@jobs.schedule(Rate(1, unit=Rate.MINUTES), name="cancel_for_closures")
def cancel_for_closures(event):
    """Cancels (and notifies) the appointments of every closure not yet over. Idempotent: a run
    finds the appointments an earlier run cancelled and leaves them alone."""
    return wiring.closure_job().run()
