"""Office operations on the real local stack over HTTP: a schedule change, a closure of a day
with appointments in it (each person notified once, in their language), a mode switch, a Tier 1
agent booking for a caller, and the front desk checking one person in and marking another a
no-show, with concurrent marks racing on real threads."""
from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from local.mail import sent_emails
from local.token import mint

pytestmark = pytest.mark.e2e

OFFICE = "seattle"
ZONE = ZoneInfo("America/Los_Angeles")
ADMIN = {"Authorization": "Bearer " + mint("office_admin", OFFICE, "admin-seattle")}
HQ = {"Authorization": "Bearer " + mint("headquarters", None, "hq-1")}
TIER1 = {"Authorization": "Bearer " + mint("tier1", None, "agent-7")}
DESKS = [{"Authorization": "Bearer " + mint("front_desk", OFFICE, f"desk-{n}")} for n in (1, 2)]
HOURS = {d: [["09:00", "11:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def person(first, last, language):
    return {"first_name": first, "last_name": last, "date_of_birth": "1985-03-04",
            "email": f"{first.lower()}.{last.lower()}@example.org", "phone": "(206) 555-0100",
            "address": {"line1": "12500 Tukwila Intl Blvd", "city": "Seattle", "state": "WA",
                        "zip": "98168"}}


def open_slots(api, day=None):
    query = f"?from={day}&to={day}" if day else ""
    response = requests.get(f"{api}/v1/offices/{OFFICE}/slots{query}", timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["slots"]


def book(api, slot_id, who, language, headers=None, **extra):
    path = "/v1/staff/appointments" if headers else "/v1/appointments"
    response = requests.post(f"{api}{path}", timeout=60, headers=headers or {}, json={
        "slot_id": slot_id, "applicant": who, "reason": {"category": "case_inquiry"},
        "language": language, "contact_method": "email", **extra})
    assert response.status_code == 201, response.text
    return response.json()["confirmation_number"]


def days_with_slots(api):
    days = sorted({datetime.fromisoformat(s["start"]).astimezone(ZONE).date()
                   for s in open_slots(api)})
    return [d for d in days if d > datetime.now(ZONE).date() + timedelta(days=1)]


def wait_for(predicate, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(1)
    return predicate()


def test_an_office_runs_its_week_without_a_deploy(local_stack):
    api, moto = local_stack["api"], local_stack["moto"]
    closed_day, changed_day, *_ = days_with_slots(api)

    # A new schedule from a later day: two hours of 30-minute slots, 3 seats each.
    settings = requests.get(f"{api}/v1/staff/offices/{OFFICE}/settings", headers=ADMIN,
                            timeout=60)
    assert settings.status_code == 200, settings.text
    version = settings.json()["version"]
    changed = requests.put(f"{api}/v1/staff/offices/{OFFICE}/schedule", timeout=120,
                           headers={**ADMIN, "If-Match": f'"{version}"'},
                           json={"effective_from": changed_day.isoformat(), "slot_minutes": 30,
                                 "capacity": 3, "hours": HOURS})
    assert changed.status_code == 200, changed.text
    assert [s["available"] for s in open_slots(api, changed_day)] == [3, 3, 3, 3]

    # Two people booked on the day that will close, in Spanish and Vietnamese.
    slots = open_slots(api, closed_day)
    people = [(person("Rosa", "Mendez", "es"), "es"), (person("Lan", "Pham", "vi"), "vi")]
    numbers = [book(api, slots[i]["slot_id"], who, lang) for i, (who, lang) in enumerate(people)]
    closure = requests.post(f"{api}/v1/staff/offices/{OFFICE}/closures", headers=ADMIN,
                            timeout=120, json={"from": closed_day.isoformat(),
                                               "to": closed_day.isoformat(),
                                               "reason_code": "weather", "note": "Snow"})
    assert closure.status_code == 201, closure.text
    assert open_slots(api, closed_day) == []
    subjects = {"rosa.mendez@example.org": "cerrada", "lan.pham@example.org": "đóng cửa"}

    def closure_mail():
        mail = [e for e in sent_emails(moto)
                if e["to"] in subjects and subjects[e["to"]] in e["subject"]]
        return mail if len(mail) >= 2 else None

    mail = wait_for(closure_mail)
    assert mail, "closure notices not sent"
    time.sleep(3)  # a duplicate, if any, would arrive now
    mail = closure_mail()
    assert Counter(e["to"] for e in mail) == Counter(subjects.keys())  # once each
    assert {e["to"]: e["language"] for e in mail} == {"rosa.mendez@example.org": "es",
                                                      "lan.pham@example.org": "vi"}

    # Tier 1 books for a caller; the identity check is coded.
    later = open_slots(api, changed_day)
    caller = person("Amina", "Yusuf", "en")
    number = book(api, later[0]["slot_id"], caller, "en", TIER1,
                  identity_check="a_number_and_birth_date")
    walk_in = book(api, later[1]["slot_id"], person("Jon", "Berg", "en"), "en", TIER1,
                   identity_check="security_questions_phone")

    # The front desk: two desks race to check the same person in; one wins.
    results = []

    def check_in(desk):
        response = requests.post(f"{api}/v1/staff/appointments/{number}/check-in",
                                 headers=desk, timeout=60)
        results.append(response.status_code)

    threads = [threading.Thread(target=check_in, args=(desk,)) for desk in DESKS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    no_show = requests.post(f"{api}/v1/staff/appointments/{walk_in}/no-show", headers=DESKS[0],
                            timeout=60)
    assert no_show.status_code == 200, no_show.text
    roster = requests.get(f"{api}/v1/staff/offices/{OFFICE}/roster?date={changed_day}",
                          headers=DESKS[1], timeout=60)
    assert roster.status_code == 200, roster.text
    marks = {a["confirmation_number"]: a["attendance"] for a in roster.json()["appointments"]}
    assert marks[number] == "checked_in" and marks[walk_in] == "no_show"

    # The office joins the contact-center pilot: online booking stops at once.
    mode = requests.put(f"{api}/v1/staff/offices/{OFFICE}/mode", headers=HQ, timeout=60,
                        json={"mode": "contact_center"})
    assert mode.status_code == 200, mode.text
    refused = requests.post(f"{api}/v1/appointments", timeout=60, json={
        "slot_id": later[2]["slot_id"], "applicant": person("Ola", "Nordmann", "en"),
        "reason": {"category": "case_inquiry"}, "language": "en", "contact_method": "email"})
    assert refused.status_code == 409 and refused.json()["code"] == "office_not_self_service"
