"""A moto server (one request at a time, like the local stack) shared by the integration and
API tiers; each test starts from empty tables and queues.

Provisioning (14 tables, the queues, the mail identity, 41 offices) took 1.5-2.5 s a test, most
of the API tier's time. It now runs once per set of settings: the moto server keeps a copy of
the provisioned state (`local/moto_server.py`, /infopass/state/) and puts it back before each
test, which is what a fresh moto server plus provisioning would give, in milliseconds."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# The server of this session: the API and integration conftests each import the fixture (two
# session fixtures to pytest), and a second server on the same port cannot start.
_started: list[str] = []


@pytest.fixture(scope="session")
def moto_server():
    url = os.environ["AWS_ENDPOINT_URL"]
    if _started:
        yield _started[0]
        return
    port = url.rsplit(":", 1)[1]
    proc = subprocess.Popen([sys.executable, "-m", "local.moto_server", "--port", port],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            # Not /moto-api/data.json: it serializes every item and can take seconds.
            urllib.request.urlopen(f"{url}/infopass/sent-mail.json", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto server did not start")
            time.sleep(0.1)
    _started.append(url)
    yield url
    _started.clear()
    proc.terminate()
    proc.wait(timeout=10)


def _post(url: str) -> bool:
    """False when the moto server has no saved state of that name."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="POST"))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise
    return True


# Saved states in the moto server: name -> the provisioned queue URLs.
_saved: dict[str, dict[str, str]] = {}
# The provisioned state the current test started from (with_slots builds on it).
_current: dict[str, str] = {}


def provisioned(moto_server: str) -> dict[str, str]:
    """Tables, queues, sender and offices as `provision` makes them for the current settings:
    restored when saved before, else made from a reset server and saved."""
    from chalicelib import settings
    from local import provision

    name = "provisioned-" + hashlib.sha256(repr(settings.settings).encode()).hexdigest()[:16]
    urls = _saved.get(name)
    if urls is None or not _post(f"{moto_server}/infopass/state/restore/{name}"):
        _post(f"{moto_server}/moto-api/reset")
        urls = provision.provision(seed=False)
        _post(f"{moto_server}/infopass/state/save/{name}")
        _saved[name] = urls
    _current.update(server=moto_server, name=name)
    return urls


@pytest.fixture
def aws(moto_server, monkeypatch):
    """Fresh tables and queues; returns the provisioned queue URLs."""
    from chalicelib import wiring

    wiring.rewire()
    urls = provisioned(moto_server)
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


def with_slots(office_ids: list[str], service=None) -> None:
    """The state `aws` started the test from, plus these offices' slots as `generate_slots` of
    `service` (the wired booking service by default) makes them. The result is saved too, under
    what decides the slots (the offices' booking windows, from the service's clock and policy),
    so later tests restore it instead of writing them again. It replaces whatever the test wrote
    before: call it first."""
    from chalicelib import wiring
    from chalicelib.booking import offices

    service = service or wiring.booking_service()
    server, base = _current["server"], _current["name"]
    windows = [(office_id, *service.window(offices.get(office_id))) for office_id in office_ids]
    name = "slots-" + hashlib.sha256(repr((base, windows)).encode()).hexdigest()[:16]
    if name in _saved and _post(f"{server}/infopass/state/restore/{name}"):
        return
    if not _post(f"{server}/infopass/state/restore/{base}"):
        raise RuntimeError(f"the moto server lost the saved state {base}")
    service.generate_slots(office_ids)
    _post(f"{server}/infopass/state/save/{name}")
    _saved[name] = {}
