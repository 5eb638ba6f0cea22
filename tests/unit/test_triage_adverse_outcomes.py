"""Every adverse outcome can be appealed; no decision without contact; an urgency downgrade is a
decision the requester is told about."""
from datetime import date

import pytest

from chalicelib import errors
from chalicelib.triage.validation import (Appeal, CallbackAttempt, CallbackSchedule, Denial,
                                          Resolution, UrgencyOverride)
from tests.unit.test_triage_service import (OFFICER, OTHER_OFFICER, PROOF, TIER1,
                                            TUESDAY_MORNING, standard_body, submitted)
from tests.unit.test_triage_service import (booking, booking_notices, booking_repo, clock,  # noqa: F401
                                            notices, repo, service)

APPEAL = Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30), statement="I disagree.")


def scheduled(service, request_body=None) -> str:
    request_id = submitted(service, request_body)
    service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    return request_id


def test_nobody_decides_a_request_without_contact(service):
    request_id = scheduled(service)
    with pytest.raises(errors.ContactRequired):
        service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed", note="n"))
    with pytest.raises(errors.ContactRequired):
        service.resolve(OFFICER, request_id, Resolution(outcome_code="referred_elsewhere"))
    # An online request is not Tier 1's call to close either.
    online = submitted(service)
    with pytest.raises(errors.ContactRequired):
        service.resolve(TIER1, online, Resolution(outcome_code="referred_elsewhere"))


def test_the_configured_failed_attempts_count_as_contact(service, notices):
    request_id = scheduled(service)
    for _ in range(2):
        service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="no_answer"))
    with pytest.raises(errors.ContactRequired):
        service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed", note="n"))
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="voicemail"))
    assert "callback_attempts_failed" in notices.kinds()  # told how to ask for a new call
    view = service.deny(OFFICER, request_id, Denial(reason_code="insufficient_information",
                                                    note="Three calls, no answer."))
    assert view["status"] == "denied"


def test_a_duplicate_is_closed_without_a_call(service):
    request_id = scheduled(service)
    view = service.resolve(OFFICER, request_id, Resolution(outcome_code="duplicate_request"))
    assert view["status"] == "resolved_without_appointment"


def test_a_resolution_without_a_visit_can_be_appealed_like_a_denial(service, clock):
    """`referred_elsewhere` through resolve used to end the request with no appeal, while the
    same code through deny could be appealed: the officer chose. Now both can."""
    request_id = scheduled(service)
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="reached"))
    service.resolve(OFFICER, request_id, Resolution(outcome_code="referred_elsewhere"))
    status = service.status(request_id, PROOF)
    assert status["appeal"]["state"] == "available"
    view = service.appeal(request_id, APPEAL)
    assert view["status"] == "appeal_requested"
    assert view["expected_by"]["expecting"] == "appeal_decision"


def test_a_resolution_the_requester_confirmed_on_the_call_is_final(service):
    request_id = scheduled(service)
    with pytest.raises(errors.ValidationFailed):
        service.resolve(OFFICER, request_id, Resolution(
            outcome_code="duplicate_request", confirmed_by_requester=True))  # never reached
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="reached"))
    service.resolve(OFFICER, request_id, Resolution(outcome_code="information_provided",
                                                    confirmed_by_requester=True))
    assert service.status(request_id, PROOF)["appeal"] is None
    with pytest.raises(errors.AppealWindowClosed):
        service.appeal(request_id, APPEAL)


def test_a_tier1_closure_on_the_phone_can_still_be_appealed_within_the_window(service, clock):
    request_id = submitted(service, standard_body(), TIER1)
    service.resolve(TIER1, request_id, Resolution(outcome_code="referred_elsewhere"))
    clock.advance(days=31)
    with pytest.raises(errors.AppealWindowClosed):
        service.appeal(request_id, APPEAL)


def test_a_downgrade_is_coded_told_to_the_requester_and_shown_with_its_reason(service,
                                                                              notices):
    request_id = submitted(service, standard_body())
    service.override_urgency(OFFICER, request_id, UrgencyOverride(
        level="urgent", reason_code="humanitarian_concern", note="n"))
    assert notices.kinds()[-1] == "urgency_changed"
    view = service.override_urgency(OFFICER, request_id, UrgencyOverride(
        level="standard", reason_code="new_information", note="Deadline moved."))
    assert view["level"] == "standard"  # not an emergency: one officer may lower it
    assert notices.kinds().count("urgency_changed") == 2
    status = service.status(request_id, PROOF)
    assert status["urgency"]["level"] == "standard"
    assert status["urgency"]["reason"]["code"] == "new_information"


def test_an_emergency_downgrade_needs_a_second_person(service, notices):
    request_id = submitted(service)
    sent = len(notices.events)
    service.override_urgency(OFFICER, request_id, UrgencyOverride(
        level="standard", reason_code="new_information", note="n"))
    assert service.status(request_id, PROOF)["urgency"]["level"] == "emergency"
    assert len(notices.events) == sent  # nothing changed for the requester yet
    with pytest.raises(errors.SecondPersonRequired):
        service.override_urgency(OFFICER, request_id, UrgencyOverride(
            level="standard", reason_code="new_information", note="n"))
    service.override_urgency(OTHER_OFFICER, request_id, UrgencyOverride(
        level="standard", reason_code="new_information", note="Confirmed."))
    assert service.status(request_id, PROOF)["urgency"]["level"] == "standard"
    assert notices.kinds()[-1] == "urgency_changed"
