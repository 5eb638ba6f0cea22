"""openapi.json: generated from the code, committed, valid OpenAPI 3.1, served by the API, and
its patterns mean the same in JavaScript (browsers, generated clients) as in the service."""
import difflib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import pytest
from chalice.test import Client
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from pydantic import Field, TypeAdapter, ValidationError

from app import app
from chalicelib import openapi
from chalicelib.booking.validation import Applicant
from tests.openapi_spec import validate_document

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "openapi.json"


@pytest.fixture(scope="module")
def generated():
    return openapi.document(app)


def test_the_committed_document_is_what_the_code_generates(generated):
    committed = COMMITTED.read_text(encoding="utf-8")
    fresh = openapi.render(generated)
    diff = "".join(list(difflib.unified_diff(committed.splitlines(True), fresh.splitlines(True),
                                             "openapi.json (committed)", "generated", n=1))[:40])
    assert committed == fresh, (
        "openapi.json is stale: run `make openapi` (.venv/bin/python -m chalicelib.openapi) "
        "and commit it; never hand-merge it.\n" + diff)


def test_the_document_is_valid_openapi_3_1(generated):
    assert generated["openapi"].startswith("3.1")
    validate_document(generated)


def test_the_validator_refuses_a_pattern_that_is_not_an_ecmascript_regex(generated):
    broken = json.loads(json.dumps(generated))
    broken["components"]["schemas"]["Applicant"]["properties"]["first_name"]["pattern"] = \
        "(?P<name>[a-z]+)"  # Python-only syntax
    with pytest.raises(OpenAPIValidationError, match="regex"):
        validate_document(broken)


def test_the_api_serves_the_committed_document():
    with Client(app, stage_name="test") as client:
        response = client.http.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_the_packaged_copy_is_the_committed_file():
    packaged = ROOT / "chalicelib" / "openapi.json"  # Chalice packages chalicelib/, not the root
    assert packaged.resolve() == COMMITTED.resolve()


def test_staff_routes_need_a_bearer_token_and_public_routes_none(generated):
    assert generated["components"]["securitySchemes"]["staffBearer"]["scheme"] == "bearer"
    for path, operations in generated["paths"].items():
        for method, op in operations.items():
            if path.startswith("/v1/staff/"):
                assert op["security"] == [{"staffBearer": []}], f"{method} {path}"
                assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
            else:
                assert op["security"] == [], f"{method} {path}"
                assert "401" not in op["responses"], f"{method} {path}"


def test_every_operation_documents_its_bodies_and_problems(generated):
    for path, operations in generated["paths"].items():
        for method, op in operations.items():
            success = [s for s in op["responses"] if s.startswith("2")]
            assert success, f"{method} {path}"
            for status, response in op["responses"].items():
                if status.startswith("2"):
                    continue
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema["allOf"][0] == {"$ref": "#/components/schemas/Problem"}
                assert schema["allOf"][1]["properties"]["code"]["enum"], f"{method} {path}"
            if method == "post" and "requestBody" in op:
                assert "validation_failed" in op["responses"]["422"]["description"]
    booking = generated["paths"]["/v1/appointments"]["post"]
    names = [p.get("$ref", "").rsplit("/", 1)[-1] for p in booking["parameters"]]
    assert {"IdempotencyKey", "AcceptLanguage"} <= set(names)
    assert "IdempotentReplayed" in booking["responses"]["201"]["headers"]["Idempotent-Replayed"]["$ref"]
    assert set(booking["responses"]["409"]["content"]["application/problem+json"]["schema"]
               ["allOf"][1]["properties"]["code"]["enum"]) >= {"slot_unavailable", "already_booked"}
    assert "Retry-After" in booking["responses"]["429"]["headers"]


def _patterns(node, found):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.add(node["pattern"])
        for value in node.values():
            _patterns(value, found)
    elif isinstance(node, list):
        for value in node:
            _patterns(value, found)
    return found


SAMPLES = ["José", "王", "Nguyễn", "Nguye\u0302\u0303n", "O’Brien", "Anne-Marie", "St. John",
           "Zoë", "Ана", "محمد", "A1", "1990", "_x", "x_", "Ana!", "", " Ana", "02108", "02108-1234",
           "０２１０８", "٠٢١٠٨", "2108", "A012345678", "A-12345678", "EAC1234567890",
           "+1 (305) 555-0199", "305.555.0199", "３０５５５５０１９９", "queued", "printed"]


def test_name_patterns_take_letters_of_every_script_and_refuse_digits():
    base = {"last_name": "Ruiz", "date_of_birth": "1979-08-30", "phone": "(305) 555-0199",
            "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL", "zip": "33139"}}
    for name in ["José", "王", "Nguyễn", "Nguye\u0302\u0303n", "O’Brien", "Anne-Marie"]:
        Applicant.model_validate({**base, "first_name": name})
    for name in ["A1", "1990", "_x", "Ana!", "٣"]:
        with pytest.raises(ValidationError):
            Applicant.model_validate({**base, "first_name": name})


@pytest.mark.skipif(shutil.which("node") is None, reason="node is needed to run JavaScript")
def test_every_pattern_means_the_same_in_javascript_as_in_the_service(generated):
    patterns = sorted(_patterns(generated, set()))
    assert any("\\p{L}" in p for p in patterns)
    python = {p: [_matches(p, s) for s in SAMPLES] for p in patterns}
    script = ("const {patterns, samples} = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "const out = {}; for (const p of patterns) { const r = new RegExp(p, 'u');"
              " out[p] = samples.map(s => r.test(s)); }"
              "process.stdout.write(JSON.stringify(out));")
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True,
                            input=json.dumps({"patterns": patterns, "samples": SAMPLES}))
    javascript = json.loads(result.stdout)
    differ = {p: [s for s, a, b in zip(SAMPLES, python[p], javascript[p]) if a != b]
              for p in patterns}
    assert not {p: d for p, d in differ.items() if d}, "patterns that differ in JavaScript"


def _matches(pattern: str, sample: str) -> bool:
    try:
        TypeAdapter(Annotated[str, Field(pattern=pattern)]).validate_python(sample)
        return True
    except ValidationError:
        return False
