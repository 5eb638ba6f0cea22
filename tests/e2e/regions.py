"""Two local "regions" for issue 16's tests: each its own serialized moto server (its regional
tables and queues) and its own API process (`local.api`, as `make run` serves it), plus one
shared moto server for the person-claims table, which stands in for the multi-Region strongly
consistent global table: every request to it is atomic, as a single-item conditional write on
an MRSC table is across regions.

Reusable: `two_regions` below is a module-scoped fixture (import it into a test module), and
`TwoRegions` can be started with other offices or settings (`extra_env`). No workers run:
tests run a scheduled job in a region with `run_job`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

from local.stack import LOCAL_ENV, Stack, wait_for
from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
EAST, WEST = "us-east-1", "us-west-2"
CLAIMS_TABLE = "infopass-e2e-claims"
# moto keeps tables per region: both regions sign their claims requests for this one.
CLAIMS_REGION = EAST

# Makes the stage's tables, queues and offices in a region's moto server, and the slots of only
# the offices named (all 41 offices' windows take minutes on a busy machine).
_PROVISION = """
import json, sys
from chalicelib import wiring
from local.provision import provision
wiring.rewire()
urls = provision(seed=False)
from chalicelib.booking import offices
# Only the offices this region serves (their home, offices.json): another region's seats are
# never made here.
served = [o for o in sys.argv[1].split(",") if offices.serves(o)]
if served:
    wiring.booking_service().generate_slots(served)
print(json.dumps(urls))
"""

_JOB = """
import importlib, json, sys
from local.worker import scheduled_event
module, _, name = sys.argv[1].partition(":")
print(json.dumps(getattr(importlib.import_module(module), name)(scheduled_event(), None)))
"""


@dataclass
class Region:
    name: str
    api: str  # the API's base URL (routes under /v1)
    moto: str  # the region's own moto server
    env: dict[str, str] = field(repr=False)

    def table(self, short: str):
        return boto3.resource("dynamodb", endpoint_url=self.moto, region_name=self.name).Table(
            f"{self.env['RESOURCE_PREFIX']}-{short}")


class TwoRegions:
    def __init__(self, offices: tuple[str, ...] = ("chicago", "seattle"),
                 extra_env: dict[str, str] | None = None) -> None:
        self.offices = offices
        self.extra_env = extra_env or {}
        self.stack = Stack(HOST, 0, 0, dict(os.environ))  # only for spawn/stop
        self.regions: dict[str, Region] = {}
        self.claims_moto = ""

    def _moto(self, name: str) -> str:
        port = _free_port()
        self.stack.spawn(f"moto ({name})", sys.executable, "-m", "local.moto_server",
                         "--host", HOST, "--port", str(port))
        url = f"http://{HOST}:{port}"
        wait_for(f"{url}/infopass/sent-mail.json", 30)
        return url

    def start(self) -> "TwoRegions":
        self.claims_moto = self._moto("claims")
        ports = {EAST: _free_port(), WEST: _free_port()}
        urls = {name: f"http://{HOST}:{port}" for name, port in ports.items()}
        base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
        for name in (EAST, WEST):
            moto = self._moto(name)
            env = {**base, **LOCAL_ENV, "PYTHONUNBUFFERED": "1",
                   "AWS_REGION": name, "AWS_DEFAULT_REGION": name,
                   "AWS_ENDPOINT_URL": moto, "RESOURCE_PREFIX": f"infopass-{name}",
                   "CLAIMS_ENDPOINT_URL": self.claims_moto, "CLAIMS_TABLE": CLAIMS_TABLE,
                   "CLAIMS_REGION": CLAIMS_REGION, "REGION_URLS": json.dumps(urls),
                   # As the single-region e2e stack: racing clients from 127.0.0.1 are not
                   # rate limited, and the minimum interval does not get in the way.
                   "MIN_INTERVAL_DAYS": "0", "RATE_LIMIT_EXEMPT": "127.0.0.1",
                   **self.extra_env}
            provisioned = subprocess.run(
                [sys.executable, "-c", _PROVISION, ",".join(self.offices)], cwd=ROOT, env=env,
                check=True, capture_output=True, text=True).stdout
            env["NOTICES_QUEUE_URL"] = json.loads(provisioned.strip().splitlines()[-1])["notices"]
            self.regions[name] = Region(name, urls[name], moto, env)
        for name in (EAST, WEST):
            self.stack.env = self.regions[name].env
            self.stack.spawn(f"the API ({name})", sys.executable, "-m", "local.api", "--stage",
                             "local", "--host", HOST, "--port", str(ports[name]),
                             "--no-autoreload")
        for name in (EAST, WEST):
            wait_for(f"{urls[name]}/v1/health", 120)
        return self

    def stop(self) -> None:
        self.stack.stop()

    def __getitem__(self, name: str) -> Region:
        return self.regions[name]

    def run_job(self, region: str, job: str) -> dict:
        """A scheduled job (`module:function`) invoked once in that region, as its schedule
        would: e.g. `chalicelib.booking.jobs:sweep_claims`."""
        done = subprocess.run([sys.executable, "-c", _JOB, job], cwd=ROOT,
                              env=self.regions[region].env, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{job} in {region} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def claims(self):
        """The shared person-claims table (boto3), to read or to set up a crashed saga."""
        return boto3.resource("dynamodb", endpoint_url=self.claims_moto,
                              region_name=CLAIMS_REGION).Table(CLAIMS_TABLE)


@pytest.fixture(scope="module")
def two_regions():
    regions = TwoRegions()
    try:
        yield regions.start()
    finally:
        regions.stop()
