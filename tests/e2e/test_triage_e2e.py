"""Triage end to end on the local stack (chalice local with the custom authorizer, moto, the worker
delivering notices through moto's SES): online request → escalate → callback → grant →
confirmation email; and request → deny → appeal → overturn. Staff tokens come from
`make -s token`, as a person trying the staff API by hand would get them."""
from __future__ import annotations

import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from local.mail import sent_emails
from tests.triage_fakes import callback_time

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
OFFICE = "hartford"  # contact-center pilot office: visits only through triage


def make_token(role: str, office: str = "", sub: str = "") -> dict:
    out = subprocess.run(["make", "-s", "token", f"ROLE={role}", f"OFFICE={office}",
                          f"SUB={sub}"], cwd=ROOT, check=True, capture_output=True, text=True)
    return {"Authorization": f"Bearer {out.stdout.strip().splitlines()[-1]}"}


@pytest.fixture(scope="module")
def staff():
    return {"tier1": make_token("tier1", sub="agent-e2e"),
            "tier2": make_token("tier2", OFFICE, "officer-e2e"),
            "supervisor": make_token("supervisor", OFFICE, "supervisor-e2e")}


def requester(last_name: str) -> dict:
    return {"first_name": "Marisol", "last_name": last_name, "date_of_birth": "1983-04-09",
            "phone": "(860) 555-0123", "email": f"{last_name.lower()}@example.org"}


def submit(api, last_name, **changes) -> dict:
    body = {"applicant": requester(last_name), "callback_period": "afternoon",
            "language": "es", "interpreter_needed": True, "zip": "06106",
            "inquiry_type": "emergency_travel_document",
            "description": "Mi padre está en el hospital en Bogotá.",
            "case_facts": {"deadlines": [{"date": (datetime.now() + timedelta(days=6)).date()
                                          .isoformat(), "kind": "travel"}]},
            "circumstances": [{"kind": "medical"}], **changes}
    response = requests.post(f"{api}/v1/service-requests", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def post(api, path, headers, body=None):
    response = requests.post(f"{api}{path}", json=body or {}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def emails_about(moto, number, expected, timeout=20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        mine = [e for e in sent_emails(moto) if number in e["subject"]]
        if len(mine) >= expected or time.monotonic() > deadline:
            return mine
        time.sleep(0.5)


def to_callback(api, staff, request_id, reached=True):
    post(api, f"/v1/staff/service-requests/{request_id}/escalate", staff["tier1"],
         {"reason_code": "urgent_circumstances"})
    post(api, f"/v1/staff/service-requests/{request_id}/callbacks", staff["tier2"],
         {"scheduled_for": callback_time(period_start=13).isoformat()})
    if reached:
        post(api, f"/v1/staff/service-requests/{request_id}/callback-attempts", staff["tier2"],
             {"outcome": "reached"})


def open_slot(api, headers) -> str:
    response = requests.get(f"{api}/v1/staff/offices/{OFFICE}/slots", headers=headers,
                            timeout=30)
    assert response.status_code == 200, response.text
    later = datetime.now(timezone.utc) + timedelta(days=2)
    return next(s["slot_id"] for s in response.json()["slots"]
                if datetime.fromisoformat(s["start"]) > later)


def test_online_request_escalate_callback_grant_and_the_confirmation_email(local_stack, staff):
    api, moto = local_stack["api"], local_stack["moto"]
    created = submit(api, "Quintero")
    request_id = created["request_id"]
    assert created["urgency"] == "emergency" and created["office"]["id"] == OFFICE
    queue = requests.get(f"{api}/v1/staff/queue?office_id={OFFICE}", headers=staff["tier2"],
                         timeout=30).json()
    assert request_id in [item["request_id"] for item in queue["requests"]]

    to_callback(api, staff, request_id)
    granted = post(api, f"/v1/staff/service-requests/{request_id}/grant", staff["tier2"],
                   {"slot_id": open_slot(api, staff["tier2"]), "note": "Travel next week."})
    assert granted["status"] == "appointment_granted"
    number = granted["appointment"]["confirmation_number"]

    confirmation = emails_about(moto, number, 1)
    assert confirmation, f"no confirmation email for {number}"
    assert confirmation[0]["to"] == "quintero@example.org"
    assert confirmation[0]["subject"].startswith("Su cita con USCIS está confirmada")
    assert confirmation[0]["attachments"] == ["appointment.ics"]
    assert request_id in confirmation[0]["text"]  # the visit names the request it answers
    about_request = {e["subject"] for e in emails_about(moto, request_id, 2)}
    assert about_request == {f"Recibimos su solicitud de servicio {request_id}",
                             f"Le llamaremos sobre su solicitud de servicio {request_id}"}

    status = requests.post(f"{api}/v1/service-requests/{request_id}/status", timeout=30,
                           json={"last_name": "Quintero", "date_of_birth": "1983-04-09"}).json()
    assert status["status"] == "appointment_granted"
    assert status["appointment"]["confirmation_number"] == number
    audit = requests.get(f"{api}/v1/staff/service-requests/{request_id}",
                         headers=staff["supervisor"], timeout=30).json()["audit"]
    assert [e["step"] for e in audit] == ["submit", "escalate", "schedule_callback",
                                          "record_callback", "grant"]


def test_request_deny_appeal_overturn(local_stack, staff):
    api, moto = local_stack["api"], local_stack["moto"]
    request_id = submit(api, "Zapata", inquiry_type="case_status_outside_processing_times",
                        case_facts={}, circumstances=[])["request_id"]
    to_callback(api, staff, request_id)
    denied = post(api, f"/v1/staff/service-requests/{request_id}/deny", staff["tier2"],
                  {"reason_code": "within_processing_times", "note": "Month 5 of 9."})
    assert denied["status"] == "denied"
    proof = {"last_name": "Zapata", "date_of_birth": "1983-04-09"}
    appealed = post(api, f"/v1/service-requests/{request_id}/appeal", {},
                    {**proof, "statement": "Mi permiso de trabajo vence en dos semanas."})
    assert appealed["appeal"]["state"] == "requested"
    # The officer who denied cannot decide the appeal, even holding a supervisor token.
    same = make_token("supervisor", OFFICE, "officer-e2e")
    response = requests.post(f"{api}/v1/staff/service-requests/{request_id}/appeal-decision",
                             headers=same, timeout=30, json={
                                 "outcome": "overturned", "reason_code": "new_information",
                                 "note": "EAD expiring."})
    assert response.status_code == 403 and response.json()["code"] == "same_officer"
    decided = post(api, f"/v1/staff/service-requests/{request_id}/appeal-decision",
                   staff["supervisor"], {"outcome": "overturned",
                                         "reason_code": "new_information",
                                         "note": "EAD expiring.",
                                         "slot_id": open_slot(api, staff["supervisor"])})
    assert decided["status"] == "appeal_overturned" and decided["appointment"]
    status = requests.post(f"{api}/v1/service-requests/{request_id}/status", json=proof,
                           timeout=30).json()
    assert status["appeal"]["state"] == "overturned"
    subjects = {e["subject"] for e in emails_about(moto, request_id, 5)}
    assert subjects == {f"Recibimos su solicitud de servicio {request_id}",
                        f"Le llamaremos sobre su solicitud de servicio {request_id}",
                        f"Decisión sobre su solicitud de servicio {request_id}",
                        f"Recibimos su apelación: {request_id}",
                        f"Decisión sobre su apelación: {request_id}"}
    assert emails_about(moto, decided["appointment"]["confirmation_number"], 1)


def test_staff_routes_answer_401_and_403_as_problems_over_http(local_stack, staff):
    api = local_stack["api"]
    path = f"{api}/v1/staff/queue?office_id={OFFICE}"
    for headers, status, code in [
            ({}, 401, "unauthorized"),
            ({"Authorization": "Bearer not-a-token"}, 401, "invalid_token"),
            (staff["tier1"], 403, "role_not_allowed"),
            (make_token("tier2", "boston"), 403, "other_office")]:
        response = requests.get(path, headers=headers, timeout=30)
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == code


def test_an_online_request_reaches_a_decision_through_the_office_queue_alone(local_stack):
    """Done-when of issue 11: nobody hands staff an id. The requester in Hoboken submits
    online; the request is routed to Newark (not New York City); a Newark officer pages the
    office queue, calls back, reaches the requester and decides; the requester, with the number
    they were given, sees the decision and can appeal it."""
    api = local_stack["api"]
    officer = make_token("tier2", "newark", "officer-newark-e2e")
    created = submit(api, "Oyelaran", zip="07030",
                     inquiry_type="case_status_outside_processing_times",
                     case_facts={}, circumstances=[])
    assert created["office"]["id"] == "newark"

    items, cursor = [], None
    while True:
        url = f"{api}/v1/staff/queue?office_id=newark&limit=1"
        response = requests.get(url + (f"&cursor={cursor}" if cursor else ""), headers=officer,
                                timeout=30)
        assert response.status_code == 200, response.text
        items += response.json()["requests"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    waiting = [i for i in items if i["status"] == "submitted" and i["channel"] == "online"]
    assert len(waiting) == 1
    request_id = waiting[0]["request_id"]

    when = callback_time(period_start=13).isoformat()  # the requester chose afternoons
    post(api, f"/v1/staff/service-requests/{request_id}/callbacks", officer,
         {"scheduled_for": when})
    post(api, f"/v1/staff/service-requests/{request_id}/callback-attempts", officer,
         {"outcome": "reached"})
    decided = post(api, f"/v1/staff/service-requests/{request_id}/deny", officer,
                   {"reason_code": "within_processing_times", "note": "Month 4 of 8."})
    assert decided["status"] == "denied"

    status = requests.post(f"{api}/v1/service-requests/{created['request_id']}/status",
                           json={"last_name": "Oyelaran", "date_of_birth": "1983-04-09"},
                           timeout=30).json()
    assert status["status"] == "denied" and status["decision"]["code"] == "within_processing_times"
    assert status["appeal"]["state"] == "available"
    assert status["office"]["id"] == "newark"
