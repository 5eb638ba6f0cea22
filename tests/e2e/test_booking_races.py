"""Real threads racing real HTTP requests against the local stack (chalice local + moto
serving one request at a time, as DynamoDB executes each request atomically)."""
from __future__ import annotations

import json
import threading
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests

pytestmark = pytest.mark.e2e

OFFICE = "chicago"  # self-service, capacity 8 per slot


def person(n: int, first: str | None = None) -> dict:
    """An invented person with an email address and a phone number of their own (at most
    MAX_ACTIVE_PER_CONTACT upcoming appointments may share one; that race is tested apart)."""
    name = first or f"Racer{chr(65 + n // 26)}{chr(65 + n % 26)}"
    return {"first_name": name, "last_name": "Okafor",
            "date_of_birth": "1990-02-03", "email": f"{name.lower()}@example.org",
            "phone": f"312-555-{zlib.crc32(name.encode()) % 10000:04d}",
            "address": {"line1": "2 Lake St", "city": "Chicago", "state": "IL", "zip": "60601"}}


def booking(slot_id: str, applicant: dict) -> dict:
    return {"slot_id": slot_id, "applicant": applicant, "reason": {"category": "case_inquiry"},
            "language": "en", "contact_method": "email"}


def race(calls):
    """Start every call at the same instant and return their responses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture(scope="module")
def slots(local_stack):
    response = requests.get(f"{local_stack['api']}/v1/offices/{OFFICE}/slots", timeout=30)
    assert response.status_code == 200
    later = datetime.now(timezone.utc) + timedelta(days=2)
    # Distinct, untouched slots for each test, well past the change cutoff.
    return iter([s for s in response.json()["slots"] if datetime.fromisoformat(s["start"]) > later])


def seats_left(local_stack, slot_id: str) -> int:
    office, _, stamp = slot_id.rpartition(".")
    start = datetime.strptime(stamp, "%Y%m%dT%H%MZ").strftime("%Y-%m-%dT%H:%M:00Z")
    table = boto3.resource("dynamodb", endpoint_url=local_stack["moto"]).Table("infopass-local-slots")
    return int(table.get_item(Key={"office_id": office, "start": start})["Item"]["available"])


def booked_on(local_stack, slot_id: str) -> int:
    table = boto3.resource("dynamodb", endpoint_url=local_stack["moto"]).Table("infopass-local-appointments")
    items = table.scan()["Items"]
    return sum(1 for i in items if i["slot_id"] == slot_id and i["status"] == "booked")


def test_fifty_people_racing_for_one_slot_get_exactly_its_capacity(local_stack, slots):
    slot = next(slots)
    capacity = slot["available"]
    url = f"{local_stack['api']}/v1/appointments"
    responses = race([lambda n=n: requests.post(url, json=booking(slot["slot_id"], person(n)), timeout=120)
                      for n in range(50)])
    outcomes = Counter(r.status_code for r in responses)
    assert outcomes[201] == capacity
    assert outcomes[409] == 50 - capacity
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_unavailable"}
    assert seats_left(local_stack, slot["slot_id"]) == 0
    assert booked_on(local_stack, slot["slot_id"]) == capacity


def test_one_person_racing_for_ten_slots_gets_exactly_one(local_stack, slots):
    targets = [next(slots) for _ in range(10)]
    url = f"{local_stack['api']}/v1/appointments"
    me = person(0, first="Solo")
    responses = race([lambda s=s: requests.post(url, json=booking(s["slot_id"], me), timeout=120)
                      for s in targets])
    assert Counter(r.status_code for r in responses) == {201: 1, 409: 9}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_booked"}
    taken = [s for s in targets if seats_left(local_stack, s["slot_id"]) == s["available"] - 1]
    assert len(taken) == 1


def test_the_same_idempotency_key_sent_ten_times_at_once_books_once(local_stack, slots):
    slot = next(slots)
    url = f"{local_stack['api']}/v1/appointments"
    body = booking(slot["slot_id"], person(0, first="Retry"))
    responses = race([lambda: requests.post(url, json=body, headers={"Idempotency-Key": "race-key"},
                                            timeout=120) for _ in range(10)])
    created = [r for r in responses if r.status_code == 201]
    assert created and len({r.json()["confirmation_number"] for r in created}) == 1
    assert all(r.status_code in (201, 409) for r in responses)
    assert seats_left(local_stack, slot["slot_id"]) == slot["available"] - 1


def test_concurrent_reschedules_of_one_appointment_take_exactly_one_new_seat(local_stack, slots):
    start, *targets = [next(slots) for _ in range(9)]
    api = local_stack["api"]
    me = person(0, first="Mover")
    cn = requests.post(f"{api}/v1/appointments", json=booking(start["slot_id"], me), timeout=60).json()["confirmation_number"]
    proof = {"last_name": me["last_name"], "date_of_birth": me["date_of_birth"]}
    responses = race([lambda s=s: requests.post(f"{api}/v1/appointments/{cn}/reschedule",
                                                json={**proof, "slot_id": s["slot_id"]}, timeout=120)
                      for s in targets])
    # A racer that reads after the winner committed legitimately moves the appointment again
    # (from its new slot); what must hold is that only one seat ends up taken.
    assert Counter(r.status_code for r in responses)[200] >= 1
    assert {r.json()["code"] for r in responses if r.status_code != 200} <= {"concurrent_update"}
    taken = [s for s in targets if seats_left(local_stack, s["slot_id"]) == s["available"] - 1]
    assert len(taken) == 1
    assert seats_left(local_stack, start["slot_id"]) == start["available"]
    final = requests.post(f"{api}/v1/appointments/{cn}/lookup", json=proof, timeout=60).json()
    assert final["slot_id"] == taken[0]["slot_id"]


def test_a_cancel_racing_a_reschedule_leaves_seats_consistent(local_stack, slots):
    start, target = next(slots), next(slots)
    api = local_stack["api"]
    me = person(0, first="Torn")
    cn = requests.post(f"{api}/v1/appointments", json=booking(start["slot_id"], me), timeout=60).json()["confirmation_number"]
    proof = {"last_name": me["last_name"], "date_of_birth": me["date_of_birth"]}
    cancel, move = race([
        lambda: requests.post(f"{api}/v1/appointments/{cn}/cancel", json=proof, timeout=60),
        lambda: requests.post(f"{api}/v1/appointments/{cn}/reschedule",
                              json={**proof, "slot_id": target["slot_id"]}, timeout=60)])
    final = requests.post(f"{api}/v1/appointments/{cn}/lookup", json=proof, timeout=60).json()
    assert seats_left(local_stack, start["slot_id"]) == start["available"] - (final["status"] == "booked" and final["slot_id"] == start["slot_id"])
    moved_seat = target["available"] - seats_left(local_stack, target["slot_id"])
    assert moved_seat == (1 if final["status"] == "booked" and final["slot_id"] == target["slot_id"] else 0)
    assert cancel.status_code == 200 or move.status_code == 200


def booked_with(local_stack, field: str, value: str) -> int:
    table = boto3.resource("dynamodb", endpoint_url=local_stack["moto"]).Table("infopass-local-appointments")
    items = table.scan()["Items"]
    return sum(1 for i in items if i["status"] == "booked"
               and (json.loads(i["applicant"]).get(field) or "").lower() == value)


@pytest.mark.parametrize("shared", ["email", "phone"])
def test_people_racing_with_one_email_or_phone_never_pass_the_contact_limit(local_stack, slots,
                                                                            shared):
    targets = [next(slots) for _ in range(10)]
    url = f"{local_stack['api']}/v1/appointments"
    people = [person(n, first=f"Kin{shared.capitalize()}{chr(65 + n)}") for n in range(10)]
    # One address, spelled as people type it: the limit counts the normalized form.
    for n, p in enumerate(people):
        if shared == "email":
            p["email"] = ["Family@Example.org", "family@example.org", "FAMILY@example.ORG"][n % 3]
        else:
            p["phone"] = ["(312) 555-0177", "+1 312 555 0177", "312.555.0177"][n % 3]
    responses = race([lambda s=s, p=p: requests.post(url, json=booking(s["slot_id"], p), timeout=180)
                      for s, p in zip(targets, people)])
    outcomes = Counter(r.status_code for r in responses)
    assert outcomes == {201: 2, 409: 8}, outcomes
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"contact_limit_reached"}
    stored = "family@example.org" if shared == "email" else "+13125550177"  # E.164
    assert booked_with(local_stack, shared, stored) == 2
    taken = [s for s in targets if seats_left(local_stack, s["slot_id"]) == s["available"] - 1]
    assert len(taken) == 2
