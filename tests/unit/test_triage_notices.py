"""Service-request notices: registered with the notices pipeline, rendered in the requester's
language for every kind, without the free text people typed."""
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import i18n
from chalicelib.booking.domain import LANGUAGES
from chalicelib.notices import registry, render
from chalicelib.triage import criteria
from chalicelib.triage.domain import normalize_request_id
from chalicelib.triage.notices import RequestNotices
from chalicelib.triage.service import NOTICE_KINDS
from chalicelib.triage.validation import (Appeal, AppealDecision, CallbackAttempt, Denial,
                                          Resolution)
from chalicelib.triage.validation import Transfer, UrgencyOverride
from tests.unit.test_triage_service import (MONDAY_NOON, OFFICER, SUPERVISOR, TIER1, at_callback,
                                            first_slot, submitted)

# Fixtures (service, repo, booking, notices...) come from the service tests.
from tests.unit.test_triage_service import (booking, booking_notices, booking_repo, clock,  # noqa: F401
                                            notices, repo, service)


def notices_for(service, repo):
    return RequestNotices(repo.get, service.notice_settled, 30, "https://example.test/requests")


def rendered(service, repo, request_id, kind, language="en"):
    subject = notices_for(service, repo)
    request = repo.get(normalize_request_id(request_id))
    data = subject.load(request.request_id, request.version)
    data = type(data)(**{**data.__dict__, "language": language})
    content = subject.render(kind, data, i18n.translator(language))
    assert content is not None
    return content, render.email(content, data, i18n.translator(language), MONDAY_NOON)


def test_the_subject_is_registered_with_every_kind():
    subject = registry.get("service_request")
    assert set(subject.kinds) == set(NOTICE_KINDS)
    assert subject.sent and subject.outbox


def test_the_received_notice_gives_the_date_and_the_reasons(service, repo):
    request_id = submitted(service)
    content, email = rendered(service, repo, request_id, "service_request_received")
    assert content.subject == f"We received your service request {request_id}"
    assert "Tuesday, December 1, 2026" in email.text
    assert "You need a travel document and must travel within 14 days." in email.text
    assert "Emergency" in email.text and email.to == "ana.ruiz@example.org"
    for typed in ("Lima", "madre", "vuelo"):
        assert typed not in email.text and typed not in email.html


def test_notices_speak_the_requesters_language(service, repo):
    request_id = submitted(service)
    content, email = rendered(service, repo, request_id, "service_request_received", "es")
    assert content.subject == f"Recibimos su solicitud de servicio {request_id}"
    assert "martes, 1 de diciembre de 2026" in email.text
    _, arabic = rendered(service, repo, request_id, "service_request_received", "ar")
    assert 'dir="rtl"' in arabic.html and "تلقينا طلب الخدمة" in arabic.subject


def test_every_kind_renders_in_every_language(service, repo, booking, clock):
    denied = submitted(service)
    at_callback(service, denied, reached=False)
    for _ in range(3):
        service.record_callback(OFFICER, denied, CallbackAttempt(outcome="no_answer"))
    service.deny(OFFICER, denied, Denial(reason_code="within_processing_times", note="n"))
    service.appeal(denied, Appeal(last_name="Ruiz", date_of_birth=date(1979, 8, 30),
                                  statement="s"))
    service.decide_appeal(SUPERVISOR, denied, AppealDecision(
        outcome="overturned", reason_code="new_information", note="n",
        slot_id=first_slot(booking)))
    resolved = submitted(service, actor=TIER1)
    service.resolve(TIER1, resolved, Resolution(outcome_code="information_provided"))
    downgraded = submitted(service)
    service.override_urgency(OFFICER, downgraded, UrgencyOverride(
        level="urgent", reason_code="new_information", note="n"))
    service.override_urgency(SUPERVISOR, downgraded, UrgencyOverride(
        level="urgent", reason_code="new_information", note="n"))
    transferred = submitted(service)
    service.transfer(SUPERVISOR, transferred, Transfer(office_id="boston",
                                                       reason_code="outside_service_area"))
    late = submitted(service)
    clock.now = datetime(2026, 12, 2, 6, tzinfo=timezone.utc)
    service.watch_deadlines(["hartford"])
    cases = {"service_request_received": late, "callback_deadline_missed": late,
             "callback_attempts_failed": denied, "service_request_denied": denied,
             "appeal_received": denied, "appeal_decided": denied,
             "service_request_resolved": resolved, "service_request_transferred": transferred,
             "urgency_changed": downgraded, "callback_scheduled": denied}
    assert set(cases) == set(NOTICE_KINDS)
    for language in LANGUAGES:
        for kind, request_id in cases.items():
            content, email = rendered(service, repo, request_id, kind, language)
            assert request_id in content.subject
            assert "{" not in email.text, (language, kind)


def test_the_denial_notice_explains_the_reason_and_the_appeal_deadline(service, repo):
    request_id = submitted(service)
    at_callback(service, request_id)
    service.deny(OFFICER, request_id, Denial(reason_code="no_visit_needed",
                                             note="Officer note with Ana Ruiz in it"))
    _, email = rendered(service, repo, request_id, "service_request_denied")
    assert "Your question can be resolved without an office visit." in email.text
    assert "Wednesday, December 30, 2026" in email.text
    assert "Officer note" not in email.text


def test_the_missed_deadline_notice_gives_the_new_date(service, repo, clock):
    request_id = submitted(service)
    clock.now = datetime(2026, 12, 2, 6, tzinfo=timezone.utc)
    service.watch_deadlines(["hartford"])
    _, email = rendered(service, repo, request_id, "callback_deadline_missed")
    assert "Tuesday, December 1, 2026" in email.text  # the missed date
    assert "Thursday, December 3, 2026" in email.text  # the new one


def test_unsent_notices_come_back_from_the_outbox_until_settled(service, repo):
    request_id = normalize_request_id(submitted(service))
    subject = notices_for(service, repo)
    later = MONDAY_NOON + timedelta(minutes=10)
    events = list(subject.outbox(repo.pending_outbox(later)))
    assert [(e.kind, e.subject, e.id, e.version) for e in events] == [
        ("service_request_received", "service_request", request_id, 1)]
    subject.sent(request_id, "service_request_received", 1)
    assert list(subject.outbox(repo.pending_outbox(later))) == []


def test_a_request_that_is_gone_is_skipped(service, repo):
    assert notices_for(service, repo).load("0000000000000000", 1) is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_published_criteria_are_in_every_catalog(language):
    catalog = i18n.catalog(language)
    for rule_set in criteria.all_versions():
        assert rule_set.summary in catalog
        for c in rule_set.criteria:
            assert c.explanation in catalog, (language, c.id)


def test_the_callback_notice_gives_the_office_local_window_in_the_requesters_language(
        service, repo):
    request_id = submitted(service)
    at_callback(service, request_id, reached=False)  # Tuesday 09:00 in Hartford
    _, email = rendered(service, repo, request_id, "callback_scheduled")
    assert "between 9:00\u202fAM and 10:00\u202fAM" in email.text or \
        "between 9:00 AM and 10:00 AM" in email.text, email.text
    assert "Tuesday, December 1, 2026" in email.text
    content, spanish = rendered(service, repo, request_id, "callback_scheduled", "es")
    assert "martes, 1 de diciembre de 2026" in spanish.text
    assert request_id in content.subject
