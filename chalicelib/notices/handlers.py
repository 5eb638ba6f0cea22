"""Notices entry points: the SQS consumer and the scheduled jobs. Parse, call a service, report.

Batch size 1: a failing message is retried alone and reaches the dead-letter queue after the
queue's maxReceiveCount, without dragging others along. The handler still answers in the
partial-batch shape, so a larger batch only needs `ReportBatchItemFailures` on the event source.
"""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from chalicelib import wiring
from chalicelib.queues import NOTICES

# The notice modules are imported by the handlers that use them: the API function imports this
# module too (one app), and its cold start should not load the notices context.

notices = Blueprint(__name__)
log = logging.getLogger(__name__)
BATCH_SIZE = 1


@notices.on_sqs_message(queue=NOTICES.name(), batch_size=BATCH_SIZE, name="send_notice")
def send_notice(event):
    from aws_lambda_powertools.utilities.batch import (BatchProcessor, EventType,
                                                       process_partial_response)
    return process_partial_response(event=event.to_dict(), record_handler=_deliver,
                                    processor=BatchProcessor(event_type=EventType.SQS),
                                    context=event.context)


def _deliver(record) -> str:
    from chalicelib.notices.events import MalformedEvent, NoticeEvent
    from chalicelib.notices.service import PoisonNotice

    try:
        return wiring.notice_service().handle(NoticeEvent.from_json(record.body)).status
    except (MalformedEvent, PoisonNotice) as error:
        log.error("poison notice; it reaches the dead-letter queue after retries",
                  extra={"message_id": record.message_id, "error": str(error)})
        raise


@notices.schedule(Rate(15, unit=Rate.MINUTES), name="send_reminders")
def send_reminders(event):
    counts = wiring.appointment_notices().publish_due_reminders(wiring.notice_queue())
    log.info("reminders", extra=counts)
    return counts


@notices.schedule(Rate(5, unit=Rate.MINUTES), name="sweep_outbox")
def sweep_outbox(event):
    from chalicelib.notices import registry

    published = wiring.notice_service().sweep_outbox(registry.all_subjects())
    log.info("outbox swept", extra={"published": published})
    return {"published": published}
