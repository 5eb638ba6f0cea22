"""What a person receives, in each of the 12 languages: the email's text and HTML parts, the
MIME message SES sends, the .ics attachment, and the printable letter."""
import email
import email.policy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest

from chalicelib import i18n
from chalicelib.booking import domain
from chalicelib.notices import render
from chalicelib.notices.appointments import KINDS, AppointmentNoticePolicy, AppointmentNotices
from tests.fakes import FixedClock
from tests.notice_fakes import FakeAppointmentStore, appointment

CN = "7K3M9Q2XHD4P"
START = datetime(2026, 12, 1, 14, tzinfo=timezone.utc)  # 09:00 in Boston
NOW = datetime(2026, 11, 20, 15, tzinfo=timezone.utc)
BRING = ["This appointment notice (the original, printed or on your phone)",
         "A government-issued photo ID, such as a passport or driver's license",
         "Your immigration documents, such as a green card, work permit or I-94",
         "Documents about your case, such as notices, receipts and evidence",
         "A signed Form G-28 if an attorney or accredited representative comes with you"]


def notices_for(language, **changes):
    store = FakeAppointmentStore()
    store.put(appointment(CN, start=START, language=language, **changes))
    return AppointmentNotices(store, AppointmentNoticePolicy(), FixedClock(NOW))


def rendered(language, kind="booking_confirmation", **changes):
    notices = notices_for(language, **changes)
    data = notices.load(CN, 1)
    t = i18n.translator(data.language)
    content = notices.render(kind, data, t)
    return t, data, content, render.email(content, data, t, NOW)


@pytest.mark.parametrize("language", domain.LANGUAGES)
def test_a_confirmation_has_everything_a_person_needs_in_their_language(language):
    t, data, content, message = rendered(language)
    start = START.astimezone(ZoneInfo("America/New_York"))
    text = message.text
    for needed in ["7K3M-9Q2X-HD4P", "Boston Field Office", "15 New Sudbury Street, Boston, MA 02203",
                   t.date(start), t.time(start), t.zone_name(start), "America/New_York",
                   "1-800-375-5283", "G-28", "https://infopass.example.gov/manage",
                   t.when(start - timedelta(hours=24))]:
        assert needed in text, f"{language}: {needed!r} missing"
    for item in BRING:
        assert t.gettext(item) in text
    assert message.subject == t.gettext("Your USCIS appointment is confirmed: {number}").format(
        number="7K3M-9Q2X-HD4P")
    if language != "en":
        assert t.gettext(BRING[1]) != BRING[1]
        assert "Your appointment at a USCIS field office is confirmed." not in text


@pytest.mark.parametrize("language", domain.LANGUAGES)
def test_the_mime_message_carries_text_html_and_the_calendar_file(language):
    t, data, content, message = rendered(language)
    raw = render.mime(message, "USCIS InfoPass <no-reply@infopass.example.gov>")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == message.subject
    assert parsed["To"] == "maria@example.org"
    assert parsed["Content-Language"] == language
    assert parsed.get_body(("plain",)).get_content() == message.text
    html = parsed.get_body(("html",)).get_content()
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "appointment.ics"
    assert attachment.get_content_type() == "text/calendar"


def test_the_calendar_entry_is_at_the_right_moment_in_any_calendar_app():
    t, data, content, message = rendered("en")
    calendar = icalendar.Calendar.from_ical(message.attachments[0].data)
    [event] = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "America/New_York"
    assert start.astimezone(timezone.utc) == START
    assert event.decoded("dtend") - start == timedelta(minutes=30)
    assert [z["TZID"] for z in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert event["UID"] == f"appointment-{CN}@infopass"
    assert "Boston Field Office, 15 New Sudbury Street" in event["LOCATION"]
    assert "7K3M-9Q2X-HD4P" in event["DESCRIPTION"]


@pytest.mark.parametrize("language", domain.LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_language(language, kind):
    changes = {"status": "cancelled"} if kind in ("cancellation", "closure_cancellation") else {}
    t, data, content, message = rendered(language, kind, **changes)
    assert "7K3M-9Q2X-HD4P" in message.text and "1-800-375-5283" in message.text
    assert t.gettext(BRING[4]) in message.text  # what to bring, on every notice
    assert message.attachments[0].filename == "appointment.ics"


def test_a_confirmation_for_a_cancelled_appointment_is_not_rendered():
    notices = notices_for("en", status="cancelled")
    data = notices.load(CN, 1)
    assert notices.render("booking_confirmation", data, i18n.translator("en")) is None
    assert notices.render("reminder", data, i18n.translator("en")) is None


def test_what_people_typed_is_escaped_in_html():
    t, data, content, message = rendered("en", applicant={
        "first_name": "<script>alert(1)</script>", "last_name": "O'Brien & Co",
        "email": "x@example.org", "address": None})
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html and "O&#x27;Brien &amp; Co" in message.html


def test_arabic_html_is_laid_out_right_to_left():
    t, data, content, message = rendered("ar")
    assert 'dir="rtl"' in message.html and 'lang="ar"' in message.html
    assert "تم تأكيد موعدك" in message.subject


def test_a_letter_has_the_address_block_the_date_and_the_same_content():
    t, data, content, message = rendered("vi", contact_method="mail")
    letter = render.letter(content, data, t, f"appointment#{CN}#booking_confirmation#1", NOW)
    lines = letter.text.splitlines()
    assert lines[:3] == ["Maria Santos", "1 Main St", "Boston, MA 02108"]
    assert t.date(NOW) in letter.text and message.text.strip() in letter.text
    assert letter.office_id == "boston" and letter.language == "vi"
    assert '<html lang="vi" dir="ltr">' in letter.html and "<address" in letter.html


@pytest.mark.parametrize("language", ["pt", "ar", "ru", "zh-Hant"])
def test_the_calendar_part_says_it_is_utf8_so_strict_parsers_keep_the_letters(language):
    t, data, content, message = rendered(language)
    raw = render.mime(message, "USCIS InfoPass <no-reply@infopass.example.gov>")
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    [part] = list(parsed.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_content_charset() == "utf-8" and part.get_param("method") == "PUBLISH"
    summary = t.gettext("USCIS appointment at {office}").format(office="Boston Field Office")
    assert summary.encode("utf-8") in part.get_payload(decode=True).replace(b"\r\n ", b"")
    calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True).decode("utf-8"))
    assert calendar.walk("VEVENT")[0]["SUMMARY"] == summary


def test_haitian_creole_notices_give_dates_in_kreyol_not_french():
    t, data, content, message = rendered("ht")  # 1 December 2026, a Tuesday, 09:00 in Boston
    assert "madi 1 desanm 2026" in message.text
    assert "Eastern Standard Time" in message.text
    for french in ("mardi", "décembre", "déc.", "heure normale", " à "):
        assert french not in message.text, french
    reminder = rendered("ht", "reminder")[3]
    assert reminder.subject.endswith("1 desanm 2026")
    moment = datetime(2026, 7, 4, 15, tzinfo=ZoneInfo("America/New_York"))
    ht = i18n.translator("ht")
    assert ht.date(moment) == "samdi 4 jiyè 2026" and ht.short_date(moment) == "4 jiyè 2026"
    assert ht.when(moment) == "samdi 4 jiyè 2026 a 15:00 Eastern Daylight Time"


@pytest.mark.parametrize("language", domain.LANGUAGES)
def test_a_confirmation_inside_the_cutoff_says_it_can_be_cancelled_but_not_moved(language):
    store = FakeAppointmentStore()
    soon = NOW + timedelta(hours=20)
    store.put(appointment(CN, start=soon, language=language))
    notices = AppointmentNotices(store, AppointmentNoticePolicy(), FixedClock(NOW))
    data = notices.load(CN, 1)
    t = i18n.translator(language)
    text = render.email(notices.render("booking_confirmation", data, t), data, t, NOW).text
    closed = t.gettext("This appointment is less than {hours} hours away, so it can no longer be "
                       "rescheduled online. You can still cancel it online at {url} until it "
                       "starts, with your confirmation number, last name and date of birth.")
    assert closed.format(hours=24, url="https://infopass.example.gov/manage") in text
    open_text = t.gettext("Go to {url} and enter your confirmation number, last name and date of "
                          "birth. You can reschedule online until {deadline} and cancel online "
                          "until the appointment starts.")
    past_deadline = t.when(soon.astimezone(ZoneInfo("America/New_York")) - timedelta(hours=24))
    assert past_deadline not in text  # no offer of a change that is already closed
    far = rendered(language)[3].text  # 11 days ahead: open, with the reschedule deadline
    assert open_text.format(url="https://infopass.example.gov/manage",
                            deadline=t.when(START.astimezone(ZoneInfo("America/New_York"))
                                            - timedelta(hours=24))) in far


def test_an_offices_time_zone_definition_is_built_once_and_every_calendar_file_carries_it(
        monkeypatch):
    from icalendar import Timezone

    from chalicelib.notices import calendar as ics
    ics._vtimezone.cache_clear()
    built = []
    real = Timezone.from_tzid.__func__
    monkeypatch.setattr(Timezone, "from_tzid", classmethod(
        lambda cls, tzid, **kw: built.append(tzid) or real(cls, tzid, **kw)))
    first, second = (rendered("en")[3].attachments[0].data for _ in range(2))
    assert built == ["America/New_York"]
    assert first == second
    for data in (first, second):
        calendar = icalendar.Calendar.from_ical(data)
        assert [z["TZID"] for z in calendar.walk("VTIMEZONE")] == ["America/New_York"]
