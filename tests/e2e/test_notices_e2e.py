"""Booking over HTTP on the local stack produces a readable email within 10 seconds, delivered
by the worker's notices consumer through moto's SES, and `make mail` shows it."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from local.mail import sent_emails

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
OFFICE = "los-angeles"


def test_booking_over_http_sends_a_readable_email_within_ten_seconds(local_stack):
    api, moto = local_stack["api"], local_stack["moto"]
    slots = requests.get(f"{api}/v1/offices/{OFFICE}/slots", timeout=30).json()["slots"]
    later = datetime.now(timezone.utc) + timedelta(days=3)
    slot = next(s for s in reversed(slots) if datetime.fromisoformat(s["start"]) > later)
    response = requests.post(f"{api}/v1/appointments", timeout=30, json={
        "slot_id": slot["slot_id"],
        "applicant": {"first_name": "Linh", "last_name": "Tran", "date_of_birth": "1988-05-17",
                      "email": "linh.tran@example.org", "phone": "(213) 555-0142",
                      "address": {"line1": "300 N Los Angeles St", "city": "Los Angeles",
                                  "state": "CA", "zip": "90012"}},
        "reason": {"category": "case_inquiry"}, "language": "vi", "contact_method": "email"})
    assert response.status_code == 201, response.text
    number = response.json()["confirmation_number"]
    booked = time.monotonic()

    mine = []
    while not mine and time.monotonic() - booked < 10:
        mine = [e for e in sent_emails(moto) if number in e["subject"]]
        if not mine:
            time.sleep(0.25)
    assert mine, f"no email for {number} within 10 s"
    print(f"email after {time.monotonic() - booked:.2f} s")
    [email] = mine
    assert email["to"] == "linh.tran@example.org" and email["language"] == "vi"
    assert email["subject"] == f"Cuộc hẹn của quý vị với USCIS đã được xác nhận: {number}"
    for needed in (number, "Los Angeles Field Office", "1-800-375-5283", "G-28",
                   "Những gì cần mang theo", "(America/Los_Angeles)"):
        assert needed in email["text"]
    assert email["attachments"] == ["appointment.ics"]
    assert 'lang="vi"' in email["html"]

    env = {**os.environ, "MOTO_PORT": moto.rsplit(":", 1)[1]}
    env.pop("AWS_ENDPOINT_URL", None)
    printed = subprocess.run([sys.executable, "-m", "local.mail"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    assert f"Subject: Cuộc hẹn của quý vị với USCIS đã được xác nhận: {number}" in printed
    assert "To: linh.tran@example.org" in printed and "Attachments: appointment.ics" in printed
