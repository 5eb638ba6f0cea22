"""Request parameters shared by the views: absent is None, malformed is a 400 problem."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import Field

from chalicelib import contract, errors


# Parameters several contexts' routes share, as documented in openapi.json (the views still read
# them with the functions below, so their own messages stay in charge).

class DateRange(contract.Parameters):
    from_: str | None = Field(default=None, alias="from", json_schema_extra={"format": "date"},
                              description="First office-local day (default: today).")
    to: str | None = Field(default=None, json_schema_extra={"format": "date"},
                           description="Last office-local day (default: end of the window).")


class OfficePath(contract.Parameters):
    office_id: str = Field(description="An office `id` from GET /v1/offices.")


class ConfirmationPath(contract.Parameters):
    confirmation_number: str = Field(
        description="As given at booking (dashes and spaces are ignored).")


def query(request: Any, name: str) -> str | None:
    return (request.query_params or {}).get(name)


def date_query(request: Any, name: str) -> date | None:
    raw = query(request, name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise errors.InvalidParameter(f"'{name}' must be a date as YYYY-MM-DD.") from None


_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def int_query(request: Any, name: str, *, default: int | None, low: int, high: int) -> int | None:
    """A whole number from `low` to `high`, in ASCII digits: `"²".isdigit()` is true but
    `int("²")` raises, and `int()` would also take `"1_000"`, `" 7"` and Arabic-Indic digits."""
    raw = query(request, name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise errors.InvalidParameter(f"'{name}' must be a whole number from {low} to {high}.")
    return int(raw)


def source_ip(request: Any) -> str | None:
    """The caller's address as API Gateway saw it (`chalice local` sets it too; `local/gateway.py`
    makes it the real peer address). Never a header a client can write, such as X-Forwarded-For."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp")


MAX_IDEMPOTENCY_KEY = 255


def idempotency_key(request: Any) -> str | None:
    """The `Idempotency-Key` header: absent is None; empty or longer than 255 is a 400."""
    key = (request.headers or {}).get("idempotency-key")
    if key is not None and not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
        raise errors.InvalidHeader(
            "Idempotency-Key must be 1 to 255 characters.")
    return key


_HOLD_ID = re.compile(r"[0-9a-f]{32}")


def hold_id(raw: str) -> str:
    """A hold id from a path: any other spelling is no hold (404, the same as an unknown id)."""
    if not _HOLD_ID.fullmatch(raw or ""):
        raise errors.HoldNotFound()
    return raw
