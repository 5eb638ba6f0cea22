"""Builds the OpenAPI 3.1 document from Chalice's route table and the routes' declarations.

    .venv/bin/python -m chalicelib.openapi           # (= make openapi) rewrites openapi.json
    .venv/bin/python -m chalicelib.openapi --check   # exits 1 when openapi.json is stale

Chalice has no OpenAPI output of its own and the plugins break with pydantic v2, so this reads
`app.routes` (paths, methods, authorizers) and each view's `@contract.operation(...)`, and takes
the schemas from pydantic (`models_json_schema`). Never imported on the Lambda path: the API
serves the committed file (chalicelib/openapi_routes.py).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib import contract
from chalicelib.contract import Header, Operation, Problem

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "openapi.json"
REGENERATE = "make openapi"
REF = "#/components/schemas/{model}"
BEARER = "staffBearer"
_PARAM = re.compile(r"{([^}]+)}")

INFO = {
    "title": "InfoPass API",
    "version": "1.0.0",
    "summary": "Appointments and triage for the field offices of an immigration agency.",
    "description": (
        "Self-service booking (one active appointment per person; look up, reschedule and cancel "
        "with the confirmation number, last name and date of birth), triage service requests "
        "with published criteria and deadlines, and the staff workflow.\n\n"
        "Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`; "
        "`title` and `detail` follow `Accept-Language`. Times are office-local with their UTC "
        "offset unless a field says UTC. Staff routes (`/v1/staff/...`) need a bearer token; "
        "public routes need none. Generated from the code: regenerate with `make openapi`."),
    "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
}
_STATUS_TEXT = {200: "OK", 201: "Created", 204: "No content", 400: "Bad request",
                401: "Authentication required", 403: "Forbidden", 404: "Not found",
                409: "Conflict", 413: "Payload too large", 415: "Unsupported media type",
                422: "Unprocessable content", 429: "Too many requests",
                421: "Misdirected request", 500: "Internal error",
                503: "Service unavailable"}


def _routes(app: Any) -> list[tuple[str, str, Any, Operation]]:
    found = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if contract.is_preflight(entry.view_function):
                continue
            declared = contract.declaration(entry.view_function)
            if declared is None:
                raise SystemExit(f"{method} {path} ({entry.view_name}) has no "
                                 "@contract.operation(...): see chalicelib/contract.py")
            found.append((path, method, entry, declared))
    return found


def _schemas(operations: list[Operation]) -> tuple[dict[tuple[type, str], dict], dict]:
    models: list[tuple[type[BaseModel], str]] = [(Problem, "validation")]
    for op in operations:
        for model in [op.request, *op.responses.values()]:
            if model is not None and (model, "validation") not in models:
                models.append((model, "validation"))
    mapping, defs = models_json_schema(models, ref_template=REF)
    # pydantic names two models that share a class name by their module path: rename one, so
    # that generated clients get readable type names.
    clashes = sorted(name for name in defs.get("$defs", {}) if "__" in name)
    if clashes:
        raise SystemExit(f"two models share a class name: {clashes}")
    return mapping, defs.get("$defs", {})


def _key(header: Header) -> str:
    return header.name.replace("-", "")


def _header(header: Header) -> dict:
    return {"$ref": f"#/components/headers/{_key(header)}"}


def _components(routes: list[tuple[str, str, Any, Operation]]) -> tuple[dict, dict]:
    """Every header used, once: as a response header and (if sent) as a request parameter."""
    sent = [contract.ACCEPT_LANGUAGE, *(h for *_, op in routes for h in op.request_headers)]
    answered = [contract.CONTENT_LANGUAGE, contract.WWW_AUTHENTICATE, contract.RETRY_AFTER,
                contract.LINK,
                *(h for *_, op in routes for hs in op.response_headers.values() for h in hs)]
    headers = {_key(h): {"description": h.description, "schema": dict(h.schema)}
               for h in sorted(answered, key=lambda h: h.name)}
    parameters = {_key(h): {"name": h.name, "in": "header", "required": False,
                            "description": h.description, "schema": dict(h.schema)}
                  for h in sorted(sent, key=lambda h: h.name)}
    return headers, parameters


def _parameters(path: str, op: Operation) -> list[dict]:
    params = []
    path_schema = op.path.model_json_schema(ref_template=REF) if op.path else {}
    for name in _PARAM.findall(path):
        schema = dict(path_schema.get("properties", {}).get(name, {"type": "string"}))
        description = schema.pop("description", None)
        schema.pop("title", None)
        param = {"name": name, "in": "path", "required": True, "schema": schema}
        if description:
            param["description"] = description
        params.append(param)
    if op.query:
        schema = op.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    for header in (*op.request_headers, contract.ACCEPT_LANGUAGE):
        params.append({"$ref": f"#/components/parameters/{_key(header)}"})
    return params


def _problem_response(status: int, codes: tuple[str, ...]) -> dict:
    headers = {contract.CONTENT_LANGUAGE.name: _header(contract.CONTENT_LANGUAGE)}
    if status == 401:
        headers[contract.WWW_AUTHENTICATE.name] = _header(contract.WWW_AUTHENTICATE)
    if status in (429, 503):
        headers[contract.RETRY_AFTER.name] = _header(contract.RETRY_AFTER)
    if status == 421:
        headers[contract.LINK.name] = _header(contract.LINK)
    schema = {"allOf": [{"$ref": REF.format(model="Problem")},
                        {"type": "object", "properties": {"code": {"enum": list(codes)}}}]}
    return {"description": f"{_STATUS_TEXT.get(status, 'Problem')}: "
                           + ", ".join(f"`{c}`" for c in codes),
            "headers": headers,
            "content": {contract.PROBLEM_CONTENT_TYPE: {"schema": schema}}}


def _operation(path: str, method: str, entry: Any, op: Operation,
               mapping: dict[tuple[type, str], dict]) -> dict:
    roles = getattr(entry.view_function, "staff_roles", None)
    staff = entry.authorizer is not None
    out: dict[str, Any] = {"operationId": entry.view_name, "summary": op.summary}
    description = op.description
    if staff:
        description = (description + "\n\n" if description else "") + \
            "Staff roles: " + ", ".join(roles or ()) + "."
    if description:
        out["description"] = description
    if op.tags:
        out["tags"] = list(op.tags)
    out["parameters"] = _parameters(path, op)
    if op.request is not None:
        out["requestBody"] = {"required": op.request_required, "content": {
            "application/json": {"schema": mapping[(op.request, "validation")]}}}
    responses: dict[str, Any] = {}
    for status, model in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "Success")}
        headers = op.response_headers.get(status, ())
        if headers:
            response["headers"] = {h.name: _header(h) for h in headers}
        if model is not None:
            response["content"] = {"application/json": {
                "schema": mapping[(model, "validation")]}}
        if status in op.links:
            response["links"] = {name: dict(link) for name, link in op.links[status].items()}
        responses[str(status)] = response
    for status, codes in op.all_problems(staff).items():
        responses[str(status)] = _problem_response(status, codes)
    out["responses"] = responses
    if staff:
        out["security"] = [{BEARER: []}]
        out["x-staff-roles"] = list(roles or ())
    else:
        out["security"] = []
    return out


def document(app: Any) -> dict:
    routes = _routes(app)
    mapping, defs = _schemas([op for *_, op in routes])
    headers, parameters = _components(routes)
    paths: dict[str, dict] = {}
    for path, method, entry, op in routes:
        paths.setdefault(path, {})[method.lower()] = _operation(path, method, entry, op, mapping)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": [{"name": t} for t in dict.fromkeys(t for *_, op in routes for t in op.tags)],
        "paths": paths,
        "components": {
            "schemas": defs,
            "parameters": parameters,
            "headers": headers,
            "securitySchemes": {BEARER: {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "A staff token (Cognito in deployed stages; `make -s token` "
                               "locally)."}},
        },
    }


def render(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when openapi.json is stale")
    args = parser.parse_args(argv)
    from app import app
    text = render(document(app))
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != text:
            print(f"openapi.json is stale: run `{REGENERATE}` and commit it", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
