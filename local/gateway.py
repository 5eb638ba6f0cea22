"""Authorizer rejections in `chalice local` and `chalice.test.Client`, as the deployed API answers.

When a route has a custom authorizer and the request has no Authorization header, API Gateway
answers 401 itself, before any Lambda runs; the deployed stages turn that answer into
problem+json with a GatewayResponse (`infra/resources.py`). Chalice's local gateway answers with
its own `{"message": "Unauthorized"}` body, which no app middleware ever sees. Likewise a path
no route matches: the deployed gateway maps MISSING_AUTHENTICATION_TOKEN to a 404 problem, while
chalice local answers 403 "Missing Authentication Token". `install()` makes the local gateway
answer like the deployed one in both cases: every other request takes the stock path. Both
answers carry the CORS headers (`chalicelib/cors.py`), as the deployed gateway responses do.
"""
from __future__ import annotations

from chalice import local

from chalicelib import cors, problems

_installed = False


def _origin(headers: dict | None) -> str | None:
    return next((v for k, v in (headers or {}).items() if k.lower() == "origin"), None)


def _as_problem(error: local.LocalGatewayException,
                origin: str | None) -> local.LocalGatewayException:
    status = error.CODE
    response = problems.problem(status, problems._GENERIC_CODES.get(status, "error"),
                                problems._GENERIC_TITLES.get(status, "Error"))
    headers = {k: v for k, v in (error.headers or {}).items() if k.lower() != "content-type"}
    headers.update(response.headers)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    headers = cors.with_headers(headers, cors.headers_for(origin))
    return type(error)(headers, response.body.encode())


class _NoRoute(local.LocalGatewayException):
    CODE = 404


def install() -> None:
    global _installed
    if _installed:
        return
    stock = local.LocalGatewayAuthorizer.authorize
    stock_handle = local.LocalGateway.handle_request

    def handle_request(self, method, path, headers, body):
        try:
            return stock_handle(self, method, path, headers, body)
        except local.ForbiddenError as error:
            body = error.body or b""
            if b"Missing Authentication Token" not in body and \
                    b"Authorization header requires" not in body:
                raise
            raise _as_problem(_NoRoute(error.headers, b""), _origin(headers)) from None

    local.LocalGateway.handle_request = handle_request

    def authorize(self, raw_path, lambda_event, lambda_context):
        try:
            return stock(self, raw_path, lambda_event, lambda_context)
        except local.LocalGatewayException as error:
            raise _as_problem(error, _origin(lambda_event.get("headers"))) from None

    local.LocalGatewayAuthorizer.authorize = authorize
    _installed = True
