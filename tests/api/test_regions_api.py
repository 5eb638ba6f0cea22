"""One home region per office (issue 16), over HTTP in-process: in a stage that lists two
regions, the east stage serves east offices only. Another region's office answers 421
`office_in_other_region` naming its home and API, shows no seats and takes no writes, even when
its slots and appointments are in this region's tables (global tables replicate them); an office
being moved answers 503 `office_moving`; the jobs work on the stage's own offices only."""
from __future__ import annotations

import json

import pytest
from chalice.test import Client

from app import app
from chalicelib import tables, wiring
from chalicelib.booking import offices
from chalicelib.offices.repository import DynamoOfficeRepository
from local import gateway
from tests.aws_fixtures import with_slots
from tests.unit.test_booking_service import contacts_of

EAST, WEST = "miami", "seattle"  # homes in offices.json: us-east-1 and us-west-2
URLS = {"us-east-1": "https://east.infopass.example.gov/api",
        "us-west-2": "https://west.infopass.example.gov/api"}
ORIGIN = "http://localhost:5173"


def call(client, method, path, body=None, headers=None):
    response = client.http.request(
        method.upper(), path, body=json.dumps(body).encode() if body is not None else b"",
        headers={"Content-Type": "application/json", "Origin": ORIGIN, **(headers or {})})
    return response.status_code, (json.loads(response.body) if response.body else None), \
        response.headers


def booking(slot_id, first="Lan"):
    first = first or "Lan"
    return {"slot_id": slot_id,
            "applicant": {"first_name": first, "last_name": "Tran", "date_of_birth": "1984-02-03",
                          **contacts_of(first), "address": {
                              "line1": "1 Pike St", "city": "Seattle", "state": "WA",
                              "zip": "98101"}},
            "reason": {"category": "case_inquiry"}, "language": "vi", "contact_method": "email"}


def first_slot(client, office):
    status, data, _ = call(client, "get", f"/v1/offices/{office}/slots")
    assert status == 200, data
    return data["slots"][3]


@pytest.fixture
def single(aws, monkeypatch):
    """A single-region stage (every office at home), with both offices' slots."""
    monkeypatch.setenv("MIN_INTERVAL_DAYS", "0")
    wiring.rewire()
    with_slots([EAST, WEST])
    gateway.install()
    with Client(app, stage_name="test") as c:
        yield c


def go_multi(monkeypatch):
    """The same tables, now served by the east stage of a two-region deployment."""
    monkeypatch.setenv("REGION_URLS", json.dumps(URLS))
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    wiring.rewire()


def assert_other_region(answer):
    status, data, headers = answer
    assert status == 421, (data, data.get("errors"))
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert data["code"] == "office_in_other_region" and data["home_region"] == "us-west-2"
    assert data["home_base_url"] == URLS["us-west-2"]
    assert headers["Link"] == f'<{URLS["us-west-2"]}>; rel="alternate"'


def test_another_regions_office_answers_421_naming_its_home_and_shows_no_seats(
        single, monkeypatch):
    west_slot = first_slot(single, WEST)  # the slots are in this region's table
    go_multi(monkeypatch)

    assert_other_region(call(single, "get", f"/v1/offices/{WEST}/slots"))
    assert_other_region(call(single, "get", f"/v1/offices/{WEST}"))
    assert_other_region(call(single, "get", f"/v1/offices/{WEST}/slots",
                             headers={"Accept-Language": "es"}))
    status, data, _ = call(single, "get", f"/v1/offices/{WEST}",
                           headers={"Accept-Language": "es"})
    assert data["title"] == "Esta oficina la atiende otra región"
    # Its home office is served as before.
    assert first_slot(single, EAST)["available"] >= 1
    assert west_slot["available"] >= 1


def test_a_booking_or_hold_of_another_regions_seat_is_refused_and_writes_nothing(
        single, monkeypatch):
    west_slot = first_slot(single, WEST)
    go_multi(monkeypatch)
    before = [r.serialize() for r in tables.SlotRecord.query(WEST)]

    assert_other_region(call(single, "post", "/v1/appointments", booking(west_slot["slot_id"])))
    assert_other_region(call(single, "post", "/v1/holds", {"slot_id": west_slot["slot_id"]}))
    assert_other_region(call(single, "post", "/v1/waitlist", {
        "office_id": WEST, "from": west_slot["start"][:10], "to": west_slot["start"][:10],
        "applicant": booking("")["applicant"], "language": "vi", "contact_method": "email"}))

    assert [r.serialize() for r in tables.SlotRecord.query(WEST)] == before
    assert tables.AppointmentRecord.count() == 0


def test_an_appointment_at_another_regions_office_is_421_after_the_proof_and_404_before(
        single, monkeypatch):
    west_slot = first_slot(single, WEST)
    status, booked, _ = call(single, "post", "/v1/appointments", booking(west_slot["slot_id"]))
    assert status == 201, booked
    go_multi(monkeypatch)
    cn = booked["confirmation_number"]
    proof = {"last_name": "Tran", "date_of_birth": "1984-02-03"}

    status, data, _ = call(single, "post", f"/v1/appointments/{cn}/lookup",
                           {**proof, "date_of_birth": "1984-02-04"})
    assert (status, data["code"]) == (404, "appointment_not_found")  # no oracle
    assert_other_region(call(single, "post", f"/v1/appointments/{cn}/lookup", proof))
    assert_other_region(call(single, "post", f"/v1/appointments/{cn}/cancel", proof))
    assert tables.AppointmentRecord.get(cn.replace("-", "")).status == "booked"


def test_the_office_search_names_the_region_and_api_that_serve_each_office(single, monkeypatch):
    go_multi(monkeypatch)
    status, data, _ = call(single, "get", "/v1/offices?zip=98101&limit=1")
    assert status == 200, data
    [seattle] = data["offices"]
    assert (seattle["id"], seattle["home_region"], seattle["api_base_url"]) == (
        WEST, "us-west-2", URLS["us-west-2"])
    status, data, _ = call(single, "get", "/v1/offices?zip=33139&limit=1")
    [miami] = data["offices"]
    assert (miami["home_region"], miami["api_base_url"]) == ("us-east-1", URLS["us-east-1"])


def test_a_single_region_stage_names_no_region_and_serves_every_office(single):
    status, data, _ = call(single, "get", "/v1/offices?zip=98101&limit=1")
    assert "home_region" not in data["offices"][0] and "api_base_url" not in data["offices"][0]
    assert first_slot(single, WEST)["available"] >= 1


def test_an_office_being_moved_answers_503_with_retry_after_and_takes_no_booking(
        single, monkeypatch):
    east_slot = first_slot(single, EAST)
    go_multi(monkeypatch)
    DynamoOfficeRepository().set_placement(EAST, "us-east-1", "moving")
    offices.refresh()

    for answer in (call(single, "get", f"/v1/offices/{EAST}/slots"),
                   call(single, "post", "/v1/appointments", booking(east_slot["slot_id"]))):
        status, data, headers = answer
        assert status == 503 and data["code"] == "office_moving", data
        assert headers["Retry-After"] == str(data["retry_after"])
        assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert tables.AppointmentRecord.count() == 0


def test_staff_cannot_change_another_regions_office(single, monkeypatch):
    from tests.api.test_offices_api import HQ

    go_multi(monkeypatch)
    assert_other_region(call(single, "get", f"/v1/staff/offices/{WEST}/settings", headers=HQ))
    status, data, _ = call(single, "get", f"/v1/staff/offices/{EAST}/settings", headers=HQ)
    assert status == 200, data


def test_the_slot_and_release_jobs_work_on_this_regions_offices_only(single, monkeypatch):
    go_multi(monkeypatch)
    served = {o["id"] for o in offices.home_offices()}
    homes = {o["id"]: o["home_region"] for o in offices.all_offices()}
    assert served == {i for i, home in homes.items() if home == "us-east-1"}
    assert EAST in served and WEST not in served

    created = wiring.booking_service().generate_slots()
    assert set(created) == served


def test_the_unlist_job_leaves_another_regions_slots_to_that_region(single, monkeypatch):
    """The slots table is a global table: the east stage's job unlists its own booked-out
    slots only (the west's job does the west's)."""
    from chalicelib.booking.jobs import unlist_booked_out_slots
    from chalicelib.booking.schedule import parse_slot_id
    from local.worker import scheduled_event

    full = {}
    for office in (EAST, WEST):
        _, start = parse_slot_id(first_slot(single, office)["slot_id"])
        full[office] = tables.SlotRecord(office, start.strftime("%Y-%m-%dT%H:%M:%SZ"))
        full[office].update(actions=[tables.SlotRecord.available.set(0)])  # booked out
    go_multi(monkeypatch)

    assert unlist_booked_out_slots(scheduled_event(), None) == {"unlisted": 1, "kept": 0}

    listed = {office: tables.SlotRecord.get(office, slot.start, consistent_read=True).listed
              for office, slot in full.items()}
    assert listed == {EAST: None, WEST: WEST}

def test_the_outbox_sweep_leaves_another_regions_notices_to_that_region(single, monkeypatch):
    """The appointments table is a global table: the east stage sees the west's pending
    notices too, and must not send them a second time."""
    from chalicelib.notices import registry

    west_slot, east_slot = first_slot(single, WEST), first_slot(single, EAST)
    for slot, first in ((west_slot, "Lan"), (east_slot, "Mai")):
        status, booked, _ = call(single, "post", "/v1/appointments", booking(slot["slot_id"], first))
        assert status == 201, booked
    monkeypatch.setenv("OUTBOX_GRACE_MINUTES", "-5")  # everything pending counts as overdue
    go_multi(monkeypatch)

    published = wiring.notice_service().sweep_outbox(registry.all_subjects())

    assert published == 1  # the east booking's confirmation only
