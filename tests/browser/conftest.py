"""The browser tier runs against the real local stack (`python -m local.stack`, as `make run`),
started on free ports like the e2e tier's, once per session; it serves the web app (web/dist,
built by `make test`) on its own port too. Playwright drives Debian's chromium
(`executable_path`; Playwright's own browser downloads are never used)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.chromium import CHROMIUM_FLAGS, chromium
from tests.conftest import _free_port
from tests.e2e.conftest import ROOT, _wait

# Seeding every office's booking window into moto is slow on a shared 2-core machine.
STARTUP_SECONDS = 600
# Screenshots of every step, for a reviewer (git-ignored).
ARTIFACTS = Path(__file__).with_name("artifacts")


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory):
    api_port, moto_port, web_port = _free_port(), _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    # The tests book a few dozen times from 127.0.0.1 in an hour; the one-hold-per-client rule
    # stays as it is.
    env.update(PORT=str(api_port), MOTO_PORT=str(moto_port), WEB_PORT=str(web_port),
               MIN_INTERVAL_DAYS="0", BOOKING_CLIENT_LIMIT="500", HOLD_CLIENT_LIMIT="500")
    log = tmp_path_factory.mktemp("stack") / "stack.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait(f"http://127.0.0.1:{api_port}/v1/health", proc, STARTUP_SECONDS)
        web = f"http://127.0.0.1:{web_port}"
        if (ROOT / "web" / "dist" / "index.html").exists():
            _wait(f"{web}/config.json", proc, 60)
        yield {"api": f"http://127.0.0.1:{api_port}", "moto": f"http://127.0.0.1:{moto_port}",
               "web": web, "log": log, "process": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), headless=True,
                                     args=list(CHROMIUM_FLAGS))
        yield launched
        launched.close()


@pytest.fixture
def web(local_stack):
    if not (ROOT / "web" / "dist" / "index.html").exists():
        message = "web/dist is missing: `make web` builds it (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return local_stack["web"]


@pytest.fixture
def shots(request):
    """`shots(page, "step")` writes artifacts/<test>/<nn>-<step>.png."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    count = [0]

    def shoot(page, step: str) -> None:
        count[0] += 1
        page.screenshot(path=str(folder / f"{count[0]:02d}-{step}.png"), full_page=True)
    return shoot
