"""The one place that builds AWS clients.

boto3 is imported lazily: routes that never touch SQS should not pay its import on a cold start.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from chalicelib import settings as _settings


@lru_cache(maxsize=None)
def client(service: str) -> Any:
    import boto3

    s = _settings.settings
    return boto3.session.Session().client(
        service, region_name=s.region, endpoint_url=s.aws_endpoint_url)


@lru_cache(maxsize=None)
def dynamodb() -> Any:
    """The one PynamoDB connection (one botocore DynamoDB client) that every table model and
    every transaction uses, until `wiring.rewire()` resets it.

    PynamoDB builds a connection per model and `TransactWrite()` a new one per transaction
    unless given one; each new client parses the service model again (36-165 ms a booking on
    this machine). The connection creates its client once and botocore clients are safe to
    share across threads.
    """
    from pynamodb.connection import Connection

    s = _settings.settings
    return Connection(region=s.region, host=s.aws_endpoint_url)


@lru_cache(maxsize=None)
def claims_dynamodb() -> Any:
    """The one PynamoDB connection to the person-claims table (chalicelib/booking/
    claim_repository.py): in AWS the stage region's replica of the multi-Region strongly
    consistent global table; locally and in tests its own endpoint (`CLAIMS_ENDPOINT_URL`),
    which two local regions share."""
    from pynamodb.connection import Connection

    s = _settings.settings
    return Connection(region=s.claims_region or s.region, host=s.claims_endpoint_url)


_per_thread = threading.local()


def botocore_session() -> Any:
    """One botocore session per thread, shared by every PynamoDB table model.

    PynamoDB gives each model's connection a session of its own, and every new session parses
    the DynamoDB service model again (about 0.2 s a client on this machine, 14 clients for the
    tables after each rewire). Sessions are not safe to share across threads, so the sharing
    stops at the thread, as PynamoDB's own per-connection sessions do.
    """
    session = getattr(_per_thread, "session", None)
    if session is None:
        from botocore.session import get_session
        session = _per_thread.session = get_session()
    return session


def share_sessions_with_pynamodb() -> None:
    import pynamodb.connection.base as pynamodb_connection

    pynamodb_connection.get_session = botocore_session


def reset() -> None:
    client.cache_clear()
    dynamodb.cache_clear()
    claims_dynamodb.cache_clear()


@lru_cache(maxsize=None)
def regional_dynamodb(region: str, endpoint_url: str | None = None) -> Any:
    """A DynamoDB client of another region, for operator tools that work across regions (moving
    an office); the functions themselves only ever use their own region's `dynamodb()`."""
    import boto3

    return boto3.session.Session().client("dynamodb", region_name=region,
                                          endpoint_url=endpoint_url)
