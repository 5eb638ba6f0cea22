"""The office side of the mail channel: the letters an office prints and mails. Plain Python.

Staff of the letter's office (office admins, supervisors, Tier 2 officers) list the letters
waiting to be printed, read one, and mark it printed. A letter is printed once: the mark is a
conditional write from `queued`, so of two clerks pressing "printed" at once exactly one wins.

A letter's id is its office and notice key joined by dots
(`hartford.appointment.7K3M-9Q2X-HD4P.booking_confirmation.1`): readable, safe in a URL path,
and it names the office, so a letter of another office is refused (403) before any read.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from chalicelib import errors
from chalicelib.booking.domain import iso_utc
from chalicelib.notices.ports import LetterShelf, LetterSummary, PrintableLetter
from chalicelib.staff.identity import Actor
from chalicelib.staff.roles import OFFICE_ADMIN, SUPERVISOR, TIER2

log = logging.getLogger(__name__)

QUEUED, PRINTED = "queued", "printed"
STAFF_ROLES = (OFFICE_ADMIN, SUPERVISOR, TIER2)
DEFAULT_LIMIT, MAX_LIMIT = 100, 500
_ID_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")


def letter_id(office_id: str, notice_key: str) -> str:
    return ".".join([office_id, *notice_key.split("#")])


def parse_letter_id(value: str) -> tuple[str, str]:
    """(office id, notice key) of a letter id; a malformed id is a letter nobody has."""
    parts = value.split(".")
    if len(parts) != 5 or not all(_ID_PART.fullmatch(p) for p in parts):
        raise errors.LetterNotFound()
    return parts[0], "#".join(parts[1:])


def kind_of(notice_key: str) -> str:
    return notice_key.split("#")[2]


@dataclass(frozen=True)
class PrintQueue:
    office_id: str
    status: str
    letters: list[LetterSummary]
    more: bool  # more are waiting than were listed: print these, mark them, ask again


class OfficeLetters:
    def __init__(self, shelf: LetterShelf, clock: Callable[[], datetime]) -> None:
        self.shelf = shelf
        self.clock = clock

    def print_queue(self, actor: Actor, office_id: str | None, status: str | None,
                    limit: int | None) -> PrintQueue:
        if not office_id:
            raise errors.InvalidParameter("'office_id' is required.")
        if (status or QUEUED) != QUEUED:
            raise errors.InvalidParameter("'status' can only be 'queued'.")
        if limit is not None and not 1 <= limit <= MAX_LIMIT:
            raise errors.InvalidParameter(f"'limit' must be from 1 to {MAX_LIMIT}.")
        _own_office(actor, office_id)
        wanted = limit or DEFAULT_LIMIT
        found = self.shelf.waiting(office_id, QUEUED, wanted + 1)
        return PrintQueue(office_id, QUEUED, found[:wanted], len(found) > wanted)

    def letter(self, actor: Actor, id_: str) -> PrintableLetter:
        office_id, notice_key = parse_letter_id(id_)
        _own_office(actor, office_id)
        letter = self.shelf.get(office_id, notice_key)
        if letter is None:
            raise errors.LetterNotFound()
        return letter

    def mark_printed(self, actor: Actor, id_: str) -> PrintableLetter:
        office_id, notice_key = parse_letter_id(id_)
        _own_office(actor, office_id)
        printed = self.shelf.mark_printed(office_id, notice_key, actor.id, iso_utc(self.clock()))
        if printed is None:
            if self.shelf.get(office_id, notice_key) is None:
                raise errors.LetterNotFound()
            raise errors.AlreadyPrinted()
        log.info("letter printed", extra={"office_id": office_id, "kind": kind_of(notice_key),
                                           "actor": actor.id})
        return printed


def _own_office(actor: Actor, office_id: str) -> None:
    if not actor.office_id:
        raise errors.OtherOffice("No field office is assigned to this account.")
    if actor.office_id != office_id:
        raise errors.OtherOffice()
