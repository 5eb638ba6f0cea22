"""The office side of the mail channel through chalice.test.Client against the moto server:
the print list, a letter's printable content, the printed mark (once, also under a race), and
the staff authentication matrix on the three routes."""
import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from chalice.test import Client

from app import app
from chalicelib import i18n, wiring
from chalicelib.notices import render
from chalicelib.notices.model import Content, NoticeData, Paragraph
from chalicelib.notices.repository import DynamoLetterBox
from local import gateway
from local.token import mint

OFFICE, OTHER = "hartford", "boston"
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)
ADDRESS = {"line1": "12 Elm St", "line2": "Apt 3", "city": "Hartford", "state": "CT",
           "zip": "06103"}


@pytest.fixture
def client(aws):
    gateway.install()
    wiring.rewire()
    with Client(app, stage_name="test") as c:
        yield c


def token(role, office=OFFICE, sub=None, **kwargs):
    return {"Authorization": f"Bearer {mint(role, office, sub or f'{role}-{office}', **kwargs)}"}


TIER2 = token("tier2", sub="officer-1")


def call(client, method, path, headers=None):
    response = getattr(client.http, method)(path, body=b"", headers=headers or {})
    return response.status_code, json.loads(response.body), response.headers


def assert_problem(status, data, headers, expected_status, code):
    assert status == expected_status, data
    assert headers["Content-Type"] == "application/problem+json"
    assert data["code"] == code and data["status"] == expected_status


def queue_letter(office=OFFICE, cn="7K3M9Q2XHD4P", kind="booking_confirmation", minutes=0,
                 name="Ana Ruiz", language="es"):
    """Renders and queues a letter the way the notices pipeline does; returns its letter id."""
    data = NoticeData(version=1, language=language, channel="mail", name=name,
                      postal_address=ADDRESS, office_id=office)
    content = Content(subject=f"Aviso {cn}", blocks=[Paragraph("Traiga este aviso.")])
    now = T0 + timedelta(minutes=minutes)
    key = f"appointment#{cn}#{kind}#1"
    DynamoLetterBox().queue(render.letter(content, data, i18n.translator(language), key, now),
                            now)
    return f"{office}.appointment.{cn}.{kind}.1"


def print_list(client, query=f"office_id={OFFICE}&status=queued", headers=TIER2):
    return call(client, "get", f"/v1/staff/letters?{query}", headers)


def test_the_office_lists_its_queued_letters_oldest_first_with_the_recipients_address(client):
    newest = queue_letter(cn="CCCC3333CCCC", minutes=20, name="Li Wei", language="zh-Hans")
    oldest = queue_letter(cn="AAAA1111AAAA", minutes=0)
    middle = queue_letter(cn="BBBB2222BBBB", kind="reminder", minutes=10)
    queue_letter(office=OTHER, cn="DDDD4444DDDD", minutes=5)
    status, data, _ = print_list(client)
    assert status == 200, data
    assert [letter["letter_id"] for letter in data["letters"]] == [oldest, middle, newest]
    assert data["more"] is False and data["office_id"] == OFFICE
    first = data["letters"][0]
    assert first == {"letter_id": oldest, "kind": "booking_confirmation", "status": "queued",
                     "created_at": "2026-03-02T14:00:00Z", "language": "es",
                     "recipient": {"name": "Ana Ruiz", "postal_address": ADDRESS}}
    assert data["letters"][2]["language"] == "zh-Hans"


def test_a_limit_lists_the_oldest_and_says_more_are_waiting(client):
    ids = [queue_letter(cn=f"AAAA{n}AAAAAAA", minutes=n) for n in range(3)]
    status, data, _ = print_list(client, f"office_id={OFFICE}&limit=2")
    assert status == 200, data
    assert [letter["letter_id"] for letter in data["letters"]] == ids[:2] and data["more"]


def test_a_letter_gives_its_printable_text_and_html(client):
    letter_id = queue_letter()
    status, data, _ = call(client, "get", f"/v1/staff/letters/{letter_id}",
                           token("office_admin"))
    assert status == 200, data
    assert data["letter_id"] == letter_id and data["status"] == "queued"
    assert data["text"].startswith("Ana Ruiz\n12 Elm St\nApt 3\nHartford, CT 06103\n")
    assert "Traiga este aviso." in data["text"] and data["subject"] == "Aviso 7K3M9Q2XHD4P"
    assert data["html"].startswith("<!DOCTYPE html>") and "<address" in data["html"]
    assert data["printed_at"] is None and data["printed_by"] is None


def test_printing_records_who_and_when_leaves_the_list_and_cannot_happen_twice(client):
    letter_id = queue_letter()
    waiting = queue_letter(cn="BBBB2222BBBB", minutes=1)
    path = f"/v1/staff/letters/{letter_id}/printed"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    status, data, _ = call(client, "post", path, token("supervisor", sub="sup-9"))
    assert status == 200, data
    assert data["status"] == "printed" and data["printed_by"] == "sup-9"
    assert datetime.fromisoformat(data["printed_at"].replace("Z", "+00:00")) >= before
    assert_problem(*call(client, "post", path, TIER2), 409, "already_printed")
    status, shown, _ = call(client, "get", f"/v1/staff/letters/{letter_id}", TIER2)
    assert (shown["status"], shown["printed_by"]) == ("printed", "sup-9")
    assert [letter["letter_id"] for letter in print_list(client)[1]["letters"]] == [waiting]


def test_two_clerks_marking_one_letter_at_once_exactly_one_wins(client):
    letter_id = queue_letter()
    path = f"/v1/staff/letters/{letter_id}/printed"
    clerks = [token("tier2", sub="officer-1"), token("office_admin", sub="admin-2")]
    start, results = threading.Barrier(len(clerks)), []

    def press(headers):
        start.wait()
        results.append(call(client, "post", path, headers))

    threads = [threading.Thread(target=press, args=(headers,)) for headers in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(status for status, _, _ in results) == [200, 409]
    [(_, won, _)] = [r for r in results if r[0] == 200]
    [(_, lost, _)] = [r for r in results if r[0] == 409]
    assert lost["code"] == "already_printed"
    stored = call(client, "get", f"/v1/staff/letters/{letter_id}", TIER2)[1]
    assert stored["printed_by"] == won["printed_by"] in {"officer-1", "admin-2"}


def test_unknown_and_malformed_letter_ids_and_bad_parameters(client):
    for letter_id in (f"{OFFICE}.appointment.NOPE0000NOPE.reminder.1", "no-dots",
                      f"{OFFICE}.a.b.c.d.e", f"{OFFICE}.appointment.X%20Y.reminder.1"):
        assert_problem(*call(client, "get", f"/v1/staff/letters/{letter_id}", TIER2),
                       404, "letter_not_found")
        assert_problem(*call(client, "post", f"/v1/staff/letters/{letter_id}/printed", TIER2),
                       404, "letter_not_found")
    for query in ("status=queued", f"office_id={OFFICE}&status=printed",
                  f"office_id={OFFICE}&limit=0", f"office_id={OFFICE}&limit=501",
                  f"office_id={OFFICE}&limit=ten"):
        assert_problem(*print_list(client, query), 400, "invalid_parameter")


# --- the authentication matrix ------------------------------------------------------------

ID = f"{OFFICE}.appointment.NOPE0000NOPE.reminder.1"
ROUTES = [("get", f"/v1/staff/letters?office_id={OFFICE}&status=queued"),
          ("get", f"/v1/staff/letters/{ID}"),
          ("post", f"/v1/staff/letters/{ID}/printed")]
BAD_TOKENS = {
    "missing": (None, "unauthorized"),
    "not a jwt": ("Bearer not.a.jwt", "invalid_token"),
    "expired": ("Bearer " + mint("tier2", OFFICE, minutes=-5), "token_expired"),
    "wrong audience": ("Bearer " + mint("tier2", OFFICE, audience="someone-else"),
                       "invalid_token"),
}


def test_every_letters_route_answers_the_whole_matrix(client):
    for method, path in ROUTES:
        for case, (header, code) in BAD_TOKENS.items():
            status, data, headers = call(client, method, path,
                                         {"Authorization": header} if header else {})
            assert_problem(status, data, headers, 401, code)
            assert headers.get("WWW-Authenticate") == "Bearer", case
        assert_problem(*call(client, method, path, token("tier1")), 403, "role_not_allowed")
        for role in ("office_admin", "supervisor", "tier2"):
            status, data, _ = call(client, method, path, token(role))
            # Past authentication: the list, or the route's own 404 (that letter does not exist).
            assert status == (200 if "?" in path else 404), (role, path, data)
            assert_problem(*call(client, method, path, token(role, OTHER)), 403, "other_office")
            assert_problem(*call(client, method, path, token(role, None)), 403, "other_office")


def test_another_offices_real_letter_is_refused_and_stays_queued(client):
    letter_id = queue_letter()
    boston = token("office_admin", OTHER)
    assert_problem(*call(client, "get", f"/v1/staff/letters/{letter_id}", boston),
                   403, "other_office")
    assert_problem(*call(client, "post", f"/v1/staff/letters/{letter_id}/printed", boston),
                   403, "other_office")
    assert_problem(*print_list(client, headers=boston), 403, "other_office")
    assert call(client, "get", f"/v1/staff/letters/{letter_id}", TIER2)[1]["status"] == "queued"
