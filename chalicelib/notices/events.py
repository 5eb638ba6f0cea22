"""Notice events: the SQS message body every context publishes (ids only, never PII)."""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws


class MalformedEvent(ValueError):
    """The message body is not a notice event; retrying cannot fix it (it ends in the DLQ)."""


class PublishFailed(Exception):
    """The event could not be handed to the queue."""


@dataclass(frozen=True)
class NoticeEvent:
    kind: str
    subject: str
    id: str
    version: int
    attempt: int = 0  # set by the pipeline when it re-queues a throttled notice

    @property
    def key(self) -> tuple[str, str]:
        """The exactly-once key: (subject#id, kind#version)."""
        return f"{self.subject}#{self.id}", f"{self.kind}#{self.version}"

    def to_json(self) -> str:
        body = {"kind": self.kind, "subject": self.subject, "id": self.id,
                "version": self.version}
        if self.attempt:
            body["attempt"] = self.attempt
        return json.dumps(body)

    @classmethod
    def from_json(cls, raw: str) -> "NoticeEvent":
        try:
            body = json.loads(raw)
        except (TypeError, ValueError):
            raise MalformedEvent("body is not JSON") from None
        if not isinstance(body, dict):
            raise MalformedEvent("body is not an object")
        kind, subject, ident, version = (body.get(k) for k in ("kind", "subject", "id", "version"))
        attempt = body.get("attempt", 0)
        if not all(isinstance(v, str) and v for v in (kind, subject, ident)):
            raise MalformedEvent("kind, subject and id must be non-empty strings")
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise MalformedEvent("version must be a non-negative integer")
        if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 0:
            raise MalformedEvent("attempt must be a non-negative integer")
        return cls(kind, subject, ident, version, attempt)

    def retried(self) -> "NoticeEvent":
        return replace(self, attempt=self.attempt + 1)


class SqsNoticeQueue:
    """Publishes notice events to the notices queue."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def publish(self, event: NoticeEvent, delay_seconds: int = 0) -> None:
        if not self.queue_url:
            raise PublishFailed("no notices queue configured")
        try:
            aws.client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=event.to_json(),
                                           DelaySeconds=max(0, min(900, delay_seconds)))
        except (BotoCoreError, ClientError) as error:
            raise PublishFailed(type(error).__name__) from None
