"""The waitlist over HTTP in-process: join (201), a cancellation elsewhere frees a seat in the
range, the first person waiting sees the offer (proof-protected status), accepts it and is
booked on the held seat; and the problems (stable codes, problem+json) for a second entry, a
wrong proof and an accept without an open offer."""
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import settings as _settings, wiring
from chalicelib.booking.schedule import parse_slot_id
from chalicelib.tables import SlotRecord
from local import gateway
from tests.unit.test_booking_service import contacts_of
from tests.aws_fixtures import provisioned, with_slots

OFFICE = "seattle"
ORIGIN = "http://localhost:5173"


@pytest.fixture(scope="module")
def client(moto_server):
    with pytest.MonkeyPatch.context() as patch:
        wiring.rewire()
        patch.setenv("NOTICES_QUEUE_URL", provisioned(moto_server)["notices"])
        wiring.rewire()
        with_slots([OFFICE])
        gateway.install()
        with Client(app, stage_name="test") as c:
            yield c
    wiring.rewire()


def call(client, method, path, body=None):
    response = client.http.request(
        method.upper(), path, body=json.dumps(body).encode() if body is not None else b"",
        headers={"Content-Type": "application/json", "Origin": ORIGIN})
    data = json.loads(response.body) if response.body else None
    return response.status_code, data, response.headers


def applicant(first, last):
    return {"first_name": first, "last_name": last, "date_of_birth": "1990-05-06",
            **contacts_of(first),
            "address": {"line1": "1 Pike St", "city": "Seattle", "state": "WA", "zip": "98101"}}


def a_full_day(client, nth):
    """The `nth` open day from three days ahead (each test its own), made one seat in its first
    slot and none in the others."""
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    open_days = []
    for ahead in range(3, 14):
        day = today + timedelta(days=ahead)
        listed = call(client, "get", f"/v1/offices/{OFFICE}/slots?from={day}&to={day}")[1]["slots"]
        if listed:
            open_days.append((day, listed))
    day, listed = open_days[nth]
    for n, s in enumerate(listed):
        office, start = parse_slot_id(s["slot_id"])
        seats = 1 if n == 0 else 0
        SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
            actions=[SlotRecord.capacity.set(seats), SlotRecord.available.set(seats)])
    return day, listed[0]["slot_id"]


def notice_events():
    sqs = boto3.client("sqs", endpoint_url=_settings.settings.aws_endpoint_url,
                       region_name=_settings.settings.region)
    got = sqs.receive_message(QueueUrl=_settings.settings.notices_queue_url,
                              MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def test_join_then_a_cancellation_offers_the_seat_and_accepting_books_it(client):
    day, slot_id = a_full_day(client, 0)
    status, booked, _ = call(client, "post", "/v1/appointments", {
        "slot_id": slot_id, "applicant": applicant("Holder", "Park"),
        "reason": {"category": "case_inquiry"}, "language": "ko", "contact_method": "email"})
    assert status == 201

    status, joined, headers = call(client, "post", "/v1/waitlist", {
        "office_id": OFFICE, "from": day.isoformat(), "to": day.isoformat(),
        "applicant": applicant("Lan", "Tran"), "language": "vi", "contact_method": "email"})
    assert status == 201 and joined["status"] == "waiting" and joined["offer"] is None
    assert joined["position"] == 1  # first in line for that day
    assert headers["Location"].endswith(f"/v1/waitlist/{joined['waitlist_id']}/status")
    assert "Tran" not in json.dumps(joined)  # no personal data in the answer
    wid = joined["waitlist_id"]
    proof = {"last_name": "Tran", "date_of_birth": "1990-05-06"}

    status, problem, headers = call(client, "post", "/v1/waitlist", {
        "office_id": OFFICE, "from": day.isoformat(), "to": day.isoformat(),
        "applicant": applicant("Lan", "Tran"), "language": "vi", "contact_method": "email"})
    assert status == 409 and problem["code"] == "already_waiting"
    assert headers["Content-Type"].startswith("application/problem+json")

    status, problem, _ = call(client, "post", f"/v1/waitlist/{wid}/accept", proof)
    assert status == 409 and problem["code"] == "no_open_offer"
    status, problem, _ = call(client, "post", f"/v1/waitlist/{wid}/status",
                              {"last_name": "Other", "date_of_birth": "1990-05-06"})
    assert status == 404 and problem["code"] == "waitlist_entry_not_found"

    notice_events()  # drain the booking's notices
    status, _, _ = call(client, "post",
                        f"/v1/appointments/{booked['confirmation_number']}/cancel",
                        {"last_name": "Park", "date_of_birth": "1990-05-06"})
    assert status == 200

    status, offered, _ = call(client, "post", f"/v1/waitlist/{wid}/status", proof)
    assert status == 200 and offered["status"] == "offered"
    assert offered["position"] is None  # no longer in line: the seat is offered
    assert offered["offer"]["slot_id"] == slot_id and offered["offer"]["expires_in_seconds"] > 7000
    events = [e for e in notice_events() if e["subject"] == "waitlist"]
    assert events == [{"kind": "waitlist_offer", "subject": "waitlist", "id": wid, "version": 2}]
    # The held seat is not offered to the public meanwhile.
    listed = call(client, "get", f"/v1/offices/{OFFICE}/slots?from={day}&to={day}")[1]["slots"]
    assert slot_id not in {s["slot_id"] for s in listed}

    status, accepted, _ = call(client, "post", f"/v1/waitlist/{wid}/accept", proof)
    assert status == 200 and accepted["status"] == "booked"
    appointment = accepted["appointment"]
    assert appointment["slot_id"] == slot_id and appointment["status"] == "booked"
    status, looked_up, _ = call(client, "post",
                                f"/v1/appointments/{appointment['confirmation_number']}/lookup",
                                proof)
    assert status == 200 and looked_up["slot_id"] == slot_id

    status, left, _ = call(client, "post", f"/v1/waitlist/{wid}/leave", proof)
    assert status == 200 and left["status"] == "booked"  # nothing left to leave


def test_a_reschedule_offers_the_seat_it_gives_back_to_the_first_person_waiting(client):
    day, slot_id = a_full_day(client, 2)
    later_day, _ = a_full_day(client, 3)
    open_later = call(client, "get",
                      f"/v1/offices/{OFFICE}/slots?from={later_day}&to={later_day}")[1]["slots"]
    status, booked, _ = call(client, "post", "/v1/appointments", {
        "slot_id": slot_id, "applicant": applicant("Mover", "Kim"),
        "reason": {"category": "case_inquiry"}, "language": "en", "contact_method": "email"})
    assert status == 201
    status, joined, _ = call(client, "post", "/v1/waitlist", {
        "office_id": OFFICE, "from": day.isoformat(), "to": day.isoformat(),
        "applicant": applicant("Waiting", "Ito"), "language": "ru", "contact_method": "email"})
    assert status == 201 and joined["status"] == "waiting", joined
    status, _, _ = call(client, "post",
                        f"/v1/appointments/{booked['confirmation_number']}/reschedule",
                        {"last_name": "Kim", "date_of_birth": "1990-05-06",
                         "slot_id": open_later[0]["slot_id"]})
    assert status == 200
    status, offered, _ = call(client, "post", f"/v1/waitlist/{joined['waitlist_id']}/status",
                              {"last_name": "Ito", "date_of_birth": "1990-05-06"})
    assert status == 200 and offered["status"] == "offered"
    assert offered["offer"]["slot_id"] == slot_id


def test_leaving_ends_the_entry_and_a_person_may_join_again(client):
    day, _ = a_full_day(client, 1)
    body = {"office_id": OFFICE, "from": day.isoformat(), "to": day.isoformat(),
            "applicant": applicant("Minh", "Vo"), "language": "en", "contact_method": "mail"}
    status, joined, _ = call(client, "post", "/v1/waitlist", body)
    assert status == 201
    proof = {"last_name": "Vo", "date_of_birth": "1990-05-06"}
    status, left, _ = call(client, "post", f"/v1/waitlist/{joined['waitlist_id']}/leave", proof)
    assert status == 200 and left["status"] == "left"
    assert call(client, "post", "/v1/waitlist", body)[0] == 201


def test_a_range_outside_the_window_or_reversed_is_a_clear_problem(client):
    today = date.today()
    base = {"office_id": OFFICE, "applicant": applicant("Hoa", "Le"), "language": "en",
            "contact_method": "email"}
    status, problem, _ = call(client, "post", "/v1/waitlist", {
        **base, "from": (today + timedelta(days=5)).isoformat(),
        "to": (today + timedelta(days=3)).isoformat()})
    assert status == 400 and problem["code"] == "reversed_range"
    status, problem, _ = call(client, "post", "/v1/waitlist", {
        **base, "from": today.isoformat(), "to": (today + timedelta(days=400)).isoformat()})
    assert status == 400 and problem["code"] == "invalid_range"
    status, problem, _ = call(client, "post", "/v1/waitlist", {**base, "from": "soon", "to": 3})
    assert status == 422 and problem["code"] == "validation_failed"


@pytest.mark.parametrize("path", ["/v1/waitlist", "/v1/waitlist/0123456789abcdef/status",
                                  "/v1/waitlist/0123456789abcdef/leave",
                                  "/v1/waitlist/0123456789abcdef/accept"])
def test_hostile_bodies_get_a_problem_and_change_nothing(client, path):
    deep = b"[" * 1000 + b"]" * 1000
    response = client.http.request("POST", path, body=deep,
                                   headers={"Content-Type": "application/json", "Origin": ORIGIN})
    assert response.status_code == 400
    assert json.loads(response.body)["code"] == "malformed_json"
    assert response.headers["Content-Type"].startswith("application/problem+json")
    status, problem, _ = call(client, "post", path, {"last_name": "X" * 500})
    assert status == 422 and problem["code"] == "validation_failed"
