"""Every request reaches someone who can act: routing by service area, the office's Tier 2 queue
takes online requests directly, supervisors act on their office's requests, the queue is in a
fair order and pages without losing anyone, a misrouted request is transferred."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.triage import service_area
from chalicelib.triage.domain import format_request_id, normalize_request_id
from chalicelib.triage.validation import (Assignment, CallbackAttempt, CallbackSchedule, Denial,
                                          Escalation, Transfer)
from tests.unit.test_triage_service import (BOSTON_OFFICER, MONDAY_NOON, OFFICE, OFFICER,
                                            SUPERVISOR, TIER1, TUESDAY_MORNING, standard_body, submitted)
from tests.unit.test_triage_service import (booking, booking_notices, booking_repo, clock,  # noqa: F401
                                            notices, repo, service)

BOSTON_SUPERVISOR = type(SUPERVISOR)("supervisor-9", "supervisor", "boston")


# --- routing by service area -----------------------------------------------------------------

@pytest.mark.parametrize("zip_code,office", [
    ("06830", "hartford"),  # Greenwich CT: nearer New York City, but Connecticut is Hartford's
    ("07030", "newark"),  # Hoboken NJ: across the river from Manhattan, New Jersey's office
    ("10001", "new-york-city"), ("14201", "buffalo"), ("02108", "boston"),
    ("79901", "el-paso"), ("75201", "dallas"), ("20001", "washington"), ("05401", "boston"),
    ("06830-1234", "hartford"),  # ZIP+4: its first five digits decide
])
def test_a_zip_goes_to_the_office_serving_its_state_and_county(zip_code, office):
    assert service_area.office_for(zip_code) == office


@pytest.mark.parametrize("bad", ["00000", "０６１０３", "0610", "abcde", "06103-１２３４",
                                 "06103_1234"])
def test_an_unknown_or_non_ascii_zip_is_unknown_not_a_crash(bad):
    with pytest.raises(errors.UnknownZip):
        service_area.office_for(bad)


def test_greenwich_and_hoboken_requests_are_routed_by_area(service, repo):
    greenwich = normalize_request_id(submitted(service, standard_body(zip="06830")))
    hoboken = normalize_request_id(submitted(service, standard_body(zip="07030")))
    assert repo.requests[greenwich].office_id == "hartford"
    assert repo.requests[hoboken].office_id == "newark"
    assert repo.requests[hoboken].timezone == "America/New_York"


# --- online requests reach Tier 2 without Tier 1 -----------------------------------------------

def test_an_online_request_is_called_back_and_decided_by_the_office_from_its_queue(service):
    submitted(service)
    # Nobody hands the officer an id: it is in the office's queue.
    item = service.queue(OFFICER, OFFICE)["requests"][0]
    assert item["status"] == "submitted" and item["expecting"] == "callback"
    request_id = item["request_id"]
    service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    service.record_callback(OFFICER, request_id, CallbackAttempt(outcome="reached"))
    view = service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed", note="n"))
    assert view["status"] == "denied"
    assert [e["step"] for e in view["audit"]] == ["submit", "schedule_callback",
                                                  "record_callback", "deny"]


def test_supervisors_escalate_call_back_and_reassign_their_offices_requests(service):
    request_id = submitted(service)
    assert service.escalate(SUPERVISOR, request_id, Escalation())["status"] == "escalated"
    view = service.schedule_callback(SUPERVISOR, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    assert view["status"] == "callback_scheduled" and view["assigned_to"] == SUPERVISOR.id
    view = service.assign(SUPERVISOR, request_id, Assignment(officer=OFFICER.id,
                                                             reason_code="language_skills"))
    assert view["assigned_to"] == OFFICER.id and view["audit"][-1]["reason_code"] == \
        "language_skills"
    view = service.record_callback(SUPERVISOR, request_id, CallbackAttempt(outcome="no_answer"))
    assert view["failed_callback_attempts"] == 1
    with pytest.raises(errors.OtherOffice):
        service.assign(BOSTON_SUPERVISOR, request_id, Assignment(officer="x",
                                                                 reason_code="workload"))
    with pytest.raises(errors.RoleNotAllowed):
        service.assign(OFFICER, request_id, Assignment(officer="x", reason_code="workload"))


# --- queue order and paging ------------------------------------------------------------------

def test_ties_in_the_queue_go_by_arrival_not_by_the_random_id(service, clock):
    arrivals = []
    for minute in range(6):
        clock.now = MONDAY_NOON + timedelta(minutes=minute)
        arrivals.append(submitted(service, standard_body()))  # same level, same due date
    queued = [i["request_id"] for i in service.queue(OFFICER, OFFICE)["requests"]]
    assert queued == arrivals


def test_a_request_that_missed_its_deadline_comes_first_within_its_level(service, clock):
    early = submitted(service, standard_body())
    clock.now = MONDAY_NOON + timedelta(days=2)
    later = submitted(service, standard_body())
    clock.now = datetime(2026, 12, 31, 6, tzinfo=timezone.utc)  # the first one's 30 days passed
    service.watch_deadlines([OFFICE])
    emergency = submitted(service)
    order = [i["request_id"] for i in service.queue(OFFICER, OFFICE)["requests"]]
    assert order == [emergency, early, later]
    clock.now = datetime(2027, 1, 2, 6, tzinfo=timezone.utc)  # "later" has missed its own now
    service.watch_deadlines([OFFICE])
    items = service.queue(OFFICER, OFFICE)["requests"]
    assert all(i["supervisor_flag"] for i in items if i["level"] == "standard")


def test_the_queue_pages_with_a_cursor_and_leaves_nobody_out(service, clock):
    made = []
    for minute in range(7):
        clock.now = MONDAY_NOON + timedelta(minutes=minute)
        made.append(submitted(service, standard_body()))
    seen, cursor, pages = [], None, 0
    while True:
        page = service.queue(OFFICER, OFFICE, cursor=cursor, limit=3)
        seen += [i["request_id"] for i in page["requests"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made and pages == 3


@pytest.mark.parametrize("cursor", ["not-base64!", "Zm9v", "A" * 300])
def test_a_cursor_the_service_did_not_give_is_a_clear_error(service, cursor):
    with pytest.raises(errors.InvalidParameter):
        service.queue(OFFICER, OFFICE, cursor=cursor)


# --- transfer ----------------------------------------------------------------------------------

def test_a_supervisor_transfers_a_misrouted_request_with_a_coded_reason(service, repo, notices):
    request_id = submitted(service)
    service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))
    promised = repo.requests[normalize_request_id(request_id)].due_on
    view = service.transfer(SUPERVISOR, request_id, Transfer(
        office_id="boston", reason_code="requester_moved", note="Moved to Worcester."))
    assert view["office_id"] == "boston" and view["status"] == "escalated"
    assert view["callback"] is None and view["assigned_to"] is None
    assert view["audit"][-1]["step"] == "transfer"
    assert view["audit"][-1]["reason_code"] == "requester_moved"
    assert "Worcester" not in str(view["audit"])
    stored = repo.requests[normalize_request_id(request_id)]
    assert stored.due_on == promised and stored.transfers[0]["from"] == OFFICE
    assert notices.events[-1] == ("service_request_transferred", stored.request_id,
                                  stored.version)
    assert service.queue(OFFICER, OFFICE)["requests"] == []
    boston = service.queue(BOSTON_OFFICER, "boston")["requests"]
    assert [i["request_id"] for i in boston] == [format_request_id(stored.request_id)]
    # Now Boston's: Hartford's supervisor no longer acts on it, Boston's officer does.
    with pytest.raises(errors.OtherOffice):
        service.transfer(SUPERVISOR, request_id, Transfer(office_id="newark",
                                                          reason_code="outside_service_area"))
    service.schedule_callback(BOSTON_OFFICER, request_id, CallbackSchedule(
        scheduled_for=TUESDAY_MORNING))


def test_a_transfer_needs_another_known_office_and_a_supervisor(service):
    request_id = submitted(service)
    for office_id in ("hartford", "atlantis"):
        with pytest.raises(errors.ValidationFailed):
            service.transfer(SUPERVISOR, request_id, Transfer(
                office_id=office_id, reason_code="outside_service_area"))
    with pytest.raises(errors.RoleNotAllowed):
        service.transfer(OFFICER, request_id, Transfer(office_id="boston",
                                                       reason_code="outside_service_area"))
    with pytest.raises(errors.RoleNotAllowed):
        service.transfer(TIER1, request_id, Transfer(office_id="boston",
                                                     reason_code="outside_service_area"))


# --- callback times ----------------------------------------------------------------------------

def _refused(service, request_id, when, reason=None) -> str:
    with pytest.raises(errors.ValidationFailed) as raised:
        service.schedule_callback(OFFICER, request_id, CallbackSchedule(
            scheduled_for=when, reason_code=reason))
    return raised.value.errors[0]["code"]


def test_a_callback_keeps_to_the_requesters_period_and_the_offices_working_days(service):
    request_id = submitted(service)  # morning period, emergency: due Tuesday 1 December
    afternoon = datetime(2026, 12, 1, 19, tzinfo=timezone.utc)  # 14:00 in Hartford
    saturday = datetime(2026, 12, 5, 14, tzinfo=timezone.utc)
    assert _refused(service, request_id, afternoon) == "outside_callback_period"
    assert _refused(service, request_id, saturday, "requester_asked_for_this_time") == \
        "office_closed"
    # 07:30 Hartford is before the morning period; 08:00 is in it (the zone decides, not UTC).
    assert _refused(service, request_id, datetime(2026, 12, 1, 12, 30, tzinfo=timezone.utc)) \
        == "outside_callback_period"
    service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=datetime(2026, 12, 1, 13, tzinfo=timezone.utc)))
    view = service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=afternoon, reason_code="requester_asked_for_this_time"))
    assert view["audit"][-1]["reason_code"] == "requester_asked_for_this_time"


def test_a_callback_after_the_deadline_needs_a_coded_reason(service):
    request_id = submitted(service)
    wednesday = datetime(2026, 12, 2, 14, tzinfo=timezone.utc)  # due was Tuesday
    assert _refused(service, request_id, wednesday) == "after_deadline"
    view = service.schedule_callback(OFFICER, request_id, CallbackSchedule(
        scheduled_for=wednesday, reason_code="interpreter_availability"))
    assert view["audit"][-1]["reason_code"] == "interpreter_availability"
    assert view["callback"]["reason_code"] == "interpreter_availability"
