"""Contract tests: schemathesis generates requests for every operation in openapi.json and sends
them to the app in-process (Chalice's local gateway behind a small WSGI adapter, on the test
moto server). No answer may be a 5xx, every status, header and body must be the documented one,
and problems must be problem+json. Bounded and deterministic: a fixed number of examples per
operation (CONTRACT_FUZZ_EXAMPLES, default 8), derandomized, one set of tables for the module.

A stateful run follows the document's links: a booking's 201 leads to its lookup and its
cancellation with the same proof (book -> lookup -> cancel)."""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from urllib.parse import quote

import pytest
import schemathesis
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app import app
from chalicelib import wiring
from chalicelib.staff.roles import STAFF_ROLES
from local import gateway
from local.token import mint
from tests.aws_fixtures import provisioned, with_slots

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("CONTRACT_FUZZ_EXAMPLES", "8"))
OFFICE = "miami"

gateway.install()  # the deployed gateway's problem answers (401 without a token, 404 routes)
_gateway = LocalGateway(app, Config.create(chalice_stage="test"))


def wsgi_app(environ, start_response):
    """Chalice's local gateway as a WSGI application (what schemathesis drives in-process)."""
    path = quote(environ.get("PATH_INFO") or "/", safe="/%:@!$&'()*+,;=-._~")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
               if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    gateway._peer.address = environ.get("REMOTE_ADDR")  # the caller, as API Gateway gives it
    try:
        response = _gateway.handle_request(environ["REQUEST_METHOD"], path, headers, body)
    except LocalGatewayException as error:
        response = {"statusCode": error.CODE, "headers": error.headers, "body": error.body}
    finally:
        gateway._peer.address = None
    payload = response.get("body") or b""
    if response.get("isBase64Encoded"):
        payload = base64.b64decode(payload)
    elif isinstance(payload, str):
        payload = payload.encode()
    headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
    start_response(f"{response['statusCode']} -", headers)
    return [payload]


CONFIG = SchemathesisConfig.from_dict({
    "seed": 20261202,
    "suppress-health-check": ["all"],
    # Unknown query parameters are ignored, as web APIs do; they are not a schema violation.
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True,
                   "database": "none", "allow-extra-parameters": False},
    "checks": {
        # Schema-valid data may still break a rule a JSON schema cannot state (a birth date in
        # the future, an email required when contact_method is email, a slot that is taken):
        # a documented 4xx problem is an honest answer.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]},
    },
})
schema = schemathesis.openapi.from_dict(json.loads((ROOT / "openapi.json").read_text()),
                                        config=CONFIG)
schema.app = wsgi_app

# A token for each role, for an office that exists; each staff route gets one its roles admit.
_TOKENS = {role: mint(role, OFFICE, f"contract-{role}") for role in STAFF_ROLES}


@schema.auth()
class StaffToken:
    """The bearer scheme of staff routes; schemathesis also leaves it out to check the 401."""

    def get(self, case, context):
        return _TOKENS

    def set(self, case, tokens, context):
        roles = case.operation.definition.raw.get("x-staff-roles")
        if roles:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[roles[0]]}"}


@pytest.fixture(scope="module")
def tables(moto_server):
    """One set of tables for the module (a fresh set per operation would cost seconds each):
    the offices and a week of open slots at the test office."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MIN_INTERVAL_DAYS", "0")
        wiring.rewire()
        urls = provisioned(moto_server)
        env.setenv("NOTICES_QUEUE_URL", urls["notices"])
        wiring.rewire()
        with_slots([OFFICE])
        yield urls
    wiring.rewire()


@schema.parametrize()
def test_every_operation_keeps_its_contract(case, tables):
    case.call_and_validate()


# --- links: book -> lookup -> cancel ------------------------------------------------------------

PERSON = {"first_name": "Zoë", "last_name": "Nguyễn-Ruiz", "date_of_birth": "1984-02-29",
          "email": "zoe.contract-links@example.org", "phone": "+1 305 555 0142",
          "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL", "zip": "33139"}}


def _resolve(expression, request_body: dict, response_body: dict):
    """An OpenAPI runtime expression of the kinds the document's links use."""
    source, _, pointer = expression.partition("#")
    node = {"$request.body": request_body, "$response.body": response_body}[source]
    for part in filter(None, pointer.split("/")):
        node = node[part]
    return node


def _follow(link: dict, request_body: dict, response_body: dict):
    """The operation a link names, with its parameters and body filled in from the answer."""
    operation = next(op for op in schema.get_all_operations()
                     if op.ok().definition.raw.get("operationId") == link["operationId"]).ok()
    return operation.Case(
        path_parameters={name: _resolve(value, request_body, response_body)
                         for name, value in link.get("parameters", {}).items()},
        body={name: _resolve(value, request_body, response_body)
              for name, value in link.get("requestBody", {}).items()},
        media_type="application/json")


# The fuzzing above books from 127.0.0.1 until the per-client limit answers 429: this person
# books from their own address.
OWN_ADDRESS = {"environ_base": {"REMOTE_ADDR": "127.0.0.42"}}


def test_a_bookings_links_lead_to_its_lookup_and_its_cancellation(tables):
    slot = wiring.booking_service().availability(OFFICE, None, None)["slots"][0]
    book = schema["/v1/appointments"]["POST"]
    request_body = {"slot_id": slot["slot_id"], "applicant": PERSON,
                    "reason": {"category": "evidence_of_status", "details": ""},
                    "language": "vi"}
    booked = book.Case(body=request_body, media_type="application/json").call_and_validate(
        **OWN_ADDRESS)
    assert booked.status_code == 201, booked.text
    links = book.definition.raw["responses"]["201"]["links"]
    assert set(links) == {"LookUpTheAppointment", "CancelTheAppointment"}

    found = _follow(links["LookUpTheAppointment"], request_body, booked.json())
    looked_up = found.call_and_validate(**OWN_ADDRESS)
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json()["confirmation_number"] == booked.json()["confirmation_number"]

    cancelled = _follow(links["CancelTheAppointment"], request_body,
                        booked.json()).call_and_validate(**OWN_ADDRESS)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
