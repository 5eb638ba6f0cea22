"""DynamoDB persistence for booking, through PynamoDB. Every state change is one transaction
whose conditions decide; nothing is read first and written on the strength of that read."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.booking.domain import Appointment, iso_utc
from chalicelib.booking.ports import (CONTACT_LABEL, PUBLIC_SEAT, ContactSeat, IdempotencyClaim,
                                      Person, Rejected, SeatTaking, Slot, StoredResponse,
                                      TransactionPart)
from chalicelib.booking.seats import RESERVED
from chalicelib.booking.schedule import PlannedSlot, slot_id
from chalicelib.offices.records import OfficeRecord
from chalicelib.tables import (AppointmentRecord, ContactSeatRecord, IdempotencyRecord,
                               PersonRecord, SlotRecord)

EPOCH = "1970-01-01T00:00:00Z"


def _seat(entry: str) -> ContactSeatRecord:
    key, _, seat = entry.rpartition("#")
    return ContactSeatRecord(key, int(seat))


def _seat_expiry(start: datetime) -> int:
    return int(start.timestamp()) + 86400  # TTL tidies up a day after the seat freed itself


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _slot(record: SlotRecord) -> Slot:
    holds = record.holds.as_dict() if record.holds is not None else {}
    return Slot(record.office_id, _parse(record.start), _parse(record.end),
                int(record.capacity), int(record.available), int(record.reserved or 0),
                {h: int(e) for h, e in holds.items()})


_OPEN = SlotRecord.office_id.exists() & SlotRecord.closed.does_not_exist()
# A seat of any kind free or held (an unexpired hold frees its seat by merely expiring, with no
# write, so a held seat keeps its slot listed).
_HAS_SEAT = ((SlotRecord.available > 0) | (SlotRecord.reserved > 0)
             | (size(SlotRecord.holds) > 0))
_NOTHING_TO_SHOW = (((SlotRecord.available <= 0)
                     & (SlotRecord.reserved.does_not_exist() | (SlotRecord.reserved <= 0))
                     & (SlotRecord.holds.does_not_exist() | (size(SlotRecord.holds) == 0)))
                    | SlotRecord.closed.exists())
_RELEASE_ATTEMPTS = 5


def take_seat(seat: SeatTaking) -> tuple[list, Any]:
    """The slot update (actions, condition) that takes one seat as `seat` says; only the slot's
    own counts decide, so a racing writer either finds the seat or does not."""
    if seat.hold_id:
        return ([SlotRecord.holds[seat.hold_id].remove()],
                _OPEN & (SlotRecord.holds[seat.hold_id] > seat.at))
    if seat.expired_hold:
        return ([SlotRecord.holds[seat.expired_hold].remove()],
                _OPEN & (SlotRecord.holds[seat.expired_hold] <= seat.at))
    if seat.pool == RESERVED:
        return [SlotRecord.reserved.add(-1)], _OPEN & (SlotRecord.reserved > 0)
    return [SlotRecord.available.add(-1)], _OPEN & (SlotRecord.available > 0)


# DynamoDB's limit of items in one TransactWriteItems request.
_SLOTS_PER_TRANSACTION = 100


def _new_slot(slot: PlannedSlot, expires_at: int) -> SlotRecord:
    return SlotRecord(slot.office_id, iso_utc(slot.start), end=iso_utc(slot.end),
                      capacity=slot.capacity, available=slot.capacity - slot.reserved,
                      reserved=slot.reserved, expires_at=expires_at, holds={},
                      listed=slot.office_id)


class _Transaction:
    """Labels each item so a cancellation can say which condition failed.

    PynamoDB sends condition checks, deletes, puts and updates in that order, and DynamoDB
    reports cancellation reasons in the order sent.
    """

    def __init__(self) -> None:
        self._txn = TransactWrite(connection=aws.dynamodb())
        self._checks: list[str] = []
        self._puts: list[str] = []
        self._updates: list[str] = []

    def check(self, label: str, model_cls: Any, hash_key: str, condition: Any) -> None:
        self._checks.append(label)
        self._txn.condition_check(model_cls, hash_key, condition=condition)

    def put(self, label: str, model: Any, condition: Any, return_old: bool = False) -> None:
        """`return_old`: when the condition fails, DynamoDB returns the item as it is
        (`Rejected.old[label]`), so explaining the failure needs no read."""
        self._puts.append(label)
        self._txn.save(model, condition=condition,
                       return_values="ALL_OLD" if return_old else None)

    def update(self, label: str, model: Any, actions: list, condition: Any,
               return_old: bool = False) -> None:
        self._updates.append(label)
        self._txn.update(model, actions=actions, condition=condition,
                         return_values="ALL_OLD" if return_old else None)

    def commit(self) -> None:
        try:
            with self._txn:  # the context manager commits on exit
                pass
        except TransactWriteError as error:
            labels = self._checks + self._puts + self._updates
            reasons = error.cancellation_reasons or []
            failed = {label for label, reason in zip(labels, reasons)
                      if reason is not None and reason.code == "ConditionalCheckFailed"}
            old = {label: reason.raw_item for label, reason in zip(labels, reasons)
                   if label in failed and reason.raw_item}
            conflict = any(reason is not None and reason.code == "TransactionConflict"
                           for reason in reasons)
            if not failed and not conflict and error.cause_response_code != "TransactionCanceledException":
                raise
            raise Rejected(failed, conflict, old) from None


def _still_scheduling(txn: _Transaction, office_id: str, mode: str | None) -> None:
    """The office's mode as a condition (label `office`) instead of a consistent read first: a
    switch made a moment ago in another container still stops the booking."""
    if mode is not None:
        txn.check("office", OfficeRecord, office_id, OfficeRecord.scheduling == mode)


class DynamoBookingRepository:
    def get_slot(self, office_id: str, start: datetime) -> Slot | None:
        try:
            return _slot(SlotRecord.get(office_id, iso_utc(start)))
        except SlotRecord.DoesNotExist:
            return None

    def open_slots(self, office_id: str, after: datetime, before: datetime) -> list[Slot]:
        """Slots with a free seat of any kind (the service decides whom each kind is for):
        public, reserved, or held by a hold (which may have expired). Read from the sparse
        `listed` index, so booked-out slots are not read (but for those booked out since the
        last `unlist_booked_out_slots` run, which the filter leaves out)."""
        records = SlotRecord.listed_index.query(
            office_id, SlotRecord.start.between(iso_utc(after), iso_utc(before)),
            filter_condition=_HAS_SEAT & SlotRecord.closed.does_not_exist())
        return [_slot(r) for r in records if _parse(r.start) > after]

    def reserved_slots(self, office_id: str, after: datetime, before: datetime) -> list[Slot]:
        records = SlotRecord.query(
            office_id, SlotRecord.start.between(iso_utc(after), iso_utc(before)),
            filter_condition=SlotRecord.reserved > 0, consistent_read=True)
        return [_slot(r) for r in records]

    def release_reserved(self, office_id: str, start: datetime, now: datetime,
                         seen: int | None = None) -> int:
        """Give the slot's unused reserved seats to the public: one conditional update on the
        count `seen` (as the caller's query read it), so a grant taking a reserved seat
        meanwhile makes it fail, re-read and try again. Returns the seats released (0 when a
        grant took the last one first)."""
        count = seen
        for _ in range(_RELEASE_ATTEMPTS):
            if count is None:
                try:
                    count = int(SlotRecord.get(office_id, iso_utc(start),
                                               consistent_read=True).reserved or 0)
                except SlotRecord.DoesNotExist:
                    return 0
            if count <= 0:
                return 0
            try:
                SlotRecord(office_id, iso_utc(start)).update(actions=[SlotRecord.available.add(count),
                                       SlotRecord.reserved.add(-count),
                                       SlotRecord.released.add(count),
                                       SlotRecord.listing(office_id)],
                              condition=SlotRecord.reserved == count)
            except UpdateError as error:
                if error.cause_response_code == "ConditionalCheckFailedException":
                    count = None  # a grant (or a cancellation) moved the count: read it again
                    continue
                raise
            return count
        return 0

    # --- the `listed` index (chalicelib/booking/listing.py) ------------------------------------

    def listed_without_seats(self, office_id: str, after: datetime) -> list[datetime]:
        """Starts of the office's listed slots from `after` on that show nothing as the index
        has them (booked out, or closed): one Query of the index's partition, reading only the
        listed slots."""
        records = SlotRecord.listed_index.query(
            office_id, SlotRecord.start >= iso_utc(after), filter_condition=_NOTHING_TO_SHOW,
            attributes_to_get=["start"])
        return [_parse(r.start) for r in records]

    def unlist(self, office_id: str, start: datetime) -> bool:
        """Takes the slot out of the index if, when this write lands, it still has no seat
        free, reserved or held (or is closed). A seat freed a moment before makes the condition
        fail; one freed after sets `listed` again in its own write: never hidden."""
        try:
            SlotRecord(office_id, iso_utc(start)).update(
                actions=[SlotRecord.listed.remove()],
                condition=SlotRecord.listed.exists() & _NOTHING_TO_SHOW)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def list_unlisted(self, office_id: str, after: datetime) -> int:
        """Lists every slot of the office from `after` on that is not listed (slots made before
        the index; the backfill): booked out or not, since a seat freed by a writer that does
        not list yet (a container still on the old code) must not be missed; the job unlists
        the booked-out ones on its next run. Returns how many were listed."""
        records = SlotRecord.query(office_id, SlotRecord.start >= iso_utc(after),
                                   filter_condition=SlotRecord.listed.does_not_exist(),
                                   attributes_to_get=["start"], consistent_read=True)
        listed = 0
        for record in records:
            try:
                SlotRecord(office_id, record.start).update(
                    actions=[SlotRecord.listing(office_id)],
                    condition=SlotRecord.office_id.exists())
                listed += 1
            except UpdateError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise  # else: deleted meanwhile (a schedule change)
        return listed

    def slot_starts(self, office_id: str, after: datetime, before: datetime) -> set[datetime]:
        records = SlotRecord.query(office_id, SlotRecord.start.between(iso_utc(after), iso_utc(before)),
                                   attributes_to_get=["start"])
        return {_parse(r.start) for r in records}

    def add_slot(self, slot: PlannedSlot, expires_at: int) -> bool:
        record = _new_slot(slot, expires_at)
        try:
            # Never overwrite: an existing slot carries seats already taken.
            record.save(condition=SlotRecord.office_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def add_slots(self, slots: Sequence[tuple[PlannedSlot, int]]) -> int:
        """Adds (slot, expires_at) pairs that do not exist yet, up to 100 per transaction (one
        request instead of 100), each on the condition that its slot is absent. A chunk that
        meets a slot created meanwhile (another generator) falls back to one conditional put
        per slot, so nothing is overwritten and every missing slot is still written."""
        created = 0
        for first in range(0, len(slots), _SLOTS_PER_TRANSACTION):
            chunk = slots[first:first + _SLOTS_PER_TRANSACTION]
            txn = _Transaction()
            for n, (slot, expires_at) in enumerate(chunk):
                txn.put(f"slot{n}", _new_slot(slot, expires_at),
                        SlotRecord.office_id.does_not_exist())
            try:
                txn.commit()
                created += len(chunk)
            except Rejected:
                created += sum(self.add_slot(slot, expires_at) for slot, expires_at in chunk)
        return created

    def book(self, appointment: Appointment, not_active_after: datetime,
             last_visit_before: datetime, claim: IdempotencyClaim | None,
             together_with: Sequence[TransactionPart] = (),
             seat: SeatTaking = PUBLIC_SEAT, office_mode: str | None = None) -> None:
        txn = _Transaction()
        _still_scheduling(txn, appointment.office_id, office_mode)
        slot = SlotRecord(appointment.office_id, iso_utc(appointment.start))
        actions, condition = take_seat(seat)
        # The end the appointment records is the slot's: the booking did not read the slot.
        txn.update("slot", slot, actions, condition & (SlotRecord.end == iso_utc(appointment.end)))
        txn.put("appointment", _record(appointment), AppointmentRecord.confirmation_number.does_not_exist())
        person = PersonRecord(appointment.person_key)
        txn.update("person", person, [
            PersonRecord.active_confirmation.set(appointment.confirmation_number),
            PersonRecord.active_start.set(iso_utc(appointment.start)),
            PersonRecord.prev_start.set(PersonRecord.last_start | EPOCH),
            PersonRecord.last_start.set(iso_utc(appointment.start)),
        ], ((PersonRecord.active_start.does_not_exist()
             | (PersonRecord.active_start < iso_utc(not_active_after)))
            & (PersonRecord.last_start.does_not_exist()
               | (PersonRecord.last_start <= iso_utc(last_visit_before)))))
        for n, entry in enumerate(appointment.contact_seats):
            # Free when nobody holds it or its holder has started: a passed appointment stops
            # counting without any write, as the person claim does.
            txn.update(f"{CONTACT_LABEL}{n}", _seat(entry), [
                ContactSeatRecord.confirmation_number.set(appointment.confirmation_number),
                ContactSeatRecord.active_start.set(iso_utc(appointment.start)),
                ContactSeatRecord.expires_at.set(_seat_expiry(appointment.start)),
            ], (ContactSeatRecord.confirmation_number.does_not_exist()
                | (ContactSeatRecord.active_start < iso_utc(not_active_after))))
        if claim is not None:
            txn.put("idempotency", IdempotencyRecord(
                claim.key, body_hash=claim.body_hash, status=claim.status, response=claim.body,
                expires_at=claim.expires_at),
                IdempotencyRecord.key.does_not_exist()
                | (IdempotencyRecord.expires_at < claim.claimed_at), return_old=True)
        for part in together_with:
            part.add_to(txn)
        try:
            txn.commit()
        except Rejected as rejected:
            stored = rejected.old.get("idempotency")
            if stored:
                rejected.replay = _stored(IdempotencyRecord.from_raw_data(stored))
            raise

    def cancel(self, appointment: Appointment, now: datetime,
               release_contacts: bool = True, to_pool: str = "public",
               together_with: Sequence[TransactionPart] = ()) -> Appointment:
        txn = _Transaction()
        for part in together_with:
            part.add_to(txn)
        record = AppointmentRecord(appointment.confirmation_number)
        txn.update("appointment", record, [
            AppointmentRecord.status.set("cancelled"),
            AppointmentRecord.version.add(1),
            AppointmentRecord.updated_at.set(iso_utc(now)),
            AppointmentRecord.pending_notices.add({f"cancellation:{appointment.version + 1}"}),
            AppointmentRecord.outbox.set("pending"),
        ], (AppointmentRecord.version == appointment.version)
            & (AppointmentRecord.status == "booked"))
        txn.update("slot", SlotRecord(appointment.office_id, iso_utc(appointment.start)),
                   [(SlotRecord.reserved if to_pool == RESERVED else SlotRecord.available).add(1),
                    SlotRecord.listing(appointment.office_id)],
                   SlotRecord.office_id.exists())
        txn.update("person", PersonRecord(appointment.person_key), [
            PersonRecord.active_confirmation.remove(),
            PersonRecord.active_start.remove(),
            # A cancelled visit does not count towards the minimum interval.
            PersonRecord.last_start.set(PersonRecord.prev_start | EPOCH),
        ], PersonRecord.active_confirmation == appointment.confirmation_number)
        for n, entry in enumerate(appointment.contact_seats if release_contacts else ()):
            txn.update(f"{CONTACT_LABEL}{n}", _seat(entry), [
                ContactSeatRecord.confirmation_number.remove(),
                ContactSeatRecord.active_start.remove(),
            ], ContactSeatRecord.confirmation_number == appointment.confirmation_number)
        txn.commit()
        appointment.status = "cancelled"
        appointment.version += 1
        appointment.updated_at = now
        return appointment

    def reschedule(self, appointment: Appointment, new_slot: Slot, zone: str, now: datetime,
                   last_visit_before: datetime, seat: SeatTaking = PUBLIC_SEAT,
                   old_to_pool: str = "public",
                   together_with: Sequence[TransactionPart] = (),
                   office_mode: str | None = None) -> Appointment:
        txn = _Transaction()
        _still_scheduling(txn, new_slot.office_id, office_mode)
        for part in together_with:
            part.add_to(txn)
        version = appointment.version + 1
        new_id = slot_id(new_slot.office_id, new_slot.start)
        txn.update("appointment", AppointmentRecord(appointment.confirmation_number), [
            AppointmentRecord.office_id.set(new_slot.office_id),
            # A move to another office is a move to its time zone: notices, reminders and the
            # .ics show the stored zone.
            AppointmentRecord.timezone.set(zone),
            AppointmentRecord.slot_id.set(new_id),
            AppointmentRecord.start.set(iso_utc(new_slot.start)),
            AppointmentRecord.end.set(iso_utc(new_slot.end)),
            AppointmentRecord.version.set(version),
            AppointmentRecord.updated_at.set(iso_utc(now)),
            AppointmentRecord.pending_notices.add({f"reschedule_confirmation:{version}"}),
            AppointmentRecord.outbox.set("pending"),
            AppointmentRecord.seat_pool.remove() if seat.pool != RESERVED
            else AppointmentRecord.seat_pool.set(RESERVED),
        ], (AppointmentRecord.version == appointment.version)
            & (AppointmentRecord.status == "booked"))
        txn.update("old_slot", SlotRecord(appointment.office_id, iso_utc(appointment.start)),
                   [(SlotRecord.reserved if old_to_pool == RESERVED
                     else SlotRecord.available).add(1),
                    SlotRecord.listing(appointment.office_id)], SlotRecord.office_id.exists())
        actions, condition = take_seat(seat)
        txn.update("slot", SlotRecord(new_slot.office_id, iso_utc(new_slot.start)), actions,
                   condition & (SlotRecord.end == iso_utc(new_slot.end)))
        txn.update("person", PersonRecord(appointment.person_key), [
            PersonRecord.active_start.set(iso_utc(new_slot.start)),
            PersonRecord.last_start.set(iso_utc(new_slot.start)),
        ], (PersonRecord.active_confirmation == appointment.confirmation_number)
            & (PersonRecord.prev_start <= iso_utc(last_visit_before)))
        for n, entry in enumerate(appointment.contact_seats):
            txn.update(f"{CONTACT_LABEL}{n}", _seat(entry), [
                ContactSeatRecord.active_start.set(iso_utc(new_slot.start)),
                ContactSeatRecord.expires_at.set(_seat_expiry(new_slot.start)),
            ], ContactSeatRecord.confirmation_number == appointment.confirmation_number)
        txn.commit()
        appointment.office_id, appointment.slot_id = new_slot.office_id, new_id
        appointment.timezone = zone
        appointment.start, appointment.end = new_slot.start, new_slot.end
        appointment.version, appointment.updated_at = version, now
        appointment.seat_pool = seat.pool
        return appointment

    def get_appointment(self, confirmation_number: str) -> Appointment | None:
        try:
            record = AppointmentRecord.get(confirmation_number)
        except AppointmentRecord.DoesNotExist:
            return None
        return _appointment(record)

    def get_person(self, key: str) -> Person | None:
        try:
            record = PersonRecord.get(key, consistent_read=True)
        except PersonRecord.DoesNotExist:
            return None
        return Person(record.person_key, record.active_confirmation,
                      _parse(record.active_start), _parse(record.last_start))

    def contact_seats(self, contact_key: str) -> list[ContactSeat]:
        return [ContactSeat(int(r.seat), r.confirmation_number, _parse(r.active_start))
                for r in ContactSeatRecord.query(contact_key, consistent_read=True)]

    def get_response(self, key: str, now: datetime) -> StoredResponse | None:
        try:
            record = IdempotencyRecord.get(key, consistent_read=True)
        except IdempotencyRecord.DoesNotExist:
            return None
        if record.expires_at < now.timestamp():
            return None  # DynamoDB deletes expired items lazily; treat them as gone
        return _stored(record)


def _stored(record: IdempotencyRecord) -> StoredResponse:
    return StoredResponse(record.body_hash, int(record.status), record.response)


def _record(a: Appointment) -> AppointmentRecord:
    return AppointmentRecord(
        a.confirmation_number, status=a.status, version=a.version, office_id=a.office_id,
        slot_id=a.slot_id, start=iso_utc(a.start), end=iso_utc(a.end), timezone=a.timezone,
        person_key=a.person_key, proof=a.proof, applicant=a.applicant, reason=a.reason,
        language=a.language, contact_method=a.contact_method, a_number=a.a_number,
        receipt_number=a.receipt_number, accommodations=list(a.accommodations),
        contact_seats=set(a.contact_seats) or None,
        seat_pool=a.seat_pool if a.seat_pool != "public" else None,
        created_at=iso_utc(a.created_at),
        updated_at=iso_utc(a.updated_at),
        pending_notices={f"booking_confirmation:{a.version}"}, outbox="pending")


def _appointment(r: AppointmentRecord) -> Appointment:
    return Appointment(
        confirmation_number=r.confirmation_number, status=r.status, version=int(r.version),
        office_id=r.office_id, slot_id=r.slot_id, start=_parse(r.start), end=_parse(r.end),
        timezone=r.timezone, person_key=r.person_key, proof=r.proof, applicant=r.applicant,
        reason=r.reason, language=r.language, contact_method=r.contact_method,
        a_number=r.a_number, receipt_number=r.receipt_number,
        accommodations=list(r.accommodations or []),
        contact_seats=sorted(r.contact_seats or ()), seat_pool=r.seat_pool or "public",
        created_at=_parse(r.created_at),
        updated_at=_parse(r.updated_at))
