"""Debian's chromium for the browser tier: where it is and the flags the project's machines need."""
from __future__ import annotations

import os
import shutil

import pytest

# The flags the project's machines need (README "Browser tests").
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        message = "chromium is not installed (make test installs it: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found
