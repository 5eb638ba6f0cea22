"""CORS as the deployed API answers it: the packaged template sends every preflight to the
function (which checks the stage's allow-list) without an authorizer, and API Gateway's own
answers (throttling, authorizer denials, unknown routes, 5xx) carry CORS headers."""
from __future__ import annotations

import pytest

from chalicelib import cors
from chalicelib.settings import parse_origins
from infra import resources as r, stages

STAGES = stages.deployed()
HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head"}


def swagger(template: dict) -> dict:
    return template["Resources"][r.REST_API]["Properties"]["DefinitionBody"]


@pytest.mark.parametrize("name", STAGES)
def test_every_path_sends_its_preflight_to_the_function_without_an_authorizer(templates, name):
    paths = swagger(templates[name])["paths"]
    assert "/v1/appointments" in paths and "/v1/staff/queue" in paths
    for path, operations in paths.items():
        assert "options" in operations, path
        options = operations["options"]
        integration = options["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy", path
        assert "security" not in options, path
        assert set(operations) & HTTP_METHODS, path
    # Staff routes keep their authorizer on the real methods.
    assert paths["/v1/staff/queue"]["get"]["security"]


@pytest.mark.parametrize("name", STAGES)
def test_every_stage_names_its_web_app_origin(name):
    stage = stages.load(name)
    origins = parse_origins(stage.env.get("CORS_ALLOWED_ORIGINS"), stage.name)
    assert origins and all(o.startswith("https://") and "*" not in o for o in origins), origins


@pytest.mark.parametrize("name", STAGES)
def test_gateway_responses_carry_the_stages_origin(templates, name):
    stage = stages.load(name)
    (origin,) = parse_origins(stage.env["CORS_ALLOWED_ORIGINS"], stage.name)
    responses = templates[name]["Resources"][r.REST_API]["Properties"]["GatewayResponses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED", "UNAUTHORIZED", "ACCESS_DENIED",
            "MISSING_AUTHENTICATION_TOKEN", "INTEGRATION_TIMEOUT"} <= set(responses)
    for kind, response in responses.items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == f"'{origin}'", kind
        assert headers["Vary"] == "'Origin'", kind
        exposed = {h.strip() for h in headers["Access-Control-Expose-Headers"].strip("'").split(",")}
        assert set(cors.EXPOSED_HEADERS) <= exposed, kind


def test_a_stage_with_several_origins_echoes_the_request_origin_in_gateway_responses():
    several = r.gateway_cors_headers(("https://a.example.gov", "https://b.example.gov"))
    assert several["Access-Control-Allow-Origin"] == "method.request.header.Origin"
    pattern = r.gateway_cors_headers(("http://localhost:*",))
    assert pattern["Access-Control-Allow-Origin"] == "method.request.header.Origin"
    assert r.gateway_cors_headers(()) == {}
    assert "Access-Control-Allow-Origin" not in \
        r.gateway_responses(())["THROTTLED"]["ResponseParameters"]["Headers"]
