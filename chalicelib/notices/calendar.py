"""The .ics attachment. Times carry their IANA zone (TZID) with a VTIMEZONE definition, so every
calendar app shows the office-local time, converted to the reader's zone if it differs."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from chalicelib.notices.model import Attachment, CalendarEvent

PRODID = "-//InfoPass//Appointment notices//EN"


def ics(event: CalendarEvent, now: datetime) -> bytes:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    # PUBLISH: an entry to add to one's own calendar, not a meeting invitation to answer.
    calendar.add("method", "PUBLISH")
    entry = Event()
    entry.add("uid", event.uid)
    entry.add("sequence", event.sequence)
    entry.add("dtstamp", now.astimezone(timezone.utc))
    entry.add("dtstart", event.start)
    entry.add("dtend", event.end)
    entry.add("summary", event.summary)
    entry.add("location", event.location)
    entry.add("description", event.description)
    entry.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    entry.add("transp", "OPAQUE")
    calendar.add_component(entry)
    for tzid in sorted(calendar.get_missing_tzids(), reverse=True):
        calendar.subcomponents.insert(0, _vtimezone(tzid))
    return calendar.to_ical()


@lru_cache(maxsize=None)
def _vtimezone(tzid: str):
    """The zone's VTIMEZONE, built once per zone and process (icalendar's
    `add_missing_timezones` walks 1970-2038 offset by offset each time: about 10 ms of every
    confirmation the consumer sends). Only written out afterwards, never changed."""
    from icalendar import Timezone

    return Timezone.from_tzid(tzid)


def attachment(event: CalendarEvent, now: datetime) -> Attachment:
    # icalendar writes UTF-8; without the charset strict parsers read it as ASCII or Latin-1.
    return Attachment("appointment.ics", "text/calendar; method=PUBLISH; charset=utf-8",
                      ics(event, now))
