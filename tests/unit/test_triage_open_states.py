"""Every open state has a deadline, and a simulated clock shows each one flagged when late; a
person's own deadline caps the due date."""
from datetime import date, datetime, timedelta, timezone

from chalicelib.triage.domain import normalize_request_id
from chalicelib.triage.validation import (Appeal, AppealDecision, CallbackAttempt,
                                          CallbackSchedule, Denial)
from tests.unit.test_triage_service import (OFFICE, OFFICER, PROOF, SUPERVISOR, TUESDAY_MORNING,
                                            body, standard_body, submitted)
from tests.unit.test_triage_service import (booking, booking_notices, booking_repo, clock,  # noqa: F401
                                            notices, repo, service)


def test_an_emergency_due_date_never_falls_after_the_persons_own_deadline(service, repo, clock):
    """Travel on Sunday 6 December, submitted Friday 4 December at 16:00: one business day
    would be Monday the 7th, after the flight. The working day before the travel is today."""
    clock.now = datetime(2026, 12, 4, 21, tzinfo=timezone.utc)  # 16:00 in Hartford
    answer = service.submit(body(case_facts={"deadlines": [
        {"date": "2026-12-06", "kind": "travel"}, {"date": "2026-12-20", "kind": "other"}]}))
    assert answer["urgency"] == "emergency"
    assert answer["expected_callback_by"] == "2026-12-04"
    stored = repo.requests[normalize_request_id(answer["request_id"])]
    view = service.staff_view(OFFICER, answer["request_id"])
    assert view["due_cap"] == {"deadline_on": "2026-12-06", "kind": "travel",
                               "uncapped_on": "2026-12-07"}
    assert stored.due_on == date(2026, 12, 4)


def test_a_deadline_today_caps_the_due_date_at_today_and_a_far_one_changes_nothing(service,
                                                                                   clock):
    clock.now = datetime(2026, 12, 4, 15, tzinfo=timezone.utc)
    today = service.submit(body(case_facts={"deadlines": [{"date": "2026-12-04",
                                                           "kind": "hearing_or_court"}]}))
    assert today["expected_callback_by"] == "2026-12-04"
    far = service.submit(body(inquiry_type="case_status_outside_processing_times",
                              circumstances=[], case_facts={"deadlines": [
                                  {"date": "2027-06-01", "kind": "other"}]}))
    assert far["expected_callback_by"] == "2027-01-03"
    assert service.staff_view(OFFICER, far["request_id"])["due_cap"] is None


def _late(service, clock, when):
    clock.now = when
    service.watch_deadlines([OFFICE])


def test_every_open_state_is_flagged_when_late_on_a_simulated_clock(service, repo, clock, notices,
                                                                    booking):
    """One request waiting in each open state: a callback, a decision after contact, an appeal
    decision, a visit after an overturn. The clock runs past every deadline; each is flagged,
    the requester is told, and none is closed."""
    waiting_callback = submitted(service, standard_body())
    waiting_decision = submitted(service)
    service.schedule_callback(OFFICER, waiting_decision, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    clock.now = TUESDAY_MORNING
    service.record_callback(OFFICER, waiting_decision, CallbackAttempt(outcome="reached"))
    waiting_appeal, waiting_visit = submitted(service), submitted(service)
    for request_id in (waiting_appeal, waiting_visit):
        service.schedule_callback(OFFICER, request_id, CallbackSchedule(
            scheduled_for=TUESDAY_MORNING + timedelta(hours=1)))
        service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="reached"))
        service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed", note="n"))
        service.appeal(request_id, Appeal(**PROOF.model_dump(), statement="Please."))
    service.decide_appeal(SUPERVISOR, waiting_visit, AppealDecision(
        outcome="overturned", reason_code="new_information", note="n"))

    expected = {waiting_callback: ("callback", "2026-12-30"),
                waiting_decision: ("decision", "2026-12-03"),
                waiting_appeal: ("appeal_decision", "2026-12-15"),
                waiting_visit: ("visit", "2026-12-08")}
    for request_id, (expecting, due) in expected.items():
        shown = service.status(request_id, PROOF)["expected_by"]
        assert (shown["expecting"], shown["date"]) == (expecting, due), request_id
        assert shown["label"]

    flagged = set()
    day = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)
    while day < datetime(2027, 1, 5, tzinfo=timezone.utc):
        day += timedelta(hours=6)
        _late(service, clock, day)
        for request_id in expected:
            stored = repo.requests[normalize_request_id(request_id)]
            if stored.breaches:
                flagged.add(request_id)
                assert stored.supervisor_flag["expecting"] == expected[request_id][0]
    assert flagged == set(expected)
    for request_id in expected:
        stored = repo.requests[normalize_request_id(request_id)]
        assert stored.status in {"submitted", "callback_scheduled", "appeal_requested",
                                 "appeal_overturned"}
        assert stored.breaches[0]["missed_due_on"] == expected[request_id][1]
    late_kinds = [k for k, _, _ in notices.events if k == "callback_deadline_missed"]
    assert len(late_kinds) >= len(expected)
