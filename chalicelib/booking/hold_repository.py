"""Holds on DynamoDB. The seat a hold takes lives in its slot item (`holds` map: hold id -> epoch
second it expires), so every seat count stays on one item and under one condition; the hold item
here says who may use it and how (its slot, status, the one extension), and the client item keeps
one active hold per client. Expiry is in every condition: DynamoDB's TTL (`purge_at`) only tidies
up days later, and moto never expires items at all."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib import tables
from chalicelib.booking.domain import iso_utc
from chalicelib.booking.ports import SeatTaking, TransactionPart
from chalicelib.booking.repository import _Transaction, _parse
from chalicelib.booking.seats import Hold
from chalicelib.tables import SlotRecord

_HELD = "held"
_PURGE_AFTER = 86400  # TTL tidies a settled hold up a day after it expired


class HeldIndex(GlobalSecondaryIndex):
    """Sparse: only holds whose seat may still be in their slot, by expiry: the job that returns
    expired seats reads it."""

    class Meta:
        index_name = "held"
        projection = AllProjection()

    held = UnicodeAttribute(hash_key=True)
    expires_at = NumberAttribute(range_key=True)


class HoldRecord(tables._Table):
    """A hold (`hold_id` = the hold's id) or a client's active-hold marker (`client#<hmac>`)."""
    short_name = "holds"
    ttl_attribute = "purge_at"

    class Meta:
        table_name = "holds"
        billing_mode = "PAY_PER_REQUEST"

    hold_id = UnicodeAttribute(hash_key=True)
    office_id = UnicodeAttribute(null=True)
    start = UnicodeAttribute(null=True)  # the slot's UTC start
    status = UnicodeAttribute(null=True)  # active | converted | released | expired
    expires_at = NumberAttribute()  # epoch second
    extended = NumberAttribute(null=True)
    confirmation_number = UnicodeAttribute(null=True)
    client = UnicodeAttribute(null=True)  # the client marker's key, or (in a marker) the hold id
    held = UnicodeAttribute(null=True)  # "held" while the seat may be in the slot: the index key
    created_at = UnicodeAttribute(null=True)
    purge_at = NumberAttribute()
    held_index = HeldIndex()


tables.register(HoldRecord)


def _hold(r: HoldRecord) -> Hold:
    return Hold(r.hold_id, r.office_id, _parse(r.start), r.status, int(r.expires_at),
                bool(r.extended), r.client, r.confirmation_number)


def _failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _slot_key(hold: Hold) -> SlotRecord:
    return SlotRecord(hold.office_id, iso_utc(hold.start))


class HoldConversion:
    """The hold's part of a booking's transaction: the hold becomes the booking's, if it is
    still active and for this slot (label `hold`)."""

    def __init__(self, hold: Hold, confirmation_number: str) -> None:
        self.hold = hold
        self.confirmation_number = confirmation_number

    def add_to(self, txn: Any) -> None:
        txn.update("hold", HoldRecord(self.hold.hold_id), [
            HoldRecord.status.set("converted"),
            HoldRecord.confirmation_number.set(self.confirmation_number),
            HoldRecord.held.remove()],
            (HoldRecord.status == "active") & (HoldRecord.start == iso_utc(self.hold.start))
            & (HoldRecord.office_id == self.hold.office_id))


class DynamoHoldRepository:
    def get(self, hold_id: str) -> Hold | None:
        try:
            record = HoldRecord.get(hold_id, consistent_read=True)
        except HoldRecord.DoesNotExist:
            return None
        return _hold(record) if record.status else None  # client markers are not holds

    def take(self, hold: Hold, seat: SeatTaking, now: datetime,
             together_with: Sequence[TransactionPart] = ()) -> None:
        """One transaction: the seat (a free public seat, or an expired hold's) becomes this
        hold's entry in the slot, the hold item is written, and the client's marker is taken
        if the client holds nothing active; `together_with` adds other contexts' writes (a
        waitlist offer). `Rejected` names `slot`, `client` or their labels."""
        at = int(now.timestamp())
        txn = _Transaction()
        slot = _slot_key(hold)
        open_ = SlotRecord.office_id.exists() & SlotRecord.closed.does_not_exist()
        if seat.expired_hold:
            txn.update("slot", slot, [SlotRecord.holds[seat.expired_hold].remove(),
                                      SlotRecord.holds[hold.hold_id].set(hold.expires_at)],
                       open_ & (SlotRecord.holds[seat.expired_hold] <= at))
        else:
            txn.update("slot", slot, [SlotRecord.available.add(-1),
                                      SlotRecord.holds[hold.hold_id].set(hold.expires_at)],
                       open_ & (SlotRecord.available > 0) & SlotRecord.holds.exists())
        txn.put("hold", HoldRecord(
            hold.hold_id, office_id=hold.office_id, start=iso_utc(hold.start), status="active",
            expires_at=hold.expires_at, client=hold.client, held=_HELD,
            created_at=iso_utc(now), purge_at=hold.expires_at + _PURGE_AFTER),
            HoldRecord.hold_id.does_not_exist())
        if hold.client:
            txn.put("client", HoldRecord(hold.client, client=hold.hold_id,
                                         expires_at=hold.expires_at,
                                         purge_at=hold.expires_at + _PURGE_AFTER),
                    HoldRecord.hold_id.does_not_exist() | (HoldRecord.expires_at <= at))
        for part in together_with:
            part.add_to(txn)
        txn.commit()

    def ensure_hold_map(self, office_id: str, start: datetime) -> None:
        """Slots made before holds existed get their (empty) map once."""
        try:
            SlotRecord(office_id, iso_utc(start)).update(
                actions=[SlotRecord.holds.set({})],
                condition=SlotRecord.office_id.exists() & SlotRecord.holds.does_not_exist())
        except UpdateError as error:
            if not _failed(error):
                raise

    def extend(self, hold: Hold, new_expiry: int, now: datetime) -> None:
        """The one extension: the hold and its seat's entry move to `new_expiry` together, if
        the hold is active, not yet extended and not expired. `Rejected` names `hold`/`slot`."""
        at = int(now.timestamp())
        txn = _Transaction()
        txn.update("hold", HoldRecord(hold.hold_id), [
            HoldRecord.expires_at.set(new_expiry), HoldRecord.extended.set(1),
            HoldRecord.purge_at.set(new_expiry + _PURGE_AFTER)],
            (HoldRecord.status == "active") & HoldRecord.extended.does_not_exist()
            & (HoldRecord.expires_at > at))
        txn.update("slot", _slot_key(hold), [SlotRecord.holds[hold.hold_id].set(new_expiry)],
                   SlotRecord.holds[hold.hold_id] > at)
        txn.commit()
        if hold.client:
            self._move_marker(hold, new_expiry)

    def give_back(self, hold: Hold, status: str, now: datetime | None = None) -> bool:
        """Settle an active hold as `released` (its holder gave it back) or `expired` (the job):
        its seat returns to the public if it is still the hold's (for `expired`, only once the
        hold has expired at `now`). Returns whether a seat went back; False also when the hold
        was settled already."""
        returned = False
        condition = SlotRecord.holds[hold.hold_id].exists()
        if status == "expired":
            condition = SlotRecord.holds[hold.hold_id] <= int(now.timestamp())
        try:
            _slot_key(hold).update(actions=[SlotRecord.holds[hold.hold_id].remove(),
                                            SlotRecord.available.add(1),
                                            SlotRecord.listing(hold.office_id)],
                                   condition=condition)
            returned = True
        except UpdateError as error:
            if not _failed(error):
                raise  # else: converted, taken over after expiry, or returned already
        try:
            HoldRecord(hold.hold_id).update(
                actions=[HoldRecord.status.set(status), HoldRecord.held.remove()],
                condition=HoldRecord.status == "active")
        except UpdateError as error:
            if not _failed(error):
                raise
        if hold.client:
            self.free_marker(hold)
        return returned

    def free_marker(self, hold: Hold) -> None:
        """The client may take a new hold at once (only if the marker is still this hold's)."""
        self._move_marker(hold, 0)

    def _move_marker(self, hold: Hold, expires_at: int) -> None:
        try:
            HoldRecord(hold.client).update(actions=[HoldRecord.expires_at.set(expires_at)],
                                           condition=HoldRecord.client == hold.hold_id)
        except UpdateError as error:
            if not _failed(error):
                raise

    def conversion(self, hold: Hold, confirmation_number: str) -> HoldConversion:
        return HoldConversion(hold, confirmation_number)

    def expired(self, now: datetime, limit: int = 100) -> list[Hold]:
        from chalicelib.booking import offices

        return [_hold(r) for r in HoldRecord.held_index.query(
            _HELD, HoldRecord.expires_at <= int(now.timestamp()), limit=limit)
            if offices.serves(r.office_id)]  # another region's holds: its own job returns them
