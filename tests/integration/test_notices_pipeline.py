"""The notices pipeline against the moto server: booking -> SQS -> consumer -> SES v2 (or a
letter), the sent log's conditional writes, the outbox sweep and the reminder index."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from chalicelib import aws, wiring
from chalicelib.booking.validation import BookingRequest, Proof, RescheduleRequest
from chalicelib.notices import handlers
from chalicelib.notices.ports import SENT, UNDELIVERABLE, AlreadySettled, Busy
from chalicelib.notices.records import LetterRecord, SentNoticeRecord
from chalicelib.notices.repository import (DynamoAppointmentStore, DynamoLetterBox,
                                           DynamoSentLog)
from chalicelib.tables import AppointmentRecord
from local.mail import sent_emails
from local.sqs_poller import poll_once, sqs_record
from local.worker import scheduled_event
from tests.fakes import FixedClock
from tests.aws_fixtures import with_slots

OFFICE = "miami"
UTC = timezone.utc


@pytest.fixture
def stack(aws, moto_server, monkeypatch):
    monkeypatch.setenv("MIN_INTERVAL_DAYS", "0")
    wiring.rewire()
    with_slots([OFFICE])
    return {"queue": aws["notices"], "moto": moto_server}


def slot_at_least(days: float) -> str:
    slots = wiring.booking_service().availability(OFFICE, None, None)["slots"]
    after = datetime.now(UTC) + timedelta(days=days)
    return next(s["slot_id"] for s in slots if datetime.fromisoformat(s["start"]) >= after)


def book(days=1.0, language="es", contact_method="email", email="ana.ruiz@example.org",
         last="Ruiz"):
    body = {"slot_id": slot_at_least(days),
            "applicant": {"first_name": "Ana", "last_name": last, "date_of_birth": "1979-08-30",
                          "email": email, "phone": "(305) 555-0199",
                          "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL",
                                      "zip": "33139"}},
            "reason": {"category": "other"}, "language": language,
            "contact_method": contact_method}
    outcome = wiring.booking_service().book(BookingRequest.model_validate(body))
    return outcome.body["confirmation_number"].replace("-", "")


def receive(queue_url):
    return aws.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                             WaitTimeSeconds=0).get("Messages", [])


def event_of(*messages):
    return {"Records": [sqs_record(m, "arn:aws:sqs:us-east-1:123456789012:notices")
                        for m in messages]}


def emails(stack, to=None):
    return [e for e in sent_emails(stack["moto"]) if to is None or e["to"] == to]


def queue_counts(queue_url):
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed",
        "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return {k.replace("ApproximateNumberOfMessages", "") or "visible": int(v)
            for k, v in attributes.items()}


def in_outbox(cn):
    return cn in {r.confirmation_number for r in AppointmentRecord.outbox_index.query("pending")}


def test_a_booking_is_confirmed_by_email_once_despite_redelivery_and_duplicates(stack):
    cn = book()
    [message] = receive(stack["queue"])
    assert json.loads(message["Body"]) == {"kind": "booking_confirmation",
                                           "subject": "appointment", "id": cn, "version": 1}
    assert handlers.send_notice(event_of(message), None) == {"batchItemFailures": []}
    handlers.send_notice(event_of(message), None)  # redelivered: same message id
    duplicate = {**message, "MessageId": "another-delivery-of-the-same-event"}
    handlers.send_notice(event_of(duplicate), None)  # published twice: distinct message id
    [sent] = emails(stack)
    assert sent["to"] == "ana.ruiz@example.org" and sent["language"] == "es"
    assert sent["subject"] == f"Su cita con USCIS está confirmada: {cn[:4]}-{cn[4:8]}-{cn[8:]}"
    assert "Qué debe traer" in sent["text"] and sent["attachments"] == ["appointment.ics"]
    assert SentNoticeRecord.get(f"appointment#{cn}", "booking_confirmation#1").state == SENT
    record = AppointmentRecord.get(cn)
    assert record.pending_notices is None and record.outbox is None
    assert not in_outbox(cn)


def test_a_booking_whose_publish_failed_still_gets_its_notice_through_the_outbox(
        stack, monkeypatch):
    service = wiring.booking_service()
    monkeypatch.setattr(service.publisher, "queue_url", stack["queue"] + "-gone")
    cn = book()
    assert receive(stack["queue"]) == []  # the publish was lost
    assert in_outbox(cn)
    monkeypatch.setenv("OUTBOX_GRACE_MINUTES", "0")
    wiring.rewire()
    time.sleep(1.1)  # the sweep takes notices older than the grace period, to the second
    assert handlers.sweep_outbox(scheduled_event(), None) == {"published": 1}
    assert poll_once(stack["queue"], handlers.send_notice) == 1
    [sent] = emails(stack)
    assert sent["to"] == "ana.ruiz@example.org" and cn[:4] in sent["subject"]
    assert not in_outbox(cn)
    assert handlers.sweep_outbox(scheduled_event(), None) == {"published": 0}


def test_ses_throttling_puts_the_notice_back_on_the_queue_with_a_delay(stack, monkeypatch):
    book()
    [message] = receive(stack["queue"])
    ses = aws.client("sesv2")

    def throttled(**request):
        raise ClientError({"Error": {"Code": "TooManyRequestsException",
                                     "Message": "Maximum sending rate exceeded."}}, "SendEmail")

    monkeypatch.setattr(ses, "send_email", throttled)
    assert handlers.send_notice(event_of(message), None) == {"batchItemFailures": []}
    assert emails(stack) == []
    assert queue_counts(stack["queue"])["Delayed"] == 1
    assert SentNoticeRecord.count() == 0  # the claim was released: the retry can send at once


def test_a_permanently_rejected_email_is_marked_undeliverable_not_retried(stack, monkeypatch):
    cn = book()
    [message] = receive(stack["queue"])
    monkeypatch.setenv("SES_SENDER", "someone@unverified.example")  # SES refuses this sender
    wiring.rewire()
    assert handlers.send_notice(event_of(message), None) == {"batchItemFailures": []}
    assert emails(stack) == []
    record = SentNoticeRecord.get(f"appointment#{cn}", "booking_confirmation#1")
    assert record.state == UNDELIVERABLE and record.reason == "MessageRejected"


def test_a_poison_message_reaches_the_dead_letter_queue_after_five_receives(stack):
    sqs = aws.client("sqs")
    sqs.set_queue_attributes(QueueUrl=stack["queue"], Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=stack["queue"], MessageBody='{"kind": "booking_confirmation"}')
    for _ in range(6):
        poll_once(stack["queue"], handlers.send_notice)
    dlq = sqs.get_queue_url(QueueName=stack["queue"].rsplit("/", 1)[1] + "-dlq")["QueueUrl"]
    [dead] = receive(dlq)
    assert json.loads(dead["Body"]) == {"kind": "booking_confirmation"}
    assert receive(stack["queue"]) == []


def test_the_sent_log_claims_with_conditional_writes_and_a_lease(stack):
    log, key = DynamoSentLog(), ("appointment#ABC", "reminder#2")
    now = datetime.now(UTC)
    first = log.claim(key, now, 60)
    with pytest.raises(Busy):
        log.claim(key, now + timedelta(seconds=30), 60)
    second = log.claim(key, now + timedelta(seconds=61), 60)  # the first worker's lease ran out
    assert not log.settle(key, first, SENT, now, {})  # the first worker no longer holds it
    assert log.settle(key, second, SENT, now, {"message_id": "m-1", "channel": "email"})
    with pytest.raises(AlreadySettled):
        log.claim(key, now + timedelta(days=2), 60)
    log.release(key, second)  # a release after settling changes nothing
    assert log.get(key).state == SENT


def test_mail_applicants_get_a_letter_queued_for_the_office(stack):
    cn = book(contact_method="mail", email=None, language="ht")
    assert poll_once(stack["queue"], handlers.send_notice) == 1
    assert emails(stack) == []
    [letter] = LetterRecord.query(OFFICE)
    assert letter.notice_key == f"appointment#{cn}#booking_confirmation#1"
    assert letter.status == "queued" and letter.language == "ht"
    assert letter.text.startswith("Ana Ruiz\n1 Ocean Dr\nMiami, FL 33139")
    assert "Randevou ou nan USCIS konfime" in letter.subject
    # ...and it is on the office's print list (the office-letters index), recipient included.
    [waiting] = DynamoLetterBox().waiting(OFFICE, "queued", 10)
    assert waiting.notice_key == letter.notice_key and waiting.recipient_name == "Ana Ruiz"
    assert waiting.postal_address == {"line1": "1 Ocean Dr", "line2": None, "city": "Miami",
                                      "state": "FL", "zip": "33139"}


def test_reschedule_and_cancellation_notices_follow_the_changes(stack):
    cn = book(days=4, language="en")
    poll_once(stack["queue"], handlers.send_notice)
    proof = {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}
    new_slot = slot_at_least(6)
    wiring.booking_service().reschedule(cn, RescheduleRequest.model_validate(
        {**proof, "slot_id": new_slot}))
    poll_once(stack["queue"], handlers.send_notice)
    wiring.booking_service().cancel(cn, Proof.model_validate(proof))
    poll_once(stack["queue"], handlers.send_notice)
    subjects = [e["subject"].split(":")[0] for e in emails(stack)]
    assert subjects == ["Your USCIS appointment is confirmed",
                        "Your USCIS appointment has been rescheduled",
                        "Your USCIS appointment has been cancelled"]
    record = AppointmentRecord.get(cn)
    assert record.reminder_due is None and record.outbox is None


def test_reminders_are_found_through_the_reminder_index_and_sent_once(stack):
    cn = book(days=4, language="ko")
    poll_once(stack["queue"], handlers.send_notice)  # the confirmation schedules the reminder
    record = AppointmentRecord.get(cn)
    due = datetime.fromisoformat(record.reminder_due.replace("Z", "+00:00"))
    start = datetime.fromisoformat(record.start.replace("Z", "+00:00"))
    assert start - due == timedelta(hours=48) and record.reminder_day == record.reminder_due[:10]
    store = DynamoAppointmentStore()
    assert [r.confirmation_number for r in store.due_reminders(due, 3)] == [cn]
    assert list(store.due_reminders(due - timedelta(seconds=1), 3)) == []
    notices = wiring.appointment_notices()
    notices.clock = FixedClock(due + timedelta(minutes=3))
    queue = wiring.notice_queue()
    assert notices.publish_due_reminders(queue)["published"] == 1
    assert notices.publish_due_reminders(queue)["published"] == 1  # a second run, before sending
    poll_once(stack["queue"], handlers.send_notice)
    reminders = [e for e in emails(stack) if e["subject"].startswith("알림")]
    assert len(reminders) == 1 and "appointment.ics" in reminders[0]["attachments"]
    assert AppointmentRecord.get(cn).reminder_due is None
    assert notices.publish_due_reminders(queue)["published"] == 0


def test_a_confirmation_costs_the_consumer_five_dynamodb_requests(stack, dynamodb_requests):
    """Read the appointment (once: the reminder uses the same read), claim, settle, clear the
    outbox entry with its marker in one update, schedule the reminder. It was 8: a read of the
    sent log first, a second read of the appointment, two updates for the outbox."""
    cn = book(days=5)
    [message] = receive(stack["queue"])
    dynamodb_requests.clear()
    handlers.send_notice(event_of(message), None)
    assert dynamodb_requests == ["GetItem", "PutItem", "UpdateItem", "UpdateItem", "UpdateItem"]
    record = AppointmentRecord.get(cn)
    assert record.pending_notices is None and record.outbox is None
    assert record.reminder_version == 1
