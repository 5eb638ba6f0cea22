"""Holds on the real local stack over HTTP: more people than seats race to hold one slot on real
threads and exactly its free seats are held; each holder books with the hold (no second seat),
gets the confirmation email, and the slot ends full with every seat counted once."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest
import requests

from local.mail import sent_emails

pytestmark = pytest.mark.e2e

OFFICE = "portland"


def person(n):
    return {"first_name": f"Holder{chr(65 + n)}", "last_name": "Okafor",
            "date_of_birth": "1979-02-03", "email": f"holder{n}@example.org",
            "phone": f"(503) 555-{2100 + n:04d}",
            "address": {"line1": "1455 NW Overton St", "city": "Portland", "state": "OR",
                        "zip": "97209"}}


def test_racing_holds_take_exactly_the_free_seats_and_each_books_its_own(local_stack):
    api, moto = local_stack["api"], local_stack["moto"]
    slots = requests.get(f"{api}/v1/offices/{OFFICE}/slots", timeout=60).json()["slots"]
    slot = next(s for s in slots
                if datetime.fromisoformat(s["start"]) > datetime.now().astimezone()
                + timedelta(days=3))
    seats, racers = slot["available"], slot["available"] + 5
    barrier = threading.Barrier(racers)
    answers: list[requests.Response] = []

    def hold():
        barrier.wait()
        answers.append(requests.post(f"{api}/v1/holds", json={"slot_id": slot["slot_id"]},
                                     timeout=120))

    threads = [threading.Thread(target=hold) for _ in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    held = [a.json() for a in answers if a.status_code == 201]
    refused = [a.json()["code"] for a in answers if a.status_code != 201]
    assert len(held) == seats, refused
    assert refused == ["slot_unavailable"] * 5
    listed = requests.get(f"{api}/v1/offices/{OFFICE}/slots", timeout=60).json()["slots"]
    assert slot["slot_id"] not in {s["slot_id"] for s in listed}  # all held: none offered
    for n, h in enumerate(held):
        response = requests.post(f"{api}/v1/appointments", timeout=120, json={
            "slot_id": slot["slot_id"], "applicant": person(n), "hold_id": h["hold_id"],
            "reason": {"category": "case_inquiry"}, "language": "en",
            "contact_method": "email"})
        assert response.status_code == 201, response.text
    again = requests.post(f"{api}/v1/appointments", timeout=120, json={
        "slot_id": slot["slot_id"], "applicant": person(seats), "hold_id": held[0]["hold_id"],
        "reason": {"category": "case_inquiry"}, "language": "en", "contact_method": "email"})
    assert again.status_code == 409 and again.json()["code"] == "hold_already_used"
    after = requests.get(f"{api}/v1/offices/{OFFICE}/slots", timeout=60).json()["slots"]
    assert slot["slot_id"] not in {s["slot_id"] for s in after}  # booked full, nothing freed
    wanted = {f"holder{n}@example.org" for n in range(seats)}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if wanted <= {m["to"] for m in sent_emails(moto)}:
            break
        time.sleep(3)
    else:
        pytest.fail("the booking confirmations did not arrive")
