"""Assisted digital: Tier 1 agents and front-desk staff book, reschedule and cancel for a caller
or walk-in at any self-service office, through the booking service's own transaction and
per-person rules (one active appointment, the minimum interval, the change cutoff). The staff
member and the identity check they performed are audited, with codes only."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from chalicelib.booking import offices, representation
from chalicelib.booking.domain import Appointment, changes_close
from chalicelib.booking.service import BookingService, OnBehalfBooking
from chalicelib.booking.validation import Proof, RescheduleRequest
from chalicelib.offices.repository import AssistedAuditEntry
from chalicelib.offices.validation import (AssistedBooking, AssistedCancellation,
                                           AssistedReschedule)
from chalicelib.staff.identity import Actor

log = logging.getLogger(__name__)


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
            return [AssistedAuditEntry(appointment.office_id, "assisted_booking", actor.id,
                                       actor.role, appointment.confirmation_number,
                                       body.identity_check, self.clock())]

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
            return [AssistedAuditEntry(office_id, action, actor.id, actor.role, cn,
                                       identity_check, self.clock())]
        return entry
