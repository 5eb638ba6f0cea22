"""Runs what `chalice local` does not: the scheduled jobs (and, as they are added, the queue
consumers), by calling the same handlers Lambda would call."""
from __future__ import annotations

import logging
import signal
import sys
import time

from chalicelib import wiring

log = logging.getLogger("local.worker")

# (job, seconds between runs). Deployed stages run these on their CloudWatch schedules.
def _jobs():
    from chalicelib.booking.jobs import generate_slots
    return [(generate_slots, 3600)]


def scheduled_event() -> dict:
    """The shape of the EventBridge event Lambda receives on a schedule."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"version": "0", "id": "local", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": now,
            "region": "us-east-1", "resources": [], "detail": {}}


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="worker: %(message)s")
    wiring.rewire()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    jobs = _jobs()
    next_run = {job: 0.0 for job, _ in jobs}
    while True:
        now = time.monotonic()
        for job, every in jobs:
            if now >= next_run[job]:
                job(scheduled_event(), None)
                next_run[job] = now + every
        time.sleep(1)


if __name__ == "__main__":
    main()
