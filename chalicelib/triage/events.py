"""Publishes triage notice events to the notices queue: `{"kind", "subject": "service_request",
"id", "version"}`, ids only (the notices pipeline reads the request it needs)."""
from __future__ import annotations

from chalicelib.notices.events import NoticeEvent, PublishFailed as QueuePublishFailed, SqsNoticeQueue
from chalicelib.triage.ports import PublishFailed

SUBJECT = "service_request"


class SqsRequestNotices:
    def __init__(self, queue: SqsNoticeQueue) -> None:
        self.queue = queue

    def publish(self, kind: str, request_id: str, version: int) -> None:
        try:
            self.queue.publish(NoticeEvent(kind, SUBJECT, request_id, version))
        except QueuePublishFailed as error:
            raise PublishFailed(str(error)) from None
