"""In-memory stand-ins for the triage ports, with the DynamoDB repository's conditional semantics:
a write holds only at the version it expects; a grant's booking and request write commit together
or not at all."""
from __future__ import annotations

import copy

from chalicelib.triage.queue import Queued, queue_line
from chalicelib.triage.repository import queue_key, watch_due
from chalicelib.triage.ports import (CLAIM_LABEL, PERSON_LABEL, REQUEST_LABEL, PublishFailed, Rejected,
                                     StoredResponse)
from tests.fakes import FakeRepository


def callback_time(zone: str = "America/New_York", period_start: int = 9):
    """The next day the office works, at `period_start` o'clock office-local (a morning callback
    by default), as an aware datetime: a valid callback time for tests on the real clock."""
    from datetime import datetime, time, timedelta, timezone
    from zoneinfo import ZoneInfo

    from chalicelib.booking.schedule import is_open_day

    day = datetime.now(ZoneInfo(zone)).date() + timedelta(days=1)
    while not is_open_day({}, day):
        day += timedelta(days=1)
    return datetime.combine(day, time(period_start), tzinfo=ZoneInfo(zone)).astimezone(
        timezone.utc)


class FakeTriageRepository:
    def __init__(self) -> None:
        self.requests: dict = {}
        self.claims: dict = {}
        self.markers: dict = {}
        self.cleared: list[tuple[str, str]] = []

    def _live_claim(self, key, now):
        claim = self.claims.get(key)
        return claim if claim and (now is None or claim.expires_at >= now.timestamp()) else None

    def add(self, request, claim=None, now=None, marks_person=False, replacing=None):
        failed = set()
        if request.request_id in self.requests:
            failed.add(REQUEST_LABEL)
        if claim and self._live_claim(claim.key, now):
            failed.add(CLAIM_LABEL)
        if marks_person and self.markers.get(request.person_key) not in (None, replacing):
            failed.add(PERSON_LABEL)
        if failed:
            raise Rejected(failed)
        self.requests[request.request_id] = copy.deepcopy(request)
        if claim:
            self.claims[claim.key] = copy.deepcopy(claim)
        if marks_person:
            self.markers[request.person_key] = request.request_id

    def open_marker(self, person_key):
        return self.markers.get(person_key)

    def stored_response(self, key, now):
        claim = self._live_claim(key, now)
        return StoredResponse(claim.body_hash, claim.status, copy.deepcopy(claim.body)) \
            if claim else None

    def get(self, request_id):
        found = self.requests.get(request_id)
        return copy.deepcopy(found) if found else None

    def holds(self, request_id, expected_version) -> bool:
        stored = self.requests.get(request_id)
        return stored is not None and stored.version == expected_version

    def save(self, request, expected_version):
        if not self.holds(request.request_id, expected_version):
            raise Rejected({REQUEST_LABEL})
        self.requests[request.request_id] = copy.deepcopy(request)

    def save_part(self, request, expected_version):
        return _Part(self, copy.deepcopy(request), expected_version)

    def _open(self, office_id):
        rows = [r for r in self.requests.values()
                if r.office_id == office_id and queue_key(r) is not None]
        return sorted(rows, key=queue_key)

    def queue(self, office_id, limit, after=None):
        return [Queued(queue_key(r), queue_line(r)) for r in self._open(office_id)
                if after is None or queue_key(r) > after][:limit]

    def watched_due_before(self, before):
        rows = [r for r in self.requests.values() if watch_due(r) and r.due_at <= before]
        return [copy.deepcopy(r) for r in sorted(rows, key=watch_due)]

    def open_of_person(self, person_key):
        return sorted((copy.deepcopy(r) for r in self.requests.values()
                       if r.person_key == person_key and queue_key(r)),
                      key=lambda r: r.created_at)

    def escalated(self, limit, after=None):
        def key(r):
            return f"{r.escalation['at']}#{r.request_id}"
        rows = sorted((r for r in self.requests.values() if r.escalation), key=key)
        return [Queued(key(r), queue_line(r)) for r in rows
                if after is None or key(r) > after][:limit]

    def clear_notice(self, request_id, token):
        self.cleared.append((request_id, token))
        stored = self.requests.get(request_id)
        if stored:
            stored.pending_notices.discard(token)

    def pending_outbox(self, older_than):
        return [(r.request_id, set(r.pending_notices)) for r in self.requests.values()
                if r.pending_notices and r.updated_at < older_than]


class _Part:
    def __init__(self, repo: FakeTriageRepository, request, expected_version: int) -> None:
        self.repo, self.request, self.expected_version = repo, request, expected_version

    def add_to(self, txn) -> None:
        txn.parts.append(self)

    def holds(self) -> bool:
        return self.repo.holds(self.request.request_id, self.expected_version)

    def apply(self) -> None:
        self.repo.requests[self.request.request_id] = copy.deepcopy(self.request)


class _Collector:
    def __init__(self) -> None:
        self.parts: list[_Part] = []


class FakeBookingRepositoryWithParts(FakeRepository):
    """The booking fake, taking other contexts' writes into its all-or-nothing booking."""

    def book(self, appointment, not_active_after, last_visit_before, claim, together_with=(),
             seat=None, office_mode=None):
        collected = _Collector()
        for part in together_with:
            part.add_to(collected)
        failed = {REQUEST_LABEL for part in collected.parts if not part.holds()}
        if failed:
            raise Rejected(failed)
        super().book(appointment, not_active_after, last_visit_before, claim,
                     **({"seat": seat} if seat else {}), office_mode=office_mode)
        for part in collected.parts:
            part.apply()


class FakeRequestNotices:
    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.events: list[tuple[str, str, int]] = []

    def publish(self, kind, request_id, version):
        if self.failing:
            raise PublishFailed("queue unavailable")
        self.events.append((kind, request_id, version))

    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.events]
