"""Cold start figures (issue 14): a new process's `import app` plus its first
GET /v1/offices?zip=02108&limit=5
(a Lambda proxy event handed to the app, as a fresh container does), beside `import boto3`, one
DynamoDB client and the scan that request makes, each in fresh processes against the same
provisioned moto server, medians of RUNS. Only the ratio is comparable across machines.

Run: `python -m bench.cold` (also from `make bench`); prints a Markdown table.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("COLD_RUNS", "5"))

EVENT = {"resource": "/v1/offices", "path": "/v1/offices", "httpMethod": "GET",
         "headers": {"Accept": "application/json"}, "multiValueHeaders": {},
         "queryStringParameters": {"zip": "02108", "limit": "5"},
         "multiValueQueryStringParameters": {"zip": ["02108"], "limit": ["5"]},
         "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/v1/offices", "httpMethod": "GET",
                            "path": "/bench/v1/offices", "stage": "bench",
                            "identity": {"sourceIp": "127.0.0.1"}}}

APP = f"""
import json, time
t = time.perf_counter()
import app
imported = time.perf_counter() - t
answer = app.app(json.loads({json.dumps(EVENT)!r}), None)
assert answer["statusCode"] == 200, answer
print(json.dumps([imported, time.perf_counter() - t]))
"""

# A container restored from a SnapStart snapshot: the import and the before-snapshot hook ran
# when the version was published (not timed); the after-restore hook and the first request are
# what a restored container still does. Printed: [first request, after-restore + first request].
SNAPSTART = f"""
import json, time
import app
from chalicelib import snapstart
snapstart.warm_up()
t = time.perf_counter()
snapstart.refresh()
t_request = time.perf_counter()
answer = app.app(json.loads({json.dumps(EVENT)!r}), None)
assert answer["statusCode"] == 200, answer
done = time.perf_counter()
print(json.dumps([done - t_request, done - t]))
"""

RAW = """
import json, os, time
t = time.perf_counter()
import boto3
imported = time.perf_counter() - t
client = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
client.scan(TableName=os.environ["RESOURCE_PREFIX"] + "-offices")
print(json.dumps([imported, time.perf_counter() - t]))
"""


def _runs(code: str, env: dict) -> tuple[float, float]:
    samples = []
    for _ in range(RUNS):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(done.stderr)
        samples.append(json.loads(done.stdout))
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))


def measure() -> dict[str, tuple[float, float]]:
    from bench.operations import free_port, moto_server

    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "RESOURCE_PREFIX": "infopass-cold",
           "STAGE": "bench", "PYTHONPATH": str(ROOT)}
    # boto3 loads from the .pyc files pip wrote; the app's are written here, so that both sides
    # load bytecode (PYTHONDONTWRITEBYTECODE would otherwise compile the app in every run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "app.py", "chalicelib"], cwd=ROOT,
                   check=True, capture_output=True)
    with moto_server(port, env):
        subprocess.run([sys.executable, "-m", "local.provision"], cwd=ROOT, check=True,
                       env={**env, "BOOKING_WINDOW_DAYS": "1"}, capture_output=True)
        return {"app": _runs(APP, env), "raw": _runs(RAW, env),
                "snapstart": _runs(SNAPSTART, env)}


def render(figures: dict[str, tuple[float, float]]) -> str:
    (app_import, app_first), (raw_import, raw_first) = figures["app"], figures["raw"]
    snap_request, snap_restored = figures["snapstart"]
    load = os.getloadavg()[0]
    return "\n".join([
        f"### Cold start (medians of {RUNS} fresh processes, load average {load:.1f})", "",
        "| measure | app | boto3 | app ÷ boto3 |", "|---|---|---|---|",
        f"| import (`import app` / `import boto3`) | {app_import * 1000:.0f} ms | "
        f"{raw_import * 1000:.0f} ms | {app_import / raw_import:.2f}× |",
        f"| import + first GET /v1/offices?zip= / + client + scan | {app_first * 1000:.0f} ms | "
        f"{raw_first * 1000:.0f} ms | {app_first / raw_first:.2f}× |",
        f"| first GET /v1/offices?zip= after the import (on-demand start) | "
        f"{(app_first - app_import) * 1000:.0f} ms | | |",
        f"| first GET /v1/offices?zip= after a SnapStart restore (after-restore hook + request) "
        f"| {snap_restored * 1000:.0f} ms ({snap_request * 1000:.0f} ms the request) | | |", ""])


if __name__ == "__main__":
    from bench.results import put_section

    text = render(measure())
    put_section("Cold start", text)
    print(text)
