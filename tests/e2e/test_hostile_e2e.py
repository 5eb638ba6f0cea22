"""Hostile requests over real HTTP against the local stack: where the in-process client cannot see
it (a panicking library kills the server thread and the connection closes with no reply; the
HTTP server answers unknown methods itself), every answer is still a problem with a code."""
from __future__ import annotations

import http.client
import json
from urllib.parse import quote, urlsplit

import pytest

pytestmark = pytest.mark.e2e


def _request(local_stack, method: str, path: str, body: bytes | None = None):
    address = urlsplit(local_stack["api"])
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(method, path, body=body,
                           headers={"Content-Type": "application/json"} if body else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _assert_problem(answer, status: int, code: str) -> None:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["code"] == code and problem["status"] == status


@pytest.mark.parametrize("zip_code", ["０２１０８", "²²²²²", "٠٢١٠٨"])
def test_a_zip_in_non_ascii_digits_gets_a_400_reply_not_a_closed_connection(local_stack, zip_code):
    _assert_problem(_request(local_stack, "GET", f"/v1/offices?zip={quote(zip_code)}"),
                    400, "invalid_zip")
    # The server is still answering afterwards.
    assert _request(local_stack, "GET", "/v1/offices?zip=02108-1234")[0] == 200


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "MKCOL"])
def test_a_method_the_gateway_does_not_route_is_a_405_problem(local_stack, method):
    answer = _request(local_stack, method, "/v1/offices?zip=02108")
    _assert_problem(answer, 405, "method_not_allowed")
    assert "Allow" in answer[1]


def test_deeply_nested_json_is_a_400_over_http(local_stack):
    _assert_problem(_request(local_stack, "POST", "/v1/appointments",
                             b"[" * 1000 + b"]" * 1000), 400, "malformed_json")
