"""Waitlist notices: the `waitlist` subject of the notices pipeline (see
chalicelib/notices/README.md). One notice per offer, and one when an entry expired (its range
passed before a seat was offered): the event's version is the entry's version at the offer or
the expiry, so redelivered or re-published events send it once. An offer that lapsed, was
accepted or was left before its notice went out is skipped."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from chalicelib.booking import offices
from chalicelib.notices import blocks
from chalicelib.notices.events import NoticeEvent, SqsNoticeQueue
from chalicelib.notices.model import Content, Facts, NoticeData, Paragraph
from chalicelib.notices.registry import Subject, register
from chalicelib.waitlist.domain import EXPIRED, EXPIRY_NOTICE, OFFER_NOTICE, OFFERED, Entry

SUBJECT = "waitlist"


class SqsOfferNotices:
    """Publishes the waitlist's notice events: offers, and expiries (`kind`)."""

    def __init__(self, queue: SqsNoticeQueue) -> None:
        self.queue = queue

    def publish(self, waitlist_id: str, version: int, kind: str = OFFER_NOTICE) -> None:
        self.queue.publish(NoticeEvent(kind, SUBJECT, waitlist_id, version))


def notice_data(entry: Entry | None, version: int) -> NoticeData | None:
    """What an offer or expiry notice of this version needs; None once the entry moved on
    (accepted, left or lapsed meanwhile, or a later version)."""
    if entry is None or entry.version != version or entry.status not in (OFFERED, EXPIRED):
        return None
    if entry.status == OFFERED and not entry.offer:
        return None
    a = entry.applicant
    office = offices.get(entry.office_id, anywhere=True)
    zone = ZoneInfo(entry.timezone)
    fields = {"status": entry.status, "number": entry.waitlist_id,
              "office_name": office["name"], "zone": entry.timezone,
              "first": entry.first.isoformat(), "last": entry.last.isoformat()}
    if entry.status == OFFERED:
        fields |= {"start": entry.offer.start.astimezone(zone).isoformat(),
                   "expires": datetime.fromtimestamp(entry.offer.expires_at, tz=timezone.utc)
                   .astimezone(zone).isoformat()}
    return NoticeData(
        version=version, language=entry.language, channel=entry.contact_method,
        name=f"{a['first_name']} {a['last_name']}", email=a.get("email"),
        postal_address=a.get("address"), office_id=entry.office_id, fields=fields)


def render_offer(data: NoticeData, t, url: str) -> Content | None:
    _ = t.gettext
    f = data.fields
    if f.get("status", OFFERED) != OFFERED:
        return None  # this version is the entry's expiry, not an offer
    zone = ZoneInfo(f["zone"])  # named in the notice, not only an offset
    start = datetime.fromisoformat(f["start"]).astimezone(zone)
    expires = datetime.fromisoformat(f["expires"]).astimezone(zone)
    return Content(
        subject=_("An appointment is offered to you from the waitlist"),
        blocks=[Paragraph(_("Dear {name},").format(name=data.name)),
                Paragraph(_("An appointment opened at the office you are waiting for. It is "
                            "held for you until {expires}.").format(expires=t.when(expires))),
                Facts([(_("Office"), f["office_name"]), (_("Time"), t.when(start)),
                       (_("Waitlist number"), f["number"])]),
                Paragraph(_("To accept it, go to {url} and enter your waitlist number, your "
                            "last name and your date of birth. If you do not accept it in time, "
                            "it is offered to the next person waiting.").format(url=url)),
                blocks.contact_center(t), blocks.do_not_reply(t)],
        calendar=None)


def render_expiry(data: NoticeData, t, url: str) -> Content | None:
    _ = t.gettext
    f = data.fields
    if f.get("status") != EXPIRED:
        return None  # this version is an offer, not the entry's expiry
    first, last = date.fromisoformat(f["first"]), date.fromisoformat(f["last"])
    dates = t.date(first) if first == last else f"{t.date(first)} – {t.date(last)}"
    return Content(
        subject=_("Your waitlist entry has ended"),
        blocks=[Paragraph(_("Dear {name},").format(name=data.name)),
                Paragraph(_("The dates you were waiting for have passed without an appointment "
                            "opening for you, so your waitlist entry has ended.")),
                Facts([(_("Office"), f["office_name"]), (_("Dates"), dates),
                       (_("Waitlist number"), f["number"])]),
                Paragraph(_("If you still need an appointment, you can book one or join the "
                            "waitlist again at {url}.").format(url=url)),
                blocks.contact_center(t), blocks.do_not_reply(t)],
        calendar=None)


def _service():
    from chalicelib import wiring

    return wiring.waitlist_service()


def _url() -> str:
    from chalicelib import settings as _settings

    return _settings.settings.manage_url


register(Subject(
    name=SUBJECT,
    load=lambda waitlist_id, version: notice_data(_service().store.get(waitlist_id), version),
    kinds={OFFER_NOTICE: lambda data, t: render_offer(data, t, _url()),
           EXPIRY_NOTICE: lambda data, t: render_expiry(data, t, _url())},
    sent=lambda waitlist_id, kind, version: _service().notice_settled(waitlist_id, kind,
                                                                        version),
))
