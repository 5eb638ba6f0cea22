"""Publishes notice events to the notifications queue. Events carry ids only, never PII:
the consumer reads the appointment it needs."""
from __future__ import annotations

import json

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.booking.ports import PublishFailed


class SqsNoticePublisher:
    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def publish(self, kind: str, confirmation_number: str, version: int) -> None:
        if not self.queue_url:
            raise PublishFailed("no notifications queue configured")
        body = {"kind": kind, "subject": "appointment", "id": confirmation_number,
                "version": version}
        try:
            aws.client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(body))
        except (BotoCoreError, ClientError) as error:
            raise PublishFailed(str(type(error).__name__)) from None
