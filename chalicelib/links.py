"""Addresses the API gives out (`Location` of a 201), as the caller reached the API.

A deployed REST API is reached under its stage (`/api/v1/...` on the execute-api host) or under
a custom domain's base path; the request context knows both the full path the caller used and
the route's own path, and the difference is the prefix to keep."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote


def location(request: Any, path: str) -> str:
    context = getattr(request, "context", None) or {}
    own = context.get("resourcePath") or ""
    for name, value in (getattr(request, "uri_params", None) or {}).items():
        own = own.replace("{" + name + "}", value)
    full = context.get("path") or own
    prefix = full[:-len(own)] if own and full.endswith(own) else ""
    return prefix + quote(path, safe="/")
