"""Booking use cases behind one door, for the views, jobs and other contexts: finding a seat
(openings.py), booking online (book.py), staff booking for someone (on_behalf.py), a booked
appointment's look-up, cancellation and reschedule (changes.py), slot generation
(generation.py). Storage and messaging come in through ports; the clock is injected."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Callable, Sequence

from chalicelib.booking.book import Booking, Outcome
from chalicelib.booking.changes import Alongside, AppointmentChanges
from chalicelib.booking.claims import NationwideClaims, NoClaims
from chalicelib.booking.contacts import ContactSeats
from chalicelib.booking.domain import Appointment, Policy
from chalicelib.booking.generation import Marks, NoMarks, SlotGeneration
from chalicelib.booking.on_behalf import OnBehalfBooking, StaffBooking
from chalicelib.booking.openings import Openings
from chalicelib.booking.ports import (BookingRepository, HoldStore, NoticePublisher, SeatTaking,
                                      Slot, TransactionPart)
from chalicelib.booking.validation import BookingRequest, Proof, RescheduleRequest
from chalicelib.limits.service import NO_LIMIT, Admission, ProofAttempts

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class BookingService:
    def __init__(self, repository: BookingRepository, publisher: NoticePublisher, *,
                 policy: Policy, pepper: str, idempotency_ttl: timedelta = timedelta(hours=24),
                 clock: Clock = utc_now, attempts: ProofAttempts = NO_LIMIT,
                 on_cancelled: Callable[[Appointment], None] | None = None,
                 on_seat_freed: Callable[[str, datetime], object] | None = None,
                 holds: HoldStore | None = None, generation_marks: Marks | None = None,
                 claims: NationwideClaims | NoClaims | None = None) -> None:
        self.repo = repository
        # The person's nationwide claim (chalicelib/booking/claims.py), taken around every
        # booking transaction, released after a cancellation, moved with a reschedule.
        self.claims = claims or NoClaims()
        self.generation_marks = generation_marks or NoMarks()
        self.holds = holds
        self.publisher = publisher
        self.policy = policy
        self.pepper = pepper
        self.clock = clock
        self.contacts = ContactSeats(repository, pepper, policy.max_active_per_contact)
        self.openings = Openings(repository, policy=policy, clock=clock)
        self.booking = Booking(repository, publisher, self.openings, self.contacts,
                               policy=policy, pepper=pepper, idempotency_ttl=idempotency_ttl,
                               clock=clock, holds=holds, claims=self.claims)
        self.staff_booking = StaffBooking(repository, publisher, self.openings, policy=policy,
                                          pepper=pepper, clock=clock, claims=self.claims)
        self.changes = AppointmentChanges(
            repository, publisher, self.openings, policy=policy, pepper=pepper, clock=clock,
            attempts=attempts, claims=self.claims, on_cancelled=on_cancelled,
            on_seat_freed=on_seat_freed)

    # --- finding a seat (chalicelib/booking/openings.py) ------------------------------------

    def offices_near(self, zip_code: str, limit: int) -> list[dict]:
        return self.openings.offices_near(zip_code, limit)

    def window(self, office: dict) -> tuple[date, date]:
        return self.openings.window(office)

    def availability(self, office_id: str, first: date | None, last: date | None,
                     for_staff: bool = False) -> dict:
        return self.openings.availability(office_id, first, last, for_staff)

    def alternatives(self, office: dict, near: datetime) -> list[dict]:
        return self.openings.alternatives(office, near)

    def public_seat(self, office: dict, slot: Slot, now: datetime) -> SeatTaking:
        return self.openings.seat(office, slot, now)

    def reread(self, slot: Slot) -> Slot:
        return self.openings.reread(slot)

    def bookable_slot(self, raw_slot_id: str, any_office: bool = False) -> tuple[dict, Slot]:
        return self.openings.bookable_slot(raw_slot_id, any_office)

    # --- booking (chalicelib/booking/book.py, on_behalf.py) ---------------------------------

    def book(self, request: BookingRequest, idempotency_key: str | None = None,
             together_with: Sequence[TransactionPart] = (),
             admission: Admission | None = None) -> Outcome:
        return self.booking.book(request, idempotency_key, together_with, admission)

    def book_on_behalf(self, request: OnBehalfBooking,
                       together_with: Callable[[Appointment], Sequence[TransactionPart]]
                       | None = None, *, assisted: bool = False) -> Appointment:
        return self.staff_booking.book_on_behalf(request, together_with, assisted=assisted)

    # --- a booked appointment (chalicelib/booking/changes.py) -------------------------------

    def lookup(self, raw_cn: str, proof: Proof) -> dict:
        return self.changes.lookup(raw_cn, proof)

    def cancel(self, raw_cn: str, proof: Proof, together_with: Alongside | None = None) -> dict:
        return self.changes.cancel(raw_cn, proof, together_with)

    def reschedule(self, raw_cn: str, request: RescheduleRequest,
                   together_with: Alongside | None = None) -> dict:
        return self.changes.reschedule(raw_cn, request, together_with)

    # --- slot generation (chalicelib/booking/generation.py) ---------------------------------

    def generate_slots(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Create missing slots for every office's window. Safe to re-run: existing slots,
        with their taken seats, are never touched."""
        return SlotGeneration(self.repo, self.generation_marks,
                              self.openings.window).run(office_ids)
