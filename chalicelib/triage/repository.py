"""DynamoDB persistence for service requests, through PynamoDB.

A request is written whole, on the condition that it is still at the version the writer read:
the version decides between concurrent steps, and the audit trail grows only by the entry the
winning step appended. The same conditional write can join a booking transaction (a grant).
Clearing a settled notice from the outbox does not bump the version, so a step written just after
may put the marker back; the sweep then re-publishes an event the notices pipeline has already
settled, which it recognises and drops (exactly once is keyed by kind and version).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.booking import offices
from chalicelib.booking.domain import iso_utc
# The booking core's labelled transaction, so a cancelled one says which condition failed.
from chalicelib.booking.repository import _Transaction as Transaction
from chalicelib.tables import IdempotencyRecord
from chalicelib.triage import workflow
from chalicelib.triage.codes import LEVEL_RANK
from chalicelib.triage.domain import ServiceRequest
from chalicelib.triage.queue import Queued, queue_line
from chalicelib.triage.ports import (CLAIM_LABEL, PERSON_LABEL, REQUEST_LABEL, IdempotencyClaim,
                                     Rejected, StoredResponse)
from chalicelib.triage.records import AuditEntryMap, OpenPersonRecord, ServiceRequestRecord

_PENDING = "pending"


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _failed_condition(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def queue_key(r: ServiceRequest) -> str | None:
    """Most urgent level first; within it missed deadlines first, then the earliest deadline,
    then the earliest arrival (never the random id, which only keeps keys unique)."""
    if not workflow.in_queue(r.status, r.appointment is not None):
        return None
    missed = "0" if r.supervisor_flag else "1"
    return (f"{2 - LEVEL_RANK[r.level]}#{missed}#{iso_utc(r.due_at)}#{iso_utc(r.created_at)}"
            f"#{r.request_id}")


WATCHED = "open"


def watch_due(r: ServiceRequest) -> str | None:
    """The deadline-watch key: set while the request is open and owes the requester something,
    except once it is held overdue at headquarters (its date no longer moves, and the watch has
    nothing left to do until someone acts on it and it has a new deadline)."""
    if queue_key(r) is None or workflow.expectation(
            r.status, r.reached_at is not None, r.appointment is not None) is None:
        return None
    if r.breached_for == iso_utc(r.due_at):
        return None
    return f"{iso_utc(r.due_at)}#{r.request_id}"


def _record(r: ServiceRequest) -> ServiceRequestRecord:
    return ServiceRequestRecord(
        r.request_id, status=r.status, version=r.version, channel=r.channel,
        office_id=r.office_id, timezone=r.timezone, person_key=r.person_key, proof=r.proof,
        applicant=r.applicant, contact=r.contact, zip=r.zip, inquiry_type=r.inquiry_type,
        description=r.description, case_facts=r.case_facts, circumstances=r.circumstances,
        criteria_version=r.criteria_version, computed_level=r.computed_level, fired=r.fired,
        level=r.level, due_on=r.due_on.isoformat(), due_at=iso_utc(r.due_at),
        created_at=iso_utc(r.created_at), updated_at=iso_utc(r.updated_at),
        a_number=r.a_number, receipt_number=r.receipt_number, override=r.override,
        callback=r.callback, attempts=r.attempts or None,
        reached_at=iso_utc(r.reached_at) if r.reached_at else None, decision=r.decision,
        appointment=r.appointment, appeal=r.appeal, reminded_for=r.reminded_for,
        breaches=r.breaches or None, supervisor_flag=r.supervisor_flag,
        escalation=r.escalation, breached_for=r.breached_for, assignee=r.assignee,
        transfers=r.transfers or None, due_cap=r.due_cap, pending_downgrade=r.pending_downgrade,
        added_information=r.added_information or None, duplicate_of=r.duplicate_of,
        cancelled_visits=r.cancelled_visits or None, rebooked=r.rebooked or None,
        escalated_to=r.escalation["to"] if r.escalation else None,
        escalated_at=f"{r.escalation['at']}#{r.request_id}" if r.escalation else None,
        audit=[AuditEntryMap(**{"from_state" if k == "from" else "to_state" if k == "to" else k: v
                                for k, v in entry.items()}) for entry in r.audit],
        pending_notices=set(r.pending_notices) or None,
        outbox=_PENDING if r.pending_notices else None, queue_key=queue_key(r),
        open_person=r.person_key if queue_key(r) else None,
        watch=WATCHED if watch_due(r) else None, watch_due=watch_due(r),
        queue_line=queue_line(r))


def _request(rec: ServiceRequestRecord) -> ServiceRequest:
    audit = []
    for entry in rec.audit or []:
        item = {"at": entry.at, "actor": entry.actor, "role": entry.role, "step": entry.step,
                "from": entry.from_state, "to": entry.to_state, "reason_code": entry.reason_code}
        if entry.level_from or entry.level_to:
            item.update(level_from=entry.level_from, level_to=entry.level_to)
        audit.append(item)
    return ServiceRequest(
        request_id=rec.request_id, status=rec.status, version=int(rec.version),
        channel=rec.channel, office_id=rec.office_id, timezone=rec.timezone,
        person_key=rec.person_key, proof=rec.proof, applicant=rec.applicant,
        contact=rec.contact, zip=rec.zip, inquiry_type=rec.inquiry_type,
        description=rec.description, case_facts=rec.case_facts,
        circumstances=rec.circumstances, criteria_version=rec.criteria_version,
        computed_level=rec.computed_level, fired=list(rec.fired), level=rec.level,
        due_on=date.fromisoformat(rec.due_on), due_at=_parse(rec.due_at),
        created_at=_parse(rec.created_at), updated_at=_parse(rec.updated_at),
        a_number=rec.a_number, receipt_number=rec.receipt_number, override=rec.override,
        callback=rec.callback, attempts=list(rec.attempts or []),
        reached_at=_parse(rec.reached_at), decision=rec.decision,
        appointment=rec.appointment, appeal=rec.appeal, reminded_for=rec.reminded_for,
        breaches=list(rec.breaches or []), supervisor_flag=rec.supervisor_flag,
        escalation=rec.escalation, breached_for=rec.breached_for, assignee=rec.assignee,
        transfers=list(rec.transfers or []), due_cap=rec.due_cap,
        pending_downgrade=rec.pending_downgrade,
        added_information=list(rec.added_information or []), duplicate_of=rec.duplicate_of,
        cancelled_visits=list(rec.cancelled_visits or []), rebooked=list(rec.rebooked or []),
        audit=audit,
        pending_notices=set(rec.pending_notices or ()))


class _ConditionalSave:
    """A request's conditional write as one labelled item of a booking transaction."""

    def __init__(self, request: ServiceRequest, expected_version: int) -> None:
        self.record = _record(request)
        self.expected_version = expected_version

    def add_to(self, txn: Any) -> None:
        txn.put(REQUEST_LABEL, self.record,
                ServiceRequestRecord.version == self.expected_version)


class DynamoTriageRepository:
    def add(self, request: ServiceRequest, claim: IdempotencyClaim | None = None,
            now: datetime | None = None, marks_person: bool = False,
            replacing: str | None = None) -> None:
        if claim is None and not marks_person:
            try:
                _record(request).save(condition=ServiceRequestRecord.request_id.does_not_exist())
            except PutError as error:
                if _failed_condition(error):
                    raise Rejected({REQUEST_LABEL}) from None
                raise
            return
        # The request with its Idempotency-Key claim and/or the person's marker: all or none.
        txn = Transaction()
        txn.put(REQUEST_LABEL, _record(request), ServiceRequestRecord.request_id.does_not_exist())
        if claim is not None:
            # An expired claim that DynamoDB has not swept yet (TTL deletes lazily) does not
            # hold the key.
            free = IdempotencyRecord.key.does_not_exist()
            if now is not None:
                free = free | (IdempotencyRecord.expires_at < int(now.timestamp()))
            txn.put(CLAIM_LABEL, IdempotencyRecord(
                claim.key, body_hash=claim.body_hash, status=claim.status, response=claim.body,
                expires_at=claim.expires_at), free)
        if marks_person:
            unclaimed = OpenPersonRecord.person_key.does_not_exist()
            if replacing is not None:
                unclaimed = unclaimed | (OpenPersonRecord.request_id == replacing)
            txn.put(PERSON_LABEL, OpenPersonRecord(request.person_key,
                                                   request_id=request.request_id), unclaimed)
        txn.commit()

    def open_marker(self, person_key: str) -> str | None:
        try:
            return OpenPersonRecord.get(person_key, consistent_read=True).request_id
        except OpenPersonRecord.DoesNotExist:
            return None

    def stored_response(self, key: str, now: datetime) -> StoredResponse | None:
        try:
            record = IdempotencyRecord.get(key, consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            return None
        if record.expires_at < now.timestamp():
            return None
        return StoredResponse(record.body_hash, int(record.status), record.response)

    def get(self, request_id: str) -> ServiceRequest | None:
        try:
            return _request(ServiceRequestRecord.get(request_id, consistent_read=True))
        except ServiceRequestRecord.DoesNotExist:
            return None

    def save(self, request: ServiceRequest, expected_version: int) -> None:
        try:
            _record(request).save(condition=ServiceRequestRecord.version == expected_version)
        except PutError as error:
            if _failed_condition(error):
                raise Rejected({REQUEST_LABEL}) from None
            raise

    def save_part(self, request: ServiceRequest, expected_version: int) -> _ConditionalSave:
        return _ConditionalSave(request, expected_version)

    def queue(self, office_id: str, limit: int, after: str | None = None) -> list[Queued]:
        condition = ServiceRequestRecord.queue_key > after if after else None
        return [Queued(r.queue_key, r.queue_line) for r in ServiceRequestRecord.office_queue.query(
            office_id, condition, limit=limit)]

    def watched_due_before(self, before: datetime) -> Iterable[ServiceRequest]:
        return (_request(r) for r in ServiceRequestRecord.deadline_watch.query(
            WATCHED, ServiceRequestRecord.watch_due <= f"{iso_utc(before)}#~"))  # "~" sorts last

    def open_of_person(self, person_key: str) -> list[ServiceRequest]:
        return [_request(r) for r in ServiceRequestRecord.open_by_person.query(person_key)]

    def escalated(self, limit: int, after: str | None = None) -> list[Queued]:
        condition = ServiceRequestRecord.escalated_at > after if after else None
        return [Queued(r.escalated_at, r.queue_line) for r in ServiceRequestRecord.escalations.query(
            "headquarters", condition, limit=limit)]

    def activity_since(self, office_id: str, since: datetime) -> Iterable[tuple[datetime, str,
                                                                             list[dict]]]:
        """(created_at, computed level, audit) of every request of the office changed since
        `since`: the published-performance figures, no personal data."""
        for r in ServiceRequestRecord.office_activity.query(
                office_id, ServiceRequestRecord.updated_at >= iso_utc(since)):
            yield (_parse(r.created_at), r.computed_level,
                   [{"at": e.at, "step": e.step, "from": e.from_state, "to": e.to_state}
                    for e in r.audit or []])

    def clear_notice(self, request_id: str, token: str) -> None:
        record = ServiceRequestRecord(request_id)
        try:
            record.update(actions=[ServiceRequestRecord.pending_notices.delete({token})],
                          condition=ServiceRequestRecord.request_id.exists())
        except UpdateError as error:
            if not _failed_condition(error):
                raise
            return
        try:
            # DynamoDB drops a set once it is empty; only then leave the outbox index.
            record.update(actions=[ServiceRequestRecord.outbox.remove()],
                          condition=ServiceRequestRecord.pending_notices.does_not_exist()
                          & ServiceRequestRecord.outbox.exists())
        except UpdateError as error:
            if not _failed_condition(error):
                raise

    def pending_outbox(self, older_than: datetime) -> Iterable[tuple[str, set[str]]]:
        for r in ServiceRequestRecord.outbox_index.query(
                # Stored to the second: a record of the cut-off's own second is older too.
                _PENDING, ServiceRequestRecord.updated_at <= iso_utc(older_than)):
            if offices.serves(r.office_id):  # another region's: its own sweep publishes them
                yield r.request_id, set(r.pending_notices or ())
