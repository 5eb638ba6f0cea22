"""Assisted digital: Tier 1 agents and front-desk staff book, reschedule and cancel for a caller
or walk-in at any self-service office, through the booking service's own transaction and
per-person rules (one active appointment, the minimum interval, the change cutoff). The staff
member and the identity check they performed are audited, with codes only."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone
from typing import Any, Callable

from chalicelib.booking import offices, representation
from chalicelib.booking.domain import Appointment, changes_close
from chalicelib.booking.service import BookingService, OnBehalfBooking
from chalicelib.booking.validation import Proof, RescheduleRequest
from chalicelib.offices.domain import iso_utc
from chalicelib.offices.records import OfficeChangeRecord
from chalicelib.offices.validation import (AssistedBooking, AssistedCancellation,
                                           AssistedReschedule)
from chalicelib.staff.identity import Actor

log = logging.getLogger(__name__)


def _audit_record(office_id: str, action: str, actor: Actor, cn: str, identity_check: str,
                  now: datetime) -> OfficeChangeRecord:
    # Microseconds order two entries of one second (a booking, then its move) as they happened.
    return OfficeChangeRecord(office_id, f"{iso_utc(now)}#{now.microsecond:06d}"
                              f"{secrets.token_hex(2)}", action=action,
                              actor=actor.id, role=actor.role, version=0, old=None,
                              new={"confirmation_number": cn, "identity_check": identity_check})


class _AuditInBooking:
    """The audit entry, written in the booking's own transaction: no booking without it."""

    def __init__(self, record: OfficeChangeRecord) -> None:
        self.record = record

    def add_to(self, txn: Any) -> None:
        txn.put("assisted_audit", self.record, OfficeChangeRecord.office_id.does_not_exist())


class AssistedDigital:
    def __init__(self, booking: BookingService,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.booking = booking
        self.clock = clock

    def book(self, actor: Actor, body: AssistedBooking) -> dict:
        request = OnBehalfBooking(
            slot_id=body.slot_id, applicant=body.applicant.model_dump(mode="json"),
            reason=body.reason.model_dump(mode="json"), language=body.language,
            contact_method=body.contact_method, a_number=body.a_number,
            receipt_number=body.receipt_number, accommodations=tuple(body.accommodations))

        def audit(appointment: Appointment):
            return [_AuditInBooking(_audit_record(
                appointment.office_id, "assisted_booking", actor,
                appointment.confirmation_number, body.identity_check, self.clock()))]

        appointment = self.booking.book_on_behalf(request, audit, assisted=True)
        return {**representation.booking(appointment, offices.get(appointment.office_id),
                                         changes_close(appointment.start, self.booking.policy),
                                         self.clock()),
                "booked_by": {"actor": actor.id, "role": actor.role,
                              "identity_check": body.identity_check}}

    def reschedule(self, actor: Actor, raw_cn: str, body: AssistedReschedule) -> dict:
        view = self.booking.reschedule(raw_cn, RescheduleRequest(
            last_name=body.last_name, date_of_birth=body.date_of_birth, slot_id=body.slot_id),
            together_with=self._audit("assisted_reschedule", actor, body.identity_check))
        log.info("assisted change", extra={"action": "assisted_reschedule"})
        return view

    def cancel(self, actor: Actor, raw_cn: str, body: AssistedCancellation) -> dict:
        view = self.booking.cancel(
            raw_cn, Proof(last_name=body.last_name, date_of_birth=body.date_of_birth),
            together_with=self._audit("assisted_cancellation", actor, body.identity_check))
        log.info("assisted change", extra={"action": "assisted_cancellation"})
        return view

    def _audit(self, action: str, actor: Actor, identity_check: str):
        """The audit entry, in the change's own transaction: no change without it (and no entry
        for a change that did not happen)."""
        def entry(cn: str, office_id: str):
            return [_AuditInBooking(_audit_record(office_id, action, actor, cn, identity_check,
                                                  self.clock()))]
        return entry
