"""Appointment notices: confirmations, reschedules, cancellations and reminders.

A notice describes one version of an appointment. When the appointment has moved on (a reschedule
or a cancellation wrote a newer version, with its own notice), the older notice is skipped, so no
one receives a stale time. Reminders are scheduled when a confirmation settles, for
`reminder_lead` before the start, unless that moment had already passed when the version was
written: a reminder is never sent late.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from chalicelib.booking import offices
from chalicelib.booking.domain import format_confirmation_number
from chalicelib.booking.representation import CONTACT_CENTER_PHONE
from chalicelib.notices import blocks
from chalicelib.notices.events import NoticeEvent, PublishFailed
from chalicelib.notices.model import (CalendarEvent, Content, Facts, Heading, NoticeData,
                                      Paragraph)
from chalicelib.notices.ports import AppointmentStore, NoticeQueue, StoredAppointment
from chalicelib.notices.registry import Subject, register

log = logging.getLogger(__name__)

SUBJECT = "appointment"
BOOKING_CONFIRMATION = "booking_confirmation"
RESCHEDULE_CONFIRMATION = "reschedule_confirmation"
CANCELLATION = "cancellation"
REMINDER = "reminder"
# The office closed at the time of the visit (chalicelib/offices/): a cancellation that explains.
CLOSURE_CANCELLATION = "closure_cancellation"
KINDS = (BOOKING_CONFIRMATION, RESCHEDULE_CONFIRMATION, CANCELLATION, REMINDER,
         CLOSURE_CANCELLATION)
_CANCELLED = (CANCELLATION, CLOSURE_CANCELLATION)


@dataclass(frozen=True)
class AppointmentNoticePolicy:
    change_cutoff: timedelta = timedelta(hours=24)
    reminder_lead: timedelta = timedelta(hours=48)
    manage_url: str = "https://infopass.example.gov/manage"


class AppointmentNotices:
    def __init__(self, store: AppointmentStore, policy: AppointmentNoticePolicy,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        # The appointment `load` read, by (number, version), for the reminder `sent` schedules
        # right after: a version's start and times never change, so it needs no second read.
        self._loaded: dict[tuple[str, int], StoredAppointment] = {}

    # --- the subject's contract ------------------------------------------------------------

    def load(self, confirmation_number: str, version: int) -> NoticeData | None:
        a = self.store.get(confirmation_number)
        if a is None or a.version != version or a.start <= self.clock():
            return None  # gone, superseded by a newer version's notice, or already over
        if len(self._loaded) > 64:
            self._loaded.clear()
        self._loaded[(confirmation_number, version)] = a
        office = offices.get(a.office_id, anywhere=True)
        zone = ZoneInfo(a.timezone)
        start = a.start.astimezone(zone)
        applicant = a.applicant or {}
        name = " ".join(p for p in (applicant.get("first_name"), applicant.get("last_name")) if p)
        return NoticeData(
            version=a.version, language=a.language, channel=a.contact_method, name=name,
            email=applicant.get("email"), postal_address=applicant.get("address"),
            office_id=a.office_id,
            fields={"confirmation_number": a.confirmation_number,
                    "number": format_confirmation_number(a.confirmation_number),
                    "status": a.status, "office_name": office["name"],
                    "office_address": blocks.one_line_address(office["address"]),
                    "start": start, "end": a.end.astimezone(zone), "timezone": a.timezone,
                    "changes_close": start - self.policy.change_cutoff,
                    # A visit granted through triage: the requester's request number.
                    "service_request": (a.reason or {}).get("service_request"),
                    # Booked (or moved) inside the cutoff, or the cutoff passed before this
                    # notice went out: say so, rather than offer a change that is closed.
                    "changes_closed": self.clock() >= a.start - self.policy.change_cutoff,
                    "cutoff_hours": int(self.policy.change_cutoff.total_seconds() // 3600),
                    "manage_url": self.policy.manage_url})

    def sent(self, confirmation_number: str, kind: str, version: int) -> None:
        self.store.clear_pending(confirmation_number, f"{kind}:{version}")
        if kind in (BOOKING_CONFIRMATION, RESCHEDULE_CONFIRMATION):
            self._schedule_reminder(confirmation_number, version)
        elif kind in (*_CANCELLED, REMINDER):
            self.store.clear_reminder(confirmation_number, version)

    def outbox(self, older_than: datetime) -> Iterable[NoticeEvent]:
        for confirmation_number, entries in self.store.pending_outbox(older_than):
            for entry in sorted(entries):
                kind, _, version = entry.rpartition(":")
                if kind in KINDS and version.isdigit():
                    yield NoticeEvent(kind, SUBJECT, confirmation_number, int(version))

    def subject(self) -> Subject:
        return Subject(name=SUBJECT, load=self.load,
                       kinds={kind: (lambda data, t, kind=kind: self.render(kind, data, t))
                              for kind in KINDS},
                       sent=self.sent, outbox=self.outbox)

    # --- reminders --------------------------------------------------------------------------

    def _schedule_reminder(self, confirmation_number: str, version: int) -> None:
        a = (self._loaded.pop((confirmation_number, version), None)
             or self.store.get(confirmation_number))
        if a is None or a.version != version or a.status != "booked":
            return  # a newer version's notice schedules (or drops) the reminder
        due = a.start - self.policy.reminder_lead
        if due <= a.updated_at:
            # Booked (or moved) inside the reminder lead: the confirmation is the reminder.
            self.store.clear_reminder(confirmation_number, version)
            return
        self.store.schedule_reminder(confirmation_number, version, due)

    def publish_due_reminders(self, queue: NoticeQueue) -> dict[str, int]:
        """Publish a reminder event for every reminder now due. Safe to run twice or late: the
        reminder stays scheduled until its notice settles, and the sent log keeps it to one."""
        now = self.clock()
        lookback = self.policy.reminder_lead.days + 1
        counts = {"published": 0, "expired": 0, "failed": 0}
        for due in self.store.due_reminders(now, lookback):
            a = self.store.get(due.confirmation_number)
            if (a is None or a.version != due.version or a.status != "booked"
                    or a.start <= now):
                self.store.clear_reminder(due.confirmation_number, due.version)
                counts["expired"] += 1
                continue
            try:
                queue.publish(NoticeEvent(REMINDER, SUBJECT, due.confirmation_number, due.version))
            except PublishFailed:
                counts["failed"] += 1
                continue
            counts["published"] += 1
        return counts

    # --- content ----------------------------------------------------------------------------

    def render(self, kind: str, data: NoticeData, t) -> Content | None:
        _ = t.gettext
        f = data.fields
        if kind not in _CANCELLED and f["status"] != "booked":
            return None
        if kind in _CANCELLED and f["status"] != "cancelled":
            return None
        start, number = f["start"], f["number"]
        subjects = {
            BOOKING_CONFIRMATION: _("Your USCIS appointment is confirmed: {number}"),
            RESCHEDULE_CONFIRMATION: _("Your USCIS appointment has been rescheduled: {number}"),
            CANCELLATION: _("Your USCIS appointment has been cancelled: {number}"),
            REMINDER: _("Reminder: your USCIS appointment on {date}"),
            CLOSURE_CANCELLATION: _("The USCIS office is closed: your appointment {number} "
                                    "is cancelled"),
        }
        intros = {
            BOOKING_CONFIRMATION: _("Your appointment at a USCIS field office is confirmed."),
            RESCHEDULE_CONFIRMATION: _("Your appointment has been moved to a new date and time. "
                                       "Your previous time is no longer reserved for you."),
            CANCELLATION: _("Your appointment has been cancelled. Do not come to the office "
                            "at this time."),
            REMINDER: _("This is a reminder of your upcoming appointment at a USCIS field "
                        "office."),
            CLOSURE_CANCELLATION: _("The field office has to close at the time of your "
                                    "appointment, so your appointment has been cancelled. We "
                                    "are sorry. Do not come to the office at this time."),
        }
        blocks_ = [
            Paragraph(_("Dear {name},").format(name=data.name)),
            Paragraph(intros[kind]),
            Facts([
                (_("Confirmation number"), number),
                (_("Office"), f["office_name"]),
                (_("Address"), f["office_address"]),
                (_("Date"), t.date(start)),
                (_("Time"), f"{t.time(start)} {t.zone_name(start)} ({f['timezone']})"),
                *([(_("Request number"), f["service_request"])]
                  if f.get("service_request") else []),
            ]),
        ]
        if kind == CLOSURE_CANCELLATION:
            blocks_ += [Paragraph(_("You can book a new appointment right away. Because the "
                                    "office cancelled this visit, it does not count against "
                                    "the limit of one visit every six months."))]
        if kind in _CANCELLED:
            blocks_ += [
                Heading(_("To book a new appointment")),
                Paragraph(_("Go to {url} or call the USCIS Contact Center at {phone}.")
                          .format(url=f["manage_url"], phone=CONTACT_CENTER_PHONE)),
                Heading(_("If you book a new appointment, bring")),
                blocks.what_to_bring(t),
            ]
        else:
            blocks_ += [
                Paragraph(_("Please arrive 15 minutes early.")),
                Heading(_("What to bring")),
                blocks.what_to_bring(t),
                Heading(_("To reschedule or cancel")),
                Paragraph(_("This appointment is less than {hours} hours away, so it can no "
                            "longer be rescheduled online. You can still cancel it online at "
                            "{url} until it starts, with your confirmation number, last name "
                            "and date of birth.")
                          .format(hours=f["cutoff_hours"], url=f["manage_url"])
                          if f.get("changes_closed") else
                          _("Go to {url} and enter your confirmation number, last name and "
                            "date of birth. You can reschedule online until {deadline} and "
                            "cancel online until the appointment starts.")
                          .format(url=f["manage_url"], deadline=t.when(f["changes_close"]))),
                Paragraph(_("After that, or if you need help, call the USCIS Contact Center "
                            "at {phone}.").format(phone=CONTACT_CENTER_PHONE)),
            ]
        blocks_ += [blocks.contact_center(t), blocks.do_not_reply(t)]
        description = "\n".join([f"{_('Confirmation number')}: {number}",
                                 f"{_('What to bring')}:",
                                 *(f"- {item}" for item in blocks.what_to_bring(t).items),
                                 blocks.contact_center(t).text])
        event = CalendarEvent(
            uid=f"appointment-{f['confirmation_number']}@infopass",
            sequence=data.version, start=start, end=f["end"],
            summary=_("USCIS appointment at {office}").format(office=f["office_name"]),
            location=f"{f['office_name']}, {f['office_address']}",
            description=description, cancelled=kind in _CANCELLED)
        return Content(subject=subjects[kind].format(number=number, date=t.short_date(start)),
                       blocks=blocks_, calendar=event)


def _live() -> AppointmentNotices:
    from chalicelib import wiring
    return wiring.appointment_notices()


register(Subject(
    name=SUBJECT,
    load=lambda cn, version: _live().load(cn, version),
    kinds={kind: (lambda data, t, kind=kind: _live().render(kind, data, t)) for kind in KINDS},
    sent=lambda cn, kind, version: _live().sent(cn, kind, version),
    outbox=lambda older_than: _live().outbox(older_than),
))
