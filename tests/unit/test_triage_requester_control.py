"""The requester stays in control: withdraw, add information, and a second request is linked to
the first without telling its submitter that the first exists."""
from datetime import date

import pytest

from chalicelib import errors
from chalicelib.triage.domain import normalize_request_id
from chalicelib.triage.validation import (AddedInformation, Appeal, CallbackAttempt,
                                          CallbackSchedule, Withdrawal)
from tests.unit.test_triage_service import (OFFICER, PROOF, TUESDAY_MORNING, body, standard_body,
                                            submitted)
from tests.unit.test_triage_service import (booking, booking_notices, booking_repo, clock,  # noqa: F401
                                            notices, repo, service)

WITHDRAW = Withdrawal(last_name="Ruiz", date_of_birth=date(1979, 8, 30))


def info(**fields) -> AddedInformation:
    return AddedInformation.model_validate({"last_name": "Ruiz", "date_of_birth": "1979-08-30",
                                            **fields})


def test_the_requester_withdraws_and_the_request_leaves_the_queue(service, notices):
    request_id = submitted(service)
    view = service.withdraw(request_id, WITHDRAW)
    assert view["status"] == "withdrawn" and view["expected_by"] is None
    assert view["decision"]["code"] == "withdrawn" and view["appeal"] is None
    assert service.queue(OFFICER, "hartford")["requests"] == []
    assert notices.kinds()[-1] == "service_request_resolved"
    assert service.staff_view(OFFICER, request_id)["audit"][-1]["actor"] == "requester"
    with pytest.raises(errors.InvalidTransition):
        service.withdraw(request_id, WITHDRAW)


def test_withdrawing_needs_the_same_proof_as_the_status(service):
    request_id = submitted(service)
    with pytest.raises(errors.ServiceRequestNotFound):
        service.withdraw(request_id, Withdrawal(last_name="Ramos",
                                                date_of_birth=date(1979, 8, 30)))
    assert service.status(request_id, PROOF)["status"] == "submitted"


def test_an_appeal_can_be_withdrawn_too(service):
    request_id = submitted(service)
    service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="reached"))
    from chalicelib.triage.validation import Denial
    service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed", note="n"))
    service.appeal(request_id, Appeal(**PROOF.model_dump(), statement="Please."))
    assert service.withdraw(request_id, WITHDRAW)["status"] == "withdrawn"


def test_new_facts_run_the_criteria_again_and_raise_the_level_and_bring_the_date_forward(
        service, repo):
    request_id = submitted(service, standard_body())
    before = service.status(request_id, PROOF)
    assert before["urgency"]["level"] == "standard" and before["expected_callback_by"] == \
        "2026-12-30"
    view = service.add_information(request_id, info(
        deadlines=[{"date": "2026-12-02", "kind": "hearing_or_court"}],
        note="Mi audiencia es el miércoles."))
    assert view["urgency"]["level"] == "emergency"
    assert "deadline-within-3-days" in {c["id"] for c in view["urgency"]["criteria"]}
    assert view["expected_callback_by"] == "2026-12-01"
    stored = repo.requests[normalize_request_id(request_id)]
    entry = stored.audit[-1]
    assert entry["step"] == "add_information" and entry["actor"] == "requester"
    assert (entry["level_from"], entry["level_to"]) == ("standard", "emergency")
    assert "audiencia" not in str(stored.audit)
    assert stored.added_information[0]["note"] == "Mi audiencia es el miércoles."


def test_new_facts_never_lower_the_level(service, clock):
    request_id = submitted(service)  # emergency
    view = service.add_information(request_id, info(note="Mi vuelo cambió."))
    assert view["urgency"]["level"] == "emergency"
    assert view["expected_callback_by"] == "2026-12-01"


def test_information_needs_something_new_and_an_open_request(service):
    with pytest.raises(ValueError):
        info()
    request_id = submitted(service)
    service.withdraw(request_id, WITHDRAW)
    with pytest.raises(errors.InvalidTransition):
        service.add_information(request_id, info(note="x"))


def test_a_second_open_request_is_linked_for_staff_but_not_revealed_to_its_submitter(
        service):
    first = submitted(service)
    answer = service.submit(body())
    assert "duplicate" not in str(answer).lower() and first not in str(answer)
    staff = service.staff_view(OFFICER, answer["request_id"])
    assert staff["duplicate_of"] == first and staff["possible_duplicate"] is True
    assert service.staff_view(OFFICER, first)["duplicate_of"] is None
    status = service.status(answer["request_id"], PROOF)
    assert first not in str(status) and "duplicate" not in str(status)
    # Once the first closes, a later request is not a duplicate.
    service.withdraw(first, WITHDRAW)
    service.withdraw(answer["request_id"], WITHDRAW)
    assert service.staff_view(OFFICER, service.submit(body())["request_id"])["duplicate_of"] \
        is None


def _granted(service, booking):
    from chalicelib.triage.validation import Grant
    from tests.unit.test_triage_service import at_callback

    request_id = submitted(service)
    at_callback(service, request_id)
    view = service.grant(OFFICER, request_id, Grant(slot_id=later_slots(booking)[0]))
    return request_id, view["appointment"]


def later_slots(booking, office="hartford"):
    """Times far enough ahead that the person may still change them online."""
    return [s["slot_id"] for s in booking.availability(office, None, None, for_staff=True)[
        "slots"] if s["start"] >= "2026-12-04"]


def test_a_granted_visit_the_person_cancels_reopens_the_request_for_a_new_grant(service,
                                                                                 booking):
    from chalicelib.booking.validation import Proof as BookingProof
    from chalicelib.triage.validation import Grant

    booking.changes.on_cancelled = service.visit_cancelled  # as wiring connects them
    request_id, appointment = _granted(service, booking)
    booking.cancel(appointment["confirmation_number"], BookingProof(
        last_name="Ruiz", date_of_birth=date(1979, 8, 30)))
    status = service.status(request_id, PROOF)
    assert status["status"] == "visit_cancelled" and status["appointment"] is None
    assert status["expected_by"]["expecting"] == "visit"
    queued = service.queue(OFFICER, "hartford")["requests"]
    assert [i["request_id"] for i in queued] == [request_id]
    view = service.grant(OFFICER, request_id, Grant(slot_id=later_slots(booking)[3]))
    assert view["status"] == "appointment_granted"
    assert view["cancelled_visits"][0]["confirmation_number"] == \
        appointment["confirmation_number"].replace("-", "")
    assert view["decision"]["kind"] == "grant" and view["rebooked"]


def test_a_granted_visit_moves_online_within_its_contact_center_office_only(service, booking):
    from chalicelib.booking.validation import RescheduleRequest

    request_id, appointment = _granted(service, booking)
    target = later_slots(booking)[5]
    moved = booking.reschedule(appointment["confirmation_number"], RescheduleRequest(
        last_name="Ruiz", date_of_birth=date(1979, 8, 30), slot_id=target))
    assert moved["slot_id"] == target
    boston = later_slots(booking, "boston")[0]
    with pytest.raises(errors.OfficeNotSelfService):
        booking.reschedule(appointment["confirmation_number"], RescheduleRequest(
            last_name="Ruiz", date_of_birth=date(1979, 8, 30), slot_id=boston))


def test_when_the_first_request_closes_a_new_one_links_to_another_still_open(service):
    first = submitted(service)
    second = service.submit(body())["request_id"]
    service.withdraw(first, WITHDRAW)
    # The person's marker still points at the closed first request; the open second is found.
    third = service.submit(body())["request_id"]
    assert service.staff_view(OFFICER, third)["duplicate_of"] == second
