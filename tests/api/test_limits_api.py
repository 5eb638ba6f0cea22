"""Attempt limits on identity proofs and per-client booking limits, through HTTP in-process.

Proofs: at most PROOF_ATTEMPTS failures per confirmation number (or service-request id) per
window, then `429 too_many_attempts` with Retry-After, the same for numbers that do not exist.
Clients: at most BOOKING_CLIENT_LIMIT bookings per source IP per window, then `429 rate_limited`.
"""
import json

import pytest
from chalice import local as chalice_local
from chalice.test import Client

from app import app
from chalicelib import wiring
from local import gateway
from tests.aws_fixtures import provisioned, with_slots

OFFICE = "miami"
ATTEMPTS = 3
CLIENT_LIMIT = 4


@pytest.fixture(scope="module")
def client(moto_server):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MIN_INTERVAL_DAYS", "0")
        patch.setenv("PROOF_ATTEMPTS", str(ATTEMPTS))
        patch.setenv("BOOKING_CLIENT_LIMIT", str(CLIENT_LIMIT))
        patch.setenv("RATE_LIMIT_EXEMPT", "10.20.0.0/16")
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
    """The in-process gateway gives every request one source IP; tests choose it."""
    def use(address):
        monkeypatch.setattr(chalice_local.LambdaEventConverter, "LOCAL_SOURCE_IP", address)
    return use


def call(client, method, path, body=None, headers=None):
    response = client.http.request(method.upper(), path, body=json.dumps(body).encode(),
                                   headers={"Content-Type": "application/json", **(headers or {})})
    return response.status_code, json.loads(response.body), response.headers


def person(n, last="Okoye"):
    return {"first_name": f"Ada{chr(65 + n // 26)}{chr(65 + n % 26)}", "last_name": last,
            "date_of_birth": "1988-04-12", "email": f"ada{n}@example.org",
            "phone": f"(305) 555-{1000 + n:04d}",  # their own: the per-contact limit is not tested here
            "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL", "zip": "33139"}}


_slots = iter(())
_people = iter(range(1000))


def next_slot(client):
    global _slots
    for slot in _slots:
        return slot["slot_id"]
    status, data, _ = call(client, "get", f"/v1/offices/{OFFICE}/slots")
    _slots = iter(s for s in data["slots"][20:] if s["available"] >= 2)
    return next(_slots)["slot_id"]


def book(client, n=None):
    n = next(_people) if n is None else n
    body = {"slot_id": next_slot(client), "applicant": person(n),
            "reason": {"category": "case_inquiry"}, "language": "en", "contact_method": "email"}
    status, data, _ = call(client, "post", "/v1/appointments", body)
    assert status == 201, data
    return data["confirmation_number"], body["applicant"]


def wrong(dob="1988-04-13"):
    return {"last_name": "Okoye", "date_of_birth": dob}


def right():
    return {"last_name": "Okoye", "date_of_birth": "1988-04-12"}


def assert_429(answer, code):
    status, data, headers = answer
    assert status == 429, data
    assert headers["Content-Type"] == "application/problem+json" and data["code"] == code
    assert 1 <= int(headers["Retry-After"]) <= 3600 and data["retry_after"] == int(
        headers["Retry-After"])


# --- proofs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["lookup", "cancel", "reschedule"])
def test_failed_proofs_on_a_booking_stop_at_the_limit_even_for_the_right_person(
        client, from_ip, action):
    from_ip("192.0.2.10")
    cn, _ = book(client)
    body = wrong()
    if action == "reschedule":
        body["slot_id"] = next_slot(client)
    for _ in range(ATTEMPTS):
        assert call(client, "post", f"/v1/appointments/{cn}/{action}", body)[0] == 404
    assert_429(call(client, "post", f"/v1/appointments/{cn}/{action}", body), "too_many_attempts")
    # The counter is the number's, not the route's or the caller's: every route is closed now,
    # from any address, even with the right proof.
    from_ip("198.51.100.7")
    assert_429(call(client, "post", f"/v1/appointments/{cn}/lookup", right()),
               "too_many_attempts")


def test_a_number_that_does_not_exist_is_limited_exactly_like_one_that_does(client):
    real, _ = book(client)
    unknown = "7Q4K-M2ZP-XD"  # well-formed, never issued
    answers = {}
    for cn in (real, unknown):
        answers[cn] = [call(client, "post", f"/v1/appointments/{cn}/lookup", wrong())
                       for _ in range(ATTEMPTS + 1)]
    for cn, calls in answers.items():
        assert [status for status, _, _ in calls] == [404] * ATTEMPTS + [429], cn
    assert answers[real][0][1] == answers[unknown][0][1]
    assert {k: v for k, v in answers[real][-1][1].items() if k != "retry_after"} == \
        {k: v for k, v in answers[unknown][-1][1].items() if k != "retry_after"}


def test_spellings_of_one_number_share_one_counter(client):
    cn, _ = book(client)
    spellings = [cn, cn.replace("-", ""), cn.lower(), f" {cn} "]
    statuses = [call(client, "post", f"/v1/appointments/{s}/lookup", wrong())[0]
                for s in spellings]
    assert statuses == [404] * ATTEMPTS + [429]


def test_a_correct_proof_after_typos_still_works_and_does_not_use_up_an_attempt(client):
    cn, _ = book(client)
    for _ in range(ATTEMPTS - 1):
        assert call(client, "post", f"/v1/appointments/{cn}/lookup", wrong())[0] == 404
    for _ in range(3):  # success gives its reserved attempt back each time
        status, data, _ = call(client, "post", f"/v1/appointments/{cn}/lookup", right())
        assert status == 200 and data["confirmation_number"] == cn
    assert call(client, "post", f"/v1/appointments/{cn}/lookup", wrong())[0] == 404
    assert_429(call(client, "post", f"/v1/appointments/{cn}/lookup", right()),
               "too_many_attempts")


REQUESTER = {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
             "phone": "(860) 555-0199", "email": "ana.ruiz@example.org"}


@pytest.mark.parametrize("action", ["status", "appeal"])
def test_service_request_proofs_are_limited_per_request_id(client, action):
    status, data, _ = call(client, "post", "/v1/service-requests", {
        "applicant": REQUESTER, "callback_period": "morning", "zip": "06103",
        "inquiry_type": "other", "description": "Necesito ayuda."})
    assert status == 201, data
    request_id = data["request_id"]
    proof = {"last_name": "Ruiz", "date_of_birth": "1979-08-31"}
    if action == "appeal":
        proof["statement"] = "Please reconsider."
    for _ in range(ATTEMPTS):
        assert call(client, "post", f"/v1/service-requests/{request_id}/{action}", proof)[0] == 404
    assert_429(call(client, "post", f"/v1/service-requests/{request_id}/{action}", proof),
               "too_many_attempts")
    assert_429(call(client, "post", f"/v1/service-requests/{request_id}/status",
                    {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}), "too_many_attempts")
    unknown = {"status": "0000-0000-0000-0001", "appeal": "0000-0000-0000-0002"}[action]
    statuses = [call(client, "post", f"/v1/service-requests/{unknown}/{action}", proof)[0]
                for _ in range(ATTEMPTS + 1)]
    assert statuses == [404] * ATTEMPTS + [429]


# --- clients ----------------------------------------------------------------------------------

def test_one_client_books_up_to_its_limit_then_gets_429_while_others_still_book(client, from_ip):
    from_ip("203.0.113.50")
    for _ in range(CLIENT_LIMIT):
        book(client)
    body = {"slot_id": next_slot(client), "applicant": person(next(_people)),
            "reason": {"category": "case_inquiry"}, "language": "en", "contact_method": "email"}
    assert_429(call(client, "post", "/v1/appointments", body), "rate_limited")
    assert_429(call(client, "post", "/v1/appointments", {"garbage": True}), "rate_limited")
    from_ip("203.0.113.51")  # another client is not affected
    assert call(client, "post", "/v1/appointments", body)[0] == 201


def test_the_agency_own_addresses_are_exempt_from_the_client_limit(client, from_ip):
    from_ip("10.20.3.4")
    for _ in range(CLIENT_LIMIT + 2):
        book(client)
