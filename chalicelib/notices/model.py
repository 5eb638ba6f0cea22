"""What a notice is made of, independent of how it is delivered. Plain Python, no AWS."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Union

CHANNELS = ("email", "mail")


@dataclass(frozen=True)
class NoticeData:
    """What a subject's loader returns: who gets the notice, how, and the template's fields."""
    version: int
    language: str
    channel: str
    name: str
    email: str | None = None
    postal_address: dict | None = None
    office_id: str | None = None
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Facts:
    """Label/value pairs shown as a table (HTML) or aligned lines (text)."""
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Bullets:
    items: list[str]


Block = Union[Paragraph, Heading, Facts, Bullets]


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime  # aware, in the office's zone
    end: datetime
    summary: str
    location: str
    description: str
    cancelled: bool = False


@dataclass(frozen=True)
class Content:
    subject: str
    blocks: list[Block]
    calendar: CalendarEvent | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. 'text/calendar; method=REQUEST'
    data: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    language: str
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Letter:
    """A printable letter queued for an office (mail-channel applicants)."""
    office_id: str
    notice_key: str
    language: str
    subject: str
    text: str
    html: str
    # For the office's print list (staff see them; never logged).
    recipient_name: str = ""
    postal_address: dict | None = None
