"""Table definitions: the single source for the deployed stages, the local stack and the tests.

`infra/` renders these models into CloudFormation and `local/` creates them in moto, so the two
cannot drift. Names come from the stage's resource prefix (`bind`).
"""
from __future__ import annotations

from pynamodb.attributes import (JSONAttribute, ListAttribute, MapAttribute, NumberAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib import aws, settings as _settings


class _Table(Model):
    short_name = ""
    # Attributes holding an epoch second after which DynamoDB may delete the item.
    ttl_attribute: str | None = None
    # A copy in every region that only an office's home region writes (a global table); False
    # for the person claims, one strongly consistent table all regions write.
    regional = True

    @classmethod
    def full_name(cls, s: _settings.Settings) -> str:
        return s.table_name(cls.short_name)

    @classmethod
    def endpoint(cls, s: _settings.Settings) -> str | None:
        return s.aws_endpoint_url

    @classmethod
    def signing_region(cls, s: _settings.Settings) -> str:
        return s.region

    @classmethod
    def shared_connection(cls):
        return aws.dynamodb()

    @classmethod
    def _get_connection(cls):
        """PynamoDB's table connection, moved onto the one shared connection (`aws.dynamodb`):
        otherwise every model builds a client of its own."""
        table = super()._get_connection()
        shared = cls.shared_connection()
        if table.connection is not shared:
            shared.add_meta_table(table.connection.get_meta_table(cls.Meta.table_name))
            table.connection = shared
        return table


class ListedSlotIndex(GlobalSecondaryIndex):
    """Sparse: the slots that may have a seat to show, by office and start (availability reads
    it). A slot is in it while `listed` is set: every write that frees a seat of any kind sets it
    in that same write, writes that take a seat never touch it, and only the
    `unlist_booked_out_slots` job removes it, on condition that the slot has no free, reserved or
    held seat (or is closed). So a slot with a seat is never missing; a booked-out one may linger
    until the job's next run (chalicelib/booking/listing.py). Its projection is what
    availability needs to build a slot, so a listing reads nothing else."""

    class Meta:
        index_name = "listed"
        projection = IncludeProjection(["end", "capacity", "available", "reserved", "holds",
                                        "closed"])

    listed = UnicodeAttribute(hash_key=True)  # the slot's office id
    start = UnicodeAttribute(range_key=True)


class SlotRecord(_Table):
    """One bookable time at one office. Its seats (see chalicelib/booking/seats.py):
    capacity = available (public) + reserved + len(holds) + booked, each count moved only by
    conditional writes on this item, never below 0."""
    short_name = "slots"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "slots"
        billing_mode = "PAY_PER_REQUEST"

    office_id = UnicodeAttribute(hash_key=True)
    start = UnicodeAttribute(range_key=True)  # UTC, ISO-8601 with Z: sorts chronologically
    end = UnicodeAttribute()
    capacity = NumberAttribute()
    available = NumberAttribute()
    expires_at = NumberAttribute()
    # Set to a closure's id while the office is closed at this time: no booking takes a seat.
    closed = UnicodeAttribute(null=True)
    # Free seats kept for triage grants and staff bookings until the release job gives them to
    # the public (`released` counts those it gave); absent on slots made before reserves.
    reserved = NumberAttribute(null=True)
    released = NumberAttribute(null=True)
    # Seats held while someone fills in the form: hold id -> epoch second the hold expires.
    holds = MapAttribute(null=True)
    # The office id while the slot may have a seat to show: the key of the sparse `listed` index.
    listed = UnicodeAttribute(null=True)
    listed_index = ListedSlotIndex()

    @classmethod
    def listing(cls, office_id: str):
        """The action every write that frees a seat (public, reserved or held) carries, so the
        freed seat is in the `listed` index the moment it exists."""
        return cls.listed.set(office_id)


class OutboxIndex(GlobalSecondaryIndex):
    """Sparse: only appointments whose notices may not have been published (`outbox` is set
    while `pending_notices` is non-empty). The notices outbox sweep reads it."""

    class Meta:
        index_name = "outbox"
        projection = AllProjection()

    outbox = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class ReminderIndex(GlobalSecondaryIndex):
    """Sparse: only appointments with a scheduled reminder, by the UTC day it is due."""

    class Meta:
        index_name = "reminders"
        projection = AllProjection()

    reminder_day = UnicodeAttribute(hash_key=True)
    reminder_due = UnicodeAttribute(range_key=True)


class OfficeDayIndex(GlobalSecondaryIndex):
    """Appointments by office and start: a closure's range, the day's roster."""

    class Meta:
        index_name = "office_day"
        projection = AllProjection()

    office_id = UnicodeAttribute(hash_key=True)
    start = UnicodeAttribute(range_key=True)


class AppointmentRecord(_Table):
    short_name = "appointments"

    class Meta:
        table_name = "appointments"
        billing_mode = "PAY_PER_REQUEST"

    confirmation_number = UnicodeAttribute(hash_key=True)
    status = UnicodeAttribute()  # booked | cancelled
    version = NumberAttribute()
    office_id = UnicodeAttribute()
    slot_id = UnicodeAttribute()
    start = UnicodeAttribute()
    end = UnicodeAttribute()
    timezone = UnicodeAttribute()
    person_key = UnicodeAttribute()
    proof = UnicodeAttribute()
    applicant = JSONAttribute()
    reason = JSONAttribute()
    language = UnicodeAttribute()
    contact_method = UnicodeAttribute()
    a_number = UnicodeAttribute(null=True)
    receipt_number = UnicodeAttribute(null=True)
    accommodations = ListAttribute(default=list)
    contact_seats = UnicodeSetAttribute(null=True)  # ContactSeatRecord keys, "<key>#<seat>"
    seat_pool = UnicodeAttribute(null=True)  # "reserved" when a grant or staff took a reserve
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # Notices not yet handed to SQS (the outbox); cleared once published.
    pending_notices = UnicodeSetAttribute(null=True)
    # "pending" while pending_notices is non-empty: the key of the sparse outbox index.
    outbox = UnicodeAttribute(null=True)
    # Set by the notices context when a confirmation settles; removed once the reminder settles.
    reminder_day = UnicodeAttribute(null=True)  # UTC date, YYYY-MM-DD
    reminder_due = UnicodeAttribute(null=True)  # UTC, ISO-8601 with Z
    reminder_version = NumberAttribute(null=True)
    # The closure that cancelled this appointment (office operations), if one did.
    cancelled_for = UnicodeAttribute(null=True)
    # The front desk's marks (office operations): checked_in, then completed; or no_show.
    attendance = UnicodeAttribute(null=True)
    attendance_at = UnicodeAttribute(null=True)
    attendance_by = UnicodeAttribute(null=True)
    outbox_index = OutboxIndex()
    office_day_index = OfficeDayIndex()
    reminder_index = ReminderIndex()


class PersonRecord(_Table):
    """Keyed by an HMAC of the person's identity: enforces one active appointment per person."""
    short_name = "persons"

    class Meta:
        table_name = "persons"
        billing_mode = "PAY_PER_REQUEST"

    person_key = UnicodeAttribute(hash_key=True)
    active_confirmation = UnicodeAttribute(null=True)
    active_start = UnicodeAttribute(null=True)
    last_start = UnicodeAttribute(null=True)
    prev_start = UnicodeAttribute(null=True)


class ContactSeatRecord(_Table):
    """One of the seats of one contact address (an email or a phone number, keyed by an HMAC of
    its normalized form, never the address): held by an upcoming self-service appointment until
    it starts or is cancelled. A contact has `MAX_ACTIVE_PER_CONTACT` seats."""
    short_name = "contacts"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "contacts"
        billing_mode = "PAY_PER_REQUEST"

    contact_key = UnicodeAttribute(hash_key=True)
    seat = NumberAttribute(range_key=True)
    confirmation_number = UnicodeAttribute(null=True)
    active_start = UnicodeAttribute(null=True)  # UTC, ISO-8601 with Z; the seat is free after it
    expires_at = NumberAttribute(null=True)


class IdempotencyRecord(_Table):
    short_name = "idempotency"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "idempotency"
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    body_hash = UnicodeAttribute()
    status = NumberAttribute()
    response = JSONAttribute()
    expires_at = NumberAttribute()


TABLES: list[type[_Table]] = [SlotRecord, AppointmentRecord, PersonRecord, IdempotencyRecord,
                              ContactSeatRecord]


# The modules that define the other contexts' tables, each registering its own when imported.
# `all_tables()` imports them, so infra, the local stack and the tests see every table without
# relying on what `app` or `wiring` happen to import (wiring imports each context lazily).
TABLE_MODULES = ("chalicelib.offices.records", "chalicelib.booking.hold_repository",
                 "chalicelib.limits.repository", "chalicelib.notices.records",
                 "chalicelib.performance.records", "chalicelib.triage.records",
                 "chalicelib.waitlist.repository", "chalicelib.booking.claim_repository")


def all_tables() -> list[type[_Table]]:
    """Every table model, in a fixed order (this module's, then TABLE_MODULES' in turn),
    whatever was imported before."""
    import importlib

    for name in TABLE_MODULES:
        importlib.import_module(name)
    order = (__name__,) + TABLE_MODULES
    unknown = [m for m in TABLES if m.__module__ not in order]
    if unknown:  # a table registered from a module missing above would vanish from infra
        raise RuntimeError(f"tables registered outside TABLE_MODULES: {unknown}")
    return sorted(TABLES, key=lambda m: order.index(m.__module__))  # stable within a module


def register(model: type[_Table]) -> type[_Table]:
    """Later contexts (triage, notices) add their tables here so every consumer sees them.
    Their module must be listed in TABLE_MODULES."""
    TABLES.append(model)
    bind_one(model, _settings.settings)
    return model


def bind_one(model: type[_Table], s: _settings.Settings) -> None:
    model.Meta.table_name = model.full_name(s)
    model.Meta.region = model.signing_region(s)
    model.Meta.host = model.endpoint(s)
    model._connection = None  # the next call connects with the new settings


def bind(s: _settings.Settings | None = None) -> None:
    for model in TABLES:
        bind_one(model, s or _settings.settings)


aws.share_sessions_with_pynamodb()
bind()
