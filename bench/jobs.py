"""The scheduled jobs' DynamoDB requests at 41 offices (the seed, offices.json) and at 400 (the
seed plus 359 copies of its offices under new ids, same zones and schedules, home us-east-1),
and what a page of the triage queue reads against what it shows (issue 14).

Each job runs through its scheduled handler, called as Lambda (and `local/worker.py`) calls it,
against the serialized local moto server that bench.operations uses. Requests are counted by
that server (failed conditional ones included); capacity is what PynamoDB saw (moto reports
none for transactions: 2 write units an item are counted, as DynamoDB charges items under
1 KB). Before every measured run the office directory's cache is dropped: an hourly or
15-minute job finds it past its TTL (OFFICES_CACHE_SECONDS, 10 s), so its Scan is counted.

Run: `python -m bench.jobs` (also from `make bench`); prints its sections and puts them in
bench/results.md.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import sys
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.operations import DynamoCalls, ServerCounts, free_port, moto_server
from bench.results import load, put_section

ROOT = Path(__file__).resolve().parent.parent
OFFICE_COUNTS = tuple(int(n) for n in os.environ.get("JOB_OFFICES", "41,400").split(","))
QUEUE_OFFICE, QUEUE_ZIP = "hartford", "06103"
QUEUE_REQUESTS = 250  # past the 200 the queue once stopped at
TRIAGE_OFFICER = ("tier2", QUEUE_OFFICE, "bench-officer")


def main() -> None:
    port = free_port()
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                       "RESOURCE_PREFIX": "infopass-bench-jobs",
                       # The development staff key is trusted on the test stage only: the
                       # queue is read through the API, as an officer reads it.
                       "STAGE": "test"})
    sys.path.insert(0, str(ROOT))
    logging.disable(logging.INFO)  # the jobs' own log lines are not the benchmark's
    started = time.perf_counter()
    with moto_server(port) as endpoint:
        calls = DynamoCalls(ServerCounts(endpoint), record_sent=False)
        rows: dict[str, dict[int, tuple]] = {}
        queue = None
        for count in OFFICE_COUNTS:
            _reset(endpoint)
            _provision(count)
            for name, measured in job_rows(calls):
                rows.setdefault(name, {})[count] = measured
            if queue is None:
                queue = queue_pages(calls)
    text = render(rows, queue, time.perf_counter() - started)
    put_section("Scheduled jobs at 41 and 400 offices; the triage queue", text)
    print(text)


def _reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))


def _provision(count: int) -> None:
    """Tables, queues and the seeded offices, plus copies up to `count` offices."""
    from chalicelib import wiring
    from chalicelib.booking import offices
    from local import provision

    wiring.rewire()
    urls = provision.provision(seed=False)
    os.environ["NOTICES_QUEUE_URL"] = urls["notices"]
    wiring.rewire()
    add_copies(count - len(offices.seed()))
    offices.refresh()
    assert len(offices.home_offices()) == count


def add_copies(extra: int) -> None:
    """`extra` offices copied from the seed's (new ids, same zones, schedules and closures),
    home us-east-1: the size of a national network."""
    from chalicelib.booking import offices
    from chalicelib.offices.domain import from_seed
    from chalicelib.offices.repository import DynamoOfficeRepository

    store, seed, now = DynamoOfficeRepository(), offices.seed(), datetime.now(timezone.utc)
    for n in range(extra):
        original = seed[n % len(seed)]
        copy = n // len(seed) + 2
        store.add_if_missing(from_seed({
            **original, "id": f"{original['id']}-{copy}",
            "name": f"{original['name']} {copy}", "home_region": "us-east-1"}), now)


def scheduled(handler) -> dict:
    """One scheduled invocation, as Lambda makes it, after the directory's TTL; the metric
    lines (Embedded Metric Format) it prints are not the benchmark's."""
    from chalicelib.booking import offices
    from local.worker import scheduled_event

    offices.refresh()
    with contextlib.redirect_stdout(io.StringIO()):
        return handler(scheduled_event(), None)


def a_new_day() -> None:
    """The state an hourly run meets when a new day enters the window (there is no tomorrow to
    wait for): each office's last day unplanned again, its slots gone and its generation mark a
    day back. The run then plans that one day, as it would the day after tomorrow's window."""
    from chalicelib.booking import offices
    from chalicelib.booking.generation import Mark
    from chalicelib.booking.generation_repository import DynamoGenerationMarks
    from chalicelib.booking.domain import iso_utc
    from chalicelib.performance.domain import day_bounds
    from chalicelib.tables import SlotRecord

    marks = DynamoGenerationMarks()
    for mark in marks.all().values():
        first, end = day_bounds(mark.through, offices.get(mark.office_id)["timezone"])
        day = SlotRecord.start.between(iso_utc(first), iso_utc(end - timedelta(seconds=1)))
        with SlotRecord.batch_write() as batch:
            for slot in SlotRecord.query(mark.office_id, day):
                batch.delete(slot)
        marks.put(Mark(mark.office_id, mark.through - timedelta(days=1), mark.version))


# What an idle run of a job finds, by its schedule name; a job not named here is still run
# (every scheduled function of the app is), as "nothing to do".
IDLE = {"watch_triage_deadlines": "nothing open",
        "release_reserved_seats": "nothing left to release",
        "return_expired_holds": "none expired", "move_waitlist_on": "nobody waiting",
        "send_reminders": "none due", "sweep_outbox": "nothing pending",
        "cancel_for_closures": "no closure pending", "sweep_claims": "no claim pending",
        "publish_performance": "run again (published)"}


def scheduled_jobs() -> dict[str, tuple[str, object]]:
    """Every scheduled function the app registers: name -> (how often, the handler Lambda
    calls)."""
    from chalice.app import ScheduledEventConfig

    from app import app

    return {e.name: (_every(e.schedule_expression), app.handler_map[e.name])
            for e in app.event_sources if isinstance(e, ScheduledEventConfig)}


def _every(expression) -> str:
    value, unit = getattr(expression, "value", None), getattr(expression, "unit", "").lower()
    if not value:
        return str(expression)
    return f"every {unit.rstrip('s')}" if value == 1 else f"every {value} {unit}"


def job_rows(calls: DynamoCalls) -> list[tuple[str, tuple]]:
    """(row name, (requests by kind, (capacity, seconds), what the run did)) for every
    scheduled job: slot generation's first run, steady state and new day, the performance
    publication's daily run, and every job with nothing to do."""
    jobs = scheduled_jobs()
    rows = []

    def row(name: str, what=lambda result: "", label: str = "") -> None:
        every, handler = jobs[name]
        started = time.perf_counter()
        result, measured = calls.measure(lambda: scheduled(handler))
        took = time.perf_counter() - started
        rows.append((f"{name} ({every}), {label or IDLE.get(name, 'nothing to do')}",
                     (measured.server, (sum(units for _, units in measured), took),
                      what(result))))

    def slots(created: dict) -> str:
        return f"{sum(created.values()):,} slots"

    row("generate_slots", slots, "first run (empty windows)")
    row("generate_slots", slots, "steady state (window full)")
    a_new_day()
    row("generate_slots", slots, "first run of a new day (one day enters the window)")
    row("publish_performance", lambda published: f"{len(published['published'])} offices",
        "first run after the offices' night")
    for name in sorted(jobs.keys() - {"generate_slots"}):
        scheduled(jobs[name][1])  # a first run does what the new window gave it (seats to release)
        row(name)
    return rows


# --- the triage queue ---------------------------------------------------------------------------

def queue_pages(calls: DynamoCalls) -> dict:
    """QUEUE_REQUESTS open requests at one office, read through GET /v1/staff/queue in pages of
    50 (the default) and of 200 (the most a page may ask for) until `next_cursor` is null."""
    from chalice.test import Client
    from pynamodb.connection.base import Connection

    from app import app
    from chalicelib import wiring
    from local import gateway
    from local.token import mint

    seed_queue(wiring.triage_service(), QUEUE_REQUESTS)
    gateway.install()
    token = {"Authorization": f"Bearer {mint(*TRIAGE_OFFICER)}"}
    read: list[list[dict]] = []
    original = Connection.dispatch

    def dispatch(connection, operation, kwargs):
        data = original(connection, operation, kwargs)
        if operation == "Query" and kwargs.get("IndexName") == "office-queue":
            read.append(data.get("Items", []))
        return data

    figures = {}
    Connection.dispatch = dispatch
    try:
        with Client(app, stage_name="test") as client:
            for size in (50, 200):
                read.clear()
                shown: list[list[dict]] = []
                path = f"/v1/staff/queue?office_id={QUEUE_OFFICE}&limit={size}"
                requests_by_kind: Counter = Counter()
                cursor = None
                while True:
                    after = f"&cursor={cursor}" if cursor else ""
                    answer, measured = calls.measure(
                        lambda url=path + after: client.http.get(url, headers=token))
                    assert answer.status_code == 200, answer.body
                    body = json.loads(answer.body)
                    requests_by_kind += measured.server
                    shown.append(body["requests"])
                    cursor = body["next_cursor"]
                    if cursor is None:
                        break
                figures[size] = queue_figures(read, shown, requests_by_kind)
    finally:
        Connection.dispatch = original
    return figures


def seed_queue(triage, count: int) -> None:
    """`count` open requests at QUEUE_OFFICE, submitted as the public submits them: emergencies
    and standard ones, in English and Spanish, each from another person."""
    from chalicelib.triage.validation import ServiceRequestBody

    travel = (datetime.now(timezone.utc) + timedelta(days=5)).date().isoformat()
    for n in range(count):
        urgent = n % 3 == 0
        triage.submit(ServiceRequestBody.model_validate({
            "applicant": {"first_name": f"Queue{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}",
                          "last_name": "Ramírez", "date_of_birth": "1980-05-17",
                          "phone": f"(860) 555-{n:04d}", "email": f"queue{n}@example.org"},
            "callback_period": "morning" if n % 2 else "afternoon",
            "language": "es" if n % 2 else "en", "interpreter_needed": bool(n % 2),
            "zip": QUEUE_ZIP,
            "inquiry_type": "emergency_travel_document" if urgent
            else "case_status_outside_processing_times",
            "description": "Mi madre está muy enferma en Lima; necesito viajar esta semana."
            if urgent else "My case has been pending longer than the posted processing time.",
            "case_facts": {"deadlines": [{"date": travel, "kind": "travel"}]} if urgent else {},
            "circumstances": [{"kind": "medical", "note": "hospitalized"}] if urgent else []}))


def queue_figures(read: list[list[dict]], shown: list[list[dict]], requests: Counter) -> dict:
    """What the pages read (DynamoDB's index entries, as the Query returned them) against what
    they showed (each queue line's JSON as the officer receives it), in bytes and in read
    capacity units by DynamoDB's rule for a Query: the sizes of the items it read, summed per
    request and rounded up to 4 KB, half a unit per 4 KB (an index read is eventually
    consistent). The bytes shown are given the same rule, page by page."""
    read_bytes = [sum(item_size(item) for item in items) for items in read]
    shown_bytes = [sum(len(json.dumps(line, ensure_ascii=False, separators=(",", ":"))
                           .encode()) for line in lines) for lines in shown]
    return {"pages": len(shown), "requests": requests,
            "lines": sum(len(lines) for lines in shown),
            "read_bytes": sum(read_bytes), "shown_bytes": sum(shown_bytes),
            "read_rcu": sum(_rcu(b) for b in read_bytes),
            "shown_rcu": sum(_rcu(b) for b in shown_bytes)}


def _rcu(size: int) -> float:
    return 0.5 * max(1, math.ceil(size / 4096))


def item_size(item: dict) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values (strings by their
    UTF-8 bytes, numbers about one byte per two digits plus one, maps and lists 3 bytes plus one
    a member)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict) -> int:
    (kind, data), = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in data)
    if kind == "NS":
        return sum(_number_size(n) for n in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in data)
    raise ValueError(f"unknown attribute type {kind}")


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


# --- the section ------------------------------------------------------------------------------

def render(rows: dict[str, dict[int, tuple]], queue: dict | None, seconds: float) -> str:
    at = [f"{n} offices" for n in OFFICE_COUNTS]
    lines = [f"Each job through its scheduled handler (as Lambda calls it) on the serialized "
             f"moto server, at {' and '.join(map(str, OFFICE_COUNTS))} offices (the seed and "
             f"copies of its offices). Requests counted by the server; capacity as PynamoDB saw "
             f"it (slot generation's marks go through the raw client and are not in it); "
             f"seconds against moto (its costs, not DynamoDB's). Load at the end (1, 5, 15 "
             f"min): {load()}; this part took {seconds:.0f} s.", "",
             "| job run | " + " | ".join(f"requests, {a}" for a in at) + " | "
             + " | ".join(f"by kind, {a}" for a in at) + " | capacity | seconds |",
             "|---|" + "---|---|" * len(at) + "---|---|"]
    for name, by_count in rows.items():
        measured = [by_count[n] for n in OFFICE_COUNTS]
        requests = [f"{sum(server.values()):,}{f' ({did})' if did else ''}"
                    for server, _, did in measured]
        kinds = [", ".join(f"{op} x{k}" for op, k in sorted(server.items())) or "none"
                 for server, _, _ in measured]
        units = " / ".join(f"{u:g}" for _, (u, _), _ in measured)
        took = " / ".join(f"{t:.1f}" for _, (_, t), _ in measured)
        lines.append(f"| {name} | {' | '.join(requests)} | {' | '.join(kinds)} | {units} | "
                     f"{took} |")
    if queue:
        lines += ["", f"Triage queue: {QUEUE_REQUESTS} open requests at {QUEUE_OFFICE}, read "
                  "through `GET /v1/staff/queue` as an officer reads them, page after page until "
                  "`next_cursor` is null. Read: the index entries each Query returned, sized by "
                  "DynamoDB's rule (names + values); shown: each line's JSON as the officer "
                  "receives it. Units: per Query, ceil(bytes / 4 KB) x 0.5 RCU (an index read is "
                  "eventually consistent); the bytes shown are given the same rule page by page, "
                  "so `read ÷ shown` is the capacity paid per unit of what the page shows.", "",
                  "| page size | pages | requests | lines shown | bytes read | bytes shown | "
                  "RCU read | RCU of the bytes shown | read ÷ shown (RCU) | bytes |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for size, f in queue.items():
            kinds = ", ".join(f"{op} x{k}" for op, k in sorted(f["requests"].items()))
            lines.append(
                f"| {size} | {f['pages']} | {kinds} | {f['lines']} | {f['read_bytes']:,} | "
                f"{f['shown_bytes']:,} | {f['read_rcu']:g} | {f['shown_rcu']:g} | "
                f"{f['read_rcu'] / f['shown_rcu']:.2f}x | "
                f"{f['read_bytes'] / f['shown_bytes']:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
