"""Creates the stage's tables and queues in the local moto server from the shared definitions,
loads the offices (offices.json, once) and seeds the booking window."""
from __future__ import annotations

import json

from chalicelib import aws, settings as _settings, tables, wiring
from chalicelib.queues import QUEUES


def create_tables() -> None:
    for model in tables.all_tables():
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            if model.ttl_attribute:
                aws.client("dynamodb").update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": model.ttl_attribute})


def create_queues() -> dict[str, str]:
    sqs = aws.client("sqs")
    urls = {}
    for queue in QUEUES:
        dlq_url = sqs.create_queue(QueueName=queue.dead_letter_name(), Attributes={
            "MessageRetentionPeriod": str(queue.dead_letter_retention_seconds)})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        urls[queue.short_name] = sqs.create_queue(QueueName=queue.name(), Attributes={
            "VisibilityTimeout": str(queue.visibility_timeout),
            "MessageRetentionPeriod": str(queue.retention_seconds),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                         "maxReceiveCount": str(queue.max_receive_count)}),
        })["QueueUrl"]
    return urls


def verify_sender() -> None:
    """moto's SES refuses to send from an unverified address, like SES in its sandbox."""
    from email.utils import parseaddr

    from chalicelib.notices.ses import LOCAL_SENDER

    address = parseaddr(_settings.settings.ses_sender or LOCAL_SENDER)[1]
    aws.client("sesv2").create_email_identity(EmailIdentity=address)


def provision(seed: bool = True) -> dict[str, str]:
    create_tables()
    urls = create_queues()
    verify_sender()
    wiring.office_administration().seed()  # offices.json, once: the tests' offices too
    if seed:
        wiring.booking_service().generate_slots()
    return urls


if __name__ == "__main__":
    wiring.rewire()
    print(json.dumps(provision()))
