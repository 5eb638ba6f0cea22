"""DynamoDB persistence for offices, their audit trail and the slot and appointment writes that
office changes make. Every change is conditional: on the office's version, on a slot's booked
seats, on an appointment's version and state."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib import aws
from chalicelib.offices.domain import Change, iso_utc, parse_utc
from chalicelib.offices.records import OfficeChangeRecord, OfficeRecord
from chalicelib.tables import AppointmentRecord, ContactSeatRecord, PersonRecord, SlotRecord

EPOCH = "1970-01-01T00:00:00Z"
_PROFILE = ("name", "address", "timezone", "latitude", "longitude", "services")


class StaleVersion(Exception):
    """The office changed since the caller read it."""


@dataclass(frozen=True)
class StoredSlot:
    office_id: str
    start: datetime
    end: datetime
    capacity: int
    available: int
    closed: str | None
    reserved: int = 0
    held: int = 0
    released: int = 0  # reserved seats the release job gave to the public

    @property
    def booked(self) -> int:
        # capacity = public free + reserved free + held + booked (chalicelib/booking/seats.py)
        return self.capacity - self.available - self.reserved - self.held


@dataclass(frozen=True)
class BookedVisit:
    office_id: str
    confirmation_number: str
    version: int
    person_key: str
    start: datetime
    status: str
    contact_seats: tuple[str, ...] = ()  # "<contact key>#<seat>" the visit holds


def _office(record: OfficeRecord) -> dict:
    return {"id": record.office_id, **record.profile, "scheduling": record.scheduling,
            "schedules": record.schedules, "closures": record.closures,
            "version": int(record.version), "home_region": record.home_region,
            "placement": record.placement}


def _record(office: dict, now: datetime) -> OfficeRecord:
    return OfficeRecord(office["id"], profile={k: office[k] for k in _PROFILE if k in office},
                        scheduling=office["scheduling"], schedules=office["schedules"],
                        closures=office["closures"], version=office["version"],
                        updated_at=iso_utc(now), home_region=office.get("home_region"),
                        placement=office.get("placement"))


def _connection() -> Connection:
    return aws.dynamodb()


def _stored_slot(r: SlotRecord) -> StoredSlot:
    return StoredSlot(r.office_id, parse_utc(r.start), parse_utc(r.end), int(r.capacity),
                      int(r.available), getattr(r, "closed", None), int(r.reserved or 0),
                      len(r.holds.as_dict()) if r.holds is not None else 0,
                      int(r.released or 0))


class DynamoOfficeRepository:
    # --- offices -------------------------------------------------------------------------------

    def all(self) -> list[dict]:
        return [_office(r) for r in OfficeRecord.scan()]

    def get(self, office_id: str) -> dict | None:
        try:
            return _office(OfficeRecord.get(office_id, consistent_read=True))
        except OfficeRecord.DoesNotExist:
            return None

    def set_placement(self, office_id: str, home_region: str, placement: str | None,
                      now: datetime | None = None) -> None:
        """Where the office is served (chalicelib/regions.py); the version moves too, so a
        settings change read before it fails its condition and reads again."""
        from datetime import timezone

        record = OfficeRecord(office_id)
        actions = [OfficeRecord.home_region.set(home_region),
                   OfficeRecord.version.add(1),
                   OfficeRecord.updated_at.set(iso_utc(now or datetime.now(timezone.utc)))]
        actions.append(OfficeRecord.placement.set(placement) if placement
                       else OfficeRecord.placement.remove())
        record.update(actions=actions, condition=OfficeRecord.office_id.exists())

    def add_if_missing(self, office: dict, now: datetime) -> bool:
        try:
            _record(office, now).save(condition=OfficeRecord.office_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def save(self, office: dict, expected_version: int, change: Change) -> None:
        """The office at `office["version"]`, if it is still at `expected_version`, with its
        audit entry in the same transaction."""
        try:
            with TransactWrite(connection=_connection()) as txn:
                txn.save(_record(office, change.at),
                         condition=OfficeRecord.version == expected_version)
                txn.save(OfficeChangeRecord(
                    # The office's version breaks ties within a second: newest-first stays the
                    # order in which the changes were made.
                    change.office_id, f"{iso_utc(change.at)}#{change.version:012d}",
                    action=change.action, actor=change.actor_id, role=change.role,
                    version=change.version, old=change.old, new=change.new),
                    condition=OfficeChangeRecord.office_id.does_not_exist())
        except TransactWriteError as error:
            reasons = error.cancellation_reasons or []
            if any(r is not None and r.code in ("ConditionalCheckFailed", "TransactionConflict")
                   for r in reasons):
                raise StaleVersion() from None
            raise

    def changes(self, office_id: str, limit: int = 100) -> list[Change]:
        return [Change(r.office_id, r.action, r.actor, r.role, parse_utc(r.at_id.split("#")[0]),
                       int(r.version), r.old, r.new)
                for r in OfficeChangeRecord.query(office_id, scan_index_forward=False,
                                                  limit=limit)]

    # --- slots ---------------------------------------------------------------------------------

    def slots(self, office_id: str, after: datetime, before: datetime) -> list[StoredSlot]:
        """Every slot starting in [after, before), open, full or closed."""
        records = SlotRecord.query(office_id, SlotRecord.start.between(iso_utc(after),
                                                                        iso_utc(before)),
                                   consistent_read=True)
        return [_stored_slot(r) for r in records if parse_utc(r.start) < before]

    def set_capacity(self, slot: StoredSlot, capacity: int, reserved: int | None = None) -> bool:
        """Change a slot's seats (and its free reserve); refused (False) when that would drop
        below the seats booked or held by the time the write lands."""
        reserved = slot.reserved if reserved is None else reserved
        delta = capacity - slot.capacity - (reserved - slot.reserved)
        same_reserve = (SlotRecord.reserved == slot.reserved) if slot.reserved else (
            SlotRecord.reserved.does_not_exist() | (SlotRecord.reserved == 0))
        try:
            SlotRecord(slot.office_id, iso_utc(slot.start)).update(
                actions=[SlotRecord.capacity.set(capacity), SlotRecord.available.add(delta),
                         SlotRecord.reserved.set(reserved), SlotRecord.listing(slot.office_id)],
                condition=(SlotRecord.capacity == slot.capacity) & same_reserve
                & (SlotRecord.available >= max(0, -delta)))
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def remove_if_unbooked(self, slot: StoredSlot) -> bool:
        try:
            # Nothing booked or held when the delete lands: every seat is a free one.
            unheld = SlotRecord.holds.does_not_exist() | (SlotRecord.holds == {})
            if slot.reserved:
                condition = ((SlotRecord.available == slot.available)
                             & (SlotRecord.reserved == slot.reserved)
                             & (SlotRecord.capacity == slot.available + slot.reserved))
            else:
                condition = ((SlotRecord.available == SlotRecord.capacity)
                             & (SlotRecord.reserved.does_not_exist()
                                | (SlotRecord.reserved == 0)))
            SlotRecord(slot.office_id, iso_utc(slot.start)).delete(condition=condition & unheld)
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def close_slot(self, slot: StoredSlot, closure_id: str) -> None:
        SlotRecord(slot.office_id, iso_utc(slot.start)).update(
            actions=[SlotRecord.closed.set(closure_id)], condition=SlotRecord.office_id.exists())

    def reopen_slot(self, slot: StoredSlot, closure_id: str) -> bool:
        try:
            SlotRecord(slot.office_id, iso_utc(slot.start)).update(
                actions=[SlotRecord.closed.remove(), SlotRecord.listing(slot.office_id)],
                condition=SlotRecord.closed == closure_id)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # --- appointments --------------------------------------------------------------------------

    def visits(self, office_id: str, after: datetime, before: datetime) -> Iterator[BookedVisit]:
        """Appointments at the office starting in [after, before), any state."""
        for r in AppointmentRecord.office_day_index.query(
                office_id, AppointmentRecord.start.between(iso_utc(after), iso_utc(before))):
            if parse_utc(r.start) < before:
                yield BookedVisit(r.office_id, r.confirmation_number, int(r.version), r.person_key,
                                  parse_utc(r.start), r.status,
                                  tuple(sorted(r.contact_seats or ())))

    def cancel_for_closure(self, visit: BookedVisit, closure_id: str, notice_kind: str,
                           now: datetime) -> bool:
        """Cancel one booked visit because the office is closed: the seat goes back to the
        (closed) slot, the person's active appointment is cleared and the visit does not count
        towards the minimum interval. False when it is no longer booked at that version (a
        rerun, or the person changed it first): nothing is written then."""
        version = visit.version + 1
        appointment = AppointmentRecord(visit.confirmation_number)
        with_person, contacts = True, visit.contact_seats
        for _attempt in range(3):
            try:
                with TransactWrite(connection=_connection()) as txn:
                    # Sent in this order: appointment, slot, person, contact seats (cancellation
                    # reasons too).
                    txn.update(appointment, actions=[
                        AppointmentRecord.status.set("cancelled"),
                        AppointmentRecord.version.set(version),
                        AppointmentRecord.updated_at.set(iso_utc(now)),
                        AppointmentRecord.cancelled_for.set(closure_id),
                        AppointmentRecord.pending_notices.add({f"{notice_kind}:{version}"}),
                        AppointmentRecord.outbox.set("pending"),
                    ], condition=(AppointmentRecord.version == visit.version)
                        & (AppointmentRecord.status == "booked"))
                    # The seat returns to the slot, which stays closed until the closure is
                    # withdrawn: then it is bookable again.
                    txn.update(SlotRecord(visit.office_id, iso_utc(visit.start)),
                               actions=[SlotRecord.available.add(1),
                                        SlotRecord.listing(visit.office_id)],
                               condition=SlotRecord.office_id.exists())
                    if with_person:
                        txn.update(PersonRecord(visit.person_key), actions=[
                            PersonRecord.active_confirmation.remove(),
                            PersonRecord.active_start.remove(),
                            # Like a cancellation: the visit does not count towards the
                            # minimum interval, so the person may rebook at once.
                            PersonRecord.last_start.set(PersonRecord.prev_start | EPOCH),
                        ], condition=PersonRecord.active_confirmation == visit.confirmation_number)
                    # Like a cancellation, the email and phone are free for another booking.
                    for entry in contacts:
                        key, _, seat = entry.rpartition("#")
                        txn.update(ContactSeatRecord(key, int(seat)), actions=[
                            ContactSeatRecord.confirmation_number.remove(),
                            ContactSeatRecord.active_start.remove(),
                        ], condition=ContactSeatRecord.confirmation_number
                            == visit.confirmation_number)
            except TransactWriteError as error:
                failed = [r is not None and r.code == "ConditionalCheckFailed"
                          for r in (error.cancellation_reasons or [])]
                if failed and failed[0]:
                    return False  # the appointment moved on: not ours to cancel any more
                if not any(failed) or failed[1]:
                    raise
                # Retry without what is no longer this visit's: the person record (pointing at
                # another appointment) or contact seats (passed on to later bookings).
                if with_person and failed[2]:
                    with_person = False
                if any(failed[2 + with_person:]):
                    contacts = ()
                continue
            return True
        return False


# --- the day at the office ---------------------------------------------------------------------

@dataclass(frozen=True)
class AssistedAuditEntry:
    """The audit entry of an assisted change, written in the booking's own transaction (no
    booking without it): the staff member, their role and the identity check, codes only."""
    office_id: str
    action: str
    actor_id: str
    role: str
    confirmation_number: str
    identity_check: str
    at: datetime

    def add_to(self, txn) -> None:
        # Microseconds order two entries of one second (a booking, then its move) as they
        # happened.
        record = OfficeChangeRecord(
            self.office_id, f"{iso_utc(self.at)}#{self.at.microsecond:06d}"
            f"{secrets.token_hex(2)}", action=self.action, actor=self.actor_id, role=self.role,
            version=0, old=None,
            new={"confirmation_number": self.confirmation_number,
                 "identity_check": self.identity_check})
        txn.put("assisted_audit", record, OfficeChangeRecord.office_id.does_not_exist())


def _visit(r: AppointmentRecord):
    from chalicelib.offices.roster import Visit

    return Visit(r.confirmation_number, r.office_id, r.status, parse_utc(r.start),
                 parse_utc(r.end), r.timezone, r.person_key, r.applicant or {}, r.reason or {},
                 r.language, list(r.accommodations or []), getattr(r, "attendance", None))


class DynamoRosterRepository:
    def day_visits(self, office_id: str, after: datetime, before: datetime) -> list:
        return [_visit(r) for r in AppointmentRecord.office_day_index.query(
            office_id, AppointmentRecord.start.between(iso_utc(after), iso_utc(before)))
            if parse_utc(r.start) < before]

    def visit(self, confirmation_number: str):
        try:
            return _visit(AppointmentRecord.get(confirmation_number, consistent_read=True))
        except AppointmentRecord.DoesNotExist:
            return None

    def mark(self, visit, mark: str, required: str | None, actor_id: str, now: datetime,
             uncount: bool) -> bool:
        """One conditional write: the mark lands only on the state it was made from. With
        `uncount`, the visit stops counting towards the person's minimum interval (when it is
        still the person's latest)."""
        condition = AppointmentRecord.status == "booked"
        condition &= (AppointmentRecord.attendance == required if required
                      else AppointmentRecord.attendance.does_not_exist())
        actions = [AppointmentRecord.attendance.set(mark),
                   AppointmentRecord.attendance_at.set(iso_utc(now)),
                   AppointmentRecord.attendance_by.set(actor_id)]
        for with_person in ((True, False) if uncount else (False,)):
            try:
                with TransactWrite(connection=_connection()) as txn:
                    txn.update(AppointmentRecord(visit.confirmation_number), actions=actions,
                               condition=condition)
                    if with_person:
                        txn.update(PersonRecord(visit.person_key), actions=[
                            PersonRecord.last_start.set(PersonRecord.prev_start | EPOCH)],
                            condition=PersonRecord.last_start == iso_utc(visit.start))
            except TransactWriteError as error:
                failed = [r is not None and r.code == "ConditionalCheckFailed"
                          for r in (error.cancellation_reasons or [])]
                if failed and failed[0]:
                    return False
                if with_person and len(failed) > 1 and failed[1]:
                    continue  # a later visit is the person's latest: nothing to uncount
                if any(r is not None and r.code == "TransactionConflict"
                       for r in (error.cancellation_reasons or [])):
                    return False
                raise
            return True
        return False
