"""The closure job against the moto server: killed midway and run again, every affected
appointment is cancelled exactly once, every person notified exactly once in their language,
and nothing else is touched."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chalicelib import wiring
from chalicelib.booking import offices, schedule
from chalicelib.booking.notices import SqsNoticePublisher
from chalicelib.booking.validation import BookingRequest, Proof
from chalicelib.notices import handlers
from chalicelib.offices.closures import ClosureJob
from chalicelib.offices.repository import DynamoOfficeRepository
from chalicelib.staff.identity import Actor
from chalicelib.tables import AppointmentRecord
from local.mail import sent_emails
from local.sqs_poller import poll_once
from local.worker import scheduled_event
from tests.aws_fixtures import with_slots

OFFICE = "miami"
ZONE = ZoneInfo("America/New_York")
HQ = Actor("hq-1", "headquarters")
PEOPLE = [("Ana", "Ruiz", "es"), ("Chen", "Wu", "zh-Hans"), ("Minh", "Tran", "vi"),
          ("Marie", "Joseph", "ht"), ("Olga", "Ivanova", "ru")]
SUBJECT_WORDS = {"es": "cerrada", "zh-Hans": "关闭", "vi": "đóng cửa", "ht": "fèmen",
                 "ru": "закрыт", "en": "closed"}


class Killed(Exception):
    """Stands in for the Lambda being stopped mid-run."""


class KilledAfter:
    """The real store, except that the run dies right after its `n`-th cancellation commits
    (before the notice is published: the worst moment)."""

    def __init__(self, store, n: int) -> None:
        self.store, self.n = store, n

    def __getattr__(self, name):
        return getattr(self.store, name)

    def cancel_for_closure(self, *args):
        done = self.store.cancel_for_closure(*args)
        if done:
            self.n -= 1
            if self.n == 0:
                raise Killed()
        return done


@pytest.fixture
def stack(aws, moto_server, monkeypatch):
    monkeypatch.setenv("OUTBOX_GRACE_MINUTES", "0")
    wiring.rewire()
    with_slots([OFFICE])
    return {"queue": aws["notices"], "moto": moto_server}


def open_days(count):
    office = offices.get(OFFICE)
    today = datetime.now(ZONE).date()
    days = [today + timedelta(days=n) for n in range(3, 14)]
    return [d for d in days if schedule.plan_day(office, d)][:count]


def book(first, last, language, day, index):
    slots = wiring.booking_service().availability(OFFICE, day, day)["slots"]
    body = {"slot_id": slots[index]["slot_id"],
            "applicant": {"first_name": first, "last_name": last, "date_of_birth": "1980-02-01",
                          "email": f"{first.lower()}.{last.lower()}@example.org",
                          # Each person's own phone: the per-contact limit is not under test.
                          "phone": f"(305) 555-01{len(first) + 10 * index:02d}",
                          "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL",
                                      "zip": "33139"}},
            "reason": {"category": "other"}, "language": language, "contact_method": "email"}
    outcome = wiring.booking_service().book(BookingRequest.model_validate(body))
    return outcome.body["confirmation_number"].replace("-", "")


def drain(queue_url):
    while poll_once(queue_url, handlers.send_notice, 10):
        pass


def test_a_closure_job_killed_midway_and_rerun_cancels_and_notifies_each_person_once(stack):
    closed_day, other_day = open_days(2)
    inside = [book(f, l, lang, closed_day, i) for i, (f, l, lang) in enumerate(PEOPLE[:4])]
    outside = book(*PEOPLE[4], other_day, 0)
    drain(stack["queue"])  # the booking confirmations
    confirmations = Counter(e["to"] for e in sent_emails(stack["moto"]))
    # One person cancels first: the job must leave that appointment as it is.
    wiring.booking_service().cancel(inside[3], Proof(last_name="Joseph",
                                                     date_of_birth="1980-02-01"))
    versions = {cn: AppointmentRecord.get(cn).version for cn in [*inside, outside]}

    wiring.office_administration().add_closure(HQ, OFFICE, closed_day.isoformat(),
                                               closed_day.isoformat(), "weather", "Hurricane")
    repo = DynamoOfficeRepository()
    publisher = SqsNoticePublisher(stack["queue"])
    with pytest.raises(Killed):
        ClosureJob(KilledAfter(repo, 2), publisher).run()
    first_run = [cn for cn in inside[:3] if AppointmentRecord.get(cn).status == "cancelled"]
    assert len(first_run) == 2  # killed after two, the second one's notice unpublished

    again = ClosureJob(repo, publisher).run()
    assert again == {"cancelled": 1, "remaining": 0}
    assert ClosureJob(repo, publisher).run() == {"cancelled": 0, "remaining": 0}

    for cn in inside[:3]:
        record = AppointmentRecord.get(cn)
        assert record.status == "cancelled" and record.version == versions[cn] + 1
        assert record.cancelled_for
    untouched = {cn: AppointmentRecord.get(cn) for cn in (inside[3], outside)}
    assert untouched[inside[3]].version == versions[inside[3]]
    assert untouched[inside[3]].cancelled_for is None
    assert untouched[outside].status == "booked" and untouched[outside].version == 1

    handlers.sweep_outbox(scheduled_event(), None)  # the notice the killed run left behind
    drain(stack["queue"])
    handlers.sweep_outbox(scheduled_event(), None)
    drain(stack["queue"])
    closure_mail = [e for e in sent_emails(stack["moto"])
                    if any(word in e["subject"] for word in SUBJECT_WORDS.values())]
    per_person = Counter(e["to"] for e in closure_mail)
    expected = {f"{f.lower()}.{l.lower()}@example.org": 1 for f, l, _ in PEOPLE[:3]}
    assert dict(per_person) == expected
    for e in closure_mail:
        language = next(lang for f, l, lang in PEOPLE if e["to"].startswith(f.lower()))
        assert SUBJECT_WORDS[language] in e["subject"], (language, e["subject"])
        assert e["language"] == language
    # Nobody else got anything new apart from the one person's own cancellation notice.
    after = Counter(e["to"] for e in sent_emails(stack["moto"]))
    assert after - confirmations - per_person == Counter({"marie.joseph@example.org": 1})


def test_rebooking_after_a_closure_is_not_blocked_by_the_six_month_rule(stack):
    closed_day, other_day = open_days(2)
    cn = book("Ana", "Ruiz", "es", closed_day, 0)
    wiring.office_administration().add_closure(HQ, OFFICE, closed_day.isoformat(),
                                               closed_day.isoformat(), "weather", "")
    assert wiring.closure_job().run() == {"cancelled": 1, "remaining": 0}
    assert AppointmentRecord.get(cn).status == "cancelled"
    assert book("Ana", "Ruiz", "es", other_day, 1)
