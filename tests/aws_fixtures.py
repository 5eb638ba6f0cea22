"""A moto server (one request at a time, like the local stack) shared by the integration and
API tiers; each test starts from empty tables and queues."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def moto_server():
    url = os.environ["AWS_ENDPOINT_URL"]
    port = url.rsplit(":", 1)[1]
    proc = subprocess.Popen([sys.executable, "-m", "local.moto_server", "--port", port],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto server did not start")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def aws(moto_server, monkeypatch):
    """Fresh tables and queues; returns the provisioned queue URLs."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    from chalicelib import wiring
    from local import provision

    wiring.rewire()
    urls = provision.provision(seed=False)
    monkeypatch.setenv("NOTICES_QUEUE_URL", urls["notices"])
    wiring.rewire()
    yield urls
    wiring.rewire()


@pytest.fixture
def dynamodb_requests(monkeypatch):
    """The DynamoDB operations sent from now on, in order (failed conditional ones too)."""
    from pynamodb.connection.base import Connection

    sent = []
    original = Connection.dispatch

    def dispatch(connection, operation, kwargs):
        sent.append(operation)
        return original(connection, operation, kwargs)

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    return sent
