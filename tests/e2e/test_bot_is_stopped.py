"""The bot of issue 9, played over real HTTP against the local stack, from its own address.

Measured before the limits: one client booked 30 slots under 30 invented people in 11.5 s, and
found a date of birth for a known confirmation number and last name in 60 tries. Here the same
client is stopped at the per-client booking limit (20 an hour by default) and at the fifth failed
proof for that number, while an honest person from another address books once and gets in after
two typos. The stack runs with the stage defaults; only 127.0.0.1 (the other e2e tests' racing
clients) is exempt, so this test's clients use other loopback addresses, which the local gateway
passes on as `sourceIp` as API Gateway does.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest
import requests
from requests.adapters import HTTPAdapter

pytestmark = pytest.mark.e2e

OFFICE = "denver"
BOOKING_CLIENT_LIMIT = 20  # the default (chalicelib/settings.py)
PROOF_ATTEMPTS = 5


class _FromAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def client_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _FromAddress(address))
    return session


def applicant(first: str, last: str, born: str, n: int) -> dict:
    # Each invented person gets an email and a phone of their own: a bot that reused one would
    # meet the per-contact limit at its third booking; this one must meet the client limit.
    return {"first_name": first, "last_name": last, "date_of_birth": born,
            "email": f"person{n}@example.org", "phone": f"720-555-{100 + n:04d}",
            "address": {"line1": "5 Colfax Ave", "city": "Denver", "state": "CO", "zip": "80202"}}


def booking(slot_id: str, person: dict) -> dict:
    return {"slot_id": slot_id, "applicant": person, "reason": {"category": "case_inquiry"},
            "language": "en", "contact_method": "email"}


@pytest.fixture(scope="module")
def slot_ids(local_stack):
    response = requests.get(f"{local_stack['api']}/v1/offices/{OFFICE}/slots", timeout=60)
    assert response.status_code == 200
    later = datetime.now(timezone.utc) + timedelta(days=2)
    return iter([s["slot_id"] for s in response.json()["slots"]
                 if datetime.fromisoformat(s["start"]) > later])


def invented(n: int) -> dict:
    return applicant(f"Bot{chr(65 + n // 26)}{chr(65 + n % 26)}", "Fakename", "1970-01-01", n)


def test_one_client_booking_30_invented_people_is_stopped_at_the_client_limit(
        local_stack, slot_ids):
    bot = client_at("127.0.0.2")
    api = local_stack["api"]
    started = time.monotonic()
    answers = [bot.post(f"{api}/v1/appointments", json=booking(next(slot_ids), invented(n)),
                        timeout=60) for n in range(30)]
    elapsed = time.monotonic() - started
    statuses = [a.status_code for a in answers]
    assert statuses == [201] * BOOKING_CLIENT_LIMIT + [429] * (30 - BOOKING_CLIENT_LIMIT), statuses
    refused = answers[BOOKING_CLIENT_LIMIT]
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    print(f"\nbot: {BOOKING_CLIENT_LIMIT} bookings, then 429 from booking "
          f"{BOOKING_CLIENT_LIMIT + 1} on; 30 requests in {elapsed:.1f} s")

    # An honest person at another address (a library's connection) books at once.
    honest = client_at("127.0.0.3")
    answer = honest.post(f"{api}/v1/appointments", timeout=60, json=booking(
        next(slot_ids), applicant("Mariana", "Quispe", "1984-06-02", 900)))
    assert answer.status_code == 201, answer.text


def test_sixty_birth_date_guesses_are_stopped_at_the_fifth_and_typos_still_get_in(
        local_stack, slot_ids):
    api = local_stack["api"]
    victim = client_at("127.0.0.5")
    born = "1979-11-23"
    answer = victim.post(f"{api}/v1/appointments", timeout=60, json=booking(
        next(slot_ids), applicant("Tomasz", "Kowalczyk", born, 901)))
    assert answer.status_code == 201, answer.text
    number = answer.json()["confirmation_number"]

    # The bot knows the number and the last name and walks birth dates; the right one is
    # guess 30.
    guesses = [(date(1979, 10, 25) + timedelta(days=i)).isoformat() for i in range(60)]
    assert guesses[29] == born
    bot = client_at("127.0.0.4")
    started = time.monotonic()
    answers = [bot.post(f"{api}/v1/appointments/{number}/lookup", timeout=60,
                        json={"last_name": "Kowalczyk", "date_of_birth": guess})
               for guess in guesses]
    elapsed = time.monotonic() - started
    statuses = [a.status_code for a in answers]
    assert statuses == [404] * PROOF_ATTEMPTS + [429] * (60 - PROOF_ATTEMPTS), statuses
    assert answers[29].json()["code"] == "too_many_attempts"  # the right guess found nothing
    assert all("Kowalczyk" not in a.text and born not in a.text for a in answers)
    print(f"\nbot: 5 failed guesses, then 429 for the other 55 (the right date among them); "
          f"60 guesses in {elapsed:.1f} s")

    # An honest person elsewhere mistypes their birth date twice, then gets in.
    honest = client_at("127.0.0.6")
    own = honest.post(f"{api}/v1/appointments", timeout=60, json=booking(
        next(slot_ids), applicant("Amara", "Nwosu", "1991-03-14", 902)))
    assert own.status_code == 201, own.text
    own_number = own.json()["confirmation_number"]
    for typo in ("1991-03-41", "1991-08-14"):
        status = honest.post(f"{api}/v1/appointments/{own_number}/lookup", timeout=60,
                             json={"last_name": "Nwosu", "date_of_birth": typo}).status_code
        assert status in (404, 422)
    found = honest.post(f"{api}/v1/appointments/{own_number}/lookup", timeout=60,
                        json={"last_name": "nwosu", "date_of_birth": "1991-03-14"})
    assert found.status_code == 200 and found.json()["confirmation_number"] == own_number
