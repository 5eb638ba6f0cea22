"""Delivers SQS messages to a Chalice `on_sqs_message` handler the way Lambda's event source
mapping does: one batch per invocation, delete what succeeded, leave failures for redelivery
(after the visibility timeout; the queue's redrive policy moves them to the DLQ)."""
from __future__ import annotations

import logging
from typing import Callable

from chalicelib import aws

log = logging.getLogger("local.worker")


def sqs_record(message: dict, queue_arn: str) -> dict:
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": message.get("Attributes", {}),
            "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1"}


def poll_once(queue_url: str, handler: Callable, batch_size: int = 1) -> int:
    """Receive without waiting (the local moto serves one request at a time, so a long poll
    would stall everyone) and invoke the handler per batch. Returns messages handled.

    What succeeded is deleted with one DeleteMessageBatch per receive, as the event source
    mapping deletes: one DeleteMessage per notice was a seventh of the consumer's requests to the
    serialized server. A message whose invocation failed stays for redelivery."""
    sqs = aws.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                   WaitTimeSeconds=0, AttributeNames=["All"]).get("Messages", [])
    arn = "arn:aws:sqs:us-east-1:123456789012:" + queue_url.rsplit("/", 1)[-1]
    done = []
    for start in range(0, len(messages), batch_size):
        batch = messages[start:start + batch_size]
        try:
            result = handler({"Records": [sqs_record(m, arn) for m in batch]}, None)
        except Exception:  # noqa: BLE001 - stands in for the Lambda runtime: a failed invocation
            log.exception("consumer invocation failed; the messages will be redelivered")
            continue
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done += [m for m in batch if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)])
    return len(messages)
