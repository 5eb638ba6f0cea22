"""Hostile input through HTTP (in-process): every family answers a 4xx problem with a stable code,
never a 500, never a crash that drops the connection, never a partial write."""
import json

import pytest
from chalice.test import Client

from app import app
from chalicelib import wiring
from local import gateway
from local.token import mint
from tests.api.test_booking_api import booking
from tests.triage_fakes import callback_time
from tests.aws_fixtures import provisioned, with_slots

MIAMI = "miami"
REQUESTER = {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
             "phone": "(860) 555-0199", "email": "ana.ruiz@example.org"}
# Fullwidth, superscript and Arabic-Indic digits: str.isdigit() and regex \d accept them all.
NON_ASCII_ZIPS = ["０２１０８", "²²²²²", "٠٢١٠٨", "۰۲۱۰۸", "02108-１２３４"]


@pytest.fixture(scope="module")
def client(moto_server):
    """One set of tables for the module (slot generation is the slow part): each test uses its
    own subjects, and none depends on another's writes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MIN_INTERVAL_DAYS", "0")
        wiring.rewire()
        patch.setenv("NOTICES_QUEUE_URL", provisioned(moto_server)["notices"])
        wiring.rewire()
        with_slots([MIAMI])
        gateway.install()
        with Client(app, stage_name="test") as c:
            yield c
    wiring.rewire()


def call(client, method, path, body=None, headers=None, raw=None):
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    response = client.http.request(method.upper(), path, body=payload, headers={
        "Content-Type": "application/json", **(headers or {})})
    data = json.loads(response.body) if response.body else None
    return response.status_code, data, response.headers


def assert_problem(answer, status, code):
    got, data, headers = answer
    assert got == status, data
    assert headers["Content-Type"] == "application/problem+json"
    assert data["code"] == code and data["status"] == status and data["title"]


def staff(role, office="hartford"):
    return {"Authorization": f"Bearer {mint(role, office, f'{role}-hostile')}"}


def service_request(**changes):
    body = {"applicant": dict(REQUESTER), "callback_period": "morning", "zip": "06103",
            "inquiry_type": "other", "description": "Necesito ayuda."}
    body.update(changes)
    return body


def first_slot(client):
    status, data, _ = call(client, "get", f"/v1/offices/{MIAMI}/slots")
    assert status == 200
    return data["slots"][0]


# --- ZIP codes in digits that are not ASCII ----------------------------------------------

@pytest.mark.parametrize("zip_code", NON_ASCII_ZIPS)
def test_an_office_search_by_a_zip_in_non_ascii_digits_is_a_400_not_a_dropped_connection(
        client, zip_code):
    assert_problem(call(client, "get", f"/v1/offices?zip={zip_code}"), 400, "invalid_zip")


def test_an_office_search_accepts_zip_plus_4_and_ranks_like_the_five_digit_zip(client):
    five = call(client, "get", "/v1/offices?zip=02108&limit=3")
    plus4 = call(client, "get", "/v1/offices?zip=02108-1234&limit=3")
    assert five[0] == plus4[0] == 200
    assert plus4[1]["zip"] == "02108" and plus4[1]["offices"] == five[1]["offices"]
    for malformed in ("02108-12", "02108 1234", "021081234", "02108-"):
        assert_problem(call(client, "get", f"/v1/offices?zip={malformed}"), 400, "invalid_zip")


@pytest.mark.parametrize("zip_code", NON_ASCII_ZIPS)
def test_a_service_request_with_a_zip_in_non_ascii_digits_is_refused_and_not_stored(
        client, zip_code):
    status, data, _ = call(client, "post", "/v1/service-requests", service_request(zip=zip_code))
    assert status == 422, data
    assert [e["field"] for e in data["errors"]] == ["zip"]
    status, queue, _ = call(client, "get", "/v1/staff/queue", headers=staff("tier2"))
    assert status == 200 and queue["requests"] == []


def test_a_service_request_accepts_zip_plus_4(client):
    status, data, _ = call(client, "post", "/v1/service-requests",
                           service_request(zip="06103-2501"))
    assert status == 201, data
    assert data["office"]["id"] == "hartford"


@pytest.mark.parametrize("field,value", [("a_number", "A١٢٣٤٥٦٧٨٩"),
                                         ("receipt_number", "IOE０１２３４５６７８９")])
def test_identifiers_in_non_ascii_digits_are_refused(client, field, value):
    status, data, _ = call(client, "post", "/v1/appointments",
                           booking(first_slot(client)["slot_id"], **{field: value}))
    assert status == 422, data
    assert [e["field"] for e in data["errors"]] == [field]


# --- JSON the parser must not be left to fail on ------------------------------------------

DEEP = {"arrays": b"[" * 1000 + b"]" * 1000,
        "objects": b'{"a":' * 1000 + b"1" + b"}" * 1000,
        "just over the limit": b'{"a":' * 17 + b"1" + b"}" * 17}


# POST routes that take no body (the front desk's marks, a letter printed, a hold extended).
BODYLESS = ("/printed", "/extend", "/check-in", "/no-show", "/complete")


def _body_routes():
    for path, entries in sorted(app.routes.items()):
        for method, entry in sorted(entries.items()):
            if method in ("POST", "PUT", "PATCH"):
                yield method, path, getattr(entry.view_function, "staff_roles", None)


def test_the_route_table_has_body_routes_to_cover():
    routes = list(_body_routes())
    assert len(routes) >= 10
    assert ("POST", "/v1/appointments", None) in routes


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_every_body_route_refuses_deeply_nested_json_with_400_malformed_json(client, shape):
    """Iterates over the app's route table, so a body route added later is covered too."""
    for method, path, roles in _body_routes():
        concrete = (path.replace("{confirmation_number}", "ABCD-EFGH-JK")
                    .replace("{request_id}", "0000-0000-0000-0000")
                    .replace("{office_id}", "hartford").replace("{letter_id}", "x"))
        headers = staff(roles[0]) if roles else {}
        answer = call(client, method.lower(), concrete, raw=DEEP[shape], headers=headers)
        if path.endswith(BODYLESS):  # no body: the letter, hold or visit is looked up
            assert answer[0] == 404, (method, path)
            continue
        assert answer[0] == 400, (method, path, answer[1])
        assert_problem(answer, 400, "malformed_json")


def test_nesting_within_the_limit_is_parsed_and_judged_by_the_model(client):
    nested = {"a": 1}
    for _ in range(14):
        nested = {"a": nested}
    body = booking(first_slot(client)["slot_id"])
    body["reason"]["details"] = "[[[[{{{{ brackets in text do not count }}}}]]]]"
    body["extra"] = nested
    status, data, _ = call(client, "post", "/v1/appointments", body)
    assert status == 422 and data["code"] == "validation_failed"


@pytest.mark.parametrize("raw", [
    b'{"last_name": "Ruiz", "date_of_birth": NaN}',
    b'{"last_name": "Ruiz", "date_of_birth": Infinity}',
    b'{"last_name": "Ruiz", "date_of_birth": -Infinity}',
    b'{"last_name": "Ruiz", "date_of_birth": 1e999}',
    b'{"last_name": "Ruiz", "date_of_birth": ' + b"9" * 5000 + b"}",
    b'{"last_name": "Ruiz\\ud800", "date_of_birth": "1979-08-30"}',
    b'{"last_name": "Ruiz\\u0000", "date_of_birth": "1979-08-30"}',
    b'{"\\udfff": 1, "last_name": "Ruiz", "date_of_birth": "1979-08-30"}',
    b'{"last_name": "Ru\xffiz", "date_of_birth": "1979-08-30"}',
], ids=["nan", "infinity", "minus-infinity", "float-overflow", "5000-digit-int",
        "lone-surrogate", "nul", "surrogate-key", "not-utf8"])
def test_json_that_is_not_text_or_not_a_finite_number_is_malformed(client, raw):
    assert_problem(call(client, "post", "/v1/appointments/ABCD-EFGH-JK/lookup", raw=raw),
                   400, "malformed_json")


def test_a_booking_with_a_lone_surrogate_in_free_text_is_refused_before_any_write(client):
    slot = first_slot(client)
    body = booking(slot["slot_id"])
    body["reason"]["details"] = "\ud800"  # json.dumps writes it as the escape "\\ud800"
    assert_problem(call(client, "post", "/v1/appointments", raw=json.dumps(body).encode()),
                   400, "malformed_json")
    after = next(s for s in call(client, "get", f"/v1/offices/{MIAMI}/slots")[1]["slots"]
                 if s["slot_id"] == slot["slot_id"])
    assert after["available"] == slot["available"]


# --- numbers in query strings -------------------------------------------------------------

@pytest.mark.parametrize("limit", ["²", "٣", "３", "1_0", " 3", "+3", "-1", "0", "1e1",
                                   "9" * 40])
def test_an_office_search_limit_that_is_not_ascii_digits_in_range_is_a_400(client, limit):
    assert_problem(call(client, "get", f"/v1/offices?zip=02108&limit={limit}"),
                   400, "invalid_parameter")


@pytest.mark.parametrize("limit", ["²", "٣", "1_0", "0", "9" * 40])
def test_a_letters_limit_that_is_not_ascii_digits_in_range_is_a_400(client, limit):
    assert_problem(call(client, "get", f"/v1/staff/letters?office_id={MIAMI}&limit={limit}",
                        headers=staff("office_admin", MIAMI)), 400, "invalid_parameter")
    assert call(client, "get", f"/v1/staff/letters?office_id={MIAMI}&limit=3",
                headers=staff("office_admin", MIAMI))[0] == 200


# --- times at the edge of what datetime can hold --------------------------------------------

@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_callback_time_with_no_utc_equivalent_is_a_422_and_nothing_changes(client, when):
    status, data, _ = call(client, "post", "/v1/service-requests", service_request())
    assert status == 201, data
    request_id = data["request_id"]
    assert call(client, "post", f"/v1/staff/service-requests/{request_id}/escalate",
                headers=staff("tier1"))[0] == 200
    status, data, _ = call(client, "post", f"/v1/staff/service-requests/{request_id}/callbacks",
                           {"scheduled_for": when}, staff("tier2"))
    assert status == 422, data
    assert [e["field"] for e in data["errors"]] == ["scheduled_for"]
    view = call(client, "get", f"/v1/staff/service-requests/{request_id}",
                headers=staff("tier2"))[1]
    assert view.get("callback") is None
    # A valid time (the next working morning in Hartford) still schedules: nothing was spoiled.
    status, data, _ = call(client, "post", f"/v1/staff/service-requests/{request_id}/callbacks",
                           {"scheduled_for": callback_time().isoformat()}, staff("tier2"))
    assert status == 200, data


# --- methods and paths ---------------------------------------------------------------------

@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT"])
def test_a_method_no_route_has_is_a_405_problem(client, method):
    assert_problem(call(client, method, "/v1/offices?zip=02108"), 405, "method_not_allowed")


def test_very_long_path_parameters_are_answered_as_not_found(client):
    assert_problem(call(client, "post", f"/v1/appointments/{'A' * 5000}/lookup",
                        {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}),
                   404, "appointment_not_found")
    assert_problem(call(client, "get", f"/v1/offices/{'x' * 5000}"), 404, "unknown_office")


def test_the_refusal_speaks_the_caller_language(client):
    status, data, headers = call(client, "post", "/v1/appointments/ABCD-EFGH-JK/lookup",
                                 raw=b"[" * 100 + b"]" * 100, headers={"Accept-Language": "es"})
    assert status == 400 and data["code"] == "malformed_json"
    assert headers["Content-Language"] == "es"
    assert data["detail"] == ("El cuerpo de la solicitud anida matrices u objetos a demasiada "
                              "profundidad.")
    status, data, _ = call(client, "get", "/v1/offices?zip=%EF%BC%90%EF%BC%92%EF%BC%91%EF%BC%90"
                           "%EF%BC%98", headers={"Accept-Language": "fr"})
    assert status == 400 and data["detail"].startswith("« zip » doit être")
