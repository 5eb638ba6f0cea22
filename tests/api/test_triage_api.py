"""The triage API in-process (chalice.test.Client, which runs the custom authorizer like
`chalice local`) against the moto server: public requests, the staff workflow, and the whole
staff authentication matrix."""
import json
from datetime import datetime, timedelta

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from local import gateway
from local.token import mint
from tests.triage_fakes import callback_time

OFFICE = "hartford"  # a contact-center office: visits only through triage
REQUESTER = {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
             "phone": "(860) 555-0199", "email": "ana.ruiz@example.org"}
PROOF = {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}


def request_body(**changes):
    body = {"applicant": dict(REQUESTER), "callback_period": "morning", "language": "es",
            "interpreter_needed": True, "zip": "06103", "inquiry_type": "emergency_travel_document",
            "description": "Mi madre está muy enferma en Lima.",
            "case_facts": {"deadlines": [{"date": (datetime.now() + timedelta(days=5)).date()
                                          .isoformat(), "kind": "travel"}]},
            "circumstances": [{"kind": "medical", "note": "madre hospitalizada"}]}
    body.update(changes)
    return body


@pytest.fixture
def client(aws, monkeypatch):
    gateway.install()
    wiring.rewire()
    with Client(app, stage_name="test") as c:
        yield c


def token(role, office=None, sub=None, **kwargs):
    return {"Authorization": f"Bearer {mint(role, office, sub or f'{role}-{office}', **kwargs)}"}


T1 = token("tier1")
T2 = token("tier2", OFFICE, "officer-1")
T2_OTHER = token("tier2", OFFICE, "officer-2")
SUP = token("supervisor", OFFICE, "supervisor-1")


def call(client, method, path, body=None, headers=None, raw=None):
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    response = getattr(client.http, method)(
        path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
    data = json.loads(response.body) if response.body else None
    return response.status_code, data, response.headers


def assert_problem(status, data, headers, expected_status, code):
    assert status == expected_status, data
    assert headers["Content-Type"] == "application/problem+json"
    assert data["code"] == code and data["status"] == expected_status and data["title"]


def submit(client, **changes):
    status, data, _ = call(client, "post", "/v1/service-requests", request_body(**changes))
    assert status == 201, data
    return data


def slot(client, headers=T2):
    wiring.booking_service().generate_slots([OFFICE])
    status, data, _ = call(client, "get", f"/v1/staff/offices/{OFFICE}/slots", headers=headers)
    assert status == 200, data
    return data["slots"][0]["slot_id"]


def to_callback(client, request_id, reached=True):
    assert call(client, "post", f"/v1/staff/service-requests/{request_id}/escalate",
                headers=T1)[0] == 200
    status, data, _ = call(client, "post", f"/v1/staff/service-requests/{request_id}/callbacks",
                           {"scheduled_for": callback_time().isoformat()}, T2)
    assert status == 200, data
    if reached:
        assert call(client, "post",
                    f"/v1/staff/service-requests/{request_id}/callback-attempts",
                    {"outcome": "reached"}, T2)[0] == 200


# --- public ------------------------------------------------------------------------------

def test_criteria_are_public_with_every_version_and_the_deadlines(client):
    status, data, _ = call(client, "get", "/v1/triage/criteria")
    assert status == 200
    assert [v["version"] for v in data["versions"]] == ["2026.1"]
    ids = [c["id"] for c in data["versions"][0]["criteria"]]
    assert "deadline-within-3-days" in ids and len(ids) == len(set(ids))
    assert {lvl["level"]: lvl["callback_within"] for lvl in data["levels"]} == {
        "emergency": {"business_days": 1}, "urgent": {"business_days": 5},
        "standard": {"calendar_days": 30}}


def test_code_lists_are_public(client):
    status, data, _ = call(client, "get", "/v1/triage/codes")
    assert status == 200
    assert [c["code"] for c in data["inquiry_types"]][:2] == [
        "case_status_outside_processing_times", "emergency_travel_document"]
    assert data["callback_outcomes"] == ["reached", "no_answer", "voicemail"]


def test_an_online_request_is_accepted_with_its_urgency_and_callback_date(client):
    data = submit(client)
    assert set(data) >= {"request_id", "status", "urgency", "expected_callback_by",
                         "criteria_version"}
    assert data["status"] == "submitted" and data["urgency"] == "emergency"
    assert data["office"]["id"] == OFFICE
    status, view, _ = call(client, "post", f"/v1/service-requests/{data['request_id']}/status",
                           PROOF)
    assert status == 200 and view["expected_callback_by"] == data["expected_callback_by"]


def test_wrong_id_and_wrong_identity_give_the_same_404(client):
    request_id = submit(client)["request_id"]
    wrong_person = call(client, "post", f"/v1/service-requests/{request_id}/status",
                        {**PROOF, "last_name": "Ramos"})
    wrong_id = call(client, "post", "/v1/service-requests/ABCD-EFGH-JKMN-PQRS/status", PROOF)
    for status, data, headers in (wrong_person, wrong_id):
        assert_problem(status, data, headers, 404, "service_request_not_found")
    assert wrong_person[1] == wrong_id[1]


def test_a_double_submit_with_one_idempotency_key_creates_one_request(client):
    key = {"Idempotency-Key": "3f1c-double-click"}
    first = call(client, "post", "/v1/service-requests", request_body(), key)
    again = call(client, "post", "/v1/service-requests", request_body(), key)
    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    assert again[2].get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first[2]
    assert_problem(*call(client, "post", "/v1/service-requests",
                         request_body(inquiry_type="other"), key), 422, "idempotency_key_reused")
    # Only the first request exists: the queue holds one.
    status, queue, _ = call(client, "get", f"/v1/staff/queue?office_id={OFFICE}", headers=SUP)
    assert [r["request_id"] for r in queue["requests"]] == [first[1]["request_id"]]


def test_a_phone_agent_double_click_replays_and_a_bad_key_is_refused(client):
    key = {"Idempotency-Key": "agent-form-17", **T1}
    first = call(client, "post", "/v1/staff/service-requests", request_body(), key)
    again = call(client, "post", "/v1/staff/service-requests", request_body(), key)
    assert first[0] == again[0] == 201 and again[1] == first[1]
    assert again[2].get("Idempotent-Replayed") == "true"
    # The same key online is another caller's key: a request of its own.
    online = call(client, "post", "/v1/service-requests", request_body(),
                  {"Idempotency-Key": "agent-form-17"})
    assert online[0] == 201 and online[1]["request_id"] != first[1]["request_id"]
    assert_problem(*call(client, "post", "/v1/service-requests", request_body(),
                         {"Idempotency-Key": "k" * 256}), 400, "invalid_header")


# --- the staff workflow -------------------------------------------------------------------

def test_phone_request_escalate_callback_grant(client):
    status, data, _ = call(client, "post", "/v1/staff/service-requests",
                           request_body(inquiry_type="i551_evidence_stamp"), T1)
    assert status == 201, data
    request_id = data["request_id"]
    to_callback(client, request_id, reached=False)
    status, data, _ = call(client, "post",
                           f"/v1/staff/service-requests/{request_id}/callback-attempts",
                           {"outcome": "reached"}, T2)
    assert status == 200 and data["reached"] is True
    slot_id = slot(client)
    status, data, _ = call(client, "post", f"/v1/staff/service-requests/{request_id}/grant",
                           {"slot_id": slot_id, "note": "Needs stamp for new job."}, T2)
    assert status == 200, data
    assert data["status"] == "appointment_granted" and data["appointment"]["slot_id"] == slot_id
    assert data["channel"] == "phone"
    # The visit is a real appointment: the requester can look it up like any booking.
    cn = data["appointment"]["confirmation_number"]
    status, appointment, _ = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)
    assert status == 200 and appointment["slot_id"] == slot_id
    # And a second decision is an invalid transition.
    status, data, headers = call(client, "post", f"/v1/staff/service-requests/{request_id}/deny",
                                 {"reason_code": "no_visit_needed", "note": "n"}, T2)
    assert_problem(status, data, headers, 409, "invalid_transition")


def test_the_queue_shows_the_office_open_requests_most_urgent_first(client):
    standard = submit(client, inquiry_type="other", case_facts={}, circumstances=[])
    emergency = submit(client)
    status, data, _ = call(client, "get", f"/v1/staff/queue?office_id={OFFICE}", headers=SUP)
    assert status == 200, data
    ids = [i["request_id"] for i in data["requests"]]
    assert ids == [emergency["request_id"], standard["request_id"]]
    status, data, _ = call(client, "get", "/v1/staff/queue", headers=T2)
    assert status == 200 and len(data["requests"]) == 2


def test_deny_appeal_and_overturn(client):
    request_id = submit(client)["request_id"]
    to_callback(client, request_id)
    status, data, _ = call(client, "post", f"/v1/staff/service-requests/{request_id}/deny",
                           {"reason_code": "within_processing_times", "note": "5 of 9 months"}, T2)
    assert status == 200 and data["status"] == "denied"
    status, data, _ = call(client, "post", f"/v1/service-requests/{request_id}/appeal",
                           {**PROOF, "statement": "My flight leaves in five days."})
    assert status == 200 and data["appeal"]["state"] == "requested"
    status, data, headers = call(
        client, "post", f"/v1/staff/service-requests/{request_id}/appeal-decision",
        {"outcome": "overturned", "reason_code": "criteria_misapplied", "note": "Imminent."}, T2)
    assert_problem(status, data, headers, 403, "role_not_allowed")
    status, data, _ = call(
        client, "post", f"/v1/staff/service-requests/{request_id}/appeal-decision",
        {"outcome": "overturned", "reason_code": "criteria_misapplied", "note": "Imminent.",
         "slot_id": slot(client, SUP)}, SUP)
    assert status == 200, data
    assert data["status"] == "appeal_overturned" and data["appointment"]
    status, view, _ = call(client, "post", f"/v1/service-requests/{request_id}/status", PROOF,
                           {"Accept-Language": "es"})
    assert view["appeal"]["state"] == "overturned"
    assert view["decision"]["code"] == "within_processing_times"


def test_an_appeal_overturned_without_a_time_is_booked_later_from_the_queue(client):
    request_id = submit(client)["request_id"]
    to_callback(client, request_id)
    grant_path = f"/v1/staff/service-requests/{request_id}/grant"
    # Before the appeal a supervisor cannot grant: that is the officer's call.
    assert_problem(*call(client, "post", grant_path, {"slot_id": slot(client)}, SUP),
                   403, "role_not_allowed")
    assert call(client, "post", f"/v1/staff/service-requests/{request_id}/deny",
                {"reason_code": "within_processing_times", "note": "n"}, T2)[0] == 200
    assert call(client, "post", f"/v1/service-requests/{request_id}/appeal",
                {**PROOF, "statement": "My flight leaves in five days."})[0] == 200
    status, data, _ = call(
        client, "post", f"/v1/staff/service-requests/{request_id}/appeal-decision",
        {"outcome": "overturned", "reason_code": "new_information", "note": "Flight booked."},
        SUP)
    assert status == 200 and data["status"] == "appeal_overturned"
    assert data["appointment"] is None and data["next_steps"] == ["assign", "grant", "withdraw"]
    status, queue, _ = call(client, "get", f"/v1/staff/queue?office_id={OFFICE}", headers=T2)
    assert [(r["request_id"], r["status"]) for r in queue["requests"]] == [
        (request_id, "appeal_overturned")]
    assert_problem(*call(client, "post", grant_path, {"slot_id": slot(client)}, T1),
                   403, "role_not_allowed")
    assert_problem(*call(client, "post", grant_path, {"slot_id": slot(client)},
                         token("tier2", "boston", "officer-boston")), 403, "other_office")
    slot_id = slot(client)
    status, data, _ = call(client, "post", grant_path,
                           {"slot_id": slot_id, "note": "Booking the overturn."}, T2_OTHER)
    assert status == 200, data
    assert data["status"] == "appointment_granted" and data["appointment"]["slot_id"] == slot_id
    assert data["appeal"]["visit_granted"]["by"] == "officer-2"
    assert data["audit"][-1]["from"] == "appeal_overturned"
    status, queue, _ = call(client, "get", f"/v1/staff/queue?office_id={OFFICE}", headers=T2)
    assert queue["requests"] == []
    # A real appointment, the requester's own, alongside the overturned denial.
    status, view, _ = call(client, "post", f"/v1/service-requests/{request_id}/status", PROOF)
    assert view["status"] == "appointment_granted"
    assert view["appeal"]["state"] == "overturned" and view["decision"]["kind"] == "denial"
    cn = view["appointment"]["confirmation_number"]
    status, appointment, _ = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)
    assert status == 200 and appointment["slot_id"] == slot_id
    assert_problem(*call(client, "post", grant_path, {"slot_id": slot(client)}, SUP),
                   409, "invalid_transition")


def test_an_appeal_decision_code_must_fit_the_outcome(client):
    request_id = submit(client)["request_id"]
    status, data, headers = call(
        client, "post", f"/v1/staff/service-requests/{request_id}/appeal-decision",
        {"outcome": "upheld", "reason_code": "criteria_misapplied", "note": "n"}, SUP)
    assert_problem(status, data, headers, 422, "validation_failed")


def test_override_urgency_needs_a_reason_code_and_a_note(client):
    request_id = submit(client, inquiry_type="other", case_facts={}, circumstances=[])["request_id"]
    path = f"/v1/staff/service-requests/{request_id}/override-urgency"
    status, data, headers = call(client, "post", path, {"level": "emergency"}, T2)
    assert_problem(status, data, headers, 422, "validation_failed")
    assert {e["field"] for e in data["errors"]} == {"reason_code", "note"}
    status, data, _ = call(client, "post", path, {"level": "emergency",
                                                  "reason_code": "facts_not_captured",
                                                  "note": "Surgery abroad."}, T2)
    assert status == 200 and data["level"] == "emergency"
    assert data["audit"][-1]["level_from"] == "standard"


def test_staff_view_has_the_full_request_and_audit_trail(client):
    request_id = submit(client)["request_id"]
    status, data, _ = call(client, "get", f"/v1/staff/service-requests/{request_id}",
                           headers=T1)
    assert status == 200
    assert data["applicant"]["last_name"] == "Ruiz"
    assert data["audit"][0]["step"] == "submit"
    assert data["next_steps"] == ["add_information", "assign", "escalate", "override_urgency",
                                  "resolve", "schedule_callback", "transfer", "withdraw"]




# --- every request reaches someone who can act (issue 11) ---------------------------------------

def _queue_pages(client, headers, limit=2):
    """Every item of the office queue, page by page, following next_cursor."""
    items, cursor = [], None
    while True:
        query = f"/v1/staff/queue?office_id={OFFICE}&limit={limit}"
        if cursor:
            query += f"&cursor={cursor}"
        status, page, _ = call(client, "get", query, headers=headers)
        assert status == 200, page
        items += page["requests"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_an_online_request_reaches_a_decision_without_anyone_being_given_its_id(client):
    """The requester submits online; the office's Tier 2 officer finds it in the queue (paged),
    calls back and decides; the requester sees the decision. No id passes outside the API."""
    for _ in range(3):
        submit(client, inquiry_type="other", case_facts={}, circumstances=[])
    receipt = submit(client)  # kept by the requester only
    queue = _queue_pages(client, T2, limit=2)
    assert len(queue) == 4
    found = next(i for i in queue if i["level"] == "emergency")
    assert found["status"] == "submitted" and found["expecting"] == "callback"
    request_id = found["request_id"]
    status, data, _ = call(client, "post", f"/v1/staff/service-requests/{request_id}/callbacks",
                           {"scheduled_for": callback_time().isoformat()}, T2)
    assert status == 200 and data["status"] == "callback_scheduled", data
    assert call(client, "post", f"/v1/staff/service-requests/{request_id}/callback-attempts",
                {"outcome": "reached"}, T2)[0] == 200
    status, data, _ = call(client, "post", f"/v1/staff/service-requests/{request_id}/deny",
                           {"reason_code": "no_visit_needed", "note": "Answered by phone."}, T2)
    assert status == 200 and data["status"] == "denied"
    status, view, _ = call(client, "post",
                           f"/v1/service-requests/{receipt['request_id']}/status", PROOF)
    assert view["status"] == "denied" and view["decision"]["code"] == "no_visit_needed"
    assert view["appeal"]["state"] == "available"


def test_the_queue_refuses_a_forged_cursor_or_limit(client):
    for query in ("cursor=bm90LWEta2V5", "limit=0", "limit=201", "limit=ten"):
        assert_problem(*call(client, "get", f"/v1/staff/queue?office_id={OFFICE}&{query}",
                             headers=T2), 400, "invalid_parameter")


def test_a_supervisor_transfers_a_misrouted_request_and_the_other_office_takes_it(client):
    request_id = submit(client)["request_id"]
    path = f"/v1/staff/service-requests/{request_id}/transfer"
    assert_problem(*call(client, "post", path, {"office_id": "boston"}, SUP),
                   422, "validation_failed")
    status, data, _ = call(client, "post", path, {"office_id": "boston",
                                                  "reason_code": "requester_moved"}, SUP)
    assert status == 200, data
    assert data["office_id"] == "boston" and data["audit"][-1]["step"] == "transfer"
    boston = token("tier2", "boston", "officer-boston")
    status, queue, _ = call(client, "get", "/v1/staff/queue?office_id=boston", headers=boston)
    assert request_id in [i["request_id"] for i in queue["requests"]]
    assert_problem(*call(client, "get", f"/v1/staff/service-requests/{request_id}",
                         headers=T2), 403, "other_office")
    status, view, _ = call(client, "post", f"/v1/service-requests/{request_id}/status", PROOF)
    assert view["office"]["id"] == "boston"


def test_greenwich_goes_to_hartford_and_hoboken_to_newark(client):
    assert submit(client, zip="06830")["office"]["id"] == "hartford"
    assert submit(client, zip="07030")["office"]["id"] == "newark"


def test_no_decision_without_contact_and_every_closure_can_be_appealed(client):
    request_id = submit(client)["request_id"]
    to_callback(client, request_id, reached=False)
    path = f"/v1/staff/service-requests/{request_id}"
    assert_problem(*call(client, "post", f"{path}/resolve",
                         {"outcome_code": "referred_elsewhere"}, T2), 409, "contact_required")
    assert call(client, "post", f"{path}/callback-attempts", {"outcome": "reached"}, T2)[0] == 200
    status, data, _ = call(client, "post", f"{path}/resolve",
                           {"outcome_code": "referred_elsewhere"}, T2)
    assert status == 200 and data["status"] == "resolved_without_appointment"
    status, view, _ = call(client, "post", f"/v1/service-requests/{request_id}/appeal",
                           {**PROOF, "statement": "Nobody else can help me."})
    assert status == 200 and view["status"] == "appeal_requested"
    assert view["expected_by"]["expecting"] == "appeal_decision"


def test_the_requester_withdraws_or_adds_information_with_their_proof(client):
    request_id = submit(client, inquiry_type="other", case_facts={}, circumstances=[])[
        "request_id"]
    base = f"/v1/service-requests/{request_id}"
    assert_problem(*call(client, "post", f"{base}/information",
                         {"last_name": "Ramos", "date_of_birth": "1979-08-30", "note": "x"}),
                   404, "service_request_not_found")
    assert_problem(*call(client, "post", f"{base}/information", PROOF), 422,
                   "validation_failed")
    soon = (datetime.now() + timedelta(days=2)).date().isoformat()
    status, view, _ = call(client, "post", f"{base}/information",
                           {**PROOF, "deadlines": [{"date": soon, "kind": "hearing_or_court"}]},
                           {"Accept-Language": "es"})
    assert status == 200, view
    assert view["urgency"]["level"] == "emergency"
    assert view["expected_by"]["expecting"] == "callback" and view["expected_by"]["label"] == \
        "Una llamada de un oficial"
    status, view, _ = call(client, "post", f"{base}/withdraw", PROOF)
    assert status == 200 and view["status"] == "withdrawn"
    assert_problem(*call(client, "post", f"{base}/withdraw", PROOF), 409, "invalid_transition")


def test_an_emergency_downgrade_takes_two_people_over_the_api(client):
    request_id = submit(client)["request_id"]
    path = f"/v1/staff/service-requests/{request_id}/override-urgency"
    change = {"level": "standard", "reason_code": "new_information", "note": "Trip cancelled."}
    status, data, _ = call(client, "post", path, change, T2)
    assert status == 200 and data["level"] == "emergency"
    assert_problem(*call(client, "post", path, change, T2), 403, "second_person_required")
    status, data, _ = call(client, "post", path, change, T2_OTHER)
    assert status == 200 and data["level"] == "standard"
    status, view, _ = call(client, "post", f"/v1/service-requests/{request_id}/status", PROOF)
    assert view["urgency"]["reason"]["code"] == "new_information"
