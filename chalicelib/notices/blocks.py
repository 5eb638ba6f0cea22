"""Pieces every notice context can reuse, already translated."""
from __future__ import annotations

from chalicelib.booking.representation import CONTACT_CENTER_PHONE
from chalicelib.notices.model import Bullets, Paragraph


def what_to_bring(t) -> Bullets:
    _ = t.gettext
    return Bullets([
        _("This appointment notice (the original, printed or on your phone)"),
        _("A government-issued photo ID, such as a passport or driver's license"),
        _("Your immigration documents, such as a green card, work permit or I-94"),
        _("Documents about your case, such as notices, receipts and evidence"),
        _("A signed Form G-28 if an attorney or accredited representative comes with you"),
    ])


def contact_center(t) -> Paragraph:
    return Paragraph(t.gettext("Questions? Call the USCIS Contact Center at {phone}.")
                     .format(phone=CONTACT_CENTER_PHONE))


def do_not_reply(t) -> Paragraph:
    return Paragraph(t.gettext("This message was sent automatically. Please do not reply to it."))


def address_lines(address: dict | None) -> list[str]:
    if not address:
        return []
    lines = [address.get("line1"), address.get("line2"),
             f"{address.get('city', '')}, {address.get('state', '')} {address.get('zip', '')}".strip()]
    return [line for line in lines if line]


def one_line_address(address: dict | None) -> str:
    return ", ".join(address_lines(address))
