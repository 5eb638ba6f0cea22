"""Runs what `chalice local` does not: the scheduled jobs (and, as they are added, the queue
consumers), by calling the same handlers Lambda would call."""
from __future__ import annotations

import logging
import signal
import sys
import threading
import time

from chalicelib import wiring

log = logging.getLogger("local.worker")

# (job, seconds between runs). Deployed stages run these on their CloudWatch schedules.
def _jobs():
    from chalicelib.booking.jobs import (generate_slots, release_reserved_seats,
                                         return_expired_holds, sweep_claims,
                                         unlist_booked_out_slots)
    from chalicelib.notices.handlers import send_reminders, sweep_outbox
    from chalicelib.offices.jobs import cancel_for_closures
    from chalicelib.triage.jobs import watch_deadlines
    from chalicelib.waitlist.jobs import move_waitlist_on
    return [(generate_slots, 3600), (send_reminders, 60), (sweep_outbox, 60),
            (watch_deadlines, 900), (cancel_for_closures, 60), (release_reserved_seats, 900),
            (return_expired_holds, 60), (move_waitlist_on, 60), (sweep_claims, 60),
            (unlist_booked_out_slots, 900)]


# (queue definition, Chalice on_sqs_message handler, batch size), drained by CONSUMER_THREADS.
def _consumers():
    from chalicelib.notices.handlers import BATCH_SIZE, send_notice
    from chalicelib.queues import NOTICES
    return [(NOTICES, send_notice, BATCH_SIZE)]


def scheduled_event() -> dict:
    """The shape of the EventBridge event Lambda receives on a schedule."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"version": "0", "id": "local", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": now,
            "region": "us-east-1", "resources": [], "detail": {}}


# Lambda's event source mapping polls a queue with five concurrent batches and adds more while
# messages wait. One consumer that rested between batches fell behind a steady 4 bookings/s (two
# notices each). Against the serialized moto server each consumer thread is one waiting request
# among the API's: with 2 (then 5) threads beside 4 soak clients the backlog still grew (+130
# notices per 250 bookings and cancellations with 5), while each notice takes about as many
# requests as a booking does; with 10 it stayed at 0-3 over 1,000.
CONSUMER_THREADS = 10


def _consume_forever(consumers) -> None:
    """Drain: poll again at once while there are messages, rest only when the queues are empty."""
    from local.sqs_poller import poll_once
    while True:
        handled = 0
        for queue_url, handler, size in consumers:
            try:
                handled += poll_once(queue_url, handler, size)
            except Exception:  # noqa: BLE001 - moto restarting or gone: keep polling
                log.exception("polling failed")
        if not handled:
            time.sleep(0.5)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="worker: %(message)s")
    wiring.rewire()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    jobs = _jobs()
    next_run = {job: 0.0 for job, _ in jobs}
    from chalicelib import aws
    consumers = [(aws.client("sqs").get_queue_url(QueueName=queue.name())["QueueUrl"], handler, size)
                 for queue, handler, size in _consumers()]
    # Consumers poll on their own thread, so a long job (the first slot generation) never
    # holds up a notice.
    for _ in range(CONSUMER_THREADS):
        threading.Thread(target=_consume_forever, args=(consumers,), daemon=True).start()
    while True:
        now = time.monotonic()
        for job, every in jobs:
            if now >= next_run[job]:
                try:
                    job(scheduled_event(), None)
                except Exception:  # noqa: BLE001 - like Lambda: a failed run waits for the next
                    log.exception("scheduled job failed")
                next_run[job] = now + every
        time.sleep(1)


if __name__ == "__main__":
    main()
