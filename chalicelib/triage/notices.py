"""Service-request notices: the `service_request` subject of the notices pipeline.

Registered through `chalicelib.notices.registry` (see chalicelib/notices/README.md). A notice is
rendered from the request as it is when the notice goes out, in the requester's language, by
email or letter as they chose. Notices are never skipped for being older than the request:
every step that sends one (received, deadline missed, unreachable, resolved, denied, appeal
received, appeal decided) is news on its own. A granted visit's notice is the booking
confirmation of its appointment, sent by the booking core.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from chalicelib.booking import offices
from chalicelib.booking.representation import CONTACT_CENTER_PHONE
from chalicelib.notices import blocks
from chalicelib.notices.events import NoticeEvent
from chalicelib.notices.model import Bullets, Content, Facts, Heading, NoticeData, Paragraph
from chalicelib.notices.registry import Subject, register
from chalicelib.triage import codes, criteria
from chalicelib.triage.domain import ServiceRequest, format_request_id
from chalicelib.triage.events import SUBJECT
from chalicelib.triage.kinds import (APPEAL_DECIDED, APPEAL_RECEIVED, DEADLINE_MISSED, DENIED,
                                     NOTICE_KINDS, RECEIVED, RESOLVED, TRANSFERRED, UNREACHABLE,
                                     URGENCY_CHANGED, CALLBACK_SCHEDULED,
                                     CALLBACK_WINDOW_MINUTES)


class RequestNotices:
    def __init__(self, load_request: Callable[[str], ServiceRequest | None],
                 settle: Callable[[str, str, int], None], appeal_window_days: int,
                 status_url: str) -> None:
        self.load_request = load_request
        self.settle = settle
        self.appeal_window_days = appeal_window_days
        self.status_url = status_url

    def load(self, request_id: str, version: int) -> NoticeData | None:
        r = self.load_request(request_id)
        if r is None or r.version < version:
            return None
        a = r.applicant
        office = offices.get(r.office_id, anywhere=True)
        breach = next((b for b in r.breaches if b.get("version") == version),
                      r.breaches[-1] if r.breaches else None)
        return NoticeData(
            version=version, language=r.language, channel=r.contact["contact_method"],
            name=f"{a['first_name']} {a['last_name']}", email=a.get("email"),
            postal_address=a.get("address"), office_id=r.office_id,
            fields={"number": format_request_id(r.request_id), "office_name": office["name"],
                    "zone": r.timezone, "level": r.level, "due_on": r.due_on,
                    "criteria_version": r.criteria_version, "fired": list(r.fired),
                    "failed_attempts": r.failed_attempts(), "decision": r.decision,
                    "appeal": r.appeal, "appointment": r.appointment, "breach": breach,
                    "override": r.override, "callback": r.callback})

    def sent(self, request_id: str, kind: str, version: int) -> None:
        self.settle(request_id, kind, version)

    # --- content ----------------------------------------------------------------------------

    def render(self, kind: str, data: NoticeData, t) -> Content | None:
        _ = t.gettext
        f = data.fields
        number = f["number"]
        request_row = (_("Request number"), number)
        office_row = (_("Office"), f["office_name"])
        call_us = Paragraph(_("If your situation changes or becomes more urgent, call the USCIS "
                              "Contact Center at {phone} and give your request number.")
                            .format(phone=CONTACT_CENTER_PHONE))
        check = Paragraph(_("You can check your request at {url} with your request number, last "
                            "name and date of birth.").format(url=self.status_url))
        body: list = [Paragraph(_("Dear {name},").format(name=data.name))]
        if kind == RECEIVED:
            subject = _("We received your service request {number}")
            body += [Paragraph(_("We received your request for help from a USCIS field office. An "
                                 "officer will call you at the phone number you gave us.")),
                     Facts([request_row, office_row,
                            (_("Urgency"), _(codes.LEVELS[f["level"]])),
                            (_("Expected callback by"), t.date(f["due_on"]))])]
            body += self._why(f, _)
            body += [call_us, check]
        elif kind == DEADLINE_MISSED:
            if not f["breach"]:
                return None
            breach = f["breach"]
            missed = _day(breach["missed_due_on"])
            new_on = _day(breach["new_due_on"]) if breach.get("new_due_on") else None
            if breach.get("expecting", "callback") == "callback":
                subject = _("We need more time to call you back: {number}")
                body.append(Paragraph(_("We did not call you back by {date} as we promised. We "
                                        "apologize. Your request stays open, and a supervisor "
                                        "has been told.").format(date=t.date(missed))))
                new_label = _("New expected callback date")
            else:
                subject = _("We are late with your service request {number}")
                body.append(Paragraph(_("We missed the date we gave you, {date}, for: "
                                        "{expected}. We apologize. Your request stays open, and "
                                        "a supervisor has been told.").format(
                    date=t.date(missed), expected=_(codes.EXPECTING[breach["expecting"]]))))
                new_label = _("New expected date")
            rows = [request_row, office_row]
            if new_on:
                rows.append((new_label, t.date(new_on)))
            body.append(Facts(rows))
            if not new_on:
                body.append(Paragraph(_("A senior supervisor now follows your request and will "
                                        "make sure it is handled as soon as possible.")))
            body += [call_us, check]
        elif kind == CALLBACK_SCHEDULED:
            if not f["callback"]:
                return None
            # The office's time, with its zone named: the officer calls from there.
            start = datetime.fromisoformat(f["callback"]["scheduled_for"].replace(
                "Z", "+00:00")).astimezone(ZoneInfo(f["zone"]))
            end = start + timedelta(minutes=CALLBACK_WINDOW_MINUTES)
            subject = _("We will call you about your service request {number}")
            body += [Paragraph(_("An officer will call you on {date} between {start} and {end} "
                                 "({zone}), at the phone number you gave us.").format(
                         date=t.date(start), start=t.time(start), end=t.time(end),
                         zone=t.zone_name(start))),
                     Facts([request_row, office_row]),
                     Paragraph(_("If this time does not suit you, call the USCIS Contact Center "
                                 "at {phone} and give your request number.")
                               .format(phone=CONTACT_CENTER_PHONE)),
                     check]
        elif kind == URGENCY_CHANGED:
            override = f["override"]
            if not override:
                return None
            subject = _("The urgency of your service request {number} changed")
            body += [Paragraph(_("An officer reviewed your request and changed its urgency "
                                 "level.")),
                     Facts([request_row, office_row,
                            (_("Urgency"), _(codes.LEVELS[f["level"]])),
                            (_("Reason"), _(codes.OVERRIDE_REASON_TEXT[override["reason_code"]])),
                            (_("Expected by"), t.date(f["due_on"]))]),
                     call_us, check]
        elif kind == TRANSFERRED:
            subject = _("Your service request {number} moved to another office")
            body += [Paragraph(_("Your request is now handled by another field office, the one "
                                 "that serves your area. The date we gave you stays the same.")),
                     Facts([request_row, office_row,
                            (_("Expected by"), t.date(f["due_on"]))]),
                     call_us, check]
        elif kind == UNREACHABLE:
            subject = _("We could not reach you by phone: {number}")
            body += [Paragraph(_("We tried to call you {count} times about your service request "
                                 "and could not reach you.").format(count=f["failed_attempts"])),
                     Paragraph(_("Please call the USCIS Contact Center at {phone} and give your "
                                 "request number, so an officer can call you back at a better "
                                 "time.").format(phone=CONTACT_CENTER_PHONE)),
                     Facts([request_row, office_row]), check]
        elif kind == RESOLVED:
            decision = f["decision"]
            if not decision or decision["kind"] != "resolution":
                return None
            subject = _("Your service request {number} is resolved")
            body += [Paragraph(_("An officer reviewed your request and closed it without an office "
                                 "visit.")),
                     Facts([request_row, office_row,
                            (_("Reason"), _(codes.decision_text("resolution",
                                                               decision["code"])))])]
            if not decision.get("confirmed_by_requester"):
                decided = datetime.fromisoformat(decision["at"].replace("Z", "+00:00"))
                appeal_by = (decided + timedelta(days=self.appeal_window_days)).astimezone(
                    ZoneInfo(f["zone"]))
                body += [Heading(_("You can appeal")),
                         Paragraph(_("If you disagree, you can appeal until {date} at {url}. A "
                                     "supervisor who did not make this decision will review it.")
                                   .format(date=t.date(appeal_by), url=self.status_url))]
            body.append(call_us)
        elif kind == DENIED:
            decision = f["decision"]
            if not decision or decision["kind"] != "denial":
                return None
            subject = _("Decision on your service request {number}")
            decided = datetime.fromisoformat(decision["at"].replace("Z", "+00:00"))
            appeal_by = (decided + timedelta(days=self.appeal_window_days)).astimezone(
                ZoneInfo(f["zone"]))
            body += [Paragraph(_("An officer reviewed your request and decided that an office "
                                 "visit is not warranted at this time.")),
                     Facts([request_row, office_row,
                            (_("Reason"), _(codes.decision_text("denial", decision["code"])))]),
                     Heading(_("You can appeal")),
                     Paragraph(_("If you disagree, you can appeal until {date} at {url}. A "
                                 "supervisor who did not make this decision will review it.")
                               .format(date=t.date(appeal_by), url=self.status_url))]
        elif kind == APPEAL_RECEIVED:
            subject = _("We received your appeal: {number}")
            body += [Paragraph(_("A supervisor who did not make the original decision will review "
                                 "your appeal. We will write to you with the decision.")),
                     Facts([request_row, office_row]), check]
        elif kind == APPEAL_DECIDED:
            decided = (f["appeal"] or {}).get("decision")
            if not decided:
                return None
            subject = _("Decision on your appeal: {number}")
            overturned = decided["outcome"] == "overturned"
            body += [Paragraph(_("A supervisor reviewed your appeal and decided that an office "
                                 "visit is warranted.") if overturned else
                               _("A supervisor reviewed your appeal and kept the original "
                                 "decision.")),
                     Facts([request_row, office_row,
                            (_("Reason"), _(codes.decision_text("appeal", decided["code"])))])]
            if overturned:
                body.append(Paragraph(
                    _("Your appointment is booked. You will receive a separate confirmation with "
                      "the date, time and what to bring.") if f["appointment"] else
                    _("An officer will contact you to schedule your visit.")))
            body.append(call_us)
        else:
            return None
        body += [blocks.contact_center(t), blocks.do_not_reply(t)]
        return Content(subject=subject.format(number=number), blocks=body)

    @staticmethod
    def _why(f: dict, _) -> list:
        rule_set = criteria.version(f["criteria_version"])
        found = [criteria.criterion(rule_set, cid) for cid in f["fired"]] if rule_set else []
        reasons = [_(c.explanation) for c in found if c]
        if not reasons:
            return [Paragraph(_("None of the published urgency criteria applies to your request, "
                                "so it has the standard callback time."))]
        return [Heading(_("Why your request has this urgency")), Bullets(reasons)]

    def outbox(self, pending: Iterable[tuple[str, set[str]]]) -> Iterable[NoticeEvent]:
        for request_id, entries in pending:
            for entry in sorted(entries):
                kind, _, version = entry.rpartition(":")
                if kind in NOTICE_KINDS and version.isdigit():
                    yield NoticeEvent(kind, SUBJECT, request_id, int(version))


def _day(iso: str):
    from datetime import date
    return date.fromisoformat(iso)


def _live() -> RequestNotices:
    from chalicelib import settings as _settings, wiring

    service = wiring.triage_service()
    s = _settings.settings
    return RequestNotices(service.load, service.notice_settled, s.triage_appeal_window_days,
                          s.service_request_url)


def _outbox(older_than: datetime) -> Iterable[NoticeEvent]:
    from chalicelib import wiring

    return _live().outbox(wiring.triage_service().pending_notices(older_than))


register(Subject(
    name=SUBJECT,
    load=lambda request_id, version: _live().load(request_id, version),
    kinds={kind: (lambda data, t, kind=kind: _live().render(kind, data, t))
           for kind in NOTICE_KINDS},
    sent=lambda request_id, kind, version: _live().sent(request_id, kind, version),
    outbox=_outbox,
))
