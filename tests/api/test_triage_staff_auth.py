"""Staff authentication on every staff route (no token, bad signature, expired, wrong issuer or
audience, wrong role, other office) and strict request validation, through chalice.test.Client,
which runs the custom authorizer as `chalice local` does. The tests here only read or fail, so
they share one set of tables (provisioned once for the module) to keep the suite fast."""
import json

import pytest
from chalice.test import Client
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app import app
from chalicelib import wiring
from chalicelib.staff.roles import STAFF_ROLES
from local import gateway
from local.token import mint
from tests.api.test_triage_api import (
    OFFICE,
    REQUESTER,
    assert_problem,
    call,
    request_body,
    submit,
    token,
)
from tests.aws_fixtures import provisioned


@pytest.fixture(scope="module")
def client(moto_server):

    with pytest.MonkeyPatch.context() as env:
        wiring.rewire()
        urls = provisioned(moto_server)
        env.setenv("NOTICES_QUEUE_URL", urls["notices"])
        wiring.rewire()
        gateway.install()
        with Client(app, stage_name="test") as c:
            yield c
    wiring.rewire()


@pytest.mark.parametrize("changes,fields", [
    ({"zip": "123"}, {"zip"}),
    ({"inquiry_type": "visa_lottery"}, {"inquiry_type"}),
    ({"description": "x" * 2001}, {"description"}),
    ({"applicant": {**REQUESTER, "phone": None}}, {"applicant.phone"}),
    # Unknown fields are counted under their parent (the body), never named back.
    ({"favourite_colour": "blue"}, {""}),
    ({"interpreter_needed": "yes"}, {"interpreter_needed"}),
    ({"receipt_number": "IOE12345"}, {"receipt_number"}),
    ({"circumstances": [{"kind": "medical"}, {"kind": "medical"}]}, {"circumstances"}),
    ({"case_facts": {"deadlines": [{"date": "2027-01-01", "kind": "party"}]}},
     {"case_facts.deadlines.0.kind"}),
])
def test_invalid_requests_list_the_fields_and_never_echo_the_input(client, changes, fields):
    status, data, headers = call(client, "post", "/v1/service-requests", request_body(**changes))
    assert_problem(status, data, headers, 422, "validation_failed")
    assert {e["field"] for e in data["errors"]} == fields
    raw = json.dumps(data)
    for value in ("visa_lottery", "xxxxxxxx", "blue", "favourite_colour", "IOE12345", "party",
                  "Ruiz"):
        assert value not in raw


def test_an_unknown_zip_is_a_validation_error(client):
    status, data, headers = call(client, "post", "/v1/service-requests",
                                 request_body(zip="00000"))
    assert_problem(status, data, headers, 422, "validation_failed")
    assert data["errors"][0]["field"] == "zip"


# --- the authentication matrix ------------------------------------------------------------

RID = "ABCD-EFGH-JKMN-PQRS"
# Every staff route: (method, path, body, roles allowed)
STAFF_ROUTES = [
    ("post", "/v1/staff/service-requests", request_body(), {"tier1"}),
    ("get", f"/v1/staff/queue?office_id={OFFICE}", None, {"tier2", "supervisor"}),
    ("get", f"/v1/staff/offices/{OFFICE}/slots", None, {"tier2", "supervisor"}),
    ("get", f"/v1/staff/service-requests/{RID}", None, {"tier1", "tier2", "supervisor"}),
    ("get", "/v1/staff/escalations", None, {"headquarters"}),
    ("post", f"/v1/staff/service-requests/{RID}/escalate", {}, {"tier1", "supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/callbacks",
     {"scheduled_for": "2030-01-01T10:00:00-05:00"}, {"tier2", "supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/callback-attempts", {"outcome": "reached"},
     {"tier2", "supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/assign",
     {"officer": "officer-2", "reason_code": "workload"}, {"supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/transfer",
     {"office_id": "boston", "reason_code": "outside_service_area"}, {"supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/acknowledge-breach", {"note": "n"},
     {"supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/grant", {"slot_id": "x"},
     {"tier2", "supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/resolve", {"outcome_code": "withdrawn"},
     {"tier1", "tier2"}),
    ("post", f"/v1/staff/service-requests/{RID}/deny",
     {"reason_code": "no_visit_needed", "note": "n"}, {"tier2"}),
    ("post", f"/v1/staff/service-requests/{RID}/override-urgency",
     {"level": "urgent", "reason_code": "new_information", "note": "n"}, {"tier2", "supervisor"}),
    ("post", f"/v1/staff/service-requests/{RID}/appeal-decision",
     {"outcome": "upheld", "reason_code": "original_decision_correct", "note": "n"},
     {"supervisor"}),
]
ROLES = STAFF_ROLES


def _other_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


BAD_TOKENS = {
    "missing": (None, "unauthorized"),
    "not a jwt": ("Bearer not.a.jwt", "invalid_token"),
    "bad signature": ("Bearer " + mint("tier2", OFFICE, key=_other_key()), "invalid_token"),
    "expired": ("Bearer " + mint("tier2", OFFICE, minutes=-5), "token_expired"),
    "wrong issuer": ("Bearer " + mint("tier2", OFFICE, issuer="https://evil.example"),
                     "invalid_token"),
    "wrong audience": ("Bearer " + mint("tier2", OFFICE, audience="someone-else"),
                       "invalid_token"),
    "access token": ("Bearer " + mint("tier2", OFFICE, token_use="access"), "invalid_token"),
}


@pytest.mark.parametrize("method,path,body,allowed", STAFF_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in STAFF_ROUTES])
def test_every_staff_route_answers_the_whole_matrix(client, method, path, body, allowed):
    for case, (header, code) in BAD_TOKENS.items():
        headers = {"Authorization": header} if header else {}
        status, data, response_headers = call(client, method, path, body, headers)
        assert_problem(status, data, response_headers, 401, code)
        assert response_headers.get("WWW-Authenticate") == "Bearer", case
    for role in ROLES:
        status, data, headers = call(client, method, path, body, token(role, OFFICE))
        if role in allowed:
            # Past authentication: the route's own answer (the request id does not exist).
            assert status not in (401, 403), (role, data)
        else:
            assert_problem(status, data, headers, 403, "role_not_allowed")
    if allowed & {"tier2", "supervisor"} and "tier1" not in allowed:
        status, data, headers = call(client, method, path, body,
                                     token(sorted(allowed & {"tier2", "supervisor"})[0],
                                           "boston"))
        if "{" not in path and RID not in path:
            assert_problem(status, data, headers, 403, "other_office")


def test_officers_of_another_office_get_403_on_a_real_request(client):
    request_id = submit(client)["request_id"]
    boston = token("tier2", "boston", "officer-boston")
    for method, path, body in [
        ("get", f"/v1/staff/service-requests/{request_id}", None),
        ("post", f"/v1/staff/service-requests/{request_id}/override-urgency",
         {"level": "urgent", "reason_code": "new_information", "note": "n"}),
        ("get", f"/v1/staff/queue?office_id={OFFICE}", None),
        ("get", f"/v1/staff/offices/{OFFICE}/slots", None),
    ]:
        assert_problem(*call(client, method, path, body, boston), 403, "other_office")
    no_office = token("tier2", None, "officer-nowhere")
    assert_problem(*call(client, "get", f"/v1/staff/service-requests/{request_id}",
                         headers=no_office), 403, "other_office")


def test_every_staff_route_is_behind_the_authorizer_and_a_role_check():
    for path, methods in app.routes.items():
        if not path.startswith("/v1/staff/"):
            continue
        for method, entry in methods.items():
            if method == "OPTIONS":  # the CORS preflight: browsers send it without credentials
                assert getattr(entry.view_function, "preflight", False), path
                continue
            assert entry.authorizer is not None and entry.authorizer.name == "staff_identity", path
            assert getattr(entry.view_function, "staff_roles", None), path


def test_public_routes_need_no_token(client):
    assert call(client, "get", "/v1/triage/criteria")[0] == 200
    assert call(client, "post", "/v1/service-requests", request_body())[0] == 201
