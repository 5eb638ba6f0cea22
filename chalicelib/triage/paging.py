"""Pages of the triage queues: the size a request may ask for. Its own module so the routes
read it without importing the handling (and the booking service behind it) on a cold start."""
from __future__ import annotations

from chalicelib import errors

QUEUE_PAGE = 50
QUEUE_PAGE_MAX = 200


def page_size(raw: str | None) -> int:
    if raw is None:
        return QUEUE_PAGE
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= QUEUE_PAGE_MAX:
        raise errors.InvalidParameter(f"'limit' must be a number from 1 to {QUEUE_PAGE_MAX}.")
    return int(raw)
