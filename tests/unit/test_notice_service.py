"""Notice delivery rules through the service, with in-memory fakes and a fixed clock:
exactly once, retries, throttling, rejections, stale notices, letters and reminders."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.notices.appointments import AppointmentNoticePolicy, AppointmentNotices
from chalicelib.notices.events import MalformedEvent, NoticeEvent
from chalicelib.notices.ports import SENT, SKIPPED, UNDELIVERABLE
from chalicelib.notices.registry import UnknownSubject
from chalicelib.notices.service import NoticeService, PoisonNotice, RetryLater
from tests.fakes import FixedClock
from tests.notice_fakes import (FakeAppointmentStore, FakeLetterBox, FakeQueue, FakeSender,
                                FakeSentLog, PermanentlyRejected, SendFailed, Throttled,
                                appointment)

UTC = timezone.utc
CN = "7K3M9Q2XHD4P"
BOOKED_AT = datetime(2026, 11, 20, 15, tzinfo=UTC)


@dataclass
class World:
    clock: FixedClock
    store: FakeAppointmentStore
    notices: AppointmentNotices
    sent_log: FakeSentLog
    sender: FakeSender
    letters: FakeLetterBox
    queue: FakeQueue
    service: NoticeService

    def deliver(self, kind="booking_confirmation", version=1, cn=CN, attempt=0):
        return self.service.handle(NoticeEvent(kind, "appointment", cn, version, attempt))

    def run_reminders(self):
        counts = self.notices.publish_due_reminders(self.queue)
        outcomes = [self.service.handle(event) for event in self.queue.take()]
        return counts, outcomes


@pytest.fixture
def world():
    clock = FixedClock(BOOKED_AT + timedelta(seconds=5))
    store = FakeAppointmentStore()
    notices = AppointmentNotices(store, AppointmentNoticePolicy(), clock)
    subject = notices.subject()

    def subjects(name):
        if name != subject.name:
            raise UnknownSubject(name)
        return subject

    sent_log, sender, letters, queue = FakeSentLog(), FakeSender(), FakeLetterBox(), FakeQueue()
    service = NoticeService(subjects, sent_log, sender, letters, queue, lease_seconds=60,
                            clock=clock)
    store.put(appointment())
    return World(clock, store, notices, sent_log, sender, letters, queue, service)


def test_a_booking_confirmation_is_sent_once_and_clears_the_outbox(world):
    assert world.deliver().status == "sent"
    assert len(world.sender.sent) == 1
    assert world.sender.sent[0].to == "maria@example.org"
    assert world.sent_log.state(("appointment#" + CN, "booking_confirmation#1")) == SENT
    assert world.store.get(CN).pending_notices == frozenset()


def test_a_redelivered_or_duplicated_event_sends_nothing_more(world):
    world.deliver()
    assert world.deliver().status == "duplicate"
    assert world.deliver().status == "duplicate"
    assert len(world.sender.sent) == 1


def test_a_notice_claimed_by_a_live_worker_is_retried_later_not_sent_twice(world):
    key = ("appointment#" + CN, "booking_confirmation#1")
    world.sent_log.claim(key, world.clock(), 60)  # another worker is mid-send
    with pytest.raises(RetryLater):
        world.deliver()
    assert world.sender.sent == []


def test_a_claim_whose_worker_died_is_taken_over_after_its_lease(world):
    world.sender.failures.append(SendFailed("ReadTimeout"))
    with pytest.raises(SendFailed):
        world.deliver()
    with pytest.raises(RetryLater):  # redelivered at once: the dead worker's lease still holds
        world.deliver()
    world.clock.advance(seconds=61)
    assert world.deliver().status == "sent"
    assert len(world.sender.sent) == 1


def test_ses_throttling_releases_the_claim_and_requeues_with_a_delay(world):
    world.sender.failures.append(Throttled("TooManyRequestsException"))
    outcome = world.deliver()
    assert outcome.status == "deferred"
    [(event, delay)] = world.queue.events
    assert event.attempt == 1 and event.kind == "booking_confirmation"
    assert 30 <= delay <= 900
    assert world.sent_log.state(("appointment#" + CN, "booking_confirmation#1")) is None
    assert world.service.handle(event).status == "sent"  # the next try needs no lease to pass
    assert len(world.sender.sent) == 1


def test_throttling_that_never_ends_falls_back_to_the_queue_and_its_dead_letter_queue(world):
    world.sender.failures.append(Throttled("TooManyRequestsException"))
    with pytest.raises(RetryLater):
        world.deliver(attempt=12)


def test_a_permanent_rejection_marks_the_notice_undeliverable_and_stops(world):
    world.sender.failures.append(PermanentlyRejected("MessageRejected"))
    assert world.deliver().status == "undeliverable"
    assert world.sent_log.state(("appointment#" + CN, "booking_confirmation#1")) == UNDELIVERABLE
    assert world.deliver().status == "duplicate"
    assert world.sender.attempts == 1
    assert world.store.get(CN).pending_notices == frozenset()


def test_an_email_applicant_without_an_address_is_undeliverable(world):
    a = world.store.get(CN)
    world.store.change(CN, applicant={**a.applicant, "email": None})
    assert world.deliver().status == "undeliverable"
    assert world.sender.attempts == 0


def test_mail_applicants_get_a_printable_letter_queued_for_the_office_not_an_email(world):
    world.store.change(CN, contact_method="mail", language="es")
    assert world.deliver().status == "letter_queued"
    assert world.sender.sent == []
    [letter] = world.letters.letters.values()
    assert letter.office_id == "boston"
    assert letter.text.startswith("Maria Santos\n1 Main St\nBoston, MA 02108\n")
    assert "7K3M-9Q2X-HD4P" in letter.text and "1-800-375-5283" in letter.text
    assert "Su cita con USCIS está confirmada" in letter.subject
    assert world.deliver().status == "duplicate"
    assert len(world.letters.letters) == 1


def test_a_confirmation_superseded_by_a_reschedule_is_skipped_and_the_new_one_sent(world):
    new_start = datetime(2026, 12, 3, 15, tzinfo=UTC)
    world.store.change(CN, version=2, start=new_start, end=new_start + timedelta(minutes=30),
                       pending_notices=frozenset({"booking_confirmation:1",
                                                  "reschedule_confirmation:2"}))
    assert world.deliver().status == "skipped"
    assert world.deliver("reschedule_confirmation", 2).status == "sent"
    [email] = world.sender.sent
    assert "rescheduled" in email.subject and "Thursday, December 3, 2026" in email.text
    assert world.store.get(CN).pending_notices == frozenset()
    assert world.sent_log.state(("appointment#" + CN, "booking_confirmation#1")) == SKIPPED


def test_a_cancellation_is_sent_and_says_so(world):
    world.store.change(CN, status="cancelled", version=2,
                       pending_notices=frozenset({"cancellation:2"}))
    assert world.deliver("cancellation", 2).status == "sent"
    [email] = world.sender.sent
    assert "cancelled" in email.subject and "Do not come to the office" in email.text
    ics = email.attachments[0].data.decode()
    assert "STATUS:CANCELLED" in ics and "SEQUENCE:2" in ics


def test_unknown_subjects_and_kinds_are_poison(world):
    with pytest.raises(PoisonNotice):
        world.service.handle(NoticeEvent("booking_confirmation", "parcel", CN, 1))
    with pytest.raises(PoisonNotice):
        world.deliver(kind="birthday_card")


@pytest.mark.parametrize("body", ["", "not json", "[]", '{"kind": "x"}',
                                  '{"kind": "a", "subject": "b", "id": "c", "version": "1"}',
                                  '{"kind": "a", "subject": "b", "id": "", "version": 1}'])
def test_malformed_bodies_are_rejected(body):
    with pytest.raises(MalformedEvent):
        NoticeEvent.from_json(body)


def test_an_event_round_trips_through_its_json_body_without_pii():
    event = NoticeEvent("reminder", "appointment", CN, 3, attempt=2)
    assert NoticeEvent.from_json(event.to_json()) == event
    assert NoticeEvent.from_json('{"kind": "reminder", "subject": "appointment", "id": "X", '
                                 '"version": 1}').attempt == 0


# --- the outbox ------------------------------------------------------------------------------

def test_the_outbox_sweep_publishes_notices_whose_publish_was_lost(world):
    world.clock.advance(minutes=10)
    assert world.service.sweep_outbox([world.notices.subject()]) == 1
    [event] = world.queue.take()
    assert (event.kind, event.id, event.version) == ("booking_confirmation", CN, 1)
    assert world.service.handle(event).status == "sent"
    assert world.service.sweep_outbox([world.notices.subject()]) == 0


def test_the_outbox_sweep_leaves_fresh_notices_to_the_normal_publish(world):
    assert world.service.sweep_outbox([world.notices.subject()]) == 0


def test_a_failing_queue_during_the_sweep_leaves_the_notice_for_the_next_sweep(world):
    world.clock.advance(minutes=10)
    world.queue.failing = True
    assert world.service.sweep_outbox([world.notices.subject()]) == 0
    world.queue.failing = False
    assert world.service.sweep_outbox([world.notices.subject()]) == 1


# --- reminders, with a fixed clock across the end of daylight saving time --------------------
# 2026-11-01 02:00 EDT -> 01:00 EST in New York. The visit is Monday 2026-11-02 09:00 EST
# (14:00 UTC); 48 hours before is Saturday 2026-10-31 14:00 UTC, 10:00 EDT.
DST_VISIT = datetime(2026, 11, 2, 14, tzinfo=UTC)
DST_DUE = datetime(2026, 10, 31, 14, tzinfo=UTC)


def dst_world(world, booked_at=datetime(2026, 10, 26, 16, tzinfo=UTC)):
    world.store.put(appointment(start=DST_VISIT, booked_at=booked_at))
    world.clock.now = booked_at + timedelta(seconds=3)
    world.deliver()
    world.sender.sent.clear()
    return world


def test_a_reminder_goes_out_48_hours_before_the_visit_across_a_dst_change(world):
    dst_world(world)
    assert world.store.get(CN).reminder_due == DST_DUE
    world.clock.now = DST_DUE - timedelta(minutes=1)
    assert world.run_reminders() == ({"published": 0, "expired": 0, "failed": 0}, [])
    world.clock.now = DST_DUE
    counts, outcomes = world.run_reminders()
    assert counts["published"] == 1 and [o.status for o in outcomes] == ["sent"]
    [email] = world.sender.sent
    assert email.subject == "Reminder: your USCIS appointment on Nov 2, 2026"
    # Shown in the office's zone as it will be on the day: standard time, not daylight time.
    assert "Time: 9:00\u202fAM Eastern Standard Time (America/New_York)" in email.text
    assert "DTSTART;TZID=America/New_York:20261102T090000" in email.attachments[0].data.decode()


def test_running_the_reminder_job_twice_or_late_sends_one_reminder(world):
    dst_world(world)
    world.clock.now = DST_DUE + timedelta(minutes=5)
    world.run_reminders()
    assert world.run_reminders()[0]["published"] == 0  # settled: no longer scheduled
    assert len(world.sender.sent) == 1


def test_a_job_that_runs_a_day_late_still_reminds_before_the_visit(world):
    dst_world(world)
    world.clock.now = DST_DUE + timedelta(hours=26)
    counts, outcomes = world.run_reminders()
    assert [o.status for o in outcomes] == ["sent"]


def test_a_duplicate_reminder_event_from_two_overlapping_runs_sends_once(world):
    dst_world(world)
    world.clock.now = DST_DUE
    world.notices.publish_due_reminders(world.queue)
    world.notices.publish_due_reminders(world.queue)  # before the consumer ran
    outcomes = [world.service.handle(e).status for e in world.queue.take()]
    assert outcomes == ["sent", "duplicate"]
    assert len(world.sender.sent) == 1


def test_a_reminder_the_job_finds_only_after_the_visit_began_is_dropped(world):
    dst_world(world)
    world.clock.now = DST_VISIT + timedelta(minutes=1)
    counts, outcomes = world.run_reminders()
    assert counts["expired"] == 1 and outcomes == [] and world.sender.sent == []
    assert world.store.get(CN).reminder_due is None


def test_a_booking_made_inside_the_48_hours_gets_no_late_reminder(world):
    dst_world(world, booked_at=DST_DUE + timedelta(hours=1))
    assert world.store.get(CN).reminder_due is None
    world.clock.now = DST_VISIT - timedelta(hours=2)
    assert world.run_reminders() == ({"published": 0, "expired": 0, "failed": 0}, [])
    assert world.sender.sent == []


def test_a_cancelled_appointment_gets_no_reminder(world):
    dst_world(world)
    world.store.change(CN, status="cancelled", version=2,
                       pending_notices=frozenset({"cancellation:2"}))
    world.clock.now = DST_DUE
    world.run_reminders()  # the stale v1 reminder is dropped, not sent
    assert world.sender.sent == []
    assert world.deliver("cancellation", 2).status == "sent"
    assert world.store.get(CN).reminder_due is None


def test_a_rescheduled_appointment_is_reminded_of_its_new_time_only(world):
    dst_world(world)
    new_start = DST_VISIT + timedelta(days=2)
    world.clock.now = DST_DUE - timedelta(hours=5)
    world.store.change(CN, version=2, start=new_start, end=new_start + timedelta(minutes=30),
                       updated_at=world.clock.now,
                       pending_notices=frozenset({"reschedule_confirmation:2"}))
    assert world.deliver("reschedule_confirmation", 2).status == "sent"
    assert world.store.get(CN).reminder_due == new_start - timedelta(hours=48)
    world.sender.sent.clear()
    world.clock.now = DST_DUE  # the old reminder time: nothing is due any more
    assert world.run_reminders()[1] == []
    world.clock.now = new_start - timedelta(hours=48)
    counts, outcomes = world.run_reminders()
    assert [o.status for o in outcomes] == ["sent"]
    assert "Wednesday, November 4, 2026" in world.sender.sent[0].text


def test_a_stale_reminder_event_still_in_the_queue_after_a_reschedule_is_skipped(world):
    dst_world(world)
    world.clock.now = DST_DUE
    world.notices.publish_due_reminders(world.queue)
    new_start = DST_VISIT + timedelta(days=2)
    world.store.change(CN, version=2, start=new_start, end=new_start + timedelta(minutes=30))
    [event] = world.queue.take()
    assert world.service.handle(event).status == "skipped"
    assert world.sender.sent == []


def test_reminders_in_spring_are_48_real_hours_before_too(world):
    # 2027-03-14 02:00 EST -> 03:00 EDT. Visit Monday 2027-03-15 09:00 EDT = 13:00 UTC.
    visit = datetime(2027, 3, 15, 13, tzinfo=UTC)
    world.store.put(appointment(start=visit, booked_at=datetime(2027, 3, 1, 15, tzinfo=UTC)))
    world.clock.now = datetime(2027, 3, 1, 15, 0, 2, tzinfo=UTC)
    world.deliver()
    assert world.store.get(CN).reminder_due == datetime(2027, 3, 13, 13, tzinfo=UTC)
