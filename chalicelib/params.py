"""Query-string parameters shared by the views: absent is None, malformed is a 400 problem."""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib import errors


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
