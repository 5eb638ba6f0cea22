"""Test environment: fake AWS credentials, never a real endpoint.

The environment is set before any project module is imported, because the tables bind to
the stage's names and endpoint on import.
"""
from __future__ import annotations

import os
import socket


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
