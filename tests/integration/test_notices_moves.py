"""After a move to another office, every notice shows the new office's time zone, address and
name: email text, .ics, letter and the reminder schedule (the notices pipeline on moto)."""
import email
import email.policy
import json
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar

from chalicelib import i18n, wiring
from chalicelib.booking import offices
from chalicelib.booking.validation import BookingRequest, RescheduleRequest
from chalicelib.notices import blocks, handlers
from chalicelib.notices.records import LetterRecord
from chalicelib.tables import AppointmentRecord
from local.sqs_poller import poll_once
from tests.integration.test_notices_pipeline import stack  # noqa: F401

PROOF = {"last_name": "Ruiz", "date_of_birth": "1979-08-30"}
ROUTE = [("boston", "America/New_York"), ("honolulu", "Pacific/Honolulu"),
         ("denver", "America/Denver"), ("anchorage", "America/Anchorage")]


def raw_messages(moto_url):
    with urllib.request.urlopen(f"{moto_url}/infopass/sent-mail.json", timeout=30) as response:
        state = json.load(response)
    return [email.message_from_string(m["raw_data"], policy=email.policy.default)
            for m in state.get("ses", {}).get("RawMessage", [])]


def middle_slot(office):
    slots = wiring.booking_service().availability(office, None, None)["slots"]
    return slots[len(slots) // 2]["slot_id"]


def body(slot_id, contact_method="email"):
    return {"slot_id": slot_id,
            "applicant": {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
                          "email": "ana.ruiz@example.org", "phone": "(305) 555-0199",
                          "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL",
                                      "zip": "33139"}},
            "reason": {"category": "other"}, "language": "en", "contact_method": contact_method}


def test_every_notice_after_a_move_speaks_the_new_offices_time(stack):
    service = wiring.booking_service()
    service.generate_slots([office for office, _ in ROUTE])
    booked = service.book(BookingRequest.model_validate(body(middle_slot("boston"))))
    cn = booked.body["confirmation_number"].replace("-", "")
    assert poll_once(stack["queue"], handlers.send_notice) == 1
    t = i18n.translator("en")
    for office_id, zone in ROUTE[1:]:
        moved = service.reschedule(cn, RescheduleRequest.model_validate(
            {**PROOF, "slot_id": middle_slot(office_id)}))
        assert poll_once(stack["queue"], handlers.send_notice) == 1
        office = offices.get(office_id)
        record = AppointmentRecord.get(cn)
        start = datetime.fromisoformat(record.start.replace("Z", "+00:00"))
        local = start.astimezone(ZoneInfo(zone))
        assert record.timezone == zone and moved["timezone"] == zone
        assert moved["start"] == local.isoformat()
        # The reminder follows the new start (48 hours before it, in UTC).
        due = datetime.fromisoformat(record.reminder_due.replace("Z", "+00:00"))
        assert start - due == timedelta(hours=48)
        message = raw_messages(stack["moto"])[-1]
        assert message["Subject"].startswith("Your USCIS appointment has been rescheduled")
        text = message.get_body(("plain",)).get_content()
        for needed in (office["name"], blocks.one_line_address(office["address"]), zone,
                       t.date(local), f"{t.time(local)} {t.zone_name(local)}"):
            assert needed in text, (office_id, needed)
        for other, other_zone in ROUTE:
            if other != office_id:
                assert offices.get(other)["name"] not in text and f"({other_zone})" not in text
        [part] = list(message.iter_attachments())
        calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        event = calendar.walk("VEVENT")[0]
        assert str(event.decoded("dtstart").tzinfo) == zone
        assert event.decoded("dtstart").astimezone(timezone.utc) == start
        assert [z["TZID"] for z in calendar.walk("VTIMEZONE")] == [zone]
        assert office["name"] in str(event["LOCATION"])


def test_a_mailed_letter_after_a_move_names_the_new_office_and_its_time(stack):
    service = wiring.booking_service()
    service.generate_slots(["boston", "honolulu"])
    booked = service.book(BookingRequest.model_validate(body(middle_slot("boston"), "mail")))
    cn = booked.body["confirmation_number"].replace("-", "")
    service.reschedule(cn, RescheduleRequest.model_validate(
        {**PROOF, "slot_id": middle_slot("honolulu")}))
    poll_once(stack["queue"], handlers.send_notice)
    poll_once(stack["queue"], handlers.send_notice)
    [letter] = [r for r in LetterRecord.query("honolulu")]
    start = datetime.fromisoformat(AppointmentRecord.get(cn).start.replace("Z", "+00:00"))
    local = start.astimezone(ZoneInfo("Pacific/Honolulu"))
    t = i18n.translator("en")
    assert "Honolulu Field Office" in letter.text and "Pacific/Honolulu" in letter.text
    assert f"{t.time(local)} {t.zone_name(local)}" in letter.text
    assert "America/New_York" not in letter.text
