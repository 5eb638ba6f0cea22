"""Staff API for the office side of the mail channel: parse, call the service, serialize.

Behind the same `staff_identity` authorizer and `staff(...)` role check as the triage staff
routes (see chalicelib/staff/routes.py for how 401 and 403 are answered).
"""
from __future__ import annotations

from chalice import Blueprint
from pydantic import Field

from chalicelib import contract, params, wiring
from chalicelib.notices import letters_responses as responses
from chalicelib.notices.letters import MAX_LIMIT, STAFF_ROLES, PrintQueue, kind_of, letter_id
from chalicelib.notices.ports import LetterSummary, PrintableLetter
from chalicelib.problems import handled
from chalicelib.staff.identity import Actor
from chalicelib.staff.routes import staff, staff_identity

api = Blueprint(__name__)
LETTERS = ("letters",)


class QueueQuery(contract.Parameters):
    office_id: str = Field(description="Your office.")
    status: str = Field(default="queued", pattern="^queued$")
    limit: int = Field(default=100, ge=1, le=500)


class LetterPath(contract.Parameters):
    letter_id: str = Field(description="A `letter_id` from the print list.")


@api.route("/staff/letters", authorizer=staff_identity)
@contract.operation(
    "Letters waiting to be printed at an office", tags=LETTERS, query=QueueQuery,
    responses={200: responses.PrintQueue}, problems={400: ["invalid_parameter"]})
@handled
@staff(*STAFF_ROLES)
def print_queue(actor: Actor):
    request = api.current_request
    queue = wiring.office_letters().print_queue(
        actor, params.query(request, "office_id"), params.query(request, "status"),
        params.int_query(request, "limit", default=None, low=1, high=MAX_LIMIT))
    return _queue(queue)


@api.route("/staff/letters/{letter_id}", authorizer=staff_identity)
@contract.operation(
    "A letter's printable content", tags=LETTERS, path=LetterPath,
    responses={200: responses.PrintableLetter}, problems={404: ["letter_not_found"]})
@handled
@staff(*STAFF_ROLES)
def printable(actor: Actor, letter_id):
    return _letter(wiring.office_letters().letter(actor, letter_id))


@api.route("/staff/letters/{letter_id}/printed", methods=["POST"], authorizer=staff_identity)
@contract.operation(
    "Mark a letter printed", tags=LETTERS, path=LetterPath,
    responses={200: responses.Printed},
    problems={404: ["letter_not_found"], 409: ["already_printed"]})
@handled
@staff(*STAFF_ROLES)
def printed(actor: Actor, letter_id):
    letter = wiring.office_letters().mark_printed(actor, letter_id)
    return {"letter_id": letter_id, "status": letter.status, "printed_at": letter.printed_at,
            "printed_by": letter.printed_by}


def _summary(letter: LetterSummary) -> dict:
    return {"letter_id": letter_id(letter.office_id, letter.notice_key),
            "kind": kind_of(letter.notice_key), "status": letter.status,
            "created_at": letter.queued_at, "language": letter.language,
            "recipient": {"name": letter.recipient_name,
                          "postal_address": letter.postal_address}}


def _queue(queue: PrintQueue) -> dict:
    return {"office_id": queue.office_id, "status": queue.status,
            "letters": [_summary(letter) for letter in queue.letters], "more": queue.more}


def _letter(letter: PrintableLetter) -> dict:
    return {**_summary(letter), "subject": letter.subject, "text": letter.text,
            "html": letter.html, "printed_at": letter.printed_at,
            "printed_by": letter.printed_by}
