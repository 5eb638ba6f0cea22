"""Turns notice content into what is delivered: an email (text, HTML, attachments) or a
printable letter. Everything shown to a person is escaped; Arabic is laid out right-to-left."""
from __future__ import annotations

import html
import unicodedata
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from chalicelib.notices import blocks, calendar
from chalicelib.notices.model import (Bullets, Content, Email, Facts, Heading, Letter,
                                      NoticeData, Paragraph)


def _width(line: str) -> int:
    """Columns a line takes in a monospace font: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def text(content: Content) -> str:
    out: list[str] = []
    for block in content.blocks:
        if isinstance(block, Heading):
            out += ["", block.text, "-" * _width(block.text)]
        elif isinstance(block, Paragraph):
            out += ["", block.text]
        elif isinstance(block, Facts):
            out.append("")
            out += [f"{label}: {value}" for label, value in block.rows]
        elif isinstance(block, Bullets):
            out += [f"  - {item}" for item in block.items]
    return "\n".join(out).strip() + "\n"


def _html_blocks(content: Content) -> str:
    parts = []
    for block in content.blocks:
        if isinstance(block, Heading):
            parts.append(f"<h2 style=\"font-size:1.1em;margin:1.2em 0 .4em\">{html.escape(block.text)}</h2>")
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Facts):
            rows = "".join(
                f"<tr><th scope=\"row\" style=\"text-align:start;padding:2px 12px 2px 0;"
                f"vertical-align:top\">{html.escape(label)}</th>"
                f"<td style=\"padding:2px 0\">{html.escape(value)}</td></tr>"
                for label, value in block.rows)
            parts.append(f"<table role=\"presentation\">{rows}</table>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
            parts.append(f"<ul>{items}</ul>")
    return "\n".join(parts)


def html_document(content: Content, t, prefix: str = "") -> str:
    direction = "rtl" if t.rtl else "ltr"
    return (f"<!DOCTYPE html>\n<html lang=\"{t.language}\" dir=\"{direction}\">\n<head>"
            f"<meta charset=\"utf-8\"><title>{html.escape(content.subject)}</title></head>\n"
            f"<body dir=\"{direction}\" style=\"font-family:Arial,sans-serif;line-height:1.5;"
            f"max-width:40em\">\n{prefix}{_html_blocks(content)}\n</body>\n</html>\n")


def email(content: Content, data: NoticeData, t, now: datetime) -> Email:
    attachments = [calendar.attachment(content.calendar, now)] if content.calendar else []
    return Email(to=data.email or "", subject=content.subject, text=text(content),
                 html=html_document(content, t), language=t.language, attachments=attachments)


def mime(message: Email, sender: str) -> bytes:
    """The raw MIME message SES v2 sends: text and HTML alternatives plus attachments."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = formataddr(("", message.to))
    mail["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    mail.set_content(message.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    mail.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for item in message.attachments:
        maintype, _, rest = item.content_type.partition("/")
        subtype, *params = [p.strip() for p in rest.split(";")]
        mail.add_attachment(item.data, maintype=maintype, subtype=subtype,
                            filename=item.filename,
                            params=dict(p.split("=", 1) for p in params if "=" in p))
    # After the parts are built: setting content moves Content-* headers into a part.
    mail["Content-Language"] = message.language
    return mail.as_bytes()


def letter(content: Content, data: NoticeData, t, notice_key: str, now: datetime) -> Letter:
    """A printable letter: the recipient's address block (for a window envelope), the date,
    then the same content as the email."""
    address = [data.name, *blocks.address_lines(data.postal_address)]
    dated = t.date(now)
    head = "\n".join(address) + f"\n\n{dated}\n\n{content.subject}\n\n"
    prefix = ("<address style=\"font-style:normal;margin-bottom:2em\">"
              + "<br>".join(html.escape(line) for line in address) + "</address>"
              f"<p>{html.escape(dated)}</p><h1 style=\"font-size:1.25em\">"
              f"{html.escape(content.subject)}</h1>")
    return Letter(office_id=data.office_id or "", notice_key=notice_key, language=t.language,
                  subject=content.subject, text=head + text(content),
                  html=html_document(content, t, prefix), recipient_name=data.name,
                  postal_address=dict(data.postal_address) if data.postal_address else None)
