"""The triage workflow through the service, with in-memory fakes, the real booking service on its
fake repository, and a fixed clock."""
import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.booking.domain import (Policy, format_confirmation_number,
                                       normalize_confirmation_number)
from chalicelib.booking.schedule import parse_slot_id
from chalicelib.booking.service import BookingService
from chalicelib.triage import service as triage
from chalicelib.triage.deadlines import DeadlinePolicy
from chalicelib.triage.domain import Actor, format_request_id, normalize_request_id
from chalicelib.triage.service import TriageService
from chalicelib.triage.validation import (Appeal, AppealDecision, BreachAcknowledgement,
                                          CallbackAttempt,
                                          CallbackSchedule, Denial, Escalation, Grant, Proof,
                                          Resolution, ServiceRequestBody, UrgencyOverride)
from tests.fakes import FakePublisher, FixedClock
from tests.triage_fakes import (FakeBookingRepositoryWithParts, FakeRequestNotices,
                                FakeTriageRepository)

OFFICE = "hartford"
# Monday 30 November 2026, 12:00 in Hartford.
MONDAY_NOON = datetime(2026, 11, 30, 17, tzinfo=timezone.utc)
# 09:00 the next day in Hartford: in a morning callback period, by an emergency deadline.
TUESDAY_MORNING = datetime(2026, 12, 1, 14, tzinfo=timezone.utc)
TIER1 = Actor("agent-1", "tier1")
OFFICER = Actor("officer-1", "tier2", OFFICE)
OTHER_OFFICER = Actor("officer-2", "tier2", OFFICE)
SUPERVISOR = Actor("supervisor-1", "supervisor", OFFICE)
BOSTON_OFFICER = Actor("officer-9", "tier2", "boston")
HEADQUARTERS = Actor("hq-1", "headquarters")
PROOF = Proof(last_name="Ruiz", date_of_birth=date(1979, 8, 30))


def body(**changes) -> ServiceRequestBody:
    data = {"applicant": {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
                          "phone": "(860) 555-0199", "email": "ana.ruiz@example.org"},
            "callback_period": "morning", "language": "es", "interpreter_needed": True,
            "zip": "06103", "inquiry_type": "emergency_travel_document",
            "description": "Mi madre está muy enferma en Lima.",
            "case_facts": {"deadlines": [{"date": "2026-12-04", "kind": "travel",
                                          "note": "vuelo a Lima"}]},
            "circumstances": [{"kind": "medical", "note": "madre hospitalizada"}]}
    data.update(changes)
    return ServiceRequestBody.model_validate(data)


def standard_body(**changes) -> ServiceRequestBody:
    return body(inquiry_type="case_status_outside_processing_times", case_facts={},
                circumstances=[], **changes)


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def booking_repo():
    return FakeBookingRepositoryWithParts()


@pytest.fixture
def booking_notices():
    return FakePublisher()


@pytest.fixture
def booking(booking_repo, booking_notices, clock):
    svc = BookingService(booking_repo, booking_notices, pepper="test", clock=clock,
                         policy=Policy(booking_window_days=14, change_cutoff=timedelta(hours=24),
                                       min_interval=timedelta(days=180)))
    svc.generate_slots([OFFICE, "boston"])
    return svc


@pytest.fixture
def repo():
    return FakeTriageRepository()


@pytest.fixture
def notices():
    return FakeRequestNotices()


@pytest.fixture
def service(repo, booking, notices, clock):
    return TriageService(repo, booking, notices, policy=DeadlinePolicy(), pepper="test",
                         clock=clock)


def submitted(service, request_body=None, actor=None) -> str:
    kwargs = {"actor": actor} if actor else {}
    return service.submit(request_body or body(), **kwargs)["request_id"]


def at_callback(service, request_id, reached=True) -> None:
    """Escalated, called back, and (unless `reached=False`) the requester reached: ready for a
    decision, which needs contact."""
    service.escalate(TIER1, request_id, Escalation())
    service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    if reached:
        service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="reached"))


def first_slot(booking, office=OFFICE) -> str:
    return booking.availability(office, None, None, for_staff=True)["slots"][0]["slot_id"]


# --- submitting ------------------------------------------------------------------------------

def test_an_online_request_is_routed_assessed_and_given_a_callback_date(service, repo, notices):
    answer = service.submit(body())
    assert answer["status"] == "submitted"
    assert answer["urgency"] == "emergency"
    assert answer["criteria_version"] == "2026.1"
    # Emergency: one business day after Monday.
    assert answer["expected_callback_by"] == "2026-12-01"
    assert answer["office"]["id"] == OFFICE
    fired = {c["id"] for c in answer["criteria"]}
    assert {"travel-document-travel-within-14-days", "medical-with-deadline-within-14-days",
            "travel-document-request", "medical-circumstance"} <= fired
    request_id = normalize_request_id(answer["request_id"])
    stored = repo.requests[request_id]
    assert stored.channel == "online" and stored.office_id == OFFICE
    assert notices.events == [("service_request_received", request_id, 1)]
    assert stored.pending_notices == {"service_request_received:1"}


def test_request_ids_are_long_random_and_readable_over_the_phone(service):
    ids = {normalize_request_id(submitted(service)) for _ in range(20)}
    assert len(ids) == 20 and all(len(i) == 16 for i in ids)
    one = next(iter(ids))
    assert normalize_request_id(one.lower()) == one
    assert normalize_request_id("-".join(one[i:i + 4] for i in range(0, 16, 4))) == one


def test_a_standard_request_gets_thirty_calendar_days(service):
    answer = service.submit(standard_body())
    assert answer["urgency"] == "standard" and answer["criteria"] == []
    assert answer["expected_callback_by"] == "2026-12-30"


def test_a_phone_request_taken_by_tier1_records_the_agent(service, repo):
    request_id = normalize_request_id(submitted(service, standard_body(), TIER1))
    stored = repo.requests[request_id]
    assert stored.channel == "phone"
    assert stored.audit[0]["actor"] == "agent-1" and stored.audit[0]["role"] == "tier1"


def test_requests_go_to_the_office_nearest_the_zip(service, repo):
    request_id = normalize_request_id(submitted(service, standard_body(zip="02108")))
    assert repo.requests[request_id].office_id == "boston"


def test_an_unknown_zip_is_a_field_error_not_a_404(service):
    with pytest.raises(errors.ValidationFailed) as raised:
        service.submit(standard_body(zip="00000"))
    assert raised.value.errors[0]["field"] == "zip"


def test_a_failed_publish_keeps_the_request_and_its_outbox(repo, booking, clock):
    svc = TriageService(repo, booking, FakeRequestNotices(failing=True), policy=DeadlinePolicy(),
                        pepper="test", clock=clock)
    request_id = normalize_request_id(submitted(svc))
    assert repo.requests[request_id].pending_notices == {"service_request_received:1"}


# --- Idempotency-Key ---------------------------------------------------------------------------

def test_a_retry_with_the_same_key_and_body_replays_the_first_response(service, repo, notices):
    first = service.submit_once(body(), "retry-1")
    again = service.submit_once(body(), "retry-1")
    assert first.status == again.status == 201
    assert not first.replayed and again.replayed
    assert again.body == first.body
    assert list(repo.requests) == [normalize_request_id(first.body["request_id"])]
    assert notices.kinds() == ["service_request_received"]


def test_the_same_key_with_another_body_is_refused_and_stores_nothing(service, repo, notices):
    service.submit_once(body(), "retry-1")
    with pytest.raises(errors.IdempotencyKeyReused):
        service.submit_once(standard_body(), "retry-1")
    assert len(repo.requests) == 1 and len(notices.events) == 1


def test_keys_are_scoped_to_the_caller_and_kept_apart_from_booking(service, repo, booking,
                                                                    booking_repo):
    online = service.submit_once(body(), "shared")
    by_phone = service.submit_once(body(), "shared", TIER1)
    other_agent = service.submit_once(body(), "shared", Actor("agent-2", "tier1"))
    ids = {online.body["request_id"], by_phone.body["request_id"],
           other_agent.body["request_id"]}
    assert len(ids) == 3 and len(repo.requests) == 3
    assert not (set(repo.claims) & set(booking_repo.responses))


def test_without_a_key_every_submit_is_a_new_request(service, repo):
    assert service.submit_once(body(), None).body != service.submit_once(body(), None).body
    assert len(repo.requests) == 2 and repo.claims == {}


def test_a_key_is_free_again_once_its_claim_expires(service, repo, clock):
    first = service.submit_once(body(), "retry-1")
    clock.advance(hours=24, seconds=1)
    later = service.submit_once(standard_body(), "retry-1")
    assert not later.replayed and later.body["request_id"] != first.body["request_id"]
    assert len(repo.requests) == 2


def test_a_retry_that_loses_the_claim_race_replays_the_winner(service, repo, notices):
    """Both retries read no claim; the second one's write fails on the claim, and it answers with
    what the first one stored."""
    real_replay = service._replay
    winner = {}

    def first_read_misses(claim_key, body_hash):
        if "started" not in winner:
            winner["started"] = True
            service._replay = real_replay  # the other retry reads and writes in full
            winner["outcome"] = service.submit_once(body(), "race")
            service._replay = first_read_misses
            return None
        return real_replay(claim_key, body_hash)

    service._replay = first_read_misses
    loser = service.submit_once(body(), "race")
    assert loser.replayed and loser.body == winner["outcome"].body
    assert len(repo.requests) == 1 and notices.kinds() == ["service_request_received"]


# --- status ----------------------------------------------------------------------------------

def test_the_requester_sees_state_urgency_and_date_after_proving_who_they_are(service):
    request_id = submitted(service)
    view = service.status(request_id, PROOF)
    assert view["status"] == "submitted" and view["urgency"]["level"] == "emergency"
    assert view["expected_callback_by"] == "2026-12-01"
    assert view["decision"] is None and view["appointment"] is None and view["appeal"] is None
    # Proof is forgiving about case and accents, like booking.
    assert service.status(request_id.lower(), Proof(last_name="RUIZ",
                                                    date_of_birth=date(1979, 8, 30)))


@pytest.mark.parametrize("request_id,proof", [
    ("0000-0000-0000-0000", PROOF),
    (None, Proof(last_name="Ruiz", date_of_birth=date(1979, 8, 31))),
    (None, Proof(last_name="Ramos", date_of_birth=date(1979, 8, 30))),
    ("not-an-id", PROOF),
])
def test_a_wrong_id_and_a_wrong_identity_get_the_same_not_found(service, request_id, proof):
    real = submitted(service)
    with pytest.raises(errors.ServiceRequestNotFound):
        service.status(request_id or real, proof)


# --- the workflow ----------------------------------------------------------------------------

def test_escalate_callback_and_grant_book_the_visit_in_one_step(service, repo, booking_repo,
                                                                 booking, booking_notices):
    request_id = submitted(service)
    at_callback(service, request_id)
    slot_id = first_slot(booking)
    view = service.grant(OFFICER, request_id, Grant(slot_id=slot_id, note="Travel in 4 days."))
    assert view["status"] == "appointment_granted"
    cn = normalize_confirmation_number(view["appointment"]["confirmation_number"])
    appointment = booking_repo.appointments[cn]
    assert appointment.slot_id == slot_id and appointment.office_id == OFFICE
    assert appointment.language == "es" and appointment.accommodations == ["language_interpreter"]
    assert appointment.reason["category"] == "emergency_travel_document"
    assert appointment.reason["service_request"] == request_id  # named in the confirmation
    assert booking_notices.events == [("booking_confirmation", cn, 1)]
    steps = [(e["step"], e["from"], e["to"]) for e in view["audit"]]
    assert steps == [("submit", None, "submitted"), ("escalate", "submitted", "escalated"),
                     ("schedule_callback", "escalated", "callback_scheduled"),
                     ("record_callback", "callback_scheduled", "callback_scheduled"),
                     ("grant", "callback_scheduled", "appointment_granted")]
    status = service.status(request_id, PROOF)
    assert status["appointment"]["confirmation_number"] == format_confirmation_number(cn)
    assert status["decision"]["kind"] == "grant"


def test_a_grant_for_a_full_slot_changes_nothing(service, repo, booking, booking_repo):
    request_id = submitted(service)
    at_callback(service, request_id)
    slot_id = first_slot(booking)
    office_id, start = parse_slot_id(slot_id)
    booking_repo.slots[(office_id, start)] = replace(booking_repo.slots[(office_id, start)],
                                                     available=0)
    with pytest.raises(errors.SlotUnavailable):
        service.grant(OFFICER, request_id, Grant(slot_id=slot_id))
    stored = repo.requests[normalize_request_id(request_id)]
    assert stored.status == "callback_scheduled" and stored.appointment is None
    assert booking_repo.appointments == {}


def test_a_grant_at_another_office_is_refused(service, booking):
    request_id = submitted(service)
    at_callback(service, request_id)
    with pytest.raises(errors.OtherOffice):
        service.grant(OFFICER, request_id, Grant(slot_id=first_slot(booking, "boston")))


def test_a_grant_for_someone_with_an_upcoming_visit_is_refused(service, booking):
    first = submitted(service)
    at_callback(service, first)
    service.grant(OFFICER, first, Grant(slot_id=first_slot(booking)))
    second = submitted(service)
    at_callback(service, second)
    slots = booking.availability(OFFICE, None, None, for_staff=True)["slots"]
    with pytest.raises(errors.AlreadyBooked):
        service.grant(OFFICER, second, Grant(slot_id=slots[-1]["slot_id"]))


@pytest.mark.parametrize("step", ["grant", "deny", "record_callback"])
def test_tier2_steps_before_escalation_are_invalid_transitions(service, booking, step):
    request_id = submitted(service)
    calls = {
        "grant": lambda: service.grant(OFFICER, request_id, Grant(slot_id=first_slot(booking))),
        "deny": lambda: service.deny(OFFICER, request_id,
                                     Denial(reason_code="no_visit_needed", note="n")),
        "record_callback": lambda: service.record_callback(
            OFFICER, request_id, CallbackAttempt(outcome="reached")),
        "schedule_callback": lambda: service.schedule_callback(
            OFFICER, request_id, CallbackSchedule(scheduled_for=MONDAY_NOON + timedelta(days=1))),
    }
    with pytest.raises(errors.InvalidTransition):
        calls[step]()


def test_a_decided_request_takes_no_second_decision(service):
    request_id = submitted(service)
    at_callback(service, request_id)
    service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed", note="Online."))
    with pytest.raises(errors.InvalidTransition):
        service.resolve(OFFICER, request_id, Resolution(outcome_code="information_provided"))
    with pytest.raises(errors.InvalidTransition):
        service.escalate(TIER1, request_id, Escalation())


def test_tier1_resolves_only_before_escalation_and_tier2_only_after_the_callback(service):
    early = submitted(service, actor=TIER1)  # taken on the phone: the agent is on the call
    view = service.resolve(TIER1, early, Resolution(outcome_code="information_provided"))
    assert view["status"] == "resolved_by_tier1"
    late = submitted(service)
    at_callback(service, late)
    with pytest.raises(errors.RoleNotAllowed):
        service.resolve(TIER1, late, Resolution(outcome_code="information_provided"))
    view = service.resolve(OFFICER, late, Resolution(outcome_code="case_action_taken"))
    assert view["status"] == "resolved_without_appointment"


def test_officers_act_only_on_their_own_office(service):
    request_id = submitted(service)
    service.escalate(TIER1, request_id, Escalation())
    with pytest.raises(errors.OtherOffice):
        service.staff_view(BOSTON_OFFICER, request_id)
    with pytest.raises(errors.OtherOffice):
        service.schedule_callback(BOSTON_OFFICER, request_id, CallbackSchedule(
            scheduled_for=MONDAY_NOON + timedelta(hours=1)))
    with pytest.raises(errors.OtherOffice):
        service.queue(BOSTON_OFFICER, OFFICE)
    assert service.staff_view(TIER1, request_id)["office_id"] == OFFICE


def test_a_callback_time_must_be_in_the_future(service):
    request_id = submitted(service)
    service.escalate(TIER1, request_id, Escalation())
    with pytest.raises(errors.ValidationFailed):
        service.schedule_callback(OFFICER, request_id, CallbackSchedule(
            scheduled_for=MONDAY_NOON - timedelta(minutes=1)))


def test_the_queue_lists_open_requests_by_level_then_deadline(service, clock):
    standard = submitted(service, standard_body())
    clock.advance(minutes=1)
    emergency = submitted(service)
    urgent = submitted(service, body(inquiry_type="i551_evidence_stamp", case_facts={},
                                     circumstances=[{"kind": "employment"}]))
    closed = submitted(service, actor=TIER1)
    service.resolve(TIER1, closed, Resolution(outcome_code="withdrawn"))
    items = service.queue(OFFICER, OFFICE)["requests"]
    assert [i["request_id"] for i in items] == [emergency, urgent, standard]
    assert [i["level"] for i in items] == ["emergency", "urgent", "standard"]
    assert all("applicant" not in i for i in items)


# --- callbacks -------------------------------------------------------------------------------

def test_after_three_failed_callbacks_the_requester_is_told_how_to_reach_the_office(service,
                                                                                     notices):
    request_id = submitted(service)
    at_callback(service, request_id, reached=False)
    for outcome in ("no_answer", "voicemail"):
        service.record_callback(OFFICER, request_id, CallbackAttempt(outcome=outcome))
    assert "callback_attempts_failed" not in notices.kinds()
    view = service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="no_answer"))
    assert notices.kinds().count("callback_attempts_failed") == 1
    assert view["failed_callback_attempts"] == 3 and view["status"] == "callback_scheduled"
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="no_answer"))
    assert notices.kinds().count("callback_attempts_failed") == 1


# --- decisions and appeals -------------------------------------------------------------------

def denied(service, officer=OFFICER) -> str:
    request_id = submitted(service)
    service.escalate(TIER1, request_id, Escalation())
    service.schedule_callback(officer, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    service.record_callback(officer, request_id, CallbackAttempt(outcome="reached"))
    service.deny(officer, request_id, Denial(reason_code="within_processing_times",
                                             note="Case is at 5 of 9 months."))
    return request_id


def test_deny_appeal_overturn_books_the_visit(service, booking, notices, booking_notices):
    request_id = denied(service)
    status = service.status(request_id, PROOF)
    assert status["decision"]["code"] == "within_processing_times"
    assert status["decision"]["text"].startswith("Your case is within normal processing times")
    assert status["appeal"] == {"appeal_by": "2026-12-30T12:00:00-05:00", "state": "available"}
    status = service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                               statement="My flight is in four days."))
    assert status["status"] == "appeal_requested" and status["appeal"]["state"] == "requested"
    view = service.decide_appeal(SUPERVISOR, request_id, AppealDecision(
        outcome="overturned", reason_code="criteria_misapplied", note="Travel is imminent.",
        slot_id=first_slot(booking)))
    assert view["status"] == "appeal_overturned"
    assert view["appointment"]["confirmation_number"]
    assert view["appeal"]["decision"]["by"] == "supervisor-1"
    assert view["appeal"]["state"] == "overturned" and view["appeal"]["statement"]
    assert booking_notices.events[0][0] == "booking_confirmation"
    assert notices.kinds() == ["service_request_received", "callback_scheduled",
                               "service_request_denied",
                               "appeal_received", "appeal_decided"]
    status = service.status(request_id, PROOF)
    assert status["appeal"]["state"] == "overturned"
    assert status["appeal"]["decision"]["code"] == "criteria_misapplied"
    assert "by" not in status["appeal"]["decision"] and "note" not in status["appeal"]["decision"]


def overturned_without_a_time(service) -> str:
    request_id = denied(service)
    service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                      statement="My flight is in four days."))
    view = service.decide_appeal(SUPERVISOR, request_id, AppealDecision(
        outcome="overturned", reason_code="new_information", note="Flight confirmed."))
    assert view["status"] == "appeal_overturned" and view["appointment"] is None
    return request_id


def test_an_appeal_overturned_without_a_time_waits_in_the_queue_and_is_granted_later(
        service, booking, repo, booking_notices):
    request_id = overturned_without_a_time(service)
    queued = service.queue(OFFICER, OFFICE)["requests"]
    assert [q["request_id"] for q in queued] == [request_id]
    assert service.staff_view(OFFICER, request_id)["next_steps"] == ["assign", "grant",
                                                                         "withdraw"]
    slot_id = first_slot(booking)
    view = service.grant(OFFICER, request_id, Grant(slot_id=slot_id, note="As overturned."))
    assert view["status"] == "appointment_granted"
    assert view["appointment"]["slot_id"] == slot_id
    assert view["next_steps"] == [] and service.queue(OFFICER, OFFICE)["requests"] == []
    assert view["appeal"]["visit_granted"]["by"] == "officer-1"
    stored = repo.requests[normalize_request_id(request_id)]
    assert stored.audit[-1]["step"] == "grant" and stored.audit[-1]["from"] == "appeal_overturned"
    cn = normalize_confirmation_number(view["appointment"]["confirmation_number"])
    assert cn in booking.repo.appointments
    assert booking_notices.events == [("booking_confirmation", cn, 1)]
    # The requester sees the visit, the denial the appeal overturned, and the overturn.
    status = service.status(request_id, PROOF)
    assert status["appointment"]["confirmation_number"] == view["appointment"][
        "confirmation_number"]
    assert status["decision"]["kind"] == "denial" and status["appeal"]["state"] == "overturned"
    assert "visit_granted" not in status["appeal"]


def test_a_supervisor_of_the_office_may_book_an_overturned_appeal_but_not_another_office(
        service, booking):
    request_id = overturned_without_a_time(service)
    with pytest.raises(errors.OtherOffice):
        service.grant(Actor("supervisor-9", "supervisor", "boston"), request_id,
                      Grant(slot_id=first_slot(booking)))
    with pytest.raises(errors.RoleNotAllowed):
        service.grant(Actor("agent-1", "tier1"), request_id, Grant(slot_id=first_slot(booking)))
    view = service.grant(SUPERVISOR, request_id, Grant(slot_id=first_slot(booking)))
    assert view["status"] == "appointment_granted"


def test_a_later_grant_for_a_full_slot_leaves_the_overturned_appeal_waiting(
        service, booking, booking_repo, repo):
    request_id = overturned_without_a_time(service)
    slot_id = first_slot(booking)
    office_id, start = parse_slot_id(slot_id)
    full = booking_repo.slots[(office_id, start)]
    booking_repo.slots[(office_id, start)] = replace(full, available=0)
    with pytest.raises(errors.SlotUnavailable):
        service.grant(OFFICER, request_id, Grant(slot_id=slot_id))
    stored = repo.requests[normalize_request_id(request_id)]
    assert stored.status == "appeal_overturned" and stored.appointment is None
    assert booking_repo.appointments == {}


def test_an_overturn_that_booked_the_visit_leaves_no_second_grant(service, booking):
    request_id = denied(service)
    service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                      statement="x"))
    slots = booking.availability(OFFICE, None, None, for_staff=True)["slots"]
    view = service.decide_appeal(SUPERVISOR, request_id, AppealDecision(
        outcome="overturned", reason_code="criteria_misapplied", note="n",
        slot_id=slots[0]["slot_id"]))
    assert view["next_steps"] == [] and service.queue(OFFICER, OFFICE)["requests"] == []
    with pytest.raises(errors.InvalidTransition):
        service.grant(OFFICER, request_id, Grant(slot_id=slots[1]["slot_id"]))
    assert len(booking.repo.appointments) == 1


def test_an_appeal_can_be_upheld(service):
    request_id = denied(service)
    service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                      statement="Please look again."))
    view = service.decide_appeal(SUPERVISOR, request_id, AppealDecision(
        outcome="upheld", reason_code="original_decision_correct", note="Within times."))
    assert view["status"] == "appeal_upheld" and view["appointment"] is None


def test_appeals_close_thirty_days_after_the_denial(service, clock):
    request_id = denied(service)
    clock.advance(days=30)
    with pytest.raises(errors.AppealWindowClosed):
        service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                          statement="Late."))
    assert service.status(request_id, PROOF)["appeal"]["state"] == "closed"


def test_an_appeal_needs_the_requesters_identity(service):
    request_id = denied(service)
    with pytest.raises(errors.ServiceRequestNotFound):
        service.appeal(request_id, Appeal(last_name="Other", date_of_birth=date(1979, 8, 30),
                                          statement="x"))


def test_only_a_denied_request_can_be_appealed(service):
    request_id = submitted(service)
    with pytest.raises(errors.InvalidTransition):
        service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                          statement="x"))


def test_the_officer_who_denied_cannot_decide_the_appeal(service):
    dual = Actor("officer-7", "tier2", OFFICE)
    request_id = denied(service, dual)
    service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                      statement="x"))
    with pytest.raises(errors.SameOfficer):
        service.decide_appeal(Actor("officer-7", "supervisor", OFFICE), request_id, AppealDecision(
            outcome="upheld", reason_code="original_decision_correct", note="n"))
    with pytest.raises(errors.RoleNotAllowed):
        service.decide_appeal(OTHER_OFFICER, request_id, AppealDecision(
            outcome="upheld", reason_code="original_decision_correct", note="n"))


# --- urgency overrides -----------------------------------------------------------------------

def test_an_override_needs_its_reason_and_is_audited_and_never_delays_the_date(service, repo):
    request_id = submitted(service, standard_body())
    view = service.override_urgency(OFFICER, request_id, UrgencyOverride(
        level="emergency", reason_code="facts_not_captured", note="Surgery abroad on Friday."))
    assert view["level"] == "emergency" and view["urgency"]["computed_level"] == "standard"
    assert view["expected_callback_by"] == "2026-12-01"
    entry = view["audit"][-1]
    assert entry == {"at": "2026-11-30T17:00:00Z", "actor": "officer-1", "role": "tier2",
                     "step": "override_urgency", "from": "submitted", "to": "submitted",
                     "reason_code": "facts_not_captured", "level_from": "standard",
                     "level_to": "emergency"}
    # Back down from emergency: proposed by one person, applied when another confirms.
    view = service.override_urgency(SUPERVISOR, request_id, UrgencyOverride(
        level="standard", reason_code="supervisor_direction", note="Not urgent after all."))
    assert view["level"] == "emergency" and view["urgency"]["pending_downgrade"]["level"] == \
        "standard"
    assert view["audit"][-1]["reason_code"] == "downgrade_proposed"
    with pytest.raises(errors.SecondPersonRequired):
        service.override_urgency(SUPERVISOR, request_id, UrgencyOverride(
            level="standard", reason_code="supervisor_direction", note="Again."))
    view = service.override_urgency(OFFICER, request_id, UrgencyOverride(
        level="standard", reason_code="supervisor_direction", note="Agreed."))
    assert view["level"] == "standard" and view["expected_callback_by"] == "2026-12-01"
    assert view["urgency"]["override"]["proposed_by"] == SUPERVISOR.id
    status = service.status(request_id, PROOF)
    assert status["urgency"]["changed_by_officer"] is True
    assert status["urgency"]["reason"] == {"code": "supervisor_direction",
                                           "label": "A supervisor's review"}


def test_tier1_cannot_override_urgency(service):
    request_id = submitted(service)
    with pytest.raises(errors.RoleNotAllowed):
        service.override_urgency(TIER1, request_id, UrgencyOverride(
            level="standard", reason_code="new_information", note="n"))


# --- the audit trail -------------------------------------------------------------------------

def test_the_audit_holds_codes_and_ids_never_personal_data_or_free_text(service, booking):
    request_id = submitted(service)
    at_callback(service, request_id)
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="no_answer"))
    for officer in (OFFICER, OTHER_OFFICER):  # an emergency downgrade takes two people
        service.override_urgency(officer, request_id, UrgencyOverride(
            level="urgent", reason_code="new_information",
            note="Spoke with Ana Ruiz at 860-555-0199"))
    service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed",
                                             note="Ana Ruiz can renew online"))
    service.appeal(request_id, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                      statement="Mi madre está muy enferma en Lima."))
    audit = json.dumps(service.staff_view(SUPERVISOR, request_id)["audit"])
    for secret in ("Ana", "Ruiz", "1979", "860", "555", "example.org", "Lima", "madre",
                   "renew online", "vuelo"):
        assert secret not in audit
    assert len(json.loads(audit)) == 9


# --- the deadline watch ----------------------------------------------------------------------

def test_a_deadline_ending_within_a_day_reminds_the_office_queue_once(service, repo, clock):
    request_id = normalize_request_id(submitted(service))  # due end of Tue 1 Dec, Hartford
    clock.now = datetime(2026, 12, 1, 6, tzinfo=timezone.utc)  # 01:00 Tuesday in Hartford
    assert service.watch_deadlines([OFFICE]) == {"reminded": 1, "breached": 0, "escalated": 0,
                                                 "skipped": 0}
    assert service.watch_deadlines([OFFICE]) == {"reminded": 0, "breached": 0, "escalated": 0,
                                                 "skipped": 0}
    item = service.queue(OFFICER, OFFICE)["requests"][0]
    assert item["deadline_reminder"] is True and item["overdue"] is False
    assert repo.requests[request_id].status == "submitted"


def test_a_missed_deadline_flags_supervisors_gives_a_new_date_and_never_closes(service, repo,
                                                                               clock, notices):
    request_id = normalize_request_id(submitted(service))
    clock.now = datetime(2026, 12, 2, 5, 1, tzinfo=timezone.utc)  # 00:01 Wed in Hartford
    counts = service.watch_deadlines([OFFICE])
    assert counts["breached"] == 1
    stored = repo.requests[request_id]
    assert stored.status == "submitted"
    assert stored.supervisor_flag["reason"] == "deadline_missed"
    assert stored.breaches[0]["missed_due_on"] == "2026-12-01"
    assert stored.due_on == date(2026, 12, 3)  # one more business day, counted from Wednesday
    assert notices.events[-1] == ("callback_deadline_missed", request_id, stored.version)
    assert service.watch_deadlines([OFFICE])["breached"] == 0


def test_a_second_missed_deadline_goes_to_headquarters_and_the_date_stops_rolling(
        service, repo, clock, notices):
    """A "30 days" request once rolled forward to mid-2027 in a simulated run, one silent new
    date after another. Now the second miss escalates it and it stays overdue, in sight."""
    request_id = normalize_request_id(submitted(service, standard_body()))
    clock.now = datetime(2026, 12, 31, 5, 30, tzinfo=timezone.utc)  # the 30 days have passed
    assert service.watch_deadlines([OFFICE])["breached"] == 1
    clock.now = datetime(2027, 1, 9, 5, 30, tzinfo=timezone.utc)  # and the new date too
    assert service.watch_deadlines([OFFICE])["escalated"] == 1
    stored = repo.requests[request_id]
    assert stored.escalation["to"] == "headquarters" and stored.escalation["breaches"] == 2
    held = stored.due_on
    # Weeks of silence: no third date, no more notices, still open, still overdue.
    sent = len(notices.events)
    for _ in range(10):
        clock.advance(days=3)
        service.watch_deadlines([OFFICE])
    stored = repo.requests[request_id]
    assert stored.status == "submitted" and len(stored.breaches) == 2 and stored.due_on == held
    assert len(notices.events) == sent
    hq = service.escalations(HEADQUARTERS)["requests"]
    assert [i["request_id"] for i in hq] == [format_request_id(request_id)]
    assert hq[0]["overdue"] is True
    # A supervisor acknowledges with a note; the flag stays until the request moves.
    view = service.acknowledge_breach(SUPERVISOR, request_id,
                                      BreachAcknowledgement(note="Calling today."))
    assert view["supervisor_flag"]["acknowledged"]["by"] == SUPERVISOR.id
    service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=clock.now + timedelta(days=1, hours=-3),
        reason_code="no_earlier_time"))
    stored = repo.requests[request_id]
    assert stored.supervisor_flag is None and stored.escalation is None
    assert service.escalations(HEADQUARTERS)["requests"] == []


def test_a_standard_request_gets_a_business_week_not_another_month_after_a_breach(service,
                                                                                  repo, clock):
    request_id = normalize_request_id(submitted(service, standard_body()))
    clock.now = datetime(2026, 12, 31, 5, 30, tzinfo=timezone.utc)  # 00:30 Thu 31 Dec
    service.watch_deadlines([OFFICE])
    # Five business days after Thursday 31 December; New Year's Day does not count.
    assert repo.requests[request_id].due_on == date(2027, 1, 8)


def test_a_reached_requester_is_not_chased_by_the_deadline_watch(service, repo, clock):
    request_id = submitted(service)
    at_callback(service, request_id)
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="reached"))
    clock.now = datetime(2026, 12, 9, tzinfo=timezone.utc)
    # The callback is done; the decision is owed within two business days of the contact.
    assert service.status(request_id, PROOF)["expected_callback_by"] is None
    assert service.status(request_id, PROOF)["expected_by"]["expecting"] == "decision"
    clock.now = datetime(2026, 12, 2, 6, tzinfo=timezone.utc)
    assert service.watch_deadlines([OFFICE])["breached"] == 0


# --- losing a race ---------------------------------------------------------------------------

class RacingRepository(FakeTriageRepository):
    """Lets a rival step land between a step's read and its write, once."""

    def __init__(self) -> None:
        super().__init__()
        self.rival = None

    def save(self, request, expected_version):
        rival, self.rival = self.rival, None
        if rival:
            rival()
        super().save(request, expected_version)


def test_a_step_that_loses_a_race_is_checked_again_against_the_winner(booking, clock):
    repo = RacingRepository()
    svc = TriageService(repo, booking, FakeRequestNotices(), policy=DeadlinePolicy(),
                        pepper="test", clock=clock)
    request_id = submitted(svc)
    at_callback(svc, request_id)
    repo.rival = lambda: svc.deny(OTHER_OFFICER, request_id,
                                  Denial(reason_code="no_visit_needed", note="first"))
    with pytest.raises(errors.InvalidTransition):
        svc.resolve(OFFICER, request_id, Resolution(outcome_code="information_provided"))
    assert repo.requests[normalize_request_id(request_id)].decision["by"] == "officer-2"


def test_the_notice_outbox_is_cleared_when_the_pipeline_settles_a_notice(service, repo):
    request_id = normalize_request_id(submitted(service))
    service.notice_settled(request_id, "service_request_received", 1)
    assert repo.requests[request_id].pending_notices == set()
    assert triage.RECEIVED in triage.NOTICE_KINDS
