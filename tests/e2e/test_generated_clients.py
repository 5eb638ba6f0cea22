"""A Python client generated from the committed openapi.json with openapi-python-client (as a
frontend or partner would, `make py-client`) talks to the real local stack: it lists offices,
books an appointment and reads a 409 problem as a typed object with its `code`."""
from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PERSON = {"first_name": "Nguyễn", "last_name": "Thị Lan", "date_of_birth": "1988-02-29",
          "email": "lan.generated-client@example.org", "phone": "+1 617 555 0187",
          "address": {"line1": "1 Main St", "city": "Boston", "state": "MA", "zip": "02108"}}


@pytest.fixture(scope="module")
def infopass_client(tmp_path_factory):
    out = tmp_path_factory.mktemp("client") / "infopass_client"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "openapi-python-client"), "generate",
         "--path", str(ROOT / "openapi.json"), "--output-path", str(out), "--meta", "none",
         "--config", str(ROOT / "clients" / "python" / "config.yml")],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out.parent))
    try:
        yield importlib.import_module("infopass_client")
    finally:
        sys.path.remove(str(out.parent))


def test_the_generated_python_client_lists_offices_books_and_reads_a_409(local_stack,
                                                                         infopass_client):
    from infopass_client import Client
    from infopass_client.api.booking import book, offices_near, slots
    from infopass_client.models import (Booking, BookingRequest, BookResponse409,
                                        BookResponse409Code, OfficesNear, Slots)

    client = Client(base_url=local_stack["api"], timeout=60)
    near = offices_near.sync(client=client, zip_="02108", limit=3)
    assert isinstance(near, OfficesNear)
    office = next(o for o in near.offices if o.scheduling.value == "self_service")
    assert office.id == "boston" and office.distance_miles is not None

    open_times = slots.sync(office_id=office.id, client=client)
    assert isinstance(open_times, Slots) and len(open_times.slots) >= 2
    first, second = open_times.slots[0], open_times.slots[1]

    def request(slot_id: str) -> BookingRequest:
        return BookingRequest.from_dict({
            "slot_id": slot_id, "applicant": PERSON, "language": "vi",
            "reason": {"category": "evidence_of_status", "details": "I-551 stamp"}})

    booked = book.sync_detailed(client=client, body=request(first.slot_id),
                                idempotency_key="generated-client-1")
    assert booked.status_code == 201 and isinstance(booked.parsed, Booking), booked.content
    assert booked.parsed.office.id == "boston" and booked.parsed.status.value == "booked"
    assert len(booked.parsed.confirmation_number.replace("-", "")) == 12

    again = book.sync_detailed(client=client, body=request(second.slot_id))
    assert again.status_code == 409
    problem = again.parsed
    assert isinstance(problem, BookResponse409), again.content
    assert problem.code is BookResponse409Code.ALREADY_BOOKED
    assert problem.status == 409 and problem.type_ == "urn:infopass:problem:already_booked"
    assert problem.title
