"""One home region per office (issue 16), through two local regions (tests/e2e/regions.py):
the same seat booked through both APIs is sold by its home only, and an office moved between
regions while bookings arrive loses none and sells no seat twice."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from tests.e2e.regions import EAST, WEST, TwoRegions
from tests.e2e.test_booking_races import booking, race

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HOME_EAST, HOME_WEST = "chicago", "seattle"  # their homes in offices.json
LOST_WITH_WEST = "denver"  # a west office for the failover test (seattle moves east earlier)
CACHE_SECONDS = 2  # each API's offices cache (OFFICES_CACHE_SECONDS)


@pytest.fixture(scope="module")
def regions():
    two = TwoRegions(offices=(HOME_EAST, HOME_WEST, LOST_WITH_WEST),
                     extra_env={"OFFICES_CACHE_SECONDS": str(CACHE_SECONDS)})
    try:
        yield two.start()
    finally:
        two.stop()


def person(n: int, prefix: str) -> dict:
    first = prefix + "".join(chr(97 + (n // 26 ** i) % 26) for i in range(3))
    return {"first_name": first, "last_name": "Okafor", "date_of_birth": "1975-03-04",
            "email": f"{first.lower()}@example.org", "phone": f"206-555-{1000 + n:04d}",
            "address": {"line1": "3 Pine St", "city": "Seattle", "state": "WA", "zip": "98101"}}


def open_slots(region, office: str) -> list[dict]:
    answer = requests.get(f"{region.api}/v1/offices/{office}/slots", timeout=60)
    assert answer.status_code == 200, answer.text
    later = datetime.now(timezone.utc) + timedelta(days=2)
    return [s for s in answer.json()["slots"] if datetime.fromisoformat(s["start"]) > later]


def booked(region, office: str) -> Counter:
    """Booked appointments per slot in the region's own table."""
    items = region.table("appointments").scan()["Items"]
    return Counter(i["slot_id"] for i in items
                   if i["office_id"] == office and i["status"] == "booked")


def test_the_same_seat_through_both_apis_is_sold_by_its_home_region_only(regions):
    east, west = regions[EAST], regions[WEST]
    slot = open_slots(east, HOME_EAST)[0]
    seats = slot["available"]
    attempts = 2 * seats + 4
    answers = race([lambda n=n: requests.post(
        f"{(east if n % 2 else west).api}/v1/appointments",
        json=booking(slot["slot_id"], person(n, "Seat")), timeout=120) for n in range(attempts)])

    from_west = [a for n, a in enumerate(answers) if n % 2 == 0]
    assert {a.status_code for a in from_west} == {421}
    assert {a.json()["home_base_url"] for a in from_west} == {east.api}
    from_east = Counter(a.status_code for n, a in enumerate(answers) if n % 2)
    assert from_east[201] == min(seats, attempts // 2) and set(from_east) <= {201, 409}
    assert booked(east, HOME_EAST)[slot["slot_id"]] == from_east[201] <= slot["available"]
    assert booked(west, HOME_EAST) == Counter()  # the west never sold the east's seat
    listed = requests.get(f"{west.api}/v1/offices/{HOME_EAST}/slots", timeout=60)
    assert listed.status_code == 421 and "slots" not in listed.json()


def move(regions, office: str, to: str, fence_seconds: float) -> subprocess.CompletedProcess:
    east, west = regions[EAST], regions[WEST]
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.offices.move", office, "--to", to,
         "--region", EAST, "--region", WEST,
         "--endpoint", f"{EAST}={east.moto}", "--endpoint", f"{WEST}={west.moto}",
         "--prefix", f"{EAST}={east.env['RESOURCE_PREFIX']}",
         "--prefix", f"{WEST}={west.env['RESOURCE_PREFIX']}",
         "--fence-seconds", str(fence_seconds), "--copy",
         "--claims-table", east.env["CLAIMS_TABLE"],
         "--claims-endpoint", east.env["CLAIMS_ENDPOINT_URL"]],
        cwd=ROOT, env=east.env, capture_output=True, text=True, timeout=300)


def test_an_office_moved_while_bookings_arrive_loses_none_and_sells_no_seat_twice(regions):
    east, west = regions[EAST], regions[WEST]
    slots = open_slots(west, HOME_WEST)[:12]
    capacity = {s["slot_id"]: s["available"] for s in slots}
    stop = threading.Event()
    results: list[tuple[str, int, dict]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        n = 0
        while not stop.is_set():
            region = (east, west)[(k + n) % 2]  # a client that has not heard of the move
            slot = slots[(k * 7 + n) % len(slots)]
            answer = requests.post(f"{region.api}/v1/appointments",
                                   json=booking(slot["slot_id"], person(k * 200 + n, "Mov")),
                                   timeout=120)
            with lock:
                results.append((region.name, answer.status_code, answer.json()))
            n += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    moved = move(regions, HOME_WEST, EAST, fence_seconds=CACHE_SECONDS + 3)
    time.sleep(2 * CACHE_SECONDS + 2)
    stop.set()
    for t in threads:
        t.join()
    assert moved.returncode == 0, moved.stderr

    created = [(region, body["confirmation_number"]) for region, status, body in results
               if status == 201]
    statuses = Counter((region, status) for region, status, _ in results)
    assert {status for _, status in statuses} <= {201, 409, 421, 503}, statuses
    assert statuses[(WEST, 201)] and statuses[(EAST, 201)], statuses  # before and after
    assert any(status == 503 for _, status in statuses), statuses  # the fence was seen
    # Nothing lost: every booking either region confirmed is in the new home's table.
    in_east = {i["confirmation_number"] for i in east.table("appointments").scan()["Items"]
               if i["office_id"] == HOME_WEST and i["status"] == "booked"}
    assert {cn.replace("-", "") for _, cn in created} <= in_east
    # No seat sold twice: per slot, what the new home holds is within the slot's seats.
    per_slot = booked(east, HOME_WEST)
    assert all(per_slot[slot_id] <= capacity[slot_id] for slot_id in capacity), per_slot
    assert sum(per_slot.values()) == len(created)
    # The claims of the office's visits name the new home, where they are kept now (those booked
    # at the west before the move included), so a 409 elsewhere sends the person there.
    report = json.loads(moved.stdout)
    assert report["claims_rehomed"] >= 1, report
    claims = [c for c in regions.claims().scan(ConsistentRead=True)["Items"]
              if c.get("office_id") == HOME_WEST and c["state"] == "active"]
    assert claims and {c["region"] for c in claims} == {EAST}
    # After the move the old home refuses and names the new one.
    after = requests.get(f"{west.api}/v1/offices/{HOME_WEST}/slots", timeout=60)
    assert after.status_code == 421 and after.json()["home_base_url"] == east.api
    assert requests.get(f"{east.api}/v1/offices/{HOME_WEST}/slots", timeout=60).status_code == 200


def failover(regions, lost: str, to: str) -> subprocess.CompletedProcess:
    survivor = regions[to]
    return subprocess.run(
        [sys.executable, "-m", "chalicelib.offices.move", "--failover", lost, "--to", to,
         "--region", to, "--endpoint", f"{to}={survivor.moto}",
         "--prefix", f"{to}={survivor.env['RESOURCE_PREFIX']}",
         "--claims-table", survivor.env["CLAIMS_TABLE"],
         "--claims-endpoint", survivor.env["CLAIMS_ENDPOINT_URL"],
         "--fence-seconds", "1"],
        cwd=ROOT, env={**survivor.env, "AWS_REGION": survivor.env["CLAIMS_REGION"]},
        capture_output=True, text=True, timeout=300)


def test_a_region_lost_with_a_booking_not_yet_replicated_never_sells_that_seat_again(regions):
    """The east takes over the west's offices from its replica, which lacks the west's last
    booking (replication lag); that booking's claim keeps its seat."""
    from local.replicate import copy_office
    from chalicelib.offices.placement_store import RegionTables

    east, west = regions[EAST], regions[WEST]
    office = LOST_WITH_WEST
    slot = open_slots(west, office)[-1]
    seats = slot["available"]
    first = requests.post(f"{west.api}/v1/appointments",
                          json=booking(slot["slot_id"], person(900, "Rep")), timeout=120)
    assert first.status_code == 201, first.text
    # Replication brings the east everything up to now...
    copy_office(office, RegionTables(WEST, west.env["RESOURCE_PREFIX"], west.moto),
                RegionTables(EAST, east.env["RESOURCE_PREFIX"], east.moto))
    # ...but not the west's last booking before it is lost.
    late = requests.post(f"{west.api}/v1/appointments",
                         json=booking(slot["slot_id"], person(901, "Rep")), timeout=120)
    assert late.status_code == 201, late.text

    done = failover(regions, WEST, EAST)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    late_cn = late.json()["confirmation_number"].replace("-", "")
    assert late_cn in report["seats_kept"] and report["without_seat"] == []
    assert office in report["offices"]

    time.sleep(CACHE_SECONDS + 1)
    # The east serves the office now, with the late booking's seat kept.
    listed = {s["slot_id"]: s["available"] for s in open_slots(east, office)}
    assert listed[slot["slot_id"]] == seats - 2
    answers = [requests.post(f"{east.api}/v1/appointments",
                             json=booking(slot["slot_id"], person(910 + n, "Rep")), timeout=120)
               for n in range(seats)]
    assert Counter(a.status_code for a in answers) == Counter({201: seats - 2, 409: 2})
    # The late booking's person still holds their one appointment nationwide.
    again = requests.post(f"{east.api}/v1/appointments",
                          json=booking(open_slots(east, office)[0]["slot_id"], person(901, "Rep")),
                          timeout=120)
    assert again.status_code == 409, again.text
    assert (again.json()["code"], again.json()["region"]) == ("appointment_in_other_region", WEST)
