"""Soak the local stack: book and cancel over and over through the HTTP API, and watch every
local process's resident memory and the requests' latency, window by window.

    python -m bench.soak --operations 10000 --window 500 [--clients 4] [--api URL]
    python -m bench.soak --throughput 1,8,32 [--seconds 30]   # bookings/s and listings/s

Without --api it starts its own stack (`python -m local.stack`, as `make run`) on free ports and
stops it at the end. Each operation is one booking and its cancellation by an invented person
drawn from a pool (a person books again only after cancelling), on a rotating set of slots, so the
seats and the people stay constant while the appointments accumulate, as they would in a day of
real use. Prints one markdown table: per window, p50/p95 of book and cancel in milliseconds and
the resident memory (MB) of each process of the stack.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
OFFICE = "chicago"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_stack() -> tuple[subprocess.Popen, str, str]:
    api_port, moto_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    env.update(PORT=str(api_port), MOTO_PORT=str(moto_port), MIN_INTERVAL_DAYS="0",
               RATE_LIMIT_EXEMPT="127.0.0.1")
    proc = subprocess.Popen([sys.executable, "-m", "local.stack"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the local stack exited with {proc.returncode}")
        try:
            if requests.get(f"{api}/v1/health", timeout=2).status_code == 200:
                return proc, api, f"http://127.0.0.1:{moto_port}"
        except requests.RequestException:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("the local stack did not come up")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def processes(root: int) -> dict[str, int]:
    """The stack's processes by a short name (moto, api, worker, ...)."""
    named, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        module = next((a.decode() for a in argv if a.startswith(b"local.")), "stack")
        named[module.removeprefix("local.")] = pid
        todo += _children(pid)
    return named


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def person(n: int) -> dict:
    name = f"Soak{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}"
    return {"first_name": name, "last_name": "Okafor", "date_of_birth": "1990-02-03",
            "email": f"{name.lower()}@example.org",
            "phone": f"312-555-{zlib.crc32(name.encode()) % 10000:04d}",
            "address": {"line1": "2 Lake St", "city": "Chicago", "state": "IL", "zip": "60601"}}


class Soak:
    def __init__(self, api: str, clients: int) -> None:
        self.api, self.clients = api, clients
        self.session = threading.local()
        later = datetime.now(timezone.utc) + timedelta(days=2)
        slots = requests.get(f"{api}/v1/offices/{OFFICE}/slots", timeout=60).json()["slots"]
        self.slots = [s["slot_id"] for s in slots if datetime.fromisoformat(s["start"]) > later]
        if not self.slots:
            raise SystemExit(f"no open slot at {OFFICE} past the change cutoff")

    def _http(self) -> requests.Session:
        if not hasattr(self.session, "http"):
            self.session.http = requests.Session()
        return self.session.http

    def one(self, n: int) -> tuple[float, float]:
        """Book and cancel as person n (each client owns its own people): the two latencies."""
        http, applicant = self._http(), person(n)
        body = {"slot_id": self.slots[n % len(self.slots)], "applicant": applicant,
                "reason": {"category": "case_inquiry"}, "language": "en",
                "contact_method": "email"}
        started = time.perf_counter()
        booked = http.post(f"{self.api}/v1/appointments", json=body, timeout=60)
        book_ms = (time.perf_counter() - started) * 1000
        if booked.status_code != 201:
            raise RuntimeError(f"book answered {booked.status_code}: {booked.text[:200]}")
        cn = booked.json()["confirmation_number"]
        started = time.perf_counter()
        cancelled = http.post(f"{self.api}/v1/appointments/{cn}/cancel", timeout=60, json={
            "last_name": applicant["last_name"], "date_of_birth": applicant["date_of_birth"]})
        cancel_ms = (time.perf_counter() - started) * 1000
        if cancelled.status_code != 200:
            raise RuntimeError(f"cancel answered {cancelled.status_code}: {cancelled.text[:200]}")
        return book_ms, cancel_ms


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def waiting_notices(moto: str) -> int:
    """Notices not yet taken by the worker: a consumer that falls behind slows the whole stack
    (moto's SendMessage walks every waiting message)."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=moto, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    url = sqs.get_queue_url(QueueName="infopass-local-notices")["QueueUrl"]
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"])


def run(api: str, moto: str | None, root_pid: int | None, operations: int, window: int,
        clients: int) -> list[dict]:
    soak = Soak(api, clients)
    rows, done = [], 0
    # Person n is used by one client at a time: client c takes n = c, c + clients, ...
    people = max(clients * 4, 8)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        while done < operations:
            size = min(window, operations - done)
            started = time.perf_counter()
            results = []
            for batch in range(0, size, clients):
                ns = [(done + batch + c) % people for c in range(min(clients, size - batch))]
                results += list(pool.map(soak.one, ns))
            elapsed = time.perf_counter() - started
            done += size
            row = {"operations": done, "per_second": size / elapsed,
                   "book_p50": statistics.median(r[0] for r in results),
                   "book_p95": _p([r[0] for r in results], 0.95),
                   "cancel_p50": statistics.median(r[1] for r in results),
                   "cancel_p95": _p([r[1] for r in results], 0.95)}
            row["waiting"] = waiting_notices(moto) if moto else None
            if root_pid:
                row["rss"] = {name: rss_mb(pid) for name, pid in processes(root_pid).items()}
            rows.append(row)
            print(_row(row), flush=True)
    return rows


def throughput(api: str, levels: list[int], seconds: float) -> list[dict]:
    """Bookings (each with its cancellation) and slot listings per second with 1, 8, 32 ...
    clients, each client working on its own people as fast as answers come, for `seconds`."""
    soak = Soak(api, max(levels))
    rows = []
    for clients in levels:
        for kind in ("book+cancel", "listing"):
            done: list[float] = []
            lock = threading.Lock()
            stop = time.perf_counter() + seconds

            def client(c: int) -> None:
                http, n = requests.Session(), c
                while time.perf_counter() < stop:
                    started = time.perf_counter()
                    if kind == "listing":
                        answer = http.get(f"{api}/v1/offices/{OFFICE}/slots", timeout=120)
                        if answer.status_code != 200:
                            raise RuntimeError(f"slots answered {answer.status_code}")
                    else:
                        soak.one(n)
                        n += clients
                    with lock:
                        done.append((time.perf_counter() - started) * 1000)

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(client, range(clients)))
            elapsed = time.perf_counter() - started
            row = {"clients": clients, "kind": kind, "per_second": len(done) / elapsed,
                   "p50": statistics.median(done), "p95": _p(done, 0.95)}
            rows.append(row)
            print(_throughput_row(row), flush=True)
    return rows


THROUGHPUT_HEADER = "| clients | requests | per second | p50 / p95 ms |\n|---|---|---|---|"


def _throughput_row(row: dict) -> str:
    return (f"| {row['clients']} | {row['kind']} | {row['per_second']:.1f} | {row['p50']:.0f} / "
            f"{row['p95']:.0f} |")


def _header(rss_names: list[str]) -> str:
    names = " | ".join(f"{n} MB" for n in rss_names)
    return ("| operations | book+cancel per s | book p50 / p95 ms | cancel p50 / p95 ms | "
            f"notices waiting | {names} |\n|---|---|---|---|---|{'---|' * len(rss_names)}")


def _row(row: dict) -> str:
    rss = " | ".join(f"{mb:.0f}" for mb in row.get("rss", {}).values())
    return (f"| {row['operations']} | {row['per_second']:.1f} | {row['book_p50']:.0f} / "
            f"{row['book_p95']:.0f} | {row['cancel_p50']:.0f} / {row['cancel_p95']:.0f} | "
            f"{'' if row['waiting'] is None else row['waiting']} | {rss} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--api", help="a running stack's API (memory is then not sampled)")
    parser.add_argument("--moto", help="with --api: its moto server, for the notices waiting")
    parser.add_argument("--throughput", help="client counts, e.g. 1,8,32: per second at each "
                        "level instead of the soak")
    parser.add_argument("--seconds", type=float, default=30,
                        help="with --throughput: how long each level runs")
    parser.add_argument("--results", action="store_true", help="with --throughput: put the "
                        "table in bench/results.md too (make bench)")
    args = parser.parse_args()
    proc = None
    if args.api:
        api, moto, root = args.api.rstrip("/"), args.moto, None
    else:
        proc, api, moto = start_stack()
        root = proc.pid
    try:
        if args.throughput:
            print(THROUGHPUT_HEADER, flush=True)
            rows = throughput(api, [int(n) for n in args.throughput.split(",")], args.seconds)
            if args.results:
                from bench.results import load, put_section
                put_section("Local stack throughput", "\n".join([
                    f"`python -m bench.soak --throughput {args.throughput} --seconds "
                    f"{args.seconds:g}`: the local stack (`python -m local.stack`, as `make run`) "
                    "over HTTP, each client as fast as answers come; a booking is counted with "
                    f"its cancellation. Load at the end (1, 5, 15 min): {load()}.", "",
                    THROUGHPUT_HEADER, *(_throughput_row(row) for row in rows)]))
            return
        if root:
            print(_header(list(processes(root))), flush=True)
        run(api, moto, root, args.operations, args.window, args.clients)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
