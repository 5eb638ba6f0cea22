"""Waitlist notices: the `waitlist` subject of the notices pipeline (see
chalicelib/notices/README.md). One notice per offer: the event's version is the entry's version
at the offer, so redelivered or re-published events send it once. An offer that lapsed, was
accepted or was left before its notice went out is skipped."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from chalicelib.booking import offices
from chalicelib.notices import blocks
from chalicelib.notices.events import NoticeEvent, SqsNoticeQueue
from chalicelib.notices.model import Content, Facts, NoticeData, Paragraph
from chalicelib.notices.registry import Subject, register
from chalicelib.waitlist.domain import OFFERED, Entry

SUBJECT = "waitlist"
OFFER = "waitlist_offer"


class SqsOfferNotices:
    def __init__(self, queue: SqsNoticeQueue) -> None:
        self.queue = queue

    def publish(self, waitlist_id: str, version: int) -> None:
        self.queue.publish(NoticeEvent(OFFER, SUBJECT, waitlist_id, version))


def notice_data(entry: Entry | None, version: int) -> NoticeData | None:
    if entry is None or entry.status != OFFERED or entry.version != version or not entry.offer:
        return None  # accepted, left or lapsed meanwhile, or a later offer: nothing to tell
    a = entry.applicant
    office = offices.get(entry.office_id)
    zone = ZoneInfo(entry.timezone)
    return NoticeData(
        version=version, language=entry.language, channel=entry.contact_method,
        name=f"{a['first_name']} {a['last_name']}", email=a.get("email"),
        postal_address=a.get("address"), office_id=entry.office_id,
        fields={"number": entry.waitlist_id, "office_name": office["name"], "zone": entry.timezone,
                "start": entry.offer.start.astimezone(zone).isoformat(),
                "expires": datetime.fromtimestamp(entry.offer.expires_at, tz=timezone.utc)
                .astimezone(zone).isoformat()})


def render_offer(data: NoticeData, t, url: str) -> Content:
    _ = t.gettext
    f = data.fields
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


def _service():
    from chalicelib import wiring

    return wiring.waitlist_service()


def _url() -> str:
    from chalicelib import settings as _settings

    return _settings.settings.manage_url


register(Subject(
    name=SUBJECT,
    load=lambda waitlist_id, version: notice_data(_service().store.get(waitlist_id), version),
    kinds={OFFER: lambda data, t: render_offer(data, t, _url())},
    sent=lambda waitlist_id, kind, version: _service().notice_settled(waitlist_id, kind,
                                                                        version),
))
