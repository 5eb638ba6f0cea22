"""The browser tier runs against the real local stack (`python -m local.stack`, as `make run`),
started on free ports like the e2e tier's, once per session."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import _free_port
from tests.e2e.conftest import ROOT, _wait

# Seeding every office's booking window into moto is slow on a shared 2-core machine.
STARTUP_SECONDS = 600


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    api_port, moto_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    env.update(PORT=str(api_port), MOTO_PORT=str(moto_port), MIN_INTERVAL_DAYS="0")
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{api_port}/v1/health", proc, STARTUP_SECONDS)
        yield {"api": f"http://127.0.0.1:{api_port}", "log": log, "process": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
