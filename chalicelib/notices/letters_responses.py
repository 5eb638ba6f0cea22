"""The shapes of the staff letters API's answers; the contract checks every 2xx body against them
and `openapi.json` publishes them."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.contract import Body

_TIME = {"format": "date-time"}


class Recipient(Body):
    name: str | None
    postal_address: dict[str, Any] | None = Field(description="{line1, line2?, city, state, zip}")


class LetterSummary(Body):
    letter_id: str
    kind: str
    status: str = Field(description="queued or printed")
    created_at: str = Field(json_schema_extra=_TIME)
    language: str
    recipient: Recipient


class PrintQueue(Body):
    office_id: str
    status: str
    letters: list[LetterSummary]
    more: bool = Field(description="More are waiting than were listed: print these, mark "
                                   "them, ask again.")


class PrintableLetter(LetterSummary):
    subject: str
    text: str
    html: str
    printed_at: str | None = Field(json_schema_extra=_TIME)
    printed_by: str | None


class Printed(Body):
    letter_id: str
    status: str
    printed_at: str | None = Field(json_schema_extra=_TIME)
    printed_by: str | None
