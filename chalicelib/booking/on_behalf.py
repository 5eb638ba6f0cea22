"""Staff book a visit for someone: a triage grant (at any office, the officer's decision in
place of the minimum interval) or an assisted booking for a caller or walk-in (as the person
would book online)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Sequence

from chalicelib import errors
from chalicelib.booking import schedule
from chalicelib.booking.claims import NationwideClaims, NoClaims
from chalicelib.booking.domain import (Appointment, Policy, new_confirmation_number, person_key,
                                       proof_digest)
from chalicelib.booking.openings import Openings
from chalicelib.booking.ports import (RETRIES_ON_CONFLICT, BookingRepository, NoticePublisher,
                                      Rejected, SeatTaking, TransactionPart, notify)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnBehalfBooking:
    """A visit staff book for someone; `applicant` has the shape of a booking's applicant
    (`date_of_birth` as YYYY-MM-DD; `email` and `address` optional)."""
    slot_id: str
    applicant: dict
    reason: dict
    language: str
    contact_method: str
    a_number: str | None = None
    receipt_number: str | None = None
    accommodations: tuple[str, ...] = ()


class StaffBooking:
    def __init__(self, repository: BookingRepository, publisher: NoticePublisher,
                 openings: Openings, *, policy: Policy, pepper: str,
                 clock: Callable[[], datetime], claims: NationwideClaims | NoClaims) -> None:
        self.repo = repository
        self.publisher = publisher
        self.openings = openings
        self.policy = policy
        self.pepper = pepper
        self.clock = clock
        # The person's nationwide claim (chalicelib/booking/claims.py), taken around every
        # booking transaction.
        self.claims = claims

    def book_on_behalf(self, request: OnBehalfBooking,
                       together_with: Callable[[Appointment], Sequence[TransactionPart]]
                       | None = None, *, assisted: bool = False) -> Appointment:
        """Staff book a visit for someone (a triage grant) through the same transaction and
        conditions as a public booking: the seat, a new confirmation number and the person's one
        active appointment. The officer's decision replaces the minimum interval since the last
        visit. `together_with(appointment)` gives writes to commit in the same transaction (it is
        called again for each attempt, with that attempt's confirmation number); when one of
        their conditions fails the `Rejected` is re-raised for the caller to explain.

        `assisted`: staff book for a caller or walk-in (assisted digital) as the person would
        book online: a self-service office only, and the minimum interval holds."""
        office, slot, guessed = self.openings.slot_to_book(request.slot_id,
                                                           any_office=not assisted, staff=True)
        last_visit_before = slot.start - self.policy.min_interval if assisted else slot.start
        a = request.applicant
        key = person_key(self.pepper, a["first_name"], a["last_name"],
                         date.fromisoformat(a["date_of_birth"]))
        with self.claims.held(key, office["id"], schedule.slot_id(slot.office_id, slot.start)) \
                as nationwide:
            for attempt in range(RETRIES_ON_CONFLICT + 1):
                now = self.clock()
                seat = self.openings.seat(office, slot, now, staff=True)
                cn = new_confirmation_number()
                appointment = Appointment(
                    confirmation_number=cn, status="booked", version=1, office_id=office["id"],
                    slot_id=schedule.slot_id(slot.office_id, slot.start), start=slot.start,
                    end=slot.end, timezone=office["timezone"], person_key=key,
                    proof=proof_digest(self.pepper, cn, a["last_name"],
                                       date.fromisoformat(a["date_of_birth"])),
                    applicant=dict(a), reason=dict(request.reason), language=request.language,
                    contact_method=request.contact_method, a_number=request.a_number,
                    receipt_number=request.receipt_number,
                    accommodations=list(request.accommodations), seat_pool=seat.pool,
                    created_at=now, updated_at=now)
                try:
                    self.repo.book(appointment, not_active_after=now,
                                   last_visit_before=last_visit_before, claim=None,
                                   together_with=together_with(appointment) if together_with
                                   else (),
                                   seat=seat, office_mode="self_service" if assisted else None)
                except Rejected as rejected:
                    corrected = self.openings.guess_corrected(rejected.failed, office, slot,
                                                              guessed)
                    if corrected:
                        office, slot, guessed = corrected
                        continue
                    if rejected.failed == {"appointment"} or (
                            not rejected.failed and attempt < RETRIES_ON_CONFLICT - 1):
                        continue  # a confirmation-number collision or a transient conflict
                    if (rejected.failed == {"slot"} and seat != SeatTaking()
                            and attempt < RETRIES_ON_CONFLICT):
                        # The reserve (or that expired hold) went first, to another grant or to
                        # the release job: read the slot again and take whatever seat is left.
                        slot = self.openings.reread(slot)
                        continue
                    if rejected.failed - {"slot", "person", "appointment"}:
                        raise  # the caller's own condition failed: it knows why
                    if "slot" in rejected.failed:
                        raise errors.SlotUnavailable(
                            alternatives=self.openings.alternatives(office, slot.start)) from None
                    if "person" in rejected.failed:
                        person = self.repo.get_person(key) if assisted else None
                        if person and not (person.active_start and person.active_start >= now):
                            raise errors.TooSoon(
                                f"One visit per {self.policy.min_interval.days} days.") from None
                        raise errors.AlreadyBooked(
                            "This person already has an upcoming appointment.") from None
                    raise errors.ConcurrentUpdate() from None
                log.info("booked on behalf", extra={"office_id": office["id"],
                                                    "slot_id": appointment.slot_id})
                nationwide.booked(appointment)
                notify(self.publisher, "booking_confirmation", appointment)
                return appointment
            raise errors.ConcurrentUpdate()
