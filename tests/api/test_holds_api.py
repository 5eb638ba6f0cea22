"""Holds over HTTP in-process: 201 with the expiry in UTC and office time, booking with the hold,
one extension, giving it back (204), and the problems (404/409 with stable codes, translated
titles, problem+json, CORS) for holds used twice, for another time, expired or over the limit."""
import json

import pytest
from chalice import local as chalice_local
from chalice.test import Client

from app import app
from chalicelib import wiring
from local import gateway
from tests.unit.test_booking_service import contacts_of
from tests.aws_fixtures import provisioned, with_slots

OFFICE = "seattle"
ORIGIN = "http://localhost:5173"


@pytest.fixture(scope="module")
def client(moto_server):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOLD_CLIENT_LIMIT", "4")
        wiring.rewire()
        patch.setenv("NOTICES_QUEUE_URL", provisioned(moto_server)["notices"])
        wiring.rewire()
        with_slots([OFFICE])
        gateway.install()
        with Client(app, stage_name="test") as c:
            yield c
    wiring.rewire()


@pytest.fixture
def from_ip(monkeypatch):
    def use(address):
        monkeypatch.setattr(chalice_local.LambdaEventConverter, "LOCAL_SOURCE_IP", address)
    return use


def call(client, method, path, body=None, headers=None):
    response = client.http.request(
        method.upper(), path, body=json.dumps(body).encode() if body is not None else b"",
        headers={"Content-Type": "application/json", "Origin": ORIGIN, **(headers or {})})
    data = json.loads(response.body) if response.body else None
    return response.status_code, data, response.headers


def slots(client):
    return call(client, "get", f"/v1/offices/{OFFICE}/slots")[1]["slots"]


def booking_body(slot_id, first, hold_id=None):
    body = {"slot_id": slot_id,
            "applicant": {"first_name": first, "last_name": "Nguyen", "date_of_birth": "1990-05-06",
                          **contacts_of(first),
                          "address": {"line1": "1 Pike St", "city": "Seattle", "state": "WA",
                                      "zip": "98101"}},
            "reason": {"category": "case_inquiry"}, "language": "vi", "contact_method": "email"}
    if hold_id:
        body["hold_id"] = hold_id
    return body


def assert_problem(answer, status, code):
    got, data, headers = answer
    assert got == status, data
    assert headers["Content-Type"] == "application/problem+json" and data["code"] == code
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    return data


def test_a_hold_then_a_booking_with_it_takes_one_seat(client, from_ip):
    from_ip("203.0.113.21")
    slot = slots(client)[30]
    status, held, headers = call(client, "post", "/v1/holds", {"slot_id": slot["slot_id"]})
    assert status == 201, held
    assert headers["Location"].endswith(f"/v1/holds/{held['hold_id']}")
    assert held["slot_id"] == slot["slot_id"] and held["timezone"] == "America/Los_Angeles"
    assert held["expires_at"].endswith("Z") and held["expires_at_local"][-6:] in ("-08:00",
                                                                                  "-07:00")
    assert 590 <= held["expires_in_seconds"] <= 600 and held["extendable"] is True
    after_hold = next(s for s in slots(client) if s["slot_id"] == slot["slot_id"])
    assert after_hold["available"] == slot["available"] - 1
    status, booked, _ = call(client, "post", "/v1/appointments",
                             booking_body(slot["slot_id"], "Lan", held["hold_id"]))
    assert status == 201, booked
    after_booking = next(s for s in slots(client) if s["slot_id"] == slot["slot_id"])
    assert after_booking["available"] == slot["available"] - 1  # the held seat, no second one
    data = assert_problem(call(client, "post", "/v1/appointments",
                               booking_body(slot["slot_id"], "Mai", held["hold_id"])),
                          409, "hold_already_used")
    # Titles in the person's language: the body's (vi), or Accept-Language.
    assert data["title"] == "Lượt giữ chỗ đã được sử dụng hoặc đã trả lại"
    translated = call(client, "post", "/v1/appointments",
                      booking_body(slot["slot_id"], "Mai", held["hold_id"]),
                      {"Accept-Language": "es"})
    assert translated[1]["title"] == "La reserva temporal ya se usó o se devolvió"
    assert_problem(call(client, "post", f"/v1/holds/{held['hold_id']}/extend"), 409,
                   "hold_already_used")
    assert_problem(call(client, "delete", f"/v1/holds/{held['hold_id']}"), 409,
                   "hold_already_used")


def test_one_extension_giving_back_and_one_active_hold_per_client(client, from_ip):
    from_ip("203.0.113.22")
    first, second = slots(client)[31:33]
    status, held, _ = call(client, "post", "/v1/holds", {"slot_id": first["slot_id"]})
    assert status == 201, held
    assert_problem(call(client, "post", "/v1/holds", {"slot_id": second["slot_id"]}), 409,
                   "hold_limit_reached")
    status, extended, _ = call(client, "post", f"/v1/holds/{held['hold_id']}/extend")
    assert status == 200, extended
    assert extended["expires_in_seconds"] > 600 and extended["extendable"] is False
    assert_problem(call(client, "post", f"/v1/holds/{held['hold_id']}/extend"), 409,
                   "hold_already_extended")
    assert_problem(call(client, "post", "/v1/appointments",
                        booking_body(second["slot_id"], "Hoa", held["hold_id"])), 409,
                   "hold_slot_mismatch")
    status, body, headers = call(client, "delete", f"/v1/holds/{held['hold_id']}")
    assert status == 204 and body is None and headers["Access-Control-Allow-Origin"] == ORIGIN
    assert next(s for s in slots(client) if s["slot_id"] == first["slot_id"])["available"] \
        == first["available"]
    assert call(client, "post", "/v1/holds", {"slot_id": second["slot_id"]})[0] == 201


def test_unknown_ids_bad_bodies_and_the_rate_limit_are_problems(client, from_ip):
    from_ip("203.0.113.23")
    assert_problem(call(client, "post", f"/v1/holds/{'a' * 32}/extend"), 404, "hold_not_found")
    assert_problem(call(client, "delete", "/v1/holds/not-a-hold"), 404, "hold_not_found")
    assert_problem(call(client, "post", "/v1/holds", {"slot_id": "seattle.20991301T0000Z"}),
                   404, "unknown_slot")
    assert_problem(call(client, "post", "/v1/holds", {"slot_id": "x", "extra": 1}), 422,
                   "validation_failed")
    assert_problem(call(client, "post", "/v1/appointments",
                        booking_body(slots(client)[34]["slot_id"], "Tuan", "not-hex")), 422,
                   "validation_failed")
    # Holds per client per window (HOLD_CLIENT_LIMIT = 4 here), counted before anything else.
    for _ in range(3):
        call(client, "post", "/v1/holds", {"slot_id": "seattle.20991301T0000Z"})
    answer = call(client, "post", "/v1/holds", {"slot_id": slots(client)[35]["slot_id"]})
    assert_problem(answer, 429, "rate_limited")
    assert int(answer[2]["Retry-After"]) > 0
