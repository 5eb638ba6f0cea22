"""Booking promises that hold against careless and dishonest callers (issue 9), through HTTP."""
import json

import pytest

from chalicelib import tables
from tests.api.test_booking_api import (PERSON, assert_problem, booking, call,  # noqa: F401
                                        client, slot_in)

PROOF = {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}


def _book(client, slot_id, **changes):
    return call(client, "post", "/v1/appointments", booking(slot_id, **changes))


# Cases loop inside one test: each test pays for fresh tables and a generated office window.

def test_phone_numbers_that_cannot_be_dialled_are_refused_with_the_field_named(client):
    slot_id = slot_in(client, 3)["slot_id"]
    for phone in ["0000000000", "1234567890", "+1 000 000 0000", "555-0199", "+999 1234 5678"]:
        status, data, headers = _book(client, slot_id, applicant={**PERSON, "phone": phone})
        assert_problem(status, data, headers, 422, "validation_failed")
        assert "applicant.phone" in {e["field"] for e in data["errors"]}, phone
        assert phone not in json.dumps(data)
    assert tables.AppointmentRecord.count() == 0


def test_phone_numbers_are_stored_in_e164_with_us_as_the_default_country(client):
    for n, (phone, stored) in enumerate([("(305) 555-0199", "+13055550199"),
                                         ("+44 20 7946 0958", "+442079460958")]):
        person = {**PERSON, "phone": phone, "first_name": f"Ana{'ab'[n]}"}
        status, booked, _ = _book(client, slot_in(client, 3)["slot_id"], applicant=person)
        assert status == 201, booked
        cn = booked["confirmation_number"]
        status, seen, _ = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)
        assert status == 200 and seen["applicant"]["phone"] == stored
        assert tables.AppointmentRecord.get(cn.replace("-", "")).applicant["phone"] == stored


def test_a_date_of_birth_is_only_ever_yyyy_mm_dd(client):
    slot_id = slot_in(client, 3)["slot_id"]
    for dob in [481420800, "481420800", "1985-03-04T00:00:00", "1985-3-4", "04/03/1985",
                "１９８５-０３-０４", None, True]:
        status, data, headers = _book(client, slot_id, applicant={**PERSON, "date_of_birth": dob})
        assert_problem(status, data, headers, 422, "validation_failed")
        assert "applicant.date_of_birth" in {e["field"] for e in data["errors"]}, dob
    assert tables.AppointmentRecord.count() == 0


def test_proofs_take_the_date_of_birth_only_as_yyyy_mm_dd(client):
    slot = slot_in(client, 3)
    cn = _book(client, slot["slot_id"])[1]["confirmation_number"]
    for route in ("lookup", "cancel", "reschedule"):
        for dob in (304560000, "1979-08-30T00:00:00"):
            body = {**PROOF, "date_of_birth": dob}
            if route == "reschedule":
                body["slot_id"] = slot_in(client, 5)["slot_id"]
            status, data, headers = call(client, "post", f"/v1/appointments/{cn}/{route}", body)
            assert_problem(status, data, headers, 422, "validation_failed")
            assert "date_of_birth" in {e["field"] for e in data["errors"]}
    # Nothing moved: the exact spelling still proves the booking, which is unchanged.
    status, seen, _ = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)
    assert status == 200 and seen["status"] == "booked" and seen["slot_id"] == slot["slot_id"]


def _spellings(slot_id):
    office, _, stamp = slot_id.rpartition(".")
    return [f"{office}.{stamp.lower()}", f"{office.upper()}.{stamp}",
            f"{office}.{stamp[:8]}t{stamp[9:]}"]


def test_a_slot_id_in_another_case_is_booked_under_its_canonical_id(client):
    slot = slot_in(client, 3)
    status, booked, _ = _book(client, _spellings(slot["slot_id"])[0])
    assert status == 201, booked
    cn = booked["confirmation_number"]
    record = tables.AppointmentRecord.get(cn.replace("-", ""))
    assert record.slot_id == slot["slot_id"]
    seen = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)[1]
    assert seen["slot_id"] == slot["slot_id"]


def test_ambiguous_slot_spellings_are_unknown_slots_not_bookings(client):
    slot = slot_in(client, 3)
    office, _, stamp = slot["slot_id"].rpartition(".")
    # A one-digit month or day: "2026121" could be 1 December or 21 January.
    day, month = stamp[6:8], stamp[4:6]
    ambiguous = [f"{office}.{stamp[:6]}{int(day)}{stamp[8:]}",
                 f"{office}.{stamp[:4]}{int(month)}{stamp[6:]}",
                 f"{office}.{stamp[:-1]}", f"{office}..{stamp}", f"{office}.{stamp}Z",
                 f"{office}.{stamp.replace('T', '_')}"]
    for spelling in ambiguous:
        if spelling == slot["slot_id"]:
            continue  # a two-digit day or month has no one-digit spelling
        assert_problem(*_book(client, spelling), 404, "unknown_slot")
    assert tables.AppointmentRecord.count() == 0


def test_rescheduling_to_any_spelling_of_the_current_slot_is_same_slot(client):
    slot = slot_in(client, 3)
    cn = _book(client, slot["slot_id"])[1]["confirmation_number"]
    for spelling in [slot["slot_id"], *_spellings(slot["slot_id"])]:
        status, data, headers = call(client, "post", f"/v1/appointments/{cn}/reschedule",
                                     {**PROOF, "slot_id": spelling})
        assert_problem(status, data, headers, 409, "same_slot")
    seen = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)[1]
    assert seen["version"] == 1 and seen["slot_id"] == slot["slot_id"]


def test_rescheduling_from_a_lower_case_booking_to_the_canonical_id_is_same_slot(client):
    slot = slot_in(client, 3)
    cn = _book(client, _spellings(slot["slot_id"])[0])[1]["confirmation_number"]
    assert_problem(*call(client, "post", f"/v1/appointments/{cn}/reschedule",
                         {**PROOF, "slot_id": slot["slot_id"]}), 409, "same_slot")


def test_rescheduling_to_another_spelling_of_another_slot_moves_to_its_canonical_id(client):
    first, second = slot_in(client, 3), slot_in(client, 5)
    cn = _book(client, first["slot_id"])[1]["confirmation_number"]
    status, moved, _ = call(client, "post", f"/v1/appointments/{cn}/reschedule",
                            {**PROOF, "slot_id": _spellings(second["slot_id"])[0]})
    assert status == 200 and moved["slot_id"] == second["slot_id"]
    assert tables.AppointmentRecord.get(cn.replace("-", "")).slot_id == second["slot_id"]


def test_optional_fields_and_look_alike_letters_do_not_make_a_second_person(client):
    status, first, _ = _book(client, slot_in(client, 3)["slot_id"])
    assert status == 201
    for changes in [{"a_number": "A123456789"}, {"a_number": "A987654321"},
                    {"applicant": {**PERSON, "first_name": "\u0410na"}},  # Cyrillic А
                    {"applicant": {**PERSON, "last_name": "Ru\u0456z"}},  # Ukrainian і
                    {"applicant": {**PERSON, "first_name": "ANA", "last_name": "ruíz"}}]:
        status, data, headers = _book(client, slot_in(client, 5)["slot_id"], **changes)
        assert_problem(status, data, headers, 409, "already_booked")
    assert tables.AppointmentRecord.count() == 1


def test_the_a_number_is_kept_as_an_attribute(client):
    status, booked, _ = _book(client, slot_in(client, 3)["slot_id"], a_number="a-12345678")
    assert status == 201
    record = tables.AppointmentRecord.get(booked["confirmation_number"].replace("-", ""))
    assert record.a_number == "A012345678"


def test_inside_the_cutoff_a_booking_says_changes_are_closed_and_can_still_be_cancelled(
        client, monkeypatch):
    from chalicelib import wiring
    monkeypatch.setenv("CHANGE_CUTOFF_HOURS", str(24 * 30))  # every slot is inside the cutoff
    wiring.rewire()
    slot = slot_in(client, 3)
    status, booked, _ = _book(client, slot["slot_id"])
    assert status == 201 and booked["changes_closed"] is True
    cn = booked["confirmation_number"]
    assert_problem(*call(client, "post", f"/v1/appointments/{cn}/reschedule",
                         {**PROOF, "slot_id": slot_in(client, 5)["slot_id"]}), 409, "too_late")
    status, cancelled, _ = call(client, "post", f"/v1/appointments/{cn}/cancel", PROOF)
    assert status == 200 and cancelled["status"] == "cancelled"
    seats = {s["slot_id"]: s["available"] for s in
             call(client, "get", "/v1/offices/miami/slots")[1]["slots"]}
    assert seats[slot["slot_id"]] == slot["available"]  # the seat is back at once


def test_a_booking_outside_the_cutoff_says_until_when_it_can_be_moved(client):
    from datetime import datetime, timedelta
    status, booked, _ = _book(client, slot_in(client, 3)["slot_id"])
    assert status == 201 and booked["changes_closed"] is False
    assert datetime.fromisoformat(booked["changes_close_at"]) == \
        datetime.fromisoformat(booked["start"]) - timedelta(hours=24)
    assert booked["timezone"] == "America/New_York"


MOVES = [("boston", "America/New_York", "Boston Field Office"),
         ("honolulu", "Pacific/Honolulu", "Honolulu Field Office"),
         ("denver", "America/Denver", "Denver Field Office"),
         ("anchorage", "America/Anchorage", "Anchorage Field Office")]


def test_a_move_to_another_office_takes_its_time_zone_address_and_name_everywhere(client):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo
    from chalicelib import wiring
    from chalicelib.booking import offices
    wiring.booking_service().generate_slots([office for office, _, _ in MOVES])

    def far_slot(office):
        slots = call(client, "get", f"/v1/offices/{office}/slots")[1]["slots"]
        return slots[len(slots) // 2]

    first = far_slot("boston")
    cn = _book(client, first["slot_id"])[1]["confirmation_number"]
    for office, zone, name in MOVES[1:]:
        target = far_slot(office)
        status, moved, _ = call(client, "post", f"/v1/appointments/{cn}/reschedule",
                                {**PROOF, "slot_id": target["slot_id"]})
        assert status == 200, moved
        start = datetime.fromisoformat(moved["start"])
        assert moved["timezone"] == zone and moved["office"]["name"] == name
        assert moved["office"]["address"] == offices.get(office)["address"]
        assert moved["start"] == target["start"]  # the office's wall clock, its own offset
        assert start.utcoffset() == start.astimezone(ZoneInfo(zone)).utcoffset()
        assert moved["changes_close_at"].endswith(moved["start"][-6:])
        record = tables.AppointmentRecord.get(cn.replace("-", ""))
        assert record.timezone == zone and record.office_id == office
        assert record.start == start.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        seen = call(client, "post", f"/v1/appointments/{cn}/lookup", PROOF)[1]
        assert seen["timezone"] == zone and seen["start"] == target["start"]


def test_triage_bodies_and_proofs_take_birth_dates_and_phones_in_one_spelling_too(client):
    from tests.api.test_triage_api import PROOF as TRIAGE_PROOF, REQUESTER, request_body
    for applicant in ({**REQUESTER, "date_of_birth": 304560000},
                      {**REQUESTER, "date_of_birth": "1979-08-30T00:00:00"},
                      {**REQUESTER, "phone": "0000000000"}):
        status, data, headers = call(client, "post", "/v1/service-requests",
                                     request_body(applicant=applicant))
        assert_problem(status, data, headers, 422, "validation_failed")
        assert {e["field"] for e in data["errors"]} & {"applicant.date_of_birth", "applicant.phone"}
    status, submitted, _ = call(client, "post", "/v1/service-requests", request_body())
    assert status == 201, submitted
    number = submitted["request_id"]
    status, data, headers = call(client, "post", f"/v1/service-requests/{number}/status",
                                 {**TRIAGE_PROOF, "date_of_birth": 304560000})
    assert_problem(status, data, headers, 422, "validation_failed")


def test_a_third_upcoming_appointment_on_one_email_or_phone_is_refused(client):
    family = [{**PERSON, "first_name": name, "email": email, "phone": phone}
              for name, email, phone in [("Ana", "casa.ruiz@example.org", "(305) 555-0101"),
                                         ("Luis", "CASA.RUIZ@example.org", "305.555.0101"),
                                         ("Marta", "casa.ruiz@Example.org", "(305) 555-0103"),
                                         ("Pablo", "pablo@example.org", "+1 305 555 0101")]]
    booked = [_book(client, slot_in(client, 3)["slot_id"], applicant=p) for p in family[:2]]
    assert [b[0] for b in booked] == [201, 201]
    for third in family[2:]:  # the same email in other letter cases; the same phone, spelled otherwise
        status, data, headers = _book(client, slot_in(client, 4)["slot_id"], applicant=third)
        assert_problem(status, data, headers, 409, "contact_limit_reached")
        assert data["limit"] == 2
        assert "casa" not in json.dumps(data) and "555" not in json.dumps(data)
    assert tables.AppointmentRecord.count() == 2
    # A contact holds no address in the clear.
    for seat in tables.ContactSeatRecord.scan():
        assert "@" not in seat.contact_key and "305" not in seat.contact_key
    # Giving one back frees its seats at once.
    cn = booked[0][1]["confirmation_number"]
    assert call(client, "post", f"/v1/appointments/{cn}/cancel", PROOF)[0] == 200
    assert _book(client, slot_in(client, 4)["slot_id"], applicant=family[2])[0] == 201
    # The person who already holds an appointment hears that first.
    status, data, headers = _book(client, slot_in(client, 5)["slot_id"], applicant=family[1])
    assert_problem(status, data, headers, 409, "already_booked")
