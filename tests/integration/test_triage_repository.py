"""Triage against DynamoDB (the serialized moto server): the stored shape, the sparse indexes, and
real threads racing on one request and on the last seat of a slot."""
import json
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.booking.domain import Policy
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.schedule import parse_slot_id
from chalicelib.booking.service import BookingService
from chalicelib.booking.validation import BookingRequest
from chalicelib.tables import AppointmentRecord, IdempotencyRecord, SlotRecord
from chalicelib.triage.deadlines import DeadlinePolicy
from chalicelib.triage.domain import Actor, normalize_request_id
from chalicelib.triage.records import ServiceRequestRecord
from chalicelib.triage.repository import DynamoTriageRepository
from chalicelib.triage.service import TriageService
from chalicelib.triage.validation import (CallbackAttempt, CallbackSchedule, Denial, Escalation, Grant, Resolution)
from tests.fakes import FakePublisher, FixedClock
from tests.triage_fakes import FakeRequestNotices
from tests.unit.test_triage_service import (MONDAY_NOON, TUESDAY_MORNING, OFFICE, OFFICER, OTHER_OFFICER, TIER1,
                                            body, standard_body)
from tests.aws_fixtures import with_slots


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def booking(aws, clock):
    svc = BookingService(DynamoBookingRepository(), FakePublisher(), pepper="test", clock=clock,
                         policy=Policy())
    with_slots([OFFICE, "boston"], svc)
    return svc


@pytest.fixture
def repo(aws):
    return DynamoTriageRepository()


@pytest.fixture
def service(repo, booking, clock):
    return TriageService(repo, booking, FakeRequestNotices(), policy=DeadlinePolicy(),
                         pepper="test", clock=clock)


def at_callback(service, request_id, officer=OFFICER):
    service.escalate(TIER1, request_id, Escalation())
    service.schedule_callback(officer, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    service.record_callback(officer, request_id, CallbackAttempt(outcome="reached"))


def open_slots(booking, office=OFFICE):
    return [s["slot_id"] for s in booking.availability(office, None, None, for_staff=True)["slots"]]


def test_a_request_is_stored_whole_and_read_back_the_same(service, repo):
    request_id = normalize_request_id(service.submit(body())["request_id"])
    stored = repo.get(request_id)
    assert stored.status == "submitted" and stored.level == "emergency"
    assert stored.due_on == date(2026, 12, 1)
    assert stored.audit[0]["from"] is None and stored.audit[0]["to"] == "submitted"
    record = ServiceRequestRecord.get(request_id)
    # Level, deadline not missed, deadline, arrival, id.
    assert record.queue_key == f"0#1#2026-12-02T05:00:00Z#2026-11-30T17:00:00Z#{request_id}"
    assert record.outbox == "pending" and record.pending_notices == {"service_request_received:1"}
    raw = record.serialize()
    assert "Ruiz" not in raw["person_key"]["S"] and "Ruiz" not in raw["proof"]["S"]


def test_a_write_at_a_stale_version_is_rejected(service, repo):
    request_id = normalize_request_id(service.submit(body())["request_id"])
    stale = repo.get(request_id)
    service.escalate(TIER1, request_id, Escalation())
    with pytest.raises(Exception) as raised:
        repo.save(replace(stale, status="resolved_by_tier1", version=2), expected_version=1)
    assert type(raised.value).__name__ == "Rejected"
    assert repo.get(request_id).status == "escalated"


def test_the_office_queue_index_orders_by_level_then_deadline_and_drops_closed(service, repo,
                                                                               clock):
    standard = normalize_request_id(service.submit(standard_body())["request_id"])
    urgent = normalize_request_id(service.submit(body(
        inquiry_type="i551_evidence_stamp", case_facts={},
        circumstances=[{"kind": "employment"}]))["request_id"])
    clock.advance(hours=1)
    later_emergency = normalize_request_id(service.submit(body())["request_id"])
    closed = normalize_request_id(service.submit(body(), TIER1)["request_id"])
    service.resolve(TIER1, closed, Resolution(outcome_code="withdrawn"))
    assert [r.request_id for r in repo.queue(OFFICE, 50)] == [later_emergency, urgent, standard]
    assert ServiceRequestRecord.get(closed).queue_key is None
    due = [r.request_id for r in repo.watched_due_before(
        datetime(2026, 12, 8, 5, tzinfo=timezone.utc))]
    assert sorted(due) == sorted([later_emergency, urgent])
    assert ServiceRequestRecord.get(closed).watch is None


def test_the_outbox_counts_a_request_of_the_cut_offs_own_second_as_older(service, repo):
    """Times are stored to the second: a sweep half a second after a submission must find it
    (it missed it while `updated_at` was compared with `<`, and a test sweeping at once was
    flaky)."""
    request_id = normalize_request_id(service.submit(body())["request_id"])
    assert [i for i, _ in repo.pending_outbox(MONDAY_NOON + timedelta(milliseconds=500))] == [
        request_id]


def test_a_settled_notice_leaves_the_outbox(service, repo):
    request_id = normalize_request_id(service.submit(body())["request_id"])
    assert [i for i, _ in repo.pending_outbox(MONDAY_NOON + timedelta(minutes=1))] == [request_id]
    service.notice_settled(request_id, "service_request_received", 1)
    record = ServiceRequestRecord.get(request_id)
    assert record.pending_notices is None and record.outbox is None
    assert list(repo.pending_outbox(MONDAY_NOON + timedelta(minutes=1))) == []


def test_the_deadline_watch_works_on_the_stored_index(service, repo, clock):
    request_id = normalize_request_id(service.submit(body())["request_id"])
    clock.now = datetime(2026, 12, 2, 6, tzinfo=timezone.utc)
    assert service.watch_deadlines([OFFICE])["breached"] == 1
    stored = repo.get(request_id)
    assert stored.status == "submitted" and stored.supervisor_flag
    # Missed: first within its level, with its new deadline.
    assert ServiceRequestRecord.get(request_id).queue_key.startswith("0#0#2026-12-04T05:00:00Z#")


def test_a_deadline_watch_run_with_nothing_due_is_one_request_for_every_office(
        service, dynamodb_requests):
    service.submit(body())  # open, but due days from now
    dynamodb_requests.clear()
    assert service.watch_deadlines() == {"reminded": 0, "breached": 0, "escalated": 0,
                                         "skipped": 0}
    assert dynamodb_requests == ["Query"]


def test_a_request_held_overdue_at_headquarters_leaves_the_watch_until_someone_acts(
        service, repo, clock):
    request_id = normalize_request_id(service.submit(body())["request_id"])
    for day in (2, 4):
        clock.now = datetime(2026, 12, day, 6, tzinfo=timezone.utc)
        service.watch_deadlines([OFFICE])
    assert ServiceRequestRecord.get(request_id).escalated_to == "headquarters"
    assert ServiceRequestRecord.get(request_id).watch is None
    assert list(repo.watched_due_before(datetime(2027, 1, 1, tzinfo=timezone.utc))) == []


def test_the_stored_queue_pages_by_cursor_in_arrival_order(service, repo, clock):
    made = []
    for _ in range(5):
        made.append(service.submit(standard_body())["request_id"])
        clock.advance(seconds=30)
    seen, cursor = [], None
    while True:
        page = service.queue(OFFICER, OFFICE, cursor=cursor, limit=2)
        seen += [i["request_id"] for i in page["requests"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made


def test_repeated_breaches_reach_the_headquarters_index(service, repo, clock):
    request_id = normalize_request_id(service.submit(body())["request_id"])
    clock.now = datetime(2026, 12, 2, 6, tzinfo=timezone.utc)
    service.watch_deadlines([OFFICE])
    clock.now = datetime(2026, 12, 4, 6, tzinfo=timezone.utc)
    assert service.watch_deadlines([OFFICE])["escalated"] == 1
    assert [r.request_id for r in repo.escalated(10)] == [request_id]
    record = ServiceRequestRecord.get(request_id)
    assert record.escalated_to == "headquarters"
    service.escalate(TIER1, request_id, Escalation())  # the request moves: the flag clears
    assert repo.escalated(10) == [] and ServiceRequestRecord.get(request_id).escalated_to is None


# --- races -----------------------------------------------------------------------------------

def race(*calls):
    """Run the calls on real threads released together; return (winners, losers' codes)."""
    barrier = threading.Barrier(len(calls))
    won, lost = [], []

    def run(index, call):
        barrier.wait()
        try:
            call()
            won.append(index)
        except errors.DomainError as error:
            lost.append(error.code)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return won, lost


def test_concurrent_decisions_on_one_request_have_exactly_one_winner(service, repo, booking):
    for _round in range(3):
        request_id = service.submit(body(applicant={
            "first_name": "Ana", "last_name": f"Ruiz{'x' * _round}",
            "date_of_birth": "1979-08-30", "phone": "(860) 555-0199",
            "email": "ana@example.org"}))["request_id"]
        at_callback(service, request_id)
        slots = open_slots(booking)
        officers = [OFFICER, OTHER_OFFICER, Actor("officer-3", "tier2", OFFICE)]
        calls = [
            lambda: service.grant(officers[0], request_id, Grant(slot_id=slots[0])),
            lambda: service.grant(officers[1], request_id, Grant(slot_id=slots[1])),
            lambda: service.deny(officers[2], request_id,
                                 Denial(reason_code="no_visit_needed", note="n")),
            lambda: service.resolve(officers[0], request_id,
                                    Resolution(outcome_code="information_provided")),
            lambda: service.deny(officers[1], request_id,
                                 Denial(reason_code="duplicate_request", note="n")),
        ]
        won, lost = race(*calls)
        assert len(won) == 1, (won, lost)
        assert set(lost) <= {"invalid_transition", "concurrent_update"}
        stored = repo.get(normalize_request_id(request_id))
        assert stored.version == 5 and len(stored.audit) == 5  # submit … reached, decision
        appointments = [a for a in AppointmentRecord.scan()
                        if a.person_key == stored.person_key]
        if won[0] in (0, 1):
            assert stored.status == "appointment_granted" and len(appointments) == 1
            assert stored.appointment["confirmation_number"] == appointments[0].confirmation_number
        else:
            assert stored.status in ("denied", "resolved_without_appointment")
            assert appointments == []


def test_a_grant_racing_a_public_booking_for_the_last_seat_has_one_winner(service, booking):
    """The grant books through the booking core's own transaction: the seat's condition decides
    between the officer and a person booking online, and the loser changes nothing."""
    winners = []
    for round_ in range(4):
        request_id = service.submit(standard_body(zip="02108", applicant={
            "first_name": "Ana", "last_name": "Grant" + "abcd"[round_], "date_of_birth": "1979-08-30",
            "phone": "(617) 555-0199", "email": "ana@example.org"}))["request_id"]
        boston = Actor("officer-b", "tier2", "boston")
        at_callback(service, request_id, boston)
        slot_id = open_slots(booking, "boston")[round_]
        office_id, start = parse_slot_id(slot_id)
        SlotRecord(office_id, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
            actions=[SlotRecord.available.set(1)])
        public = BookingRequest.model_validate({
            "slot_id": slot_id, "applicant": {
                "first_name": "Maria", "last_name": "Public" + "abcd"[round_],
                # A contact of each round's own: the per-contact limit is not what is raced.
                "date_of_birth": "1985-03-04", "email": f"maria{round_}@example.org",
                "phone": f"+1 617 555 010{round_}", "address": {
                    "line1": "1 Main St", "city": "Boston", "state": "MA", "zip": "02108"}},
            "reason": {"category": "case_inquiry"}, "contact_method": "email"})
        won, lost = race(lambda: service.grant(boston, request_id, Grant(slot_id=slot_id)),
                         lambda: booking.book(public))
        assert len(won) == 1 and lost == ["slot_unavailable"], (won, lost)
        winners.append(won[0])
        record = SlotRecord.get(office_id, start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert record.available == 0
        taken = [a for a in AppointmentRecord.scan() if a.slot_id == slot_id]
        assert len(taken) == 1
        stored = service.load(normalize_request_id(request_id))
        assert (stored.status == "appointment_granted") == (won[0] == 0)
        assert (stored.appointment is not None) == (won[0] == 0)
    print("winners (0 = grant, 1 = public):", winners)


def test_the_scheduled_job_emits_the_breach_metric(aws, booking, capsys):
    from chalicelib.triage import jobs
    from local.worker import scheduled_event

    forty_days_ago = FixedClock(datetime.now(timezone.utc) - timedelta(days=40))
    TriageService(DynamoTriageRepository(), booking, FakeRequestNotices(), policy=DeadlinePolicy(),
                  pepper="test", clock=forty_days_ago).submit(standard_body())
    capsys.readouterr()
    counts = jobs.watch_deadlines(scheduled_event(), None)  # the wired service, today's clock
    assert counts["breached"] == 1
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines()
           if line.startswith('{"_aws"')]
    assert len(emf) == 1
    directive = emf[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "InfoPass" and directive["Dimensions"] == [["Stage"]]
    assert emf[0]["Stage"] == "test" and emf[0]["TriageDeadlineBreaches"] == [1.0]


def test_ten_concurrent_submits_with_one_idempotency_key_store_exactly_one_request(repo, booking,
                                                                                   clock):
    """A double click or a mobile retry: the claim is written in the request's own transaction,
    so however the threads interleave, one request is stored and one notice sent; every caller
    gets the same request id."""
    notices = FakeRequestNotices()
    service = TriageService(repo, booking, notices, policy=DeadlinePolicy(), pepper="test",
                            clock=clock)
    outcomes = []
    barrier = threading.Barrier(10)

    def submit():
        barrier.wait()
        outcomes.append(service.submit_once(body(), "double-click"))

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 10
    assert {o.body["request_id"] for o in outcomes} == {outcomes[0].body["request_id"]}
    assert sum(not o.replayed for o in outcomes) == 1
    assert all(o.status == 201 for o in outcomes)
    assert [r.request_id for r in ServiceRequestRecord.scan()] == [
        normalize_request_id(outcomes[0].body["request_id"])]
    assert notices.kinds() == ["service_request_received"]
    assert len(list(IdempotencyRecord.scan())) == 1


def test_a_stored_claim_replays_and_refuses_another_body(service, repo):
    first = service.submit_once(body(), "k-1")
    assert service.submit_once(body(), "k-1").body == first.body
    with pytest.raises(errors.IdempotencyKeyReused):
        service.submit_once(standard_body(), "k-1")
    assert len(list(ServiceRequestRecord.scan())) == 1


def test_concurrent_submissions_of_one_person_link_to_exactly_one_first_request(service, repo):
    """Before the person's marker, every racer saw no open request and none was linked."""
    for _round in range(3):
        applicant = {"first_name": "Ana", "last_name": f"Ruiz{'x' * _round}",
                     "date_of_birth": "1979-08-30", "phone": "(860) 555-0199",
                     "email": "ana@example.org"}
        ids = []
        won, lost = race(*[lambda: ids.append(service.submit(body(applicant=applicant))[
            "request_id"]) for _ in range(5)])
        assert len(won) == 5, lost
        stored = [repo.get(normalize_request_id(i)) for i in ids]
        firsts = [r for r in stored if r.duplicate_of is None]
        assert len(firsts) == 1
        assert {r.duplicate_of for r in stored if r is not firsts[0]} == {firsts[0].request_id}
