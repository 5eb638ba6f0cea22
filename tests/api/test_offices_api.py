"""Office operations through the API in-process (chalice.test.Client runs the staff authorizer)
against the moto server: settings, schedule changes from a date, mode switches, closures that
cancel, the audit trail, and the 401/403 matrix of every office route."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from chalice.test import Client

from app import app
from chalicelib import tables, wiring
from chalicelib.booking import offices, schedule
from chalicelib.staff.roles import STAFF_ROLES
from local import gateway
from local.token import mint
from tests.api.test_triage_staff_auth import BAD_TOKENS
from tests.aws_fixtures import with_slots

OFFICE = "miami"
ZONE = ZoneInfo("America/New_York")
PERSON = {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
          "email": "ana.ruiz@example.org", "phone": "(305) 555-0199",
          "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL", "zip": "33139"}}
HOURS = {d: [["09:00", "10:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def client(aws):
    wiring.rewire()
    with_slots([OFFICE])
    gateway.install()
    with Client(app, stage_name="test") as c:
        yield c


def token(role, office=OFFICE, sub=None):
    return {"Authorization": f"Bearer {mint(role, office, sub or f'{role}-{office}')}"}


ADMIN = token("office_admin", OFFICE, "admin-miami")
HQ = token("headquarters", None, "hq-1")


def call(client, method, path, body=None, headers=None):
    payload = json.dumps(body).encode() if body is not None else b""
    response = getattr(client.http, method)(
        path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
    data = json.loads(response.body) if response.body else None
    return response.status_code, data, response.headers


def assert_problem(status, data, headers, expected_status, code):
    assert status == expected_status, data
    assert headers["Content-Type"] == "application/problem+json"
    assert data["code"] == code and data["status"] == expected_status


def open_days(count: int, after_days: int = 2) -> list[date]:
    """Weekdays of the booking window the office is open on, from `after_days` ahead."""
    office = offices.get(OFFICE)
    today = datetime.now(ZONE).date()
    days = [today + timedelta(days=n) for n in range(after_days, 14)]
    found = [d for d in days if schedule.is_open_day(office, d) and schedule.plan_day(office, d)]
    assert len(found) >= count
    return found[:count]


def slots_on(client, day: date) -> list[dict]:
    status, data, _ = call(client, "get", f"/v1/offices/{OFFICE}/slots?from={day}&to={day}")
    assert status == 200, data
    return data["slots"]


def book(client, slot_id, person=PERSON, language="es"):
    body = {"slot_id": slot_id, "applicant": dict(person), "language": language,
            "reason": {"category": "case_inquiry", "details": "Status of my case"},
            "contact_method": "email"}
    return call(client, "post", "/v1/appointments", body)


def lookup(client, number, person=PERSON):
    return call(client, "post", f"/v1/appointments/{number}/lookup",
                {"last_name": person["last_name"], "date_of_birth": person["date_of_birth"]})


def settings(client, headers=ADMIN):
    status, data, response_headers = call(client, "get",
                                          f"/v1/staff/offices/{OFFICE}/settings",
                                          headers=headers)
    assert status == 200, data
    return data, response_headers


def schedule_body(day: date, version, **changes):
    body = {"effective_from": day.isoformat(), "slot_minutes": 30, "capacity": 5,
            "hours": HOURS, "version": version}
    body.update(changes)
    return body


def test_settings_show_the_seeded_schedule_mode_and_version(client):
    data, headers = settings(client)
    assert data["mode"] == "self_service" and data["version"] == 1
    assert headers["ETag"] == '"1"'
    assert data["schedules"][0]["slot_minutes"] > 0 and data["closures"] == []
    assert settings(client, HQ)[0]["office_id"] == OFFICE


def test_a_new_schedule_applies_from_its_date_and_the_slots_follow(client):
    before, changed = open_days(2, after_days=3)
    seeded_before = slots_on(client, before)
    status, data, headers = call(client, "put", f"/v1/staff/offices/{OFFICE}/schedule",
                                 schedule_body(changed, 1), ADMIN)
    assert status == 200, data
    assert data["version"] == 2 and headers["ETag"] == '"2"'
    assert data["schedules"][-1]["effective_from"] == changed.isoformat()
    on_day = slots_on(client, changed)
    assert [datetime.fromisoformat(s["start"]).astimezone(ZONE).strftime("%H:%M")
            for s in on_day] == ["09:00", "09:30"]
    assert all(s["available"] == 5 for s in on_day)
    assert slots_on(client, before) == seeded_before  # days before the date are untouched


def test_reserved_seats_of_a_new_schedule_are_kept_from_the_public_and_shown_to_staff(client):
    day = open_days(1, after_days=3)[0]
    status, data, _ = call(client, "put", f"/v1/staff/offices/{OFFICE}/schedule",
                           schedule_body(day, 1, reserved_seats=2, release_lead_hours=24), ADMIN)
    assert status == 200, data
    assert data["schedules"][-1]["reserved_seats"] == 2
    assert data["schedules"][-1]["release_lead_hours"] == 24
    assert all(s["available"] == 3 for s in slots_on(client, day))


def test_a_stale_version_is_refused_and_nothing_changes(client):
    day = open_days(1, after_days=3)[0]
    assert call(client, "put", f"/v1/staff/offices/{OFFICE}/schedule",
                schedule_body(day, 1), ADMIN)[0] == 200
    stale = call(client, "put", f"/v1/staff/offices/{OFFICE}/schedule",
                 schedule_body(day, None, capacity=9), {**ADMIN, "If-Match": '"1"'})
    assert_problem(*stale, 409, "concurrent_update")
    data, _ = settings(client)
    assert data["version"] == 2 and data["schedules"][-1]["capacity"] == 5
    missing = call(client, "put", f"/v1/staff/offices/{OFFICE}/schedule",
                   schedule_body(day, None), ADMIN)
    assert_problem(*missing, 422, "invalid_schedule")


def test_capacity_below_what_is_booked_is_refused_with_the_slots_listed(client):
    day = open_days(1, after_days=3)[0]
    taken = next(s for s in slots_on(client, day)
                 if datetime.fromisoformat(s["start"]).astimezone(ZONE).hour >= 11)
    status, booked, _ = book(client, taken["slot_id"])
    assert status == 201, booked
    refused = call(client, "put", f"/v1/staff/offices/{OFFICE}/schedule",
                   schedule_body(day, 1), ADMIN)  # 09:00-10:00 only: the 11:00+ seat would go
    assert_problem(*refused, 409, "capacity_below_booked")
    assert [s["slot_id"] for s in refused[1]["affected_slots"]] == [taken["slot_id"]]
    assert refused[1]["affected_slots"][0]["booked"] == 1
    assert settings(client)[0]["version"] == 1
    assert lookup(client, booked["confirmation_number"])[1]["status"] == "booked"


@pytest.mark.parametrize("body,field", [
    ({"hours": {"mon": [["10:00", "09:00"]]}}, "invalid_schedule"),
    ({"hours": {"mon": [["09:00", "09:45"]]}}, "invalid_schedule"),
    ({"hours": {"sun": [["09:00", "10:00"]]}}, "validation_failed"),
    ({"capacity": 0}, "validation_failed"),
    ({"effective_from": "2001-01-01"}, "invalid_schedule"),
    ({"surprise": True}, "validation_failed"),
    ({"reserved_seats": 5}, "invalid_schedule"),  # at least one seat per slot stays public
    ({"release_lead_hours": 0}, "validation_failed"),
])
def test_bad_schedules_get_a_422_and_change_nothing(client, body, field):
    day = open_days(1, after_days=3)[0]
    assert_problem(*call(client, "put", f"/v1/staff/offices/{OFFICE}/schedule",
                         schedule_body(day, 1, **body), ADMIN), 422, field)
    assert settings(client)[0]["version"] == 1


def test_switching_the_mode_stops_new_bookings_at_once_and_keeps_existing_ones(client):
    first, second = open_days(2, after_days=3)
    status, booked, _ = book(client, slots_on(client, first)[0]["slot_id"])
    assert status == 201
    status, data, _ = call(client, "put", f"/v1/staff/offices/{OFFICE}/mode",
                           {"mode": "contact_center"}, HQ)
    assert status == 200 and data["mode"] == "contact_center" and data["version"] == 2
    other = dict(PERSON, first_name="Beto", last_name="Diaz")
    assert_problem(*book(client, slots_on_staff(client, second)[0]["slot_id"], other), 409,
                   "office_not_self_service")
    assert lookup(client, booked["confirmation_number"])[1]["status"] == "booked"
    assert_problem(*call(client, "put", f"/v1/staff/offices/{OFFICE}/mode",
                         {"mode": "walk_in"}, ADMIN), 422, "validation_failed")


def slots_on_staff(client, day):
    """Open slots as staff see them (the public list is gone once an office is contact-center)."""
    status, data, _ = call(client, "get",
                           f"/v1/staff/offices/{OFFICE}/slots?from={day}&to={day}",
                           headers=token("tier2", OFFICE))
    assert status == 200, data
    return data["slots"]


def test_a_closure_cancels_its_appointments_frees_the_person_and_can_be_withdrawn(client):
    closed, other_day = open_days(2, after_days=3)
    in_range = book(client, slots_on(client, closed)[0]["slot_id"])[1]
    second = dict(PERSON, first_name="Chen", last_name="Wu", email="chen.wu@example.org")
    outside = book(client, slots_on(client, other_day)[0]["slot_id"], second, "zh-Hans")[1]
    status, closure, _ = call(client, "post", f"/v1/staff/offices/{OFFICE}/closures",
                              {"from": closed.isoformat(), "to": closed.isoformat(),
                               "reason_code": "weather", "note": "Hurricane warning"}, ADMIN)
    assert status == 201, closure
    assert closure["appointments_cancelled"] == 1 and closure["slots_closed"] > 0
    assert slots_on(client, closed) == []
    cancelled = lookup(client, in_range["confirmation_number"])[1]
    assert cancelled["status"] == "cancelled"
    assert lookup(client, outside["confirmation_number"], second)[1]["status"] == "booked"
    record = tables.AppointmentRecord.get(in_range["confirmation_number"].replace("-", ""))
    assert {n for n in record.pending_notices if n.startswith("closure")} == {
        "closure_cancellation:2"}
    # The person's nationwide claim went with the cancelled appointment (issue 16).
    from chalicelib.booking.claim_repository import ClaimRecord
    assert {c.confirmation_number for c in ClaimRecord.scan()} == {
        outside["confirmation_number"].replace("-", "")}
    # The office cancelled: the six-month rule does not stop the person rebooking.
    status, rebooked, _ = book(client, slots_on(client, other_day)[-1]["slot_id"])
    assert status == 201, rebooked
    status, data, _ = call(client, "delete",
                           f"/v1/staff/offices/{OFFICE}/closures/{closure['closure_id']}",
                           headers=ADMIN)
    assert status == 200, data
    assert data["closures"] == [] and data["slots"]["reopened"] == closure["slots_closed"]
    assert slots_on(client, closed)
    assert_problem(*call(client, "delete",
                         f"/v1/staff/offices/{OFFICE}/closures/{closure['closure_id']}",
                         headers=ADMIN), 404, "closure_not_found")


def test_an_afternoon_closure_in_office_time_closes_only_those_slots(client):
    day = open_days(1, after_days=3)[0]
    before = slots_on(client, day)
    status, closure, _ = call(client, "post", f"/v1/staff/offices/{OFFICE}/closures",
                              {"from": f"{day}T13:00", "to": f"{day}T15:00",
                               "reason_code": "power_outage"}, ADMIN)
    assert status == 201, closure
    after = slots_on(client, day)
    hours = {datetime.fromisoformat(s["start"]).astimezone(ZONE).hour for s in after}
    assert not hours & {13, 14} and len(after) == len(before) - closure["slots_closed"]
    assert_problem(*call(client, "post", f"/v1/staff/offices/{OFFICE}/closures",
                         {"from": f"{day}T15:00", "to": f"{day}T13:00",
                          "reason_code": "weather"}, ADMIN), 422, "invalid_closure")


def test_every_change_is_audited_with_who_what_and_old_to_new_but_no_note(client):
    day = open_days(1, after_days=3)[0]
    call(client, "put", f"/v1/staff/offices/{OFFICE}/mode", {"mode": "contact_center"}, ADMIN)
    call(client, "post", f"/v1/staff/offices/{OFFICE}/closures",
         {"from": day.isoformat(), "to": day.isoformat(), "reason_code": "weather",
          "note": "Call Ana Ruiz at 305-555-0199"}, ADMIN)
    status, data, _ = call(client, "get", f"/v1/staff/offices/{OFFICE}/changes", headers=HQ)
    assert status == 200
    actions = [(c["action"], c["actor"], c["role"]) for c in data["changes"]]
    assert actions == [("closure_added", "admin-miami", "office_admin"),
                       ("mode_changed", "admin-miami", "office_admin")]
    mode = data["changes"][1]
    assert mode["old"] == {"mode": "self_service"} and mode["new"] == {"mode": "contact_center"}
    assert "Ana" not in json.dumps(data) and "555" not in json.dumps(data)


ROUTES = [
    ("get", "/v1/staff/offices/{office}/settings", None),
    ("put", "/v1/staff/offices/{office}/schedule",
     {"effective_from": "2099-01-05", "slot_minutes": 30, "capacity": 2, "hours": HOURS,
      "version": 1}),
    ("put", "/v1/staff/offices/{office}/mode", {"mode": "self_service"}),
    ("post", "/v1/staff/offices/{office}/closures",
     {"from": "2099-01-05", "to": "2099-01-05", "reason_code": "weather"}),
    ("delete", "/v1/staff/offices/{office}/closures/c000000000000", None),
    ("get", "/v1/staff/offices/{office}/changes", None),
]


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_office_route_answers_the_whole_401_403_matrix(client, method, path, body):
    own = path.format(office=OFFICE)
    for case, (header, code) in BAD_TOKENS.items():
        headers = {"Authorization": header} if header else {}
        status, data, response_headers = call(client, method, own, body, headers)
        assert_problem(status, data, response_headers, 401, code)
        assert response_headers.get("WWW-Authenticate") == "Bearer", case
    for role in STAFF_ROLES:
        status, data, headers = call(client, method, own, body, token(role, OFFICE))
        if role in ("office_admin", "headquarters"):
            assert status not in (401, 403), (role, data)
        else:
            assert_problem(status, data, headers, 403, "role_not_allowed")
    assert_problem(*call(client, method, path.format(office="boston"), body,
                         token("office_admin", OFFICE)), 403, "other_office")
