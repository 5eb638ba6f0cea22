"""Test environment: fake AWS credentials, never a real endpoint.

The environment is set before any project module is imported, because the tables bind to
the stage's names and endpoint on import.
"""
from __future__ import annotations

import os
import socket
from collections import Counter

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MOTO_PORT = _free_port()
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "AWS_ENDPOINT_URL": f"http://127.0.0.1:{MOTO_PORT}",
    "STAGE": "test", "RESOURCE_PREFIX": "infopass-test",
})
os.environ.pop("AWS_PROFILE", None)



def _name_each_operation(items) -> None:
    """schemathesis makes one test per API operation, but pytest 9.2 builds a node id from a
    test's `originalname`, which schemathesis sets to the function's: all 58 shared one id.
    Each gets its operation as its parameter, as a parametrized test would."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and item.id.params is None:
            item._id = item.parent.id.child(item.originalname).with_params(label)


def pytest_collection_modifyitems(config, items):
    _name_each_operation(items)
    shared = [nodeid for nodeid, n in Counter(i.nodeid for i in items).items() if n > 1]
    if shared:
        # pytest-xdist and the reports key results by node id: tests under one id are counted
        # as one (a two-worker run reported 2 of schemathesis' 59 tests as passed).
        raise pytest.UsageError(f"tests share a node id: {shared[:5]}")
