"""The one place that turns errors into HTTP responses: RFC 9457 problem details.

Views are wrapped with `handled`, because Chalice converts exceptions raised in a view before
any middleware sees them. The app-level middleware `as_problem` covers what Chalice itself
answers (unknown routes, wrong methods, unsupported media types) and anything unexpected,
so no caller ever sees a traceback or a non-problem error body.
"""
from __future__ import annotations

import functools
import json
import logging
from typing import Any, Callable

from chalice import Response

from chalicelib import errors, i18n

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"

_STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.PayloadTooLarge, 413),
    (errors.BadRequest, 400),
    (errors.ValidationFailed, 422),
    (errors.IdempotencyKeyReused, 422),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.TooManyRequests, 429),
    (errors.OfficeInOtherRegion, 421),
    (errors.OfficeMoving, 503),
]
# Error bodies Chalice or API Gateway produce themselves, by status.
_GENERIC_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                  405: "method_not_allowed", 413: "payload_too_large",
                  415: "unsupported_media_type", 429: "too_many_requests",
                  500: "internal_error", 502: "internal_error", 503: "unavailable",
                  504: "timeout"}
_GENERIC_TITLES = {400: "Bad request", 401: "Authentication required", 403: "Forbidden",
                   404: "Not found", 405: "Method not allowed", 413: "Payload too large",
                   415: "Unsupported media type", 429: "Too many requests",
                   500: "Internal error", 503: "Service unavailable", 504: "Timed out"}


def status_of(error: errors.DomainError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 400


def problem(status: int, code: str, title: str, detail: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = {"type": f"urn:infopass:problem:{code}", "title": title, "status": status,
            "code": code}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status,
                    headers={"Content-Type": CONTENT_TYPE, **(headers or {})})


def from_error(error: errors.DomainError) -> Response:
    headers = error.headers() or None
    return problem(status_of(error), error.code, error.title,
                   error.detail if error.detail != error.title else None, headers=headers,
                   **error.extra)


def handled(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except errors.DomainError as error:
            return from_error(error)
    return wrapper


def as_problem(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """HTTP middleware: every error leaves as problem+json, every crash as an opaque 500, and
    problems speak the caller's language (`Accept-Language`)."""
    return localized(_problem_or_response(event, get_response), event)


def localized(response: Response, event: Any) -> Response:
    """Translate a problem's `title` (and a `detail` the catalogs know) with the same gettext
    catalogs the notices use; `code` and `type` stay stable for programs."""
    content_type = {k.lower(): v for k, v in (response.headers or {}).items()}.get("content-type", "")
    if CONTENT_TYPE not in content_type:
        return response
    language = request_language(event)
    body = response.body
    try:
        parsed = json.loads(body) if isinstance(body, (str, bytes)) else dict(body)
    except (TypeError, ValueError):
        return response
    if isinstance(parsed.get("title"), str):
        parsed["title"] = i18n.gettext(language, parsed["title"])
    if isinstance(parsed.get("detail"), str):
        parsed["detail"] = _filled(i18n.gettext(language, parsed["detail"]), parsed)
    if isinstance(parsed.get("errors"), list):
        parsed["errors"] = [_localized_entry(entry, language) for entry in parsed["errors"]]
    headers = {**(response.headers or {}), "Content-Language": language, "Vary": "Accept-Language"}
    return Response(body=json.dumps(parsed, ensure_ascii=False), status_code=response.status_code,
                    headers=headers)


def request_language(event: Any) -> str:
    """`Accept-Language` when the caller sent one; else the `language` a JSON body chose (a
    booking or service request); else English."""
    header = (getattr(event, "headers", None) or {}).get("accept-language")
    if header:
        return i18n.negotiate(header)
    raw = getattr(event, "raw_body", None) or b"{}"
    try:
        chosen = json.loads(raw).get("language") if len(raw) <= 65536 else None
    except (TypeError, ValueError, AttributeError, UnicodeDecodeError, RecursionError):
        chosen = None  # a hostile body (e.g. nested 1000 deep) is refused elsewhere, not here
    return i18n.supported(chosen if isinstance(chosen, str) else None)


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _filled(text: str, fields: dict) -> str:
    """A translated template's `{placeholders}` filled from the problem's (or entry's) own
    fields, so the numbers in a text are the ones the body states (`{cutoff_hours}`)."""
    try:
        return text.format_map(_Keep(fields))
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        return text


def _localized_entry(entry: Any, language: str) -> Any:
    """A validation entry's message in `language`, `{placeholders}` filled from the entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("message"), str):
        return entry
    return {**entry, "message": _filled(i18n.gettext(language, entry["message"]), entry)}


def _problem_or_response(event: Any, get_response: Callable[[Any], Response]) -> Response:
    try:
        response = get_response(event)
    except Exception:  # noqa: BLE001 - the last line of defence: log it, never leak it
        log.exception("unhandled error")
        return problem(500, "internal_error", "Internal error",
                       "Something went wrong on our side; nothing was changed by this request.")
    content_type = {k.lower(): v for k, v in (response.headers or {}).items()}.get("content-type", "")
    if response.status_code >= 400 and CONTENT_TYPE not in content_type:
        status = response.status_code
        if status >= 500:
            log.error("error response", extra={"status": status})
        return problem(status, _GENERIC_CODES.get(status, "error"),
                       _GENERIC_TITLES.get(status, "Error"), headers=_kept_headers(response))
    return response


def _kept_headers(response: Response) -> dict[str, str]:
    return {k: v for k, v in (response.headers or {}).items()
            if k.lower() in {"allow", "retry-after", "www-authenticate"}}
