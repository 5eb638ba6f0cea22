"""Logging is configured once, even when the first requests of a fresh process arrive together
(the local API serves them on threads). Before the lock, 15 of 16 such requests failed with
"'Formatter' object has no attribute 'append_keys'" (Chalice's own logger is also "infopass")."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_FIRST_REQUESTS = """
import threading
import app  # noqa: F401 - as the API process has it: Chalice's logger first
from chalicelib import observability

barrier = threading.Barrier(16)
failures = []

def first_request():
    barrier.wait()
    try:
        observability.configure_logging()
    except Exception as error:
        failures.append(repr(error))

threads = [threading.Thread(target=first_request) for _ in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(failures), failures[:1])
"""


def test_sixteen_first_requests_configuring_logging_together_all_succeed():
    done = subprocess.run([sys.executable, "-c", _FIRST_REQUESTS], cwd=ROOT, text=True,
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "0 []"
