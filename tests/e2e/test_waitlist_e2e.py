"""Holds and the waitlist on the real local stack over HTTP (`python -m local.stack`: chalice
local, the worker's jobs and notices consumer, moto's SES): a held seat is booked with its hold;
when that booking is cancelled the first person waiting for the day gets the seat as an offer
and an offer email (read from the local SES view) with the waitlist number and where to accept,
accepts it through the API, and the appointment lookup shows the booking."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from local.mail import sent_emails

pytestmark = pytest.mark.e2e

OFFICE = "boise"  # self-service, 2 seats a slot, no reserve; no other e2e test books here
ZONE = ZoneInfo("America/Boise")
MANAGE_URL = "https://infopass.example.gov/manage"  # the local stack's MANAGE_URL (the default)


def person(first, n):
    return {"first_name": first, "last_name": "Okonkwo", "date_of_birth": "1983-09-14",
            "email": f"{first.lower()}.waits@example.org", "phone": f"(208) 555-{3100 + n:04d}",
            "address": {"line1": "1185 S Vinnell Way", "city": "Boise", "state": "ID",
                        "zip": "83709"}}


PROOF = {"last_name": "Okonkwo", "date_of_birth": "1983-09-14"}


def slots_of(api, day):
    return requests.get(f"{api}/v1/offices/{OFFICE}/slots?from={day}&to={day}",
                        timeout=60).json()["slots"]


def an_open_day(api):
    today = datetime.now(ZONE).date()
    for ahead in range(3, 14):
        day = today + timedelta(days=ahead)
        if listed := slots_of(api, day):
            return day, listed
    pytest.fail("no open day at the office")


def post(api, path, body=None):
    return requests.post(f"{api}{path}", json=body, timeout=120)


def test_a_held_seat_is_booked_and_a_cancelled_one_goes_to_the_first_person_waiting(local_stack):
    api, moto = local_stack["api"], local_stack["moto"]
    day, listed = an_open_day(api)

    # Every free seat of the day is held, as people filling in the form would.
    holds = []
    for slot in listed:
        for _ in range(slot["available"]):
            held = post(api, "/v1/holds", {"slot_id": slot["slot_id"]})
            assert held.status_code == 201, held.text
            holds.append(held.json())
    assert slots_of(api, day) == []

    # Hold -> book: the booking takes the held seat, no second one.
    first = holds[0]
    booked = post(api, "/v1/appointments", {
        "slot_id": first["slot_id"], "hold_id": first["hold_id"], "applicant": person("Rosa", 0),
        "reason": {"category": "case_inquiry"}, "language": "en", "contact_method": "email"})
    assert booked.status_code == 201, booked.text
    assert slots_of(api, day) == []

    # Two people wait for that day, first come first served.
    waiting = []
    for n, first_name in enumerate(("Ana", "Bea"), start=1):
        joined = post(api, "/v1/waitlist", {
            "office_id": OFFICE, "from": day.isoformat(), "to": day.isoformat(),
            "applicant": person(first_name, n), "language": "en", "contact_method": "email"})
        assert joined.status_code == 201, joined.text
        assert joined.json()["status"] == "waiting" and joined.json()["position"] == n
        waiting.append(joined.json()["waitlist_id"])
    ana, bea = waiting

    # The booking is cancelled: its seat is offered to Ana, not to the public or to Bea.
    cancelled = post(api, f"/v1/appointments/{booked.json()['confirmation_number']}/cancel",
                     {"last_name": "Okonkwo", "date_of_birth": "1983-09-14"})
    assert cancelled.status_code == 200, cancelled.text
    offered = post(api, f"/v1/waitlist/{ana}/status", PROOF).json()
    assert offered["status"] == "offered" and offered["offer"]["slot_id"] == first["slot_id"]
    assert post(api, f"/v1/waitlist/{bea}/status", PROOF).json()["position"] == 1
    assert slots_of(api, day) == []

    # Ana's offer email, delivered by the worker through moto's SES, says where to accept.
    deadline = time.monotonic() + 120
    mine = []
    while not mine and time.monotonic() < deadline:
        mine = [m for m in sent_emails(moto) if m["to"] == "ana.waits@example.org"]
        if not mine:
            time.sleep(1)
    assert mine, "no offer email within 120 s"
    [email] = mine
    assert email["subject"] == "An appointment is offered to you from the waitlist"
    assert ana in email["text"] and MANAGE_URL in email["text"]
    assert "(America/Boise)" in email["text"] or "Mountain" in email["text"]

    # Ana accepts through the API: booked on the offered seat, and the lookup shows it.
    accepted = post(api, f"/v1/waitlist/{ana}/accept", PROOF)
    assert accepted.status_code == 200, accepted.text
    appointment = accepted.json()["appointment"]
    assert accepted.json()["status"] == "booked" and appointment["slot_id"] == first["slot_id"]
    looked_up = post(api, f"/v1/appointments/{appointment['confirmation_number']}/lookup", PROOF)
    assert looked_up.status_code == 200
    assert looked_up.json()["slot_id"] == first["slot_id"]
    assert looked_up.json()["status"] == "booked"
    assert post(api, f"/v1/waitlist/{ana}/status", PROOF).json()["confirmation_number"] == (
        appointment["confirmation_number"])

    # Tidy up: Bea leaves, the other holds are given back.
    assert post(api, f"/v1/waitlist/{bea}/leave", PROOF).json()["status"] == "left"
    for hold in holds[1:]:
        assert requests.delete(f"{api}/v1/holds/{hold['hold_id']}", timeout=60).status_code == 204
