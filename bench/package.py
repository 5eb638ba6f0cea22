"""Size and cold start of the deployable package (`make bench-package`).

Packages a stage (default prod-us-east-1) with `infra.package`, then measures the zip as Lambda
would load it: extracted into a fresh directory, imported by a fresh interpreter that writes
no .pyc (`-B`) and sees no site-packages (`-S`), only the extracted code and the four packages
the Lambda runtime provides and the zip leaves out (boto3, botocore, s3transfer, urllib3,
linked from .venv). Writes bench/package-results.md.

    python -m bench.package [--stage prod-us-east-1] [--runs 7]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "package-results.md"
# Modules a request that needs none of them should not pay for on a cold start.
HEAVY = ("boto3", "botocore", "babel", "zipcodes", "holidays", "icalendar", "pydantic",
         "pynamodb", "aws_xray_sdk", "jwt", "cryptography", "aws_lambda_powertools")


def lambda_like(archive: Path, into: Path) -> tuple[Path, Path]:
    """Extracts the zip to `into/task` and links the runtime-provided SDK into `into/runtime`."""
    from infra.package import RUNTIME_PROVIDED

    task, runtime = into / "task", into / "runtime"
    with zipfile.ZipFile(archive) as z:
        z.extractall(task)
    runtime.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for name in RUNTIME_PROVIDED:
        (runtime / name).symlink_to(site / name)
    return task, runtime


def api_event(path: str, query: dict[str, str] | None = None) -> dict:
    return {"resource": path, "path": path, "httpMethod": "GET",
            "headers": {"accept": "application/json"}, "multiValueHeaders": None,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
            "pathParameters": None, "stageVariables": None, "body": None,
            "isBase64Encoded": False,
            "requestContext": {"resourcePath": path, "httpMethod": "GET", "stage": "api",
                               "path": "/api" + path, "requestId": "bench",
                               "identity": {"sourceIp": "192.0.2.1"}}}


PROBE = """
import json, sys, time
sys.path[:0] = [{task!r}, {runtime!r}]
started = time.perf_counter()
import app
imported = time.perf_counter() - started
after_import = sorted(m for m in {heavy!r} if m in sys.modules)
out = {{"import_app": imported, "loaded_by_import": after_import, "requests": []}}
for event in {events!r}:
    t = time.perf_counter()
    response = app.app(event, None)
    out["requests"].append({{"path": event["path"], "status": response["statusCode"],
                             "seconds": time.perf_counter() - t,
                             "loaded": sorted(m for m in {heavy!r} if m in sys.modules)}})
print(json.dumps(out))
"""


# The same conditions for the runtime's own SDK: `import boto3` and one DynamoDB client (its
# dependencies, dateutil and jmespath, come with the runtime too: from .venv, compiled).
RAW_PROBE = """
import json, sys, time
sys.path[:0] = [{runtime!r}, {site!r}]
started = time.perf_counter()
import boto3
boto3.client("dynamodb")
print(json.dumps(time.perf_counter() - started))
"""


def raw_start(runtime: Path, stage_name: str) -> float:
    code = RAW_PROBE.format(runtime=str(runtime), site=sysconfig.get_paths()["purelib"])
    done = subprocess.run([sys.executable, "-S", "-B", "-c", code],
                          env=probe_env(stage_name), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def probe_env(stage_name: str) -> dict[str, str]:
    from infra.stages import load

    stage = load(stage_name)
    env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": stage.region,
           "AWS_DEFAULT_REGION": stage.region, "PYTHONDONTWRITEBYTECODE": "1"}
    for name, value in stage.env.items():
        env[name] = value if "${" not in value and "{{" not in value else "unresolved-in-bench"
    return env


def cold_start(task: Path, runtime: Path, stage_name: str, events: list[dict]) -> dict:
    code = PROBE.format(task=str(task), runtime=str(runtime), heavy=HEAVY, events=events)
    done = subprocess.run([sys.executable, "-S", "-B", "-c", code], env=probe_env(stage_name),
                          capture_output=True, text=True, cwd=task)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


EXERCISE = """
sys.path[:0] = [{task!r}, {runtime!r}, {root!r}]
from bench.exercise import main as _exercise
_statuses = _exercise()
print(json.dumps(_statuses))
"""


def loaded_files(task: Path, runtime: Path, stage_name: str) -> tuple[dict, set[str]]:
    """Runs bench.exercise (every route family and job once) on the extracted zip in a fresh
    interpreter; returns what each step answered and the zip's files it opened or imported."""
    from infra.package import AUDIT_PRELUDE, AUDIT_REPORT

    code = AUDIT_PRELUDE + EXERCISE.format(task=str(task), runtime=str(runtime),
                                           root=str(ROOT)) + AUDIT_REPORT
    env = {**probe_env(stage_name), "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"}
    done = subprocess.run([sys.executable, "-S", "-B", "-c", code], env=env,
                          capture_output=True, text=True, cwd=task)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    statuses, paths = done.stdout.strip().splitlines()[-2:]
    base = task.resolve()
    return json.loads(statuses), {str(Path(p).relative_to(base)) for p in json.loads(paths)
                                  if Path(p).is_relative_to(base)}


def never_loaded(archive: Path, loaded: set[str]) -> tuple[int, int, list[tuple[str, int]]]:
    """Compressed bytes of the zip never loaded, of all, and the largest such top-level parts."""
    unused: Counter[str] = Counter()
    total = 0
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            total += info.compress_size
            if not info.is_dir() and info.filename not in loaded:
                parts = info.filename.split("/")
                unused["/".join(parts[:2]) if len(parts) > 2 else parts[0]] += info.compress_size
    return sum(unused.values()), total, unused.most_common(10)


def contents(archive: Path) -> tuple[int, list[tuple[str, int]]]:
    sizes: Counter[str] = Counter()
    unzipped = 0
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            sizes[info.filename.split("/", 1)[0]] += info.compress_size
            unzipped += info.file_size
    return unzipped, sizes.most_common(8)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", default="prod-us-east-1")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from infra.package import package

    out = package(args.stage, ROOT / "build" / args.stage)
    archive = out / "deployment.zip"
    unzipped, top = contents(archive)
    sizes = json.loads((out / "sizes.json").read_text())
    events = [api_event("/v1/health"), api_event("/v1/offices", {"zip": "02108"})]
    runs, raw = [], []
    for _ in range(args.runs):
        # A fresh extraction each run: no __pycache__ but the zip's own can help.
        with tempfile.TemporaryDirectory() as scratch:
            task, runtime = lambda_like(archive, Path(scratch))
            runs.append(cold_start(task, runtime, args.stage, events))
            raw.append(raw_start(runtime, args.stage))
    with tempfile.TemporaryDirectory() as scratch:
        statuses, loaded = loaded_files(*lambda_like(archive, Path(scratch)), args.stage)
    unused, total, unused_top = never_loaded(archive, loaded)
    median = lambda values: statistics.median(values)  # noqa: E731
    import_s = median([r["import_app"] for r in runs])
    health = median([r["requests"][0]["seconds"] for r in runs])
    offices = median([r["requests"][1]["seconds"] for r in runs])
    last = runs[-1]
    added = ", ".join(sorted(set(last["requests"][1]["loaded"]) - set(last["loaded_by_import"])))
    lines = [
        "# Package size and cold start",
        "",
        f"`make bench-package` (`python -m bench.package --stage {args.stage} --runs "
        f"{args.runs}`), on this machine (2 cores). Cold = fresh interpreter, `-S -B`, fresh "
        "extraction of the zip each run (with the .pyc files the zip ships, none written), "
        "only the Lambda runtime's SDK beside it; "
        "medians of the runs. Lambda adds its own init (runtime start, zip download and "
        "extraction) on top.",
        "",
        "| what | value |",
        "|---|---|",
        f"| deployment.zip | {archive.stat().st_size / 1e6:.1f} MB ({unzipped / 1e6:.1f} MB "
        "unzipped) |",
        f"| the same zip as `chalice package` built it (with botocore, all of Babel's "
        f"locales) | {sizes['chalice_zip_bytes'] / 1e6:.1f} MB |",
        f"| cold `import app` | {import_s:.3f} s |",
        f"| `import boto3` + one client, the same way (the runtime's SDK, its .pyc files) | "
        f"{median(raw):.3f} s |",
        f"| cold `import app` ÷ `import boto3` + client | {import_s / median(raw):.2f}× |",
        f"| then first `GET /v1/health` | {health:.3f} s |",
        f"| then first `GET /v1/offices?zip=02108` | {offices:.3f} s |",
        f"| heavy modules loaded by `import app` | {', '.join(last['loaded_by_import']) or 'none'}"
        " |",
        f"| added by the first `/v1/offices` | {added or 'none'} |",
        "",
        f"Never loaded: **{unused / total:.1%}** of the zip ({unused / 1e6:.1f} of "
        f"{total / 1e6:.1f} MB compressed): the files no step of `bench/exercise.py` opened or "
        "imported (audit hook on `open` plus `sys.modules`, fresh interpreter, only the zip "
        "and the runtime's SDK on the path). The steps run every route family and every job "
        "once up to its first AWS call (nothing listens), and the holiday calendar, the dates "
        "in all 12 languages and the .ics attachment directly: "
        + ", ".join(f"{k} {v}" for k, v in statuses.items()) + ".",
        "",
        "| largest never-loaded parts | KB |",
        "|---|---|",
        *[f"| `{name}` | {size // 1024} |" for name, size in unused_top],
        "",
        "Largest parts of the zip (compressed):",
        "",
        "| top-level entry | KB |",
        "|---|---|",
        *[f"| `{name}` | {size // 1024} |" for name, size in top],
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
