"""The day at the office and assisted digital through the API in-process, against the moto
server: the roster, check-in / no-show / complete on the visit's state, staff booking for a
caller under the person's own rules, the audit of who did it, and the 401/403 matrix."""
from __future__ import annotations

import pytest

from chalicelib import tables, wiring
from chalicelib.staff.roles import STAFF_ROLES
from tests.api.test_offices_api import (OFFICE, PERSON, assert_problem, book, call, client,  # noqa: F401
                                        lookup, open_days, slots_on, token)
from tests.api.test_triage_staff_auth import BAD_TOKENS

DESK = token("front_desk", OFFICE, "desk-1")
TIER1 = token("tier1", None, "agent-7")
CALLER = dict(PERSON, first_name="Amina", last_name="Yusuf", email="amina@example.org")


def assisted(client, slot_id, person=CALLER, check="a_number_and_birth_date", headers=TIER1):  # noqa: F811
    return call(client, "post", "/v1/staff/appointments", {
        "slot_id": slot_id, "applicant": person, "language": "en",
        "reason": {"category": "case_inquiry"}, "contact_method": "email",
        "identity_check": check}, headers)


@pytest.fixture
def desk_client(client):  # noqa: F811
    return client


def test_tier1_books_for_a_caller_under_the_persons_rules_and_is_audited(desk_client):
    first, second = open_days(2, after_days=3)
    status, booked, _ = assisted(desk_client, slots_on(desk_client, first)[0]["slot_id"])
    assert status == 201, booked
    assert booked["booked_by"] == {"actor": "agent-7", "role": "tier1",
                                   "identity_check": "a_number_and_birth_date"}
    # The same person again: one active appointment, whoever books.
    assert_problem(*assisted(desk_client, slots_on(desk_client, second)[0]["slot_id"]), 409,
                   "already_booked")
    # Contact-center offices are not for assisted booking either.
    wiring.booking_service().generate_slots(["hartford"])
    hartford = wiring.booking_service().availability("hartford", None, None,
                                                     for_staff=True)["slots"]
    other = dict(CALLER, first_name="Jon", last_name="Berg")
    assert_problem(*assisted(desk_client, hartford[0]["slot_id"], other), 409,
                   "office_not_self_service")
    status, data, _ = call(desk_client, "get", f"/v1/staff/offices/{OFFICE}/changes",
                           headers=token("headquarters", None))
    [entry] = [c for c in data["changes"] if c["action"] == "assisted_booking"]
    assert entry["actor"] == "agent-7" and entry["new"]["identity_check"] == \
        "a_number_and_birth_date"
    assert "Amina" not in str(data) and "Yusuf" not in str(data)
    number = booked["confirmation_number"]
    status, moved, _ = call(desk_client, "post", f"/v1/staff/appointments/{number}/reschedule",
                            {"last_name": "Yusuf", "date_of_birth": CALLER["date_of_birth"],
                             "slot_id": slots_on(desk_client, second)[0]["slot_id"],
                             "identity_check": "security_questions_phone"}, DESK)
    assert status == 200, moved
    status, cancelled, _ = call(desk_client, "post", f"/v1/staff/appointments/{number}/cancel",
                                {"last_name": "Yusuf", "date_of_birth": CALLER["date_of_birth"],
                                 "identity_check": "photo_id_in_person"}, TIER1)
    assert status == 200 and cancelled["status"] == "cancelled"
    actions = [c["action"] for c in call(desk_client, "get",
                                         f"/v1/staff/offices/{OFFICE}/changes",
                                         headers=token("headquarters", None))[1]["changes"]]
    assert actions == ["assisted_cancellation", "assisted_reschedule", "assisted_booking"]


def test_the_roster_lists_the_day_and_marks_follow_the_visit_state(desk_client, monkeypatch):
    day = open_days(1, after_days=3)[0]
    slots = slots_on(desk_client, day)
    status, first, _ = book(desk_client, slots[1]["slot_id"])
    other = dict(PERSON, first_name="Chen", last_name="Wu")
    status, second, _ = book(desk_client, slots[0]["slot_id"], other, "zh-Hans")
    status, roster, _ = call(desk_client, "get",
                             f"/v1/staff/offices/{OFFICE}/roster?date={day}", headers=DESK)
    assert status == 200, roster
    assert [a["confirmation_number"] for a in roster["appointments"]] == [
        second["confirmation_number"], first["confirmation_number"]]
    assert roster["appointments"][0]["language"] == "zh-Hans"
    assert "1979" not in str(roster) and "example.org" not in str(roster)
    number = first["confirmation_number"]
    # Days ahead: too early for both marks under the default windows.
    assert_problem(*call(desk_client, "post", f"/v1/staff/appointments/{number}/no-show",
                         headers=DESK), 409, "too_early_to_mark")
    assert_problem(*call(desk_client, "post", f"/v1/staff/appointments/{number}/check-in",
                         headers=DESK), 409, "too_early_to_mark")
    monkeypatch.setenv("CHECK_IN_EARLY_MINUTES", str(20 * 24 * 60))
    monkeypatch.setenv("NO_SHOW_GRACE_MINUTES", str(-20 * 24 * 60))
    wiring.rewire()
    assert_problem(*call(desk_client, "post", f"/v1/staff/appointments/{number}/complete",
                         headers=DESK), 409, "already_marked")
    status, data, _ = call(desk_client, "post", f"/v1/staff/appointments/{number}/check-in",
                           headers=DESK)
    assert status == 200 and data["attendance"] == "checked_in"
    assert_problem(*call(desk_client, "post", f"/v1/staff/appointments/{number}/no-show",
                         headers=token("front_desk", OFFICE, "desk-2")), 409, "already_marked")
    assert call(desk_client, "post", f"/v1/staff/appointments/{number}/complete",
                headers=DESK)[1]["attendance"] == "completed"
    # A no-show, by the default policy, does not count towards the six-month rule.
    missed = second["confirmation_number"]
    assert call(desk_client, "post", f"/v1/staff/appointments/{missed}/no-show",
                headers=DESK)[0] == 200
    record = tables.AppointmentRecord.get(missed.replace("-", ""))
    assert record.attendance == "no_show" and record.attendance_by == "desk-1"
    boston = token("front_desk", "boston", "desk-boston")
    assert_problem(*call(desk_client, "post", f"/v1/staff/appointments/{missed}/check-in",
                         headers=boston), 403, "other_office")


ROUTES = [
    ("get", f"/v1/staff/offices/{OFFICE}/roster", None,
     {"front_desk", "tier2", "supervisor", "office_admin"}),
    ("post", "/v1/staff/appointments/ABCD-EFGH-2345/check-in", None,
     {"front_desk", "supervisor", "office_admin"}),
    ("post", "/v1/staff/appointments/ABCD-EFGH-2345/no-show", None,
     {"front_desk", "supervisor", "office_admin"}),
    ("post", "/v1/staff/appointments/ABCD-EFGH-2345/complete", None,
     {"front_desk", "supervisor", "office_admin"}),
    ("post", "/v1/staff/appointments", {"slot_id": "x"}, {"tier1", "front_desk"}),
    ("post", "/v1/staff/appointments/ABCD-EFGH-2345/reschedule", {"slot_id": "x"},
     {"tier1", "front_desk"}),
    ("post", "/v1/staff/appointments/ABCD-EFGH-2345/cancel", {}, {"tier1", "front_desk"}),
]


@pytest.mark.parametrize("method,path,body,allowed", ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ROUTES])
def test_every_front_desk_route_answers_the_whole_401_403_matrix(desk_client, method, path,
                                                                 body, allowed):
    for case, (header, code) in BAD_TOKENS.items():
        headers = {"Authorization": header} if header else {}
        status, data, response_headers = call(desk_client, method, path, body, headers)
        assert_problem(status, data, response_headers, 401, code)
        assert response_headers.get("WWW-Authenticate") == "Bearer", case
    for role in STAFF_ROLES:
        status, data, headers = call(desk_client, method, path, body, token(role, OFFICE))
        if role in allowed:
            assert status not in (401, 403), (role, data)
        else:
            assert_problem(status, data, headers, 403, "role_not_allowed")
