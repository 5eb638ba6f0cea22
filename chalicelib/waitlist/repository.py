"""The waitlist on DynamoDB. One item per entry, plus one marker per person (`person#<key>`)
that keeps one active entry per person. Sparse indexes: `waiting` (office -> entries still
waiting, by join time: who is next) and `offered` (entries with an open offer, by the offer's
expiry: the job that moves lapsed offers on). An offer is written in the transaction that takes
its seat as a hold (chalicelib/booking/hold_repository.py), under the entry's `waiting`
condition: one seat, one person, one offer at a time.

An entry that expired stays in the `waiting` index under the partition `#untold` (no office id
starts with `#`) until its expiry notice is settled: the job publishes those again, so a
publish lost between the expiry and the queue still reaches the person, and it costs one Query
of a partition that is almost always empty."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib import tables
from chalicelib.booking.domain import iso_utc
from chalicelib.booking.repository import _Transaction, _parse
from chalicelib.waitlist.domain import BOOKED, EXPIRED, OFFERED, WAITING, Entry, Offer

_OFFERED = "offered"
_UNTOLD = "#untold"  # the `waiting` index's partition of expired entries not yet told
_PURGE_AFTER = 30 * 86400  # TTL tidies an ended entry up a month after its range


class WaitingIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "waiting"
        projection = AllProjection()

    waiting_office = UnicodeAttribute(hash_key=True)
    queued = UnicodeAttribute(range_key=True)


class OfferedIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "offered"
        projection = AllProjection()

    offered = UnicodeAttribute(hash_key=True)
    offer_expires_at = NumberAttribute(range_key=True)


class WaitlistRecord(tables._Table):
    short_name = "waitlist"
    ttl_attribute = "purge_at"

    class Meta:
        table_name = "waitlist"
        billing_mode = "PAY_PER_REQUEST"

    waitlist_id = UnicodeAttribute(hash_key=True)
    person_key = UnicodeAttribute(null=True)
    office_id = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    first = UnicodeAttribute(null=True)
    last = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    queued = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    proof = UnicodeAttribute(null=True)
    applicant = JSONAttribute(null=True)
    reason = JSONAttribute(null=True)
    language = UnicodeAttribute(null=True)
    contact_method = UnicodeAttribute(null=True)
    offer_hold_id = UnicodeAttribute(null=True)
    offer_start = UnicodeAttribute(null=True)
    offer_expires_at = NumberAttribute(null=True)
    notified = NumberAttribute(null=True)  # the version whose offer notice was settled
    confirmation_number = UnicodeAttribute(null=True)
    entry = UnicodeAttribute(null=True)  # in a person marker: the active entry's id
    until = NumberAttribute(null=True)  # in a person marker: when its entry's range ends
    waiting_office = UnicodeAttribute(null=True)
    offered = UnicodeAttribute(null=True)
    purge_at = NumberAttribute(null=True)
    waiting_index = WaitingIndex()
    offered_index = OfferedIndex()


tables.register(WaitlistRecord)


def _marker_key(person_key: str) -> str:
    return f"person#{person_key}"


def _entry(r: WaitlistRecord) -> Entry:
    offer = (Offer(r.offer_hold_id, _parse(r.offer_start), int(r.offer_expires_at))
             if r.offer_hold_id else None)
    return Entry(r.waitlist_id, r.person_key, r.office_id, r.timezone,
                 date.fromisoformat(r.first), date.fromisoformat(r.last), r.status, r.queued,
                 int(r.version), r.proof, r.applicant or {}, r.reason or {}, r.language,
                 r.contact_method, offer, r.confirmation_number,
                 {"notified": int(r.notified) if r.notified is not None else None})


def _failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class OfferPart:
    """The entry's part of an offer's hold transaction (label `entry`): still waiting, it
    becomes offered, with the offer's hold, at the next version."""

    def __init__(self, entry: Entry, offer: Offer) -> None:
        self.entry, self.offer = entry, offer

    def add_to(self, txn: Any) -> None:
        txn.update("entry", WaitlistRecord(self.entry.waitlist_id), [
            WaitlistRecord.status.set(OFFERED), WaitlistRecord.version.add(1),
            WaitlistRecord.offer_hold_id.set(self.offer.hold_id),
            WaitlistRecord.offer_start.set(iso_utc(self.offer.start)),
            WaitlistRecord.offer_expires_at.set(self.offer.expires_at),
            WaitlistRecord.offered.set(_OFFERED), WaitlistRecord.waiting_office.remove()],
            (WaitlistRecord.status == WAITING) & (WaitlistRecord.version == self.entry.version))


class AcceptPart:
    """The entry's part of the booking that accepts its offer (label `waitlist`)."""

    def __init__(self, entry: Entry, at: int) -> None:
        self.entry, self.at = entry, at

    def add_to(self, txn: Any) -> None:
        txn.update("waitlist", WaitlistRecord(self.entry.waitlist_id), [
            WaitlistRecord.status.set(BOOKED), WaitlistRecord.offered.remove()],
            (WaitlistRecord.status == OFFERED)
            & (WaitlistRecord.offer_hold_id == self.entry.offer.hold_id)
            & (WaitlistRecord.offer_expires_at > self.at))


class DynamoWaitlistRepository:
    def join(self, entry: Entry, until: int, now: datetime) -> None:
        """The entry and the person's marker together; `Rejected` names `person` when the
        person has an active entry (a marker whose range has not passed)."""
        txn = _Transaction()
        txn.put("person", WaitlistRecord(_marker_key(entry.person_key), entry=entry.waitlist_id,
                                         until=until, purge_at=until + _PURGE_AFTER),
                WaitlistRecord.waitlist_id.does_not_exist()
                | (WaitlistRecord.until <= int(now.timestamp())))
        txn.put("entry", WaitlistRecord(
            entry.waitlist_id, person_key=entry.person_key, office_id=entry.office_id,
            timezone=entry.timezone, first=entry.first.isoformat(), last=entry.last.isoformat(),
            status=WAITING, queued=entry.queued, version=entry.version, proof=entry.proof,
            applicant=entry.applicant, reason=entry.reason, language=entry.language,
            contact_method=entry.contact_method, waiting_office=entry.office_id,
            purge_at=until + _PURGE_AFTER),
            WaitlistRecord.waitlist_id.does_not_exist())
        txn.commit()

    def get(self, waitlist_id: str) -> Entry | None:
        try:
            record = WaitlistRecord.get(waitlist_id, consistent_read=True)
        except WaitlistRecord.DoesNotExist:
            return None
        return _entry(record) if record.status else None

    def waiting(self, office_id: str, limit: int = 200) -> list[Entry]:
        """First come first: by join time (the index is eventually consistent; the offer's
        condition on the entry is what decides)."""
        return [_entry(r) for r in WaitlistRecord.waiting_index.query(office_id, limit=limit)]

    def waiting_ahead(self, entry: Entry) -> int:
        """How many waiting entries of the office joined before `entry` and share a day of its
        range (`Entry.ahead_of`): one Query on the office's partition up to the entry's join
        time, counting only (the filter runs after the read: the entries ahead are read)."""
        return WaitlistRecord.waiting_index.count(
            entry.office_id, WaitlistRecord.queued < entry.queued,
            filter_condition=(WaitlistRecord.first <= entry.last.isoformat())
            & (WaitlistRecord.last >= entry.first.isoformat()))

    def offered(self, limit: int = 100) -> list[Entry]:
        """Entries with an open or lapsed offer, the earliest expiry first."""
        return [_entry(r) for r in WaitlistRecord.offered_index.query(_OFFERED, limit=limit)]

    def offer_part(self, entry: Entry, offer: Offer) -> OfferPart:
        return OfferPart(entry, offer)

    def accept_part(self, entry: Entry, now: datetime) -> AcceptPart:
        return AcceptPart(entry, int(now.timestamp()))

    def end(self, entry: Entry, status: str, from_statuses: tuple[str, ...],
            confirmation_number: str | None = None) -> bool:
        """Ends the entry (left, lapsed, booked) if it is in one of `from_statuses`,
        and frees the person's marker; returns whether this call ended it."""
        actions = [WaitlistRecord.status.set(status), WaitlistRecord.waiting_office.remove(),
                   WaitlistRecord.offered.remove()]
        if confirmation_number:
            actions.append(WaitlistRecord.confirmation_number.set(confirmation_number))
        ended = _update(entry.waitlist_id, actions, WaitlistRecord.status.is_in(*from_statuses))
        self.free_marker(entry)
        return ended

    def expire(self, entry: Entry) -> bool:
        """A waiting entry whose range passed ends as `expired` at the next version (the
        version its expiry notice carries) and waits under `#untold` until the notice is
        settled; returns whether this call ended it (a re-run or a racing offer: False)."""
        ended = _update(entry.waitlist_id,
                        [WaitlistRecord.status.set(EXPIRED), WaitlistRecord.version.add(1),
                         WaitlistRecord.waiting_office.set(_UNTOLD),
                         WaitlistRecord.offered.remove()],
                        (WaitlistRecord.status == WAITING)
                        & (WaitlistRecord.version == entry.version))
        self.free_marker(entry)
        return ended

    def untold(self, limit: int = 100) -> list[Entry]:
        """Expired entries whose expiry notice is not settled yet."""
        return [_entry(r) for r in WaitlistRecord.waiting_index.query(_UNTOLD, limit=limit)]

    def mark_told(self, waitlist_id: str, version: int) -> None:
        _update(waitlist_id, [WaitlistRecord.waiting_office.remove()],
                (WaitlistRecord.status == EXPIRED) & (WaitlistRecord.version == version)
                & (WaitlistRecord.waiting_office == _UNTOLD))

    def free_marker(self, entry: Entry) -> None:
        try:
            WaitlistRecord(_marker_key(entry.person_key)).delete(
                condition=WaitlistRecord.entry == entry.waitlist_id)
        except DeleteError as error:
            if not _failed(error):
                raise

    def mark_notified(self, waitlist_id: str, version: int) -> None:
        _update(waitlist_id, [WaitlistRecord.notified.set(version)],
                WaitlistRecord.status.exists())


def _update(waitlist_id: str, actions: list, condition: Any) -> bool:
    """A conditional UpdateItem; False when the condition did not hold."""
    try:
        WaitlistRecord(waitlist_id).update(actions=actions, condition=condition)
    except UpdateError as error:
        if not _failed(error):
            raise
        return False
    return True
