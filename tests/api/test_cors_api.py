"""CORS through chalice.test.Client (the same local gateway `chalice local` runs): an allow-listed
origin is echoed on every answer, errors and gateway answers included; every route answers its
preflight; an origin not on the list gets nothing a browser would honour."""
import json
import re

import pytest
from chalice.test import Client

from app import app
from chalicelib import cors, wiring
from tests.api.test_booking_api import booking, call, slot_in
from tests.aws_fixtures import with_slots

PAGE = "http://localhost:5173"
EVIL = "https://evil.example"
EXPOSED = {"idempotent-replayed", "content-language", "retry-after", "www-authenticate",
           "location"}


@pytest.fixture
def client(aws, monkeypatch):
    monkeypatch.setenv("MIN_INTERVAL_DAYS", "0")
    wiring.rewire()
    with_slots(["miami"])
    from local import gateway
    gateway.install()
    with Client(app, stage_name="test") as c:
        yield c


def lower(headers):
    return {k.lower(): v for k, v in headers.items()}


def assert_cors(headers, origin=PAGE):
    h = lower(headers)
    assert h.get("access-control-allow-origin") == origin, headers
    assert "origin" in [v.strip().lower() for v in h.get("vary", "").split(",")], headers
    exposed = {v.strip().lower() for v in h.get("access-control-expose-headers", "").split(",")}
    assert EXPOSED <= exposed, headers
    assert "access-control-allow-credentials" not in h


def assert_no_cors(headers):
    h = lower(headers)
    assert not [k for k in h if k.startswith("access-control-")], headers
    assert "origin" in h.get("vary", "").lower()


def concrete(path):
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_an_allowed_origin_is_echoed_with_the_exposed_headers(client):
    for origin in (PAGE, "http://127.0.0.1:49152", "http://localhost"):
        status, data, headers = call(client, "get", "/v1/offices?zip=02108",
                                     headers={"Origin": origin})
        assert status == 200 and data["offices"]
        assert_cors(headers, origin)


@pytest.mark.parametrize("origin", [EVIL, "null", "http://localhost.evil.example:80",
                                    "http://localhost:80/x", "https://localhost:443x",
                                    "http://127.0.0.1.nip.io:8000"])
def test_an_origin_not_on_the_list_gets_no_cors_headers(client, origin):
    status, _, headers = call(client, "get", "/v1/offices?zip=02108", headers={"Origin": origin})
    assert status == 200
    assert_no_cors(headers)
    status, _, headers = call(client, "get", "/v1/nope", headers={"Origin": origin})
    assert status == 404
    assert_no_cors(headers)


ROUTES = sorted((path, sorted(m for m in methods if m != "OPTIONS"))
                for path, methods in app.routes.items())


@pytest.mark.parametrize("path,methods", ROUTES, ids=[p for p, _ in ROUTES])
def test_every_route_answers_its_preflight(client, path, methods):
    response = client.http.options(concrete(path), headers={
        "Origin": PAGE, "Access-Control-Request-Method": methods[0],
        "Access-Control-Request-Headers": "content-type,idempotency-key,authorization"})
    assert response.status_code == 204, response.body
    h = lower(response.headers)
    assert_cors(response.headers)
    assert {m.strip() for m in h["access-control-allow-methods"].split(",")} == \
        set(methods) | {"OPTIONS"}
    assert {v.strip().lower() for v in h["access-control-allow-headers"].split(",")} >= \
        {"content-type", "idempotency-key", "accept-language", "authorization"}
    assert int(h["access-control-max-age"]) >= 600
    assert not response.body


def test_a_preflight_from_an_origin_not_on_the_list_allows_nothing(client):
    response = client.http.options("/v1/appointments", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST"})
    assert_no_cors(response.headers)


def test_a_staff_route_preflight_needs_no_token(client):
    response = client.http.options("/v1/staff/queue", headers={
        "Origin": PAGE, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 204
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


def test_errors_carry_the_cors_headers_too(client, monkeypatch):
    origin = {"Origin": PAGE}
    cases = {
        "view problem": call(client, "get", "/v1/offices?zip=12", headers=origin),
        "validation": call(client, "post", "/v1/appointments", {"slot_id": "x"}, headers=origin),
        "unknown route": call(client, "get", "/v1/nope", headers=origin),
        "missing staff token": call(client, "get", "/v1/staff/queue", headers=origin),
        "bad staff token": call(client, "get", "/v1/staff/queue",
                                headers={**origin, "Authorization": "Bearer nope"}),
        "wrong method": call(client, "delete", "/v1/offices", headers=origin),
    }
    response = client.http.post("/v1/appointments", body=b"a=b",
                                headers={"Content-Type": "text/plain", **origin})
    cases["unsupported media type"] = (response.status_code, json.loads(response.body),
                                       response.headers)

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    # The service's own method, not `wiring.booking_service` (which teardown's rewire clears).
    monkeypatch.setattr(type(wiring.booking_service()), "offices_near", explode)
    cases["crash"] = call(client, "get", "/v1/offices?zip=02108", headers=origin)
    expected = {"view problem": 400, "validation": 422, "unknown route": 404,
                "missing staff token": 401, "bad staff token": 401, "wrong method": 405,
                "unsupported media type": 415, "crash": 500}
    for case, (status, data, headers) in cases.items():
        assert status == expected[case], (case, data)
        assert headers["Content-Type"] == "application/problem+json", case
        assert_cors(headers)


def test_a_replay_and_a_conflict_are_readable_cross_origin(client):
    body = booking(slot_in(client, 3)["slot_id"])
    headers = {"Origin": PAGE, "Idempotency-Key": "page-1"}
    first = call(client, "post", "/v1/appointments", body, headers)
    replay = call(client, "post", "/v1/appointments", body, headers)
    assert first[0] == replay[0] == 201 and replay[2]["Idempotent-Replayed"] == "true"
    assert_cors(replay[2])
    conflict = call(client, "post", "/v1/appointments", body, {"Origin": PAGE})
    assert conflict[0] == 409 and conflict[1]["code"] == "already_booked"
    assert_cors(conflict[2])


def test_allowed_origins_are_matched_exactly_or_by_port():
    patterns = ("https://app.infopass.example.gov", "http://localhost:*")
    assert cors.allowed("https://app.infopass.example.gov", patterns)
    assert cors.allowed("http://localhost:3000", patterns)
    for origin in ("https://app.infopass.example.gov:444", "http://app.infopass.example.gov",
                   "https://app.infopass.example.gov.evil.example", "http://localhost:3000/",
                   "http://localhostx:3000", "https://localhost:3000", "", None, "null"):
        assert not cors.allowed(origin, patterns), origin
