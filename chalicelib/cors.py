"""Cross-origin access for browser frontends: one allow-list per stage, on every response.

Chalice's `CORSConfig` takes a single origin and API Gateway's CORS mock answers every origin
alike, so neither can hold a per-stage list. Instead:

- `middleware` (the outermost HTTP middleware) echoes an allow-listed `Origin` on every
  response the app produces, errors included, with `Vary: Origin`; an origin not on the list
  gets no `Access-Control-*` header at all, so the browser keeps the answer from the page;
- `add_preflight_routes` gives every path an `OPTIONS` view (no authorizer: browsers never send
  credentials on a preflight). A route of our own makes `chalice local` and `chalice.test.Client`
  pass the preflight to the app instead of answering it themselves, and `chalice package` gives
  the path an `options` method proxied to the function, so the deployed API answers it the same
  way, from the same allow-list;
- what never reaches the app (the local gateway's 401/404, API Gateway's gateway responses) adds
  `headers_for(origin)` itself: `local/gateway.py` and `infra/resources.py`.

No `Access-Control-Allow-Credentials`: the API authenticates staff with a bearer token the page
sends itself, never with cookies.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from chalice import Response

from chalicelib import settings as settings_module

ALLOWED_HEADERS = ("Content-Type", "Idempotency-Key", "Accept-Language", "Authorization")
EXPOSED_HEADERS = ("Idempotent-Replayed", "Content-Language", "Retry-After",
                   "WWW-Authenticate", "Location")
# How long a browser may reuse a preflight answer; Chromium caps it at two hours.
MAX_AGE_SECONDS = 7200

_PORT = re.compile(r"\d{1,5}")


def allowed(origin: str | None, patterns: Iterable[str] | None = None) -> bool:
    """Exact origins, or `scheme://host:*` for that host on any port (local development)."""
    if not origin or origin == "null":
        return False
    for pattern in (settings_module.settings.cors_allowed_origins if patterns is None
                    else patterns):
        if origin == pattern:
            return True
        if pattern.endswith(":*"):
            base = pattern[:-2]
            if origin == base or (origin.startswith(base + ":")
                                  and _PORT.fullmatch(origin[len(base) + 1:])):
                return True
    return False


def headers_for(origin: str | None) -> dict[str, str]:
    """What every response carries: the echoed origin when allowed, `Vary: Origin` always."""
    if not allowed(origin):
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin or "", "Vary": "Origin",
            "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS)}


def preflight_headers(origin: str | None, methods: Iterable[str]) -> dict[str, str]:
    """A preflight's own headers on top of `headers_for`; none for an origin not allowed."""
    if not allowed(origin):
        return {"Vary": "Origin"}
    return {**headers_for(origin),
            "Access-Control-Allow-Methods": ", ".join(sorted(set(methods) | {"OPTIONS"})),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE_SECONDS)}


def _origin(event: Any) -> str | None:
    return (getattr(event, "headers", None) or {}).get("origin")


def with_headers(headers: dict[str, str] | None, extra: dict[str, str]) -> dict[str, str]:
    """`extra` added to `headers`; `Vary` values are merged, not replaced."""
    out = dict(headers or {})
    for name, value in extra.items():
        present = next((k for k in out if k.lower() == name.lower()), None)
        if name.lower() == "vary" and present:
            values = [v.strip() for v in out[present].split(",") if v.strip()]
            if value.lower() not in {v.lower() for v in values}:
                values.append(value)
            out[present] = ", ".join(values)
        else:
            if present:
                del out[present]
            out[name] = value
    return out


def middleware(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Registered first, so it wraps the problem middleware: every answer, errors included."""
    response = get_response(event)
    response.headers = with_headers(response.headers, headers_for(_origin(event)))
    return response


def add_preflight_routes(app: Any) -> None:
    """An `OPTIONS` view on every path that has none (call once, after every blueprint)."""
    def preflight(**_path_parameters: str) -> Response:
        request = app.current_request
        methods = [m for m in app.routes.get(request.context.get("resourcePath", ""), {})
                   if m != "OPTIONS"]
        return Response(body="", status_code=204,
                        headers=preflight_headers(_origin(request), methods))

    preflight.preflight = True  # type: ignore[attr-defined]  # not an operation: OpenAPI skips it
    for path, entries in list(app.routes.items()):
        if "OPTIONS" not in entries:
            app.route(path, methods=["OPTIONS"], name="preflight")(preflight)
