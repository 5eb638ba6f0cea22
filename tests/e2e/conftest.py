"""Starts the real local stack (`python -m local.stack`, as `make run` does) on free ports,
once per session, and stops it afterwards."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]


def _wait(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"local stack exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"local stack not ready at {url}")


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    api_port, moto_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    # 127.0.0.1 (the racing clients of the other tests) is exempt from the per-client booking
    # limit; tests of the limits connect from other loopback addresses. The front desk marks
    # visits of the coming days here: the stack cannot wait for a start time to pass, so
    # check-in opens and the no-show grace ends two weeks early (the API and unit tiers test
    # the real windows).
    env.update(PORT=str(api_port), MOTO_PORT=str(moto_port), MIN_INTERVAL_DAYS="0",
               RATE_LIMIT_EXEMPT="127.0.0.1", CHECK_IN_EARLY_MINUTES=str(14 * 24 * 60),
               NO_SHOW_GRACE_MINUTES=str(-14 * 24 * 60))
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{api_port}/v1/health", proc, 600)  # seeding is slow on a busy machine
        yield {"api": f"http://127.0.0.1:{api_port}", "moto": f"http://127.0.0.1:{moto_port}",
               "log": log, "process": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
