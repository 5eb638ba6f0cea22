"""The one place that builds AWS clients.

boto3 is imported lazily: routes that never touch SQS should not pay its import on a cold start.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib import settings as _settings


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3

    s = _settings.settings
    return boto3.session.Session().client(
        service, region_name=s.region, endpoint_url=s.aws_endpoint_url)


def reset() -> None:
    client.cache_clear()
