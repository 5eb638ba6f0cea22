"""Scheduled publication of the performance figures."""
from __future__ import annotations

from datetime import datetime, timezone

from chalice import Blueprint, Rate

from chalicelib import wiring

jobs = Blueprint(__name__)


@jobs.schedule(Rate(1, unit=Rate.HOURS), name="publish_performance")
def publish_performance(event):
    """Hourly: each office's day is counted once that office's night has come (office-local),
    so every zone is published on its own morning; a missed hour is made up by the next."""
    return wiring.publication().run(datetime.now(timezone.utc))
