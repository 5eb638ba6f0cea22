"""The public booking API in-process (chalice.test.Client) against the moto server."""
import json
from datetime import datetime, timedelta

import pytest
from chalice.test import Client

from app import app
from chalicelib import tables, wiring
from tests.aws_fixtures import with_slots

PERSON = {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
          "email": "ana.ruiz@example.org", "phone": "(305) 555-0199",
          "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL", "zip": "33139"}}
OFFICE = "miami"


@pytest.fixture
def client(aws, monkeypatch):
    monkeypatch.setenv("MIN_INTERVAL_DAYS", "0")
    wiring.rewire()
    with_slots([OFFICE])
    from local import gateway
    gateway.install()  # the deployed gateway's problem answers, as the local stack serves them
    with Client(app, stage_name="test") as c:
        yield c


def call(client, method, path, body=None, headers=None, raw=None):
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    response = getattr(client.http, method)(
        path, body=payload, headers={"Content-Type": "application/json", **(headers or {})})
    data = json.loads(response.body) if response.body else None
    return response.status_code, data, response.headers


def booking(slot_id, **changes):
    body = {"slot_id": slot_id, "applicant": dict(PERSON),
            "reason": {"category": "emergency_travel_document", "details": "Family emergency"},
            "language": "es", "contact_method": "email"}
    body.update(changes)
    return body


def open_slots(client, office=OFFICE):
    status, data, _ = call(client, "get", f"/v1/offices/{office}/slots")
    assert status == 200
    return data["slots"]


def slot_in(client, days):
    """The first slot of the `days`-th open day after today (office-local), so at least `days`
    calendar days ahead, and different arguments never give the same slot (weekends and
    holidays would otherwise fold slot_in(3) and slot_in(5) into one)."""
    slots = open_slots(client)
    office_offset = datetime.fromisoformat(slots[0]["start"]).tzinfo
    today = datetime.now(office_offset).date()
    open_days = sorted({datetime.fromisoformat(s["start"]).date() for s in slots} - {today})
    day = open_days[days - 1]
    return next(s for s in slots if datetime.fromisoformat(s["start"]).date() == day)


def assert_problem(status, data, headers, expected_status, code):
    assert status == expected_status, data
    assert headers["Content-Type"] == "application/problem+json"
    assert data["code"] == code and data["status"] == expected_status and data["title"]


def test_health_answers_ok(client):
    assert call(client, "get", "/v1/health")[:2] == (200, {"status": "ok"})


def test_offices_near_a_zip_are_ranked_by_distance(client):
    status, data, _ = call(client, "get", "/v1/offices?zip=06103&limit=3")
    assert status == 200
    assert [o["id"] for o in data["offices"]][0] == "hartford"
    assert data["offices"][0]["scheduling"] == "contact_center"
    distances = [o["distance_miles"] for o in data["offices"]]
    assert distances == sorted(distances) and len(distances) == 3
    status, data, _ = call(client, "get", "/v1/offices?zip=96813")
    assert data["offices"][0]["id"] == "honolulu" and len(data["offices"]) == 5


@pytest.mark.parametrize("query,status,code", [
    ("zip=1234", 400, "invalid_zip"), ("zip=abcde", 400, "invalid_zip"), ("", 400, "invalid_zip"),
    ("zip=00000", 404, "unknown_zip"), ("zip=10001&limit=0", 400, "invalid_parameter"),
    ("zip=10001&limit=21", 400, "invalid_parameter"), ("zip=10001&limit=x", 400, "invalid_parameter"),
])
def test_bad_office_searches_get_problems(client, query, status, code):
    assert_problem(*call(client, "get", f"/v1/offices?{query}"), status, code)


def test_an_office_and_an_unknown_office(client):
    status, data, _ = call(client, "get", "/v1/offices/anchorage")
    assert status == 200 and data["timezone"] == "America/Anchorage" and data["schedule"]["hours"]
    assert_problem(*call(client, "get", "/v1/offices/atlantis"), 404, "unknown_office")


def test_reasons_and_languages_are_served(client):
    status, data, _ = call(client, "get", "/v1/reasons")
    assert status == 200 and {r["code"] for r in data["reasons"]} >= {"case_inquiry", "other"}
    status, data, _ = call(client, "get", "/v1/languages")
    assert len(data["languages"]) == 12 and "ar" in data["languages"]


def test_availability_is_shown_in_office_time_and_bounded_to_the_window(client):
    slots = open_slots(client)
    assert slots and all(s["available"] > 0 for s in slots)
    assert all(s["start"][-6:] in ("-05:00", "-04:00") for s in slots)
    far = (datetime.now() + timedelta(days=30)).date().isoformat()
    assert_problem(*call(client, "get", f"/v1/offices/{OFFICE}/slots?to={far}"), 400, "invalid_range")
    assert_problem(*call(client, "get", f"/v1/offices/{OFFICE}/slots?from=soon"), 400, "invalid_parameter")
    assert_problem(*call(client, "get", "/v1/offices/hartford/slots"), 409, "office_not_self_service")


def test_book_look_up_reschedule_and_cancel(client):
    first, second = slot_in(client, 3), slot_in(client, 6)
    status, booked, _ = call(client, "post", "/v1/appointments", booking(first["slot_id"]))
    assert status == 201 and booked["status"] == "booked" and booked["what_to_bring"]
    cn = booked["confirmation_number"]
    proof = {"last_name": "ruiz", "date_of_birth": "1979-08-30"}
    status, seen, _ = call(client, "post", f"/v1/appointments/{cn}/lookup", proof)
    assert status == 200 and seen["slot_id"] == first["slot_id"] and seen["applicant"]["last_name"] == "Ruiz"
    status, moved, _ = call(client, "post", f"/v1/appointments/{cn}/reschedule",
                            {**proof, "slot_id": second["slot_id"]})
    assert status == 200 and moved["slot_id"] == second["slot_id"] and moved["version"] == 2
    status, cancelled, _ = call(client, "post", f"/v1/appointments/{cn}/cancel", proof)
    assert status == 200 and cancelled["status"] == "cancelled"
    seats = {s["slot_id"]: s["available"] for s in open_slots(client)}
    assert seats[first["slot_id"]] == first["available"] and seats[second["slot_id"]] == second["available"]


def test_wrong_identity_and_wrong_number_are_indistinguishable(client):
    cn = call(client, "post", "/v1/appointments", booking(slot_in(client, 3)["slot_id"]))[1]["confirmation_number"]
    wrong_dob = call(client, "post", f"/v1/appointments/{cn}/lookup", {"last_name": "Ruiz", "date_of_birth": "1979-08-31"})
    wrong_cn = call(client, "post", "/v1/appointments/ZZZZ-ZZZZ-ZZZZ/lookup", {"last_name": "Ruiz", "date_of_birth": "1979-08-30"})
    assert wrong_dob[0] == wrong_cn[0] == 404
    assert wrong_dob[1] == wrong_cn[1]


def test_the_same_person_cannot_hold_two_appointments(client):
    call(client, "post", "/v1/appointments", booking(slot_in(client, 3)["slot_id"]))
    assert_problem(*call(client, "post", "/v1/appointments", booking(slot_in(client, 5)["slot_id"])), 409, "already_booked")


def test_a_full_slot_offers_alternatives(client):
    slot = slot_in(client, 4)
    for n in range(slot["available"]):
        person = {**PERSON, "first_name": f"Ana{chr(65 + n)}",
                  "email": f"ana.{n}@example.org", "phone": f"(305) 555-01{n:02d}"}
        assert call(client, "post", "/v1/appointments", booking(slot["slot_id"], applicant=person))[0] == 201
    status, data, headers = call(client, "post", "/v1/appointments", booking(slot["slot_id"]))
    assert_problem(status, data, headers, 409, "slot_unavailable")
    assert 1 <= len(data["alternatives"]) <= 5


def test_idempotency_key_replays_and_detects_reuse(client):
    body = booking(slot_in(client, 3)["slot_id"])
    first = call(client, "post", "/v1/appointments", body, headers={"Idempotency-Key": "k-1"})
    again = call(client, "post", "/v1/appointments", body, headers={"Idempotency-Key": "k-1"})
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2].get("Idempotent-Replayed") == "true"
    # Another body under the same key: a different language, so it differs whatever the date
    # (two `slot_in` days can land on the same slot across a weekend).
    other = booking(body["slot_id"], language="en")
    assert_problem(*call(client, "post", "/v1/appointments", other, headers={"Idempotency-Key": "k-1"}),
                   422, "idempotency_key_reused")
    assert tables.AppointmentRecord.count() == 1


def test_contact_center_office_points_to_the_request_path(client):
    wiring.booking_service().generate_slots(["hartford"])
    status, data, headers = call(client, "post", "/v1/appointments", booking("hartford.20261203T1400Z"))
    assert_problem(status, data, headers, 409, "office_not_self_service")
    assert data["request_path"] == "/v1/service-requests"


@pytest.mark.parametrize("mutate,field", [
    (lambda b: b["applicant"].update(date_of_birth="2999-01-01"), "applicant.date_of_birth"),
    (lambda b: b["applicant"].update(email="not-an-email"), "applicant.email"),
    (lambda b: b.update(a_number="B12"), "a_number"),
    (lambda b: b.update(receipt_number="IOE12"), "receipt_number"),
    (lambda b: b.update(surprise=True), ""),  # an unknown field is counted, never named
    (lambda b: b["reason"].update(category="bribe"), "reason.category"),
    (lambda b: b["reason"].update(details="x" * 1001), "reason.details"),
    (lambda b: b.update(language="xx"), "language"),
    (lambda b: b["applicant"].pop("last_name"), "applicant.last_name"),
])
def test_invalid_bookings_name_the_field_and_write_nothing(client, mutate, field):
    body = booking(slot_in(client, 3)["slot_id"])
    mutate(body)
    status, data, headers = call(client, "post", "/v1/appointments", body)
    assert_problem(status, data, headers, 422, "validation_failed")
    assert field in {e["field"] for e in data["errors"]}
    assert "2999" not in json.dumps(data) and "not-an-email" not in json.dumps(data)
    assert tables.AppointmentRecord.count() == 0


def test_malformed_oversized_and_foreign_bodies_get_problems(client):
    assert_problem(*call(client, "post", "/v1/appointments", raw=b"{nope"), 400, "malformed_json")
    assert_problem(*call(client, "post", "/v1/appointments", raw=b"[1, 2]"), 422, "validation_failed")
    big = json.dumps(booking("x", reason={"category": "other", "details": "y" * 17000})).encode()
    assert_problem(*call(client, "post", "/v1/appointments", raw=big), 413, "payload_too_large")
    response = client.http.post("/v1/appointments", body=b"a=b", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and json.loads(response.body)["code"] == "unsupported_media_type"
    assert_problem(*call(client, "post", "/v1/appointments", booking("atlantis.20261203T1400Z")), 404, "unknown_slot")
    assert_problem(*call(client, "post", "/v1/appointments", booking("garbage")), 404, "unknown_slot")
    assert tables.AppointmentRecord.count() == 0


def test_reschedules_inside_the_cutoff_are_too_late_but_cancelling_is_not(client, monkeypatch):
    cn = call(client, "post", "/v1/appointments", booking(slot_in(client, 3)["slot_id"]))[1]["confirmation_number"]
    monkeypatch.setenv("CHANGE_CUTOFF_HOURS", str(24 * 30))
    wiring.rewire()
    proof = {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}
    assert_problem(*call(client, "post", f"/v1/appointments/{cn}/reschedule",
                         {**proof, "slot_id": slot_in(client, 5)["slot_id"]}), 409, "too_late")
    # Giving the seat back stays open until the appointment starts.
    status, cancelled, _ = call(client, "post", f"/v1/appointments/{cn}/cancel", proof)
    assert status == 200 and cancelled["status"] == "cancelled"


@pytest.mark.parametrize("raw", [b"null", b"\"text\"", b"42", b"{\"slot_id\": {\"$gt\": \"\"}}",
                                 b"{\"applicant\": [[[[[[[[[[]]]]]]]]]]}", "{\"slot_id\": \"\u0000\"}".encode()])
def test_hostile_bodies_are_rejected_cleanly(client, raw):
    status, data, headers = call(client, "post", "/v1/appointments", raw=raw)
    assert status in (400, 404, 422) and headers["Content-Type"] == "application/problem+json"
    assert "Traceback" not in json.dumps(data)
    assert tables.AppointmentRecord.count() == 0


@pytest.mark.parametrize("cn", ["x" * 500, "ABCD-1234-EFGH%00", "..%2F..%2Fetc", "ÄÖÜ"])
def test_odd_confirmation_numbers_get_the_same_not_found(client, cn):
    status, data, _ = call(client, "post", f"/v1/appointments/{cn}/lookup",
                           {"last_name": "Ruiz", "date_of_birth": "1979-08-30"})
    assert status == 404 and data["code"] == "appointment_not_found"


def test_personal_data_never_reaches_the_logs(client, caplog):
    import logging
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="chalicelib")
    body = booking(slot_in(client, 3)["slot_id"], a_number="A987654321")
    cn = call(client, "post", "/v1/appointments", body)[1]["confirmation_number"]
    proof = {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}
    call(client, "post", f"/v1/appointments/{cn}/lookup", proof)
    call(client, "post", f"/v1/appointments/{cn}/lookup", {**proof, "date_of_birth": "1979-01-01"})
    call(client, "post", f"/v1/appointments/{cn}/cancel", proof)
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    assert caplog.records, "expected the booking to log something"
    for secret in ("Ruiz", "1979-08-30", "ana.ruiz@example.org", "555-0199", "987654321"):
        assert secret not in logged


def test_a_path_no_route_matches_is_a_404_problem_like_the_deployed_gateway(client):
    for path in ("/v1/nope", "/v2/offices", "/v1/appointments/ABC/explode"):
        assert_problem(*call(client, "get", path), 404, "not_found")


def items_read(moto_server):
    """Items the moto server's Queries and Scans read since the last call, by table or
    "table/index" (their ScannedCount: what DynamoDB bills, whatever the filter kept)."""
    import urllib.request

    from local.moto_server import ITEMS_READ_PATH

    request = urllib.request.Request(moto_server + ITEMS_READ_PATH, method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())



def test_availability_reads_the_slots_it_can_show_and_not_the_booked_out_ones(client,
                                                                               moto_server):
    from chalicelib.booking.jobs import unlist_booked_out_slots
    from chalicelib.booking.schedule import slot_id
    from local.worker import scheduled_event

    slots = open_slots(client)
    kept = [s["slot_id"] for s in slots[-3:]]
    # The office booked out but for its last three slots: the state bookings leave (a booking
    # takes its seat and leaves the listing alone) ...
    for record in tables.SlotRecord.query(OFFICE):
        start = datetime.fromisoformat(record.start.replace("Z", "+00:00"))
        if slot_id(OFFICE, start) not in kept:
            record.update(actions=[tables.SlotRecord.available.set(0)])
    # ... and the last seat of one of the three taken over the API.
    tables.SlotRecord(OFFICE, _utc(kept[0])).update(actions=[tables.SlotRecord.available.set(1)])
    assert call(client, "post", "/v1/appointments", booking(kept[0]))[0] == 201
    table = tables.SlotRecord.Meta.table_name

    def slots_read():
        return {name: n for name, n in items_read(moto_server).items() if name.startswith(table)}

    slots_read()
    assert [s["slot_id"] for s in open_slots(client)] == kept[1:]
    read = slots_read()
    assert list(read) == [f"{table}/listed"]  # the table itself is not read
    assert read[f"{table}/listed"] > len(kept)  # booked out since the job's last run
    unlist_booked_out_slots(scheduled_event(), None)
    slots_read()
    assert [s["slot_id"] for s in open_slots(client)] == kept[1:]
    assert slots_read() == {f"{table}/listed": 2}


def _utc(raw_slot_id):
    from chalicelib.booking.schedule import parse_slot_id

    return parse_slot_id(raw_slot_id)[1].strftime("%Y-%m-%dT%H:%M:%SZ")
