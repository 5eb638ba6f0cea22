"""The service-requests table, registered with the shared table definitions so the local stack,
the tests and `infra/` create it from this one model."""
from __future__ import annotations

from pynamodb.attributes import (JSONAttribute, ListAttribute, MapAttribute, NumberAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection

from chalicelib import tables


class OfficeQueueIndex(GlobalSecondaryIndex):
    """Sparse: only open requests (a callback, a decision, an appeal decision or a visit owed),
    per office, sorted by `queue_key` = "<0 emergency|1 urgent|2 standard>#<0 deadline missed|1
    not>#<deadline, UTC>#<arrival, UTC>#<id>". Projects the queue line alone."""

    class Meta:
        index_name = "office-queue"
        projection = IncludeProjection(["queue_line"])

    office_id = UnicodeAttribute(hash_key=True)
    queue_key = UnicodeAttribute(range_key=True)


class RequestOutboxIndex(GlobalSecondaryIndex):
    """Sparse: requests whose notices may not have been published yet (the outbox sweep)."""

    class Meta:
        index_name = "outbox"
        projection = AllProjection()

    outbox = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class EscalationIndex(GlobalSecondaryIndex):
    """Sparse: requests escalated to headquarters after repeated missed deadlines, oldest
    escalation first. Projects the queue line alone."""

    class Meta:
        index_name = "escalations"
        projection = IncludeProjection(["queue_line"])

    escalated_to = UnicodeAttribute(hash_key=True)
    escalated_at = UnicodeAttribute(range_key=True)


class DeadlineWatchIndex(GlobalSecondaryIndex):
    """Sparse: every open request whose deadline the watch still has to act on (not those held
    overdue at headquarters), all offices in one partition, earliest deadline first. One query
    per run finds everything due soon: with nothing open, the run is one request."""

    class Meta:
        index_name = "deadline-watch"
        projection = AllProjection()

    watch = UnicodeAttribute(hash_key=True)
    watch_due = UnicodeAttribute(range_key=True)


class OpenByPersonIndex(GlobalSecondaryIndex):
    """Sparse: open requests by the person's keyed identity (an HMAC, never a name), to link a
    second open request of the same person to the first."""

    class Meta:
        index_name = "open-by-person"
        projection = AllProjection()

    open_person = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class AuditEntryMap(MapAttribute):
    at = UnicodeAttribute()
    actor = UnicodeAttribute()
    role = UnicodeAttribute()
    step = UnicodeAttribute()
    from_state = UnicodeAttribute(null=True, attr_name="from")
    to_state = UnicodeAttribute(attr_name="to")
    reason_code = UnicodeAttribute(null=True)
    level_from = UnicodeAttribute(null=True)
    level_to = UnicodeAttribute(null=True)


class OfficeActivityIndex(GlobalSecondaryIndex):
    """Every request by office and last change: what changed in a day (published performance).
    Only what the figures read is projected: no personal data in this index."""

    class Meta:
        index_name = "office-activity"
        projection = IncludeProjection(["created_at", "computed_level", "audit"])

    office_id = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ServiceRequestRecord(tables._Table):
    short_name = "service-requests"

    class Meta:
        table_name = "service-requests"
        billing_mode = "PAY_PER_REQUEST"

    request_id = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()
    version = NumberAttribute()
    channel = UnicodeAttribute()
    office_id = UnicodeAttribute()
    timezone = UnicodeAttribute()
    person_key = UnicodeAttribute()
    proof = UnicodeAttribute()
    applicant = JSONAttribute()
    contact = JSONAttribute()
    zip = UnicodeAttribute()
    inquiry_type = UnicodeAttribute()
    description = UnicodeAttribute()
    case_facts = JSONAttribute()
    circumstances = JSONAttribute()
    criteria_version = UnicodeAttribute()
    computed_level = UnicodeAttribute()
    fired = JSONAttribute()
    level = UnicodeAttribute()
    due_on = UnicodeAttribute()  # office-local date, YYYY-MM-DD
    due_at = UnicodeAttribute()  # UTC, ISO-8601 with Z
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    a_number = UnicodeAttribute(null=True)
    receipt_number = UnicodeAttribute(null=True)
    override = JSONAttribute(null=True)
    callback = JSONAttribute(null=True)
    attempts = JSONAttribute(null=True)
    reached_at = UnicodeAttribute(null=True)
    decision = JSONAttribute(null=True)
    appointment = JSONAttribute(null=True)
    appeal = JSONAttribute(null=True)
    reminded_for = UnicodeAttribute(null=True)
    breaches = JSONAttribute(null=True)
    supervisor_flag = JSONAttribute(null=True)
    escalation = JSONAttribute(null=True)
    breached_for = UnicodeAttribute(null=True)
    assignee = JSONAttribute(null=True)
    transfers = JSONAttribute(null=True)
    due_cap = JSONAttribute(null=True)
    pending_downgrade = JSONAttribute(null=True)
    cancelled_visits = JSONAttribute(null=True)
    rebooked = JSONAttribute(null=True)
    added_information = JSONAttribute(null=True)
    duplicate_of = UnicodeAttribute(null=True)
    audit = ListAttribute(of=AuditEntryMap, default=list)
    pending_notices = UnicodeSetAttribute(null=True)
    outbox = UnicodeAttribute(null=True)  # "pending" while pending_notices is non-empty
    queue_key = UnicodeAttribute(null=True)  # set while open: the office-queue index key
    escalated_to = UnicodeAttribute(null=True)  # "headquarters" while escalated (index key)
    # What a queue line shows (chalicelib/triage/queue.py): all the queue indexes project.
    queue_line = JSONAttribute(null=True)
    watch = UnicodeAttribute(null=True)  # "open" while the deadline watch must look (index key)
    watch_due = UnicodeAttribute(null=True)  # "<deadline, UTC>#<id>"
    escalated_at = UnicodeAttribute(null=True)
    open_person = UnicodeAttribute(null=True)  # person_key while open (index key)
    office_queue = OfficeQueueIndex()
    open_by_person = OpenByPersonIndex()
    escalations = EscalationIndex()
    outbox_index = RequestOutboxIndex()
    office_activity = OfficeActivityIndex()
    deadline_watch = DeadlineWatchIndex()


tables.register(ServiceRequestRecord)


class OpenPersonRecord(tables._Table):
    """One per person (keyed identity, an HMAC): the open request a new one of theirs links to.
    Written in the new request's transaction on condition that it is absent or points at a
    request that has closed, so of concurrent submissions exactly one takes it and the others
    link to that one. Never deleted on close: a reader checks that the request is still open."""
    short_name = "triage-persons"

    class Meta:
        table_name = "triage-persons"
        billing_mode = "PAY_PER_REQUEST"

    person_key = UnicodeAttribute(hash_key=True)
    request_id = UnicodeAttribute()


tables.register(OpenPersonRecord)
