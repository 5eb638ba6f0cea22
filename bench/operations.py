"""Counts DynamoDB requests (at the moto server) and consumed capacity per API operation,
times warm API requests beside the raw boto3 calls they make, and measures cold import time of
`app.py` beside `import boto3` plus one client, all in the same run.

Run: `make bench` (starts its own serialized moto server on a free port; no AWS account).
Writes bench/results.md and prints it. moto reports consumed capacity the way DynamoDB
documents it for on-demand tables, but it is an emulation: treat the units as indicative and
the request counts as exact.
"""
from __future__ import annotations

import copy
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator

from bench.results import RESULTS, load

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cold_import(statement: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    samples = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                                    capture_output=True, text=True, check=True).stdout)
               for _ in range(runs)]
    return statistics.median(samples)


class Calls(list):
    """(operation, capacity units) per request as the client saw them; `server`: the requests
    the moto server counted by operation over the same span (failed ones included);
    `items_read`: the items its Queries and Scans read (ScannedCount), as the server counted."""
    server: Counter
    items_read: int | None = None


class ServerCounts:
    """The moto server's own count of DynamoDB requests (local/moto_server.py)."""

    def __init__(self, endpoint: str) -> None:
        from local.moto_server import ITEMS_READ_PATH, REQUESTS_PATH
        self.url = endpoint + REQUESTS_PATH
        self.items_url = endpoint + ITEMS_READ_PATH

    def take(self, url: str | None = None) -> Counter:
        """The counts since the last take, and start again."""
        request = urllib.request.Request(url or self.url, method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as response:
            return Counter(json.loads(response.read()))

    def take_items_read(self) -> int:
        """Items read by Queries and Scans since the last take (every table and index)."""
        return sum(self.take(self.items_url).values())


class DynamoCalls:
    """Wraps PynamoDB's dispatch to record every DynamoDB request (failed ones too), its
    consumed capacity and its parameters (`sent`, replayed raw by the timing runs)."""

    def __init__(self, server: ServerCounts | None = None, record_sent: bool = True) -> None:
        from pynamodb.connection.base import Connection
        self.calls: list[tuple[str, float]] = []
        self.sent: list[tuple[str, str, dict]] = []  # (service, operation, parameters)
        self.server = server
        original = Connection.dispatch
        recorder = self

        def dispatch(conn, operation_name, operation_kwargs):
            try:
                data = original(conn, operation_name, operation_kwargs)
            except Exception:
                recorder.calls.append((operation_name, 0.0))
                raise
            capacity = (data or {}).get("ConsumedCapacity")
            units = sum(c.get("CapacityUnits", 0) for c in capacity) if isinstance(capacity, list) \
                else (capacity or {}).get("CapacityUnits", 0)
            if operation_name == "TransactWriteItems" and not units:
                # moto reports no capacity for transactions; DynamoDB charges 2 write request
                # units per item up to 1 KB, so count that (every item here is under 1 KB).
                units = 2 * len(operation_kwargs.get("TransactItems", []))
            recorder.calls.append((operation_name, float(units or 0)))
            return data

        Connection.dispatch = dispatch
        if not record_sent:  # bench.jobs: thousands of slot writes nobody replays
            return

        from botocore.client import BaseClient
        make_api_call = BaseClient._make_api_call

        def api_call(client, operation_name, api_params):
            recorder.sent.append((client.meta.service_model.service_name, operation_name,
                                  copy.deepcopy(api_params)))
            return make_api_call(client, operation_name, api_params)

        BaseClient._make_api_call = api_call

    def measure(self, fn):
        self.calls.clear()
        self.sent.clear()
        if self.server:
            self.server.take()
            self.server.take_items_read()
        result = fn()
        measured = Calls(self.calls)
        measured.server = self.server.take() if self.server else Counter(
            op for op, _ in self.calls)
        if self.server:
            measured.items_read = self.server.take_items_read()
        return result, measured


@contextmanager
def moto_server(port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """The local moto server (`local/moto_server.py`) on `port`, ready, stopped afterwards."""
    server = subprocess.Popen([sys.executable, "-m", "local.moto_server", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                # The cheap readiness probe: data.json serializes every item.
                urllib.request.urlopen(f"{endpoint}/infopass/sent-mail.json", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    moto_port = free_port()
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
                       "RESOURCE_PREFIX": "infopass-bench", "STAGE": "bench",
                       "MIN_INTERVAL_DAYS": "0",
                       # The timing runs book far more than one client may in a window.
                       "BOOKING_CLIENT_LIMIT": "100000"})
    with moto_server(moto_port) as endpoint:
        rows = run_operations(endpoint)
    app_import = cold_import("import app")
    boto_import = cold_import("import boto3; boto3.client('sqs')")
    report = render(rows, app_import, boto_import)
    RESULTS.write_text(report)
    print(report)


def run_operations(endpoint: str) -> list[tuple[str, list[tuple[str, float]]]]:
    sys.path.insert(0, str(ROOT))
    from chalice.test import Client

    from app import app
    from chalicelib import wiring
    from local import provision

    wiring.rewire()
    urls = provision.provision(seed=False)
    os.environ["NOTICES_QUEUE_URL"] = urls["notices"]
    wiring.rewire()
    wiring.booking_service().generate_slots(["boston"])
    calls = DynamoCalls(ServerCounts(endpoint))
    rows = []
    with Client(app, stage_name="bench") as client:
        def call(method, path, body=None, headers=None):
            response = getattr(client.http, method)(
                path, body=json.dumps(body).encode() if body else b"",
                headers={"Content-Type": "application/json", **(headers or {})})
            assert response.status_code < 300, (path, response.status_code, response.body)
            return json.loads(response.body) if response.body else None

        from chalicelib.booking import offices
        offices.refresh()
        _, c = calls.measure(lambda: call("get", "/v1/offices?zip=02108&limit=5"))
        rows.append(("offices by ZIP, first read in a container (or past the cache TTL)", c))
        _, c = calls.measure(lambda: call("get", "/v1/offices?zip=02108&limit=5"))
        rows.append(("offices by ZIP, cached", c))
        _, c = calls.measure(lambda: call("get", "/v1/offices/boston"))
        rows.append(("one office, cached", c))
        slots, c = calls.measure(lambda: call("get", "/v1/offices/boston/slots"))
        rows.append(("availability (14 days)", c))
        rows += listing_rows(call, calls)
        later = [s for s in slots["slots"]
                 if datetime.fromisoformat(s["start"]) > datetime.now().astimezone() + timedelta(days=3)]
        person = {"first_name": "Bench", "last_name": "Mark", "date_of_birth": "1970-01-01",
                  "email": "bench@example.org", "phone": "617-555-0100",
                  "address": {"line1": "1 Main", "city": "Boston", "state": "MA", "zip": "02108"}}
        body = {"slot_id": later[0]["slot_id"], "applicant": person,
                "reason": {"category": "case_inquiry"}, "language": "en", "contact_method": "email"}
        booked, c = calls.measure(lambda: call("post", "/v1/appointments", body))
        rows.append(("book", c))
        keyed = {**body, "slot_id": later[4]["slot_id"],
                 "applicant": {**person, "first_name": "Keyed", "email": "keyed@example.org",
                               "phone": "617-555-0101"}}
        _, c = calls.measure(lambda: call("post", "/v1/appointments", keyed,
                                          {"Idempotency-Key": "bench-1"}))
        rows.append(("book with Idempotency-Key", c))
        _, c = calls.measure(lambda: call("post", "/v1/appointments", keyed,
                                          {"Idempotency-Key": "bench-1"}))
        rows.append(("book with Idempotency-Key, replayed", c))
        cn = booked["confirmation_number"]
        from chalicelib.notices.events import NoticeEvent
        _, c = calls.measure(lambda: wiring.notice_service().handle(NoticeEvent(
            "booking_confirmation", "appointment", cn.replace("-", ""), 1)))
        rows.append(("notices consumer, one booking confirmation (email)", c))
        proof = {"last_name": "Mark", "date_of_birth": "1970-01-01"}
        _, c = calls.measure(lambda: call("post", f"/v1/appointments/{cn}/lookup", proof))
        rows.append(("lookup", c))
        _, c = calls.measure(lambda: call("post", f"/v1/appointments/{cn}/reschedule",
                                          {**proof, "slot_id": later[1]["slot_id"]}))
        rows.append(("reschedule", c))
        _, c = calls.measure(lambda: call("post", f"/v1/appointments/{cn}/cancel", proof))
        rows.append(("cancel", c))
        # Holds (issue 13): hold, extend, give back; hold then book with it (the conversion).
        held, c = calls.measure(lambda: call("post", "/v1/holds",
                                             {"slot_id": later[2]["slot_id"]}))
        rows.append(("hold", c))
        _, c = calls.measure(lambda: call("post", f"/v1/holds/{held['hold_id']}/extend"))
        rows.append(("extend a hold", c))
        _, c = calls.measure(lambda: call("delete", f"/v1/holds/{held['hold_id']}"))
        rows.append(("give a hold back", c))
        held = call("post", "/v1/holds", {"slot_id": later[2]["slot_id"]})
        _, c = calls.measure(lambda: call("post", "/v1/appointments",
                                          {**body, "slot_id": later[2]["slot_id"],
                                           "hold_id": held["hold_id"]}))
        rows.append(("book with a hold (conversion)", c))
        # An expired hold returned by the job (its expiry moved into the past: moto has no
        # clock to wait for).
        from chalicelib.booking.hold_repository import HoldRecord
        from chalicelib.tables import SlotRecord
        expired = call("post", "/v1/holds", {"slot_id": later[3]["slot_id"]})
        office, start = later[3]["slot_id"].split(".")
        start = datetime.strptime(start, "%Y%m%dT%H%MZ").strftime("%Y-%m-%dT%H:%M:%SZ")
        HoldRecord(expired["hold_id"]).update(actions=[HoldRecord.expires_at.set(1)])
        SlotRecord(office, start).update(actions=[SlotRecord.holds[expired["hold_id"]].set(1)])
        _, c = calls.measure(lambda: wiring.hold_service().return_expired())
        rows.append(("return_expired_holds run, one expired hold", c))
        wiring.booking_service().generate_slots(["houston"])
        released, c = calls.measure(lambda: wiring.reserved_seat_release().run(["houston"]))
        rows.append((f"release_reserved_seats run, one office ({released['slots']} slots "
                     f"inside 48 h)", c))
        _, c = calls.measure(lambda: wiring.reserved_seat_release().run(["houston"]))
        rows.append(("release_reserved_seats run, one office, nothing left to release", c))
        rows += waitlist_rows(call, calls)
        global WARM_TIMES
        WARM_TIMES = warm_times(call, calls, endpoint)
    global DIRECTORY_TIMES
    DIRECTORY_TIMES = directory_times()
    return rows


LISTING_OFFICE = "denver"


def listing_rows(call, calls) -> list[tuple[str, list[tuple[str, float]]]]:
    """Issue 14's availability at an office booked out but for its last 3 slots (the state its
    bookings leave: a booking takes its seat and leaves the slot listed), before and after the
    `unlist_booked_out_slots` job, and the job at every office."""
    from chalicelib import wiring
    from chalicelib.booking import offices
    from chalicelib.booking.schedule import slot_id
    from chalicelib.tables import SlotRecord

    office = LISTING_OFFICE
    wiring.booking_service().generate_slots([office])
    kept = [s["slot_id"] for s in call("get", f"/v1/offices/{office}/slots")["slots"][-3:]]
    full = 0
    for record in SlotRecord.query(office):
        start = datetime.fromisoformat(record.start.replace("Z", "+00:00"))
        if slot_id(office, start) not in kept:
            record.update(actions=[SlotRecord.available.set(0)])
            full += 1
    rows = []
    shown, c = calls.measure(lambda: call("get", f"/v1/offices/{office}/slots"))
    assert len(shown["slots"]) == 3, shown
    rows.append((f"availability, {full} of {full + 3} slots booked out since the unlist job "
                 "last ran", c))
    count = len(offices.all_offices())
    _, c = calls.measure(lambda: wiring.booked_out_unlisting().run())
    rows.append((f"unlist_booked_out_slots run, {full} booked-out slots ({count} offices)", c))
    _, c = calls.measure(lambda: call("get", f"/v1/offices/{office}/slots"))
    rows.append((f"availability, {full} of {full + 3} slots booked out, after the unlist job", c))
    _, c = calls.measure(lambda: wiring.booked_out_unlisting().run())
    rows.append((f"unlist_booked_out_slots run, nothing to unlist ({count} offices)", c))
    offices.refresh()  # the directory freshly cached, as before these rows, for the book row
    offices.all_offices()
    return rows


def waitlist_rows(call, calls) -> list[tuple[str, list[tuple[str, float]]]]:
    """Issue 13's waitlist at one office with a day that is full: join, status (third in line),
    a cancellation that offers its seat to the first person waiting, accepting that offer, and
    the move_waitlist_on job (every office) passing a lapsed offer on, and with nothing to do."""
    from chalicelib import wiring
    from chalicelib.booking import offices
    from chalicelib.booking.hold_repository import HoldRecord
    from chalicelib.booking.schedule import parse_slot_id
    from chalicelib.tables import SlotRecord
    from chalicelib.waitlist.repository import WaitlistRecord

    office = "boise"
    wiring.booking_service().generate_slots([office])
    days = [datetime.now().date() + timedelta(days=n) for n in range(3, 14)]
    day, listed = next((d, ls) for d in days if (ls := call(
        "get", f"/v1/offices/{office}/slots?from={d}&to={d}")["slots"]))
    for n, s in enumerate(listed):  # the day full but for one seat in its first slot
        _, start = parse_slot_id(s["slot_id"])
        seats = 1 if n == 0 else 0
        SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
            actions=[SlotRecord.capacity.set(seats), SlotRecord.available.set(seats)])
    slot_id = listed[0]["slot_id"]

    def person(n):
        return {"first_name": f"Wait{chr(65 + n)}", "last_name": "Bench",
                "date_of_birth": "1971-02-03", "email": f"wait{n}@example.org",
                "phone": f"208-555-{3200 + n:04d}",
                "address": {"line1": "1 Main", "city": "Boise", "state": "ID", "zip": "83709"}}

    proof = {"last_name": "Bench", "date_of_birth": "1971-02-03"}
    booked = call("post", "/v1/appointments", {
        "slot_id": slot_id, "applicant": person(0), "reason": {"category": "case_inquiry"},
        "language": "en", "contact_method": "email"})
    rows, waiting = [], []
    for n in (1, 2, 3):
        joined, c = calls.measure(lambda: call("post", "/v1/waitlist", {
            "office_id": office, "from": day.isoformat(), "to": day.isoformat(),
            "applicant": person(n), "language": "en", "contact_method": "email"}))
        waiting.append(joined["waitlist_id"])
        if n == 1:
            rows.append(("waitlist join, no seat free in the range (first in line)", c))
    first, second, _ = waiting
    _, c = calls.measure(lambda: call("post", f"/v1/waitlist/{waiting[2]}/status", proof))
    rows.append(("waitlist status, third in line (position counted)", c))
    cn = booked["confirmation_number"]
    _, c = calls.measure(lambda: call("post", f"/v1/appointments/{cn}/cancel", proof))
    rows.append(("cancel that offers its seat to the first person waiting (offer)", c))
    accepted, c = calls.measure(lambda: call("post", f"/v1/waitlist/{first}/accept", proof))
    rows.append(("accept an offer (books the held seat)", c))
    # The seat freed again goes to the second person; that offer lapses unanswered (its expiry
    # moved into the past: there is no clock to wait for) and the job passes it to the third.
    call("post", f"/v1/appointments/{accepted['appointment']['confirmation_number']}/cancel",
         proof)
    offer = WaitlistRecord.get(second, consistent_read=True)
    _, start = parse_slot_id(slot_id)
    WaitlistRecord(second).update(actions=[WaitlistRecord.offer_expires_at.set(1)])
    HoldRecord(offer.offer_hold_id).update(actions=[HoldRecord.expires_at.set(1)])
    SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ")).update(
        actions=[SlotRecord.holds[offer.offer_hold_id].set(1)])
    offices_count = len(offices.all_offices())
    counts, c = calls.measure(lambda: wiring.waitlist_service().move_on())
    assert counts["lapsed"] == 1, counts
    rows.append((f"move_waitlist_on run, one lapsed offer passed to the next person "
                 f"({offices_count} offices)", c))
    _, c = calls.measure(lambda: wiring.waitlist_service().move_on())
    rows.append((f"move_waitlist_on run, one offer open, nothing to do ({offices_count} offices)",
                 c))
    for n in (4, 5, 6):
        call("post", "/v1/waitlist", {
            "office_id": office, "from": day.isoformat(), "to": day.isoformat(),
            "applicant": person(n), "language": "en", "contact_method": "email"})
    _, c = calls.measure(lambda: wiring.waitlist_service().move_on())
    rows.append((f"move_waitlist_on run, three waiting at one office, no seat free for them "
                 f"({offices_count} offices)", c))
    return rows


DIRECTORY_TIMES: dict[str, float] = {}
WARM_TIMES: dict[str, tuple[list[float], list[float]]] = {}
TIMING_OFFICE = "chicago"  # 8 seats a slot: the API's visit and its raw replay share slots
TIMING_RUNS = 40


class RawReplay:
    """The AWS requests an API operation made (DynamoDB, and SQS for its notice), sent again
    through plain boto3 clients (default configuration) to the same moto server: the floor the
    API is compared with.

    Writes cannot be replayed as they were (their conditions now fail), so the items of every
    table but slots and offices get keys of their own: a replayed booking books another
    confirmation number for another person in the same slot (one more seat), and the replayed
    lookup, reschedule and cancel then act on that booking under the same conditions."""

    def __init__(self, endpoint: str) -> None:
        import boto3
        from botocore import xform_name

        self.clients = {service: boto3.client(service, endpoint_url=endpoint,
                                              region_name="us-east-1")
                        for service in ("dynamodb", "sqs")}
        self.method = xform_name
        self.renames: dict[str, str] = {}

    def start(self) -> None:
        self.renames = {}

    def _rename(self, kwargs: dict) -> dict:
        for key_map in _keys_in(kwargs):
            for attribute in key_map.values():
                value = attribute.get("S")
                if value and value not in self.renames:
                    self.renames[value] = f"{value}raw"
        text = json.dumps(kwargs)
        for old, new in sorted(self.renames.items(), key=lambda pair: -len(pair[0])):
            text = text.replace(old, new)
        return json.loads(text)

    def prepare(self, sent: list[tuple[str, str, dict]]) -> list[tuple[str, str, dict]]:
        return [(service, op, self._rename(kwargs) if service == "dynamodb" else kwargs)
                for service, op, kwargs in sent]

    def send(self, prepared: list[tuple[str, str, dict]]) -> None:
        from botocore.exceptions import ClientError

        for service, op, kwargs in prepared:
            try:
                getattr(self.clients[service], self.method(op))(**kwargs)
            except ClientError:
                pass  # a condition that failed for the API fails here too


def _keys_in(kwargs: dict):
    """The keys of items outside the slots and offices tables a request names."""
    shared = ("-slots", "-offices")
    if "TransactItems" in kwargs:
        for item in kwargs["TransactItems"]:
            op = next(iter(item.values()))
            if not op["TableName"].endswith(shared):
                yield op.get("Key") or _key_of(op["TableName"], op["Item"])
    elif "Key" in kwargs and not kwargs.get("TableName", "").endswith(shared):
        yield kwargs["Key"]


def _key_of(table_name: str, item: dict) -> dict:
    from chalicelib import tables

    model = next(m for m in tables.all_tables() if m.Meta.table_name == table_name)
    names = [a.attr_name for a in model.get_attributes().values() if a.is_hash_key or a.is_range_key]
    return {n: item[n] for n in names if n in item}


def warm_times(call, calls: DynamoCalls, endpoint: str) -> dict:
    """Warm p50/p95 of availability, book, lookup, reschedule and cancel through the in-process
    API, each beside its own DynamoDB requests replayed raw right after it (same run, same
    server, interleaved so both see the same machine load)."""
    from chalicelib import wiring

    wiring.booking_service().generate_slots([TIMING_OFFICE])
    raw = RawReplay(endpoint)
    times: dict[str, tuple[list[float], list[float]]] = {}

    def timed(name, fn, replay=True):
        calls.sent.clear()
        t = time.perf_counter()
        result = fn()
        api = time.perf_counter() - t
        prepared = raw.prepare(list(calls.sent))
        t = time.perf_counter()
        if replay:
            raw.send(prepared)
        times.setdefault(name, ([], []))
        times[name][0].append(api)
        times[name][1].append(time.perf_counter() - t)
        return result

    slots = call("get", f"/v1/offices/{TIMING_OFFICE}/slots")["slots"]
    # Past the 24-hour change cutoff, so every booking can be moved and cancelled online.
    chosen = [s for s in slots if s["available"] >= 4 and datetime.fromisoformat(s["start"])
              > datetime.now().astimezone() + timedelta(days=2)]
    proof = {"last_name": "Timing", "date_of_birth": "1970-01-01"}
    for n in range(TIMING_RUNS):
        raw.start()
        first, second = chosen[2 * n]["slot_id"], chosen[2 * n + 1]["slot_id"]
        applicant = {"first_name": "Run" + "".join(chr(65 + int(d)) for d in f"{n:03d}"),
                     **proof, "email": f"run{n}@example.org", "phone": f"617-555-{n:04d}",
                     "address": {"line1": "1 Main", "city": "Chicago", "state": "IL",
                                 "zip": "60601"}}
        timed("availability (14 days)", lambda: call("get", f"/v1/offices/{TIMING_OFFICE}/slots"))
        cn = timed("book", lambda: call("post", "/v1/appointments", {
            "slot_id": first, "applicant": applicant, "reason": {"category": "case_inquiry"},
            "language": "en", "contact_method": "email"}))["confirmation_number"]
        timed("lookup", lambda: call("post", f"/v1/appointments/{cn}/lookup", proof))
        timed("reschedule", lambda: call("post", f"/v1/appointments/{cn}/reschedule",
                                         {**proof, "slot_id": second}))
        timed("cancel", lambda: call("post", f"/v1/appointments/{cn}/cancel", proof))
    return times


def directory_times(runs: int = 7) -> dict[str, float]:
    """Seconds per directory read: loading every office from the table (a cold container, or the
    TTL passed), a cached read, and the one consistent read a booking makes for the mode."""
    from chalicelib.booking import offices

    def timed(fn) -> float:
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    def cold():
        offices.refresh()
        offices.all_offices()

    offices.all_offices()
    return {"load all offices (Scan)": timed(cold), "cached read": timed(offices.all_offices),
            "fresh read of one office (GetItem)": timed(lambda: offices.get("boston", fresh=True))}


def render(rows, app_import: float, boto_import: float) -> str:
    lines = ["# Benchmark results", "",
             f"Measured {datetime.now().strftime('%Y-%m-%d')} with `make bench` "
             "(moto server, one request at a time).", "",
             "Capacity: reads as moto reports them (eventually consistent GetItem = 0.5 RRU); "
             "transactions at DynamoDB's documented 2 WRU per item (moto reports none).", "",
             f"Machine load at the end of the run (1, 5, 15 min): {load()}.", "",
             "Requests are counted by the moto server (failed conditional requests included); "
             "capacity as the client saw it.", "",
             "Items read: what the moto server's Queries and Scans read (their ScannedCount, "
             "filtered out or not: what DynamoDB bills a Query for).", "",
             "| operation | DynamoDB requests | by kind | consumed capacity units | items read |",
             "|---|---|---|---|---|"]
    for name, calls in rows:
        kinds = getattr(calls, "server", None) or Counter(op for op, _ in calls)
        by_kind = ", ".join(f"{op} x{n}" for op, n in sorted(kinds.items())) or "none"
        items = getattr(calls, "items_read", None)
        lines.append(f"| {name} | {sum(kinds.values())} | {by_kind} | "
                     f"{sum(u for _, u in calls):g} | {'' if items is None else items} |")
    if WARM_TIMES:
        lines += ["", f"Warm requests, milliseconds ({TIMING_RUNS} runs each, interleaved): the "
                  "in-process API (chalice.test.Client) beside the same AWS requests (DynamoDB, "
                  "and SQS for notices) sent through plain boto3 clients to the same moto server "
                  "right after it. `API - raw` is the median of the per-run differences: the "
                  "time spent in the app itself.", "",
                  "| operation | API p50 | raw p50 | p50 ratio | API p95 | raw p95 | p95 ratio "
                  "| API - raw, median |",
                  "|---|---|---|---|---|---|---|---|"]
        for name, (api, raw) in WARM_TIMES.items():
            a50, r50, a95, r95 = (_percentile(api, 50), _percentile(raw, 50),
                                  _percentile(api, 95), _percentile(raw, 95))
            own = statistics.median(a - r for a, r in zip(api, raw))
            lines.append(f"| {name} | {a50 * 1000:.1f} | {r50 * 1000:.1f} | {a50 / r50:.2f}x | "
                         f"{a95 * 1000:.1f} | {r95 * 1000:.1f} | {a95 / r95:.2f}x | "
                         f"{own * 1000:.1f} |")
    if DIRECTORY_TIMES:
        lines += ["", "Office directory (offices as data, per-container cache, "
                  "OFFICES_CACHE_SECONDS): median of 7, against the local moto server.", "",
                  "| directory read | milliseconds |", "|---|---|"]
        lines += [f"| {name} | {seconds * 1000:.3f} |" for name, seconds in DIRECTORY_TIMES.items()]
    lines += ["", "| cold import (fresh interpreter, median of 7) | seconds |", "|---|---|",
              f"| `import app` | {app_import:.3f} |",
              f"| `import boto3` + one client | {boto_import:.3f} |", ""]
    return "\n".join(lines)


def _percentile(samples: list[float], p: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


if __name__ == "__main__":
    main()
