"""One person, one active appointment nationwide (issue 16), through two local regions: two
API processes, each with its own moto server, sharing one claims server (tests/e2e/regions.py).
"""
from __future__ import annotations

import time
import zlib
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

import pytest
import requests

from chalicelib import identity
from chalicelib.booking.domain import normalize_confirmation_number
from tests.e2e.regions import EAST, WEST, two_regions  # noqa: F401 - the fixture
from tests.e2e.test_booking_races import booking, race

pytestmark = pytest.mark.e2e

# One office served by each region (their homes in offices.json): a person races to book in
# both regions, each region at its own office.
OFFICES = {EAST: "chicago", WEST: "seattle"}
PEPPER = "local-development-pepper"  # the local stack's (settings.identity_pepper)


def person(name: str) -> dict:
    return {"first_name": name, "last_name": "Moreau", "date_of_birth": "1988-07-09",
            "email": f"{name.lower()}@example.org",
            "phone": f"312-555-{zlib.crc32(name.encode()) % 10000:04d}",
            "address": {"line1": "2 Lake St", "city": "Chicago", "state": "IL", "zip": "60601"}}


def key_of(applicant: dict) -> str:
    return identity.person_key(PEPPER, applicant["first_name"], applicant["last_name"],
                               datetime.fromisoformat(applicant["date_of_birth"]).date())


def name(n: int, prefix: str) -> str:
    return f"{prefix}{chr(65 + n // 26)}{chr(97 + n % 26)}"


@pytest.fixture(scope="module")
def slots(two_regions):
    """Bookable slots of each region's office."""
    later = datetime.now(timezone.utc) + timedelta(days=2)
    found = {}
    for region in (EAST, WEST):
        listed = requests.get(f"{two_regions[region].api}/v1/offices/{OFFICES[region]}/slots",
                              timeout=60).json()["slots"]
        found[region] = [s["slot_id"] for s in listed
                         if datetime.fromisoformat(s["start"]) > later]
    return found


def book(region, slot_id: str, applicant: dict) -> requests.Response:
    return requests.post(f"{region.api}/v1/appointments", json=booking(slot_id, applicant),
                         timeout=120)


def booked_by_person(two_regions) -> dict[str, list[str]]:
    """Every booked appointment in both regions' tables, by person key: region names."""
    held = defaultdict(list)
    for region in (EAST, WEST):
        table = two_regions[region].table("appointments")
        for item in table.scan()["Items"]:
            if item["status"] == "booked":
                held[item["person_key"]].append(region)
    return held


def test_the_same_person_booking_in_both_regions_at_once_gets_one_appointment_nationwide(
        two_regions, slots):
    rounds = 30
    statuses = Counter()
    for n in range(rounds):
        applicant = person(name(n, "Race"))
        east, west = race([
            lambda: book(two_regions[EAST], slots[EAST][n % len(slots[EAST])], applicant),
            lambda: book(two_regions[WEST], slots[WEST][n % len(slots[WEST])], applicant)])
        statuses[(east.status_code, west.status_code)] += 1
        loser = west if east.status_code == 201 else east
        winner_region = EAST if east.status_code == 201 else WEST
        assert loser.status_code == 409, loser.text
        assert loser.json()["code"] == "appointment_in_other_region"
        assert loser.json()["region"] == winner_region
        assert loser.json()["base_url"] == two_regions[winner_region].api
        assert winner_region in loser.json()["detail"]
        assert "Moreau" not in loser.text and applicant["first_name"] not in loser.text
        claim = two_regions.claims().get_item(Key={"person_key": key_of(applicant)},
                                              ConsistentRead=True)["Item"]
        assert (claim["state"], claim["region"]) == ("active", winner_region)
    assert sum(statuses.values()) == rounds
    assert set(statuses) <= {(201, 409), (409, 201)}
    assert all(len(regions) == 1 for regions in booked_by_person(two_regions).values())


def test_cancelling_in_one_region_lets_the_person_book_in_the_other(two_regions, slots):
    applicant = person("Cancella")
    booked = book(two_regions[EAST], slots[EAST][-1], applicant)
    assert booked.status_code == 201, booked.text
    assert book(two_regions[WEST], slots[WEST][-1], applicant).status_code == 409
    cn = booked.json()["confirmation_number"]
    cancelled = requests.post(
        f"{two_regions[EAST].api}/v1/appointments/{cn}/cancel",
        json={"last_name": applicant["last_name"], "date_of_birth": applicant["date_of_birth"]},
        timeout=60)
    assert cancelled.status_code == 200, cancelled.text
    again = book(two_regions[WEST], slots[WEST][-1], applicant)
    assert again.status_code == 201, again.text
    assert booked_by_person(two_regions)[key_of(applicant)] == [WEST]


def crashed_claim(two_regions, applicant: dict, region: str, **fields) -> None:
    """The claim as a booking left it when its process died before confirming: pending, its
    lease (two minutes) already run out."""
    two_regions.claims().put_item(Item={
        "person_key": key_of(applicant), "claim_id": "crashed", "state": "pending",
        "region": region, "office_id": OFFICES[region], "lease_until": int(time.time()) - 1,
        "sweep": region, "updated_at": int(time.time()) - 130, **fields})


def test_a_booking_whose_process_died_before_confirming_its_claim_is_confirmed_by_the_sweep(
        two_regions, slots):
    applicant = person("Crashbooked")
    booked = book(two_regions[EAST], slots[EAST][-2], applicant)
    assert booked.status_code == 201, booked.text
    crashed_claim(two_regions, applicant, EAST)
    # Never taken over from another region, even with the lease run out: only the east can
    # tell whether its booking committed.
    refused = book(two_regions[WEST], slots[WEST][-2], applicant)
    assert refused.json()["code"] == "appointment_in_other_region"
    assert two_regions.run_job(WEST, "chalicelib.booking.jobs:sweep_claims") == {
        "confirmed": 0, "deleted": 0}  # not the west's claim
    assert two_regions.run_job(EAST, "chalicelib.booking.jobs:sweep_claims") == {
        "confirmed": 1, "deleted": 0}
    claim = two_regions.claims().get_item(Key={"person_key": key_of(applicant)},
                                          ConsistentRead=True)["Item"]
    assert (claim["state"], claim["confirmation_number"]) == (
        "active", normalize_confirmation_number(booked.json()["confirmation_number"]))
    assert "sweep" not in claim and "lease_until" not in claim
    assert book(two_regions[WEST], slots[WEST][-2], applicant).status_code == 409
    assert booked_by_person(two_regions)[key_of(applicant)] == [EAST]


def test_a_claim_whose_booking_never_committed_is_deleted_by_the_sweep_and_frees_the_person(
        two_regions, slots):
    applicant = person("Crashfree")
    crashed_claim(two_regions, applicant, EAST)
    assert book(two_regions[WEST], slots[WEST][-3], applicant).status_code == 409
    assert two_regions.run_job(EAST, "chalicelib.booking.jobs:sweep_claims") == {
        "confirmed": 0, "deleted": 1}
    booked = book(two_regions[WEST], slots[WEST][-3], applicant)
    assert booked.status_code == 201, booked.text
    assert booked_by_person(two_regions)[key_of(applicant)] == [WEST]


def replicate(two_regions, office_id: str, source: str, target: str) -> None:
    """What the global table does: the office's items (its cancelled appointment among them)
    copied from `source`'s tables to `target`'s (local/replicate.py)."""
    from chalicelib.offices.placement_store import RegionTables
    from local.replicate import copy_office

    def tables(region):
        return RegionTables(region, two_regions[region].env["RESOURCE_PREFIX"],
                            two_regions[region].moto)
    copy_office(office_id, tables(source), tables(target))


def test_a_cancel_that_died_before_releasing_the_claim_frees_the_person_elsewhere_once_replicated(
        two_regions, slots):
    # Last in this module: the copy puts the east's Chicago items into the west's tables.
    applicant = person("Cancelcrash")
    booked = book(two_regions[EAST], slots[EAST][-4], applicant)
    assert booked.status_code == 201, booked.text
    claims = two_regions.claims()
    left = claims.get_item(Key={"person_key": key_of(applicant)}, ConsistentRead=True)["Item"]
    cancelled = requests.post(
        f"{two_regions[EAST].api}/v1/appointments/{booked.json()['confirmation_number']}/cancel",
        json={"last_name": applicant["last_name"], "date_of_birth": applicant["date_of_birth"]},
        timeout=60)
    assert cancelled.status_code == 200, cancelled.text
    claims.put_item(Item=left)  # the claim as a cancel that died before its release leaves it
    # The west's replica has not received the cancellation: nothing proves the claim stale.
    refused = book(two_regions[WEST], slots[WEST][-4], applicant)
    assert refused.status_code == 409 and refused.json()["code"] == "appointment_in_other_region"
    replicate(two_regions, OFFICES[EAST], EAST, WEST)
    again = book(two_regions[WEST], slots[WEST][-4], applicant)
    assert again.status_code == 201, again.text
    claim = claims.get_item(Key={"person_key": key_of(applicant)}, ConsistentRead=True)["Item"]
    assert (claim["state"], claim["region"], claim["confirmation_number"]) == (
        "active", WEST, normalize_confirmation_number(again.json()["confirmation_number"]))
    assert booked_by_person(two_regions)[key_of(applicant)] == [WEST]
