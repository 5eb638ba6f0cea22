"""Authorizer rejections in `chalice local` and `chalice.test.Client`, as the deployed API answers.

When a route has a custom authorizer and the request has no Authorization header, API Gateway
answers 401 itself, before any Lambda runs; the deployed stages turn that answer into
problem+json with a GatewayResponse (`infra/resources.py`). Chalice's local gateway answers with
its own `{"message": "Unauthorized"}` body, which no app middleware ever sees. Likewise a path
no route matches: the deployed gateway maps MISSING_AUTHENTICATION_TOKEN to a 404 problem, while
chalice local answers 403 "Missing Authentication Token". `install()` makes the local gateway
answer like the deployed one in both cases: every other request takes the stock path. Both
answers carry the CORS headers (`chalicelib/cors.py`), as the deployed gateway responses do.

Two more differences of the HTTP server `chalice local` runs (`local/api.py`): a method it has no
handler for (TRACE, CONNECT, PROPFIND, ...) got http.server's HTML 501, and every request's
`requestContext.identity.sourceIp` was the constant 127.0.0.1 where API Gateway gives the
caller's address. Here such a method gets a 405 problem, and the source IP is the peer's
address, so per-client limits behave locally as deployed (a test client binding 127.0.0.2 is
another client).
"""
from __future__ import annotations

import threading

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


_peer = threading.local()  # the HTTP server handles each connection in its own thread


def _method_not_allowed(handler: local.ChaliceRequestHandler) -> None:
    if int(handler.headers.get("content-length", "0") or 0) > 0:
        handler.rfile.read(int(handler.headers["content-length"]))
    response = problems.problem(405, "method_not_allowed", problems._GENERIC_TITLES[405])
    headers = cors.with_headers({**response.headers, "Allow": "GET, POST, OPTIONS"},
                                cors.headers_for(handler.headers.get("origin")))
    handler._send_http_response(405, headers, response.body)


def _handler_for(self: local.ChaliceRequestHandler, name: str):
    # BaseHTTPRequestHandler looks up `do_<METHOD>` and answers 501 in HTML when it is missing.
    if name.startswith("do_"):
        return lambda: _method_not_allowed(self)
    raise AttributeError(name)


def install() -> None:
    global _installed
    if _installed:
        return
    stock_generic = local.ChaliceRequestHandler._generic_handle
    stock_event = local.LambdaEventConverter.create_lambda_event

    def generic_handle(self):
        _peer.address = self.client_address[0]
        try:
            stock_generic(self)
        finally:
            _peer.address = None

    def create_lambda_event(self, method, path, headers, body=None):
        event = stock_event(self, method, path, headers, body)
        address = getattr(_peer, "address", None)
        if address:
            event["requestContext"]["identity"]["sourceIp"] = address
        return event

    for method in ("GET", "PUT", "POST", "HEAD", "DELETE", "PATCH", "OPTIONS"):
        setattr(local.ChaliceRequestHandler, f"do_{method}", generic_handle)
    local.ChaliceRequestHandler.__getattr__ = _handler_for
    local.LambdaEventConverter.create_lambda_event = create_lambda_event
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
