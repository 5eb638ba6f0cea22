"""Logging is configured once, even when the first requests of a fresh process arrive together
(the local API serves them on threads). Before the lock, 15 of 16 such requests failed with
"'Formatter' object has no attribute 'append_keys'" (Chalice's own logger is also "infopass").

The log format: one JSON object per record, with the keys CloudWatch Logs Insights queries read
(formerly written by Powertools' Logger)."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from chalicelib.observability import JsonFormatter

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


def record(**extra) -> logging.LogRecord:
    made = logging.LogRecord("chalicelib.booking.service", logging.INFO, __file__, 7,
                             "booked %s", ("one",), None, func="book")
    made.__dict__.update(extra)
    return made


def test_a_log_line_is_one_json_object_with_level_message_service_and_the_extra_keys():
    line = JsonFormatter().format(record(office_id="boston", seats=2))
    assert "\n" not in line
    logged = json.loads(line)
    assert logged["level"] == "INFO" and logged["message"] == "booked one"
    assert logged["service"] == "infopass" and logged["location"] == "book:7"
    assert logged["office_id"] == "boston" and logged["seats"] == 2
    assert logged["timestamp"].endswith("+00:00")


def test_an_exception_is_logged_with_its_name_and_traceback():
    try:
        raise KeyError("x")
    except KeyError:
        import sys
        made = record()
        made.exc_info = sys.exc_info()
    logged = json.loads(JsonFormatter().format(made))
    assert logged["exception_name"] == "KeyError" and "Traceback" in logged["exception"]


def test_the_xray_trace_of_the_invocation_is_on_each_line(monkeypatch):
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    logged = json.loads(JsonFormatter().format(record()))
    assert logged["xray_trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
