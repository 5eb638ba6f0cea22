"""The local stand-in for Lambda's event source mapping (local/sqs_poller.py): what a handler
reports as handled is deleted, in one request per receive; a failure stays for redelivery."""
from chalicelib import aws as clients
from local.sqs_poller import poll_once


def test_handled_messages_are_deleted_in_one_request_and_a_reported_failure_is_redelivered(aws):
    sqs = clients.client("sqs")
    url = aws["notices"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    for body in ("one", "bad", "three"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    calls = []
    sqs.meta.events.register("before-call.sqs.*",
                                    lambda model, **_: calls.append(model.name))

    def handler(event, context):
        [record] = event["Records"]
        failed = [{"itemIdentifier": record["messageId"]}] if record["body"] == "bad" else []
        return {"batchItemFailures": failed}

    assert poll_once(url, handler, 1) == 3
    assert calls == ["ReceiveMessage", "DeleteMessageBatch"]
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in left] == ["bad"]

