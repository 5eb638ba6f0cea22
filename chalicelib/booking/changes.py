"""A booked appointment, for the person who proves it is theirs (confirmation number, last name
and date of birth): look it up, cancel it, or move it to another time."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Sequence

from chalicelib import errors
from chalicelib.booking import offices, representation, schedule, seats
from chalicelib.booking.claims import NationwideClaims, NoClaims
from chalicelib.booking.domain import (Appointment, Policy, changes_close, ensure_cancellable,
                                       ensure_changeable, normalize_confirmation_number,
                                       proof_matches)
from chalicelib.booking.openings import Openings
from chalicelib.booking.ports import (CONTACT_LABEL, RETRIES_ON_CONFLICT, BookingRepository,
                                      NoticePublisher, Rejected, TransactionPart, notify)
from chalicelib.booking.validation import Proof, RescheduleRequest
from chalicelib.limits.service import BOOKING_PROOF, ProofAttempts, Reservation

log = logging.getLogger(__name__)

# Writes another context commits with a cancel or reschedule: (confirmation number, office id).
Alongside = Callable[[str, str], Sequence[TransactionPart]]


class AppointmentChanges:
    def __init__(self, repository: BookingRepository, publisher: NoticePublisher,
                 openings: Openings, *, policy: Policy, pepper: str,
                 clock: Callable[[], datetime], attempts: ProofAttempts,
                 claims: NationwideClaims | NoClaims,
                 on_cancelled: Callable[[Appointment], None] | None = None,
                 on_seat_freed: Callable[[str, datetime], object] | None = None) -> None:
        self.repo = repository
        self.publisher = publisher
        self.openings = openings
        self.policy = policy
        self.pepper = pepper
        self.clock = clock
        self.attempts = attempts
        # The person's nationwide claim (chalicelib/booking/claims.py): released after a
        # cancellation, moved with a reschedule.
        self.claims = claims
        # Told when the person cancels (triage reopens a request whose granted visit it was).
        self.on_cancelled = on_cancelled
        # Told (office id, start) when a reschedule gives its old seat back (the waitlist offers
        # it to the first person waiting); a cancellation tells `on_cancelled`.
        self.on_seat_freed = on_seat_freed

    def _proven(self, raw_cn: str, proof: Proof) -> Appointment:
        return self._proven_held(raw_cn, proof, defer=False)[0]

    def _proven_held(self, raw_cn: str, proof: Proof,
                     defer: bool = True) -> tuple[Appointment, Reservation]:
        """The appointment, and its proof attempt still reserved when `defer`: the change the
        proof allows gives it back in its own transaction (`Reservation`), the caller settles
        it in a `finally`."""
        cn = normalize_confirmation_number(raw_cn)
        # Failures are counted per number, real or not, so the limit is no oracle either.
        with self.attempts.proof_attempt(BOOKING_PROOF, cn or raw_cn.strip().upper()) as held:
            appointment = self.repo.get_appointment(cn) if cn else None
            # One answer for "no such number" and "wrong person": no oracle for guessing either.
            if appointment is None or not proof_matches(self.pepper, appointment.proof, cn,
                                                        proof.last_name, proof.date_of_birth):
                raise errors.AppointmentNotFound()
            # Proven, so the caller may learn where the office is served (421) or that it is
            # moving (503); a read or change here would touch another region's calendar.
            offices.get(appointment.office_id)
            if defer:
                held.defer()
        return appointment, held

    def _view(self, appointment: Appointment) -> dict:
        return representation.appointment(appointment, offices.get(appointment.office_id),
                                          changes_close(appointment.start, self.policy),
                                          self.clock())

    def lookup(self, raw_cn: str, proof: Proof) -> dict:
        return self._view(self._proven(raw_cn, proof))

    def cancel(self, raw_cn: str, proof: Proof, together_with: Alongside | None = None) -> dict:
        """`together_with(confirmation_number, office_id)`: writes to commit in the same
        transaction (a staff member's audit entry)."""
        appointment, held = self._proven_held(raw_cn, proof)
        try:
            appointment = self._cancel(appointment, together_with, held)
        finally:
            held.settle()
        self.claims.released(appointment.person_key, appointment.confirmation_number)
        notify(self.publisher, "cancellation", appointment)
        if self.on_cancelled:
            try:
                self.on_cancelled(appointment)
            except Exception:  # the cancellation stands; the listener logs and retries nothing
                log.exception("cancellation listener failed")
        return self._view(appointment)

    def _cancel(self, appointment: Appointment, together_with: Alongside | None,
                held: Reservation) -> Appointment:
        """One transaction, with the proof attempt's give-back in it."""
        now = self.clock()
        ensure_cancellable(appointment.status, appointment.start, now)
        to_pool = self._returned_pool(appointment, now)
        parts = together_with(appointment.confirmation_number, appointment.office_id) \
            if together_with else ()
        release_contacts = True
        for _ in range(RETRIES_ON_CONFLICT):
            try:
                cancelled = self.repo.cancel(appointment, now, release_contacts=release_contacts,
                                             to_pool=to_pool, together_with=[*parts, held])
            except Rejected as rejected:
                if held.rejected(rejected.failed) and not rejected.failed:
                    continue  # the proof's window closed meanwhile: nothing to give back
                if release_contacts and rejected.failed and all(
                        f.startswith(CONTACT_LABEL) for f in rejected.failed):
                    # Its contact seats already passed to later bookings (the start went by
                    # while this request ran): give the seat back without them.
                    release_contacts = False
                    continue
                raise errors.ConcurrentUpdate() from None
            held.committed()
            return cancelled
        raise errors.ConcurrentUpdate()

    def _returned_pool(self, appointment: Appointment, now: datetime) -> str:
        if appointment.seat_pool != seats.RESERVED:
            return seats.PUBLIC
        return seats.returned_pool(appointment.seat_pool, appointment.start, now,
                                   seats.release_lead(offices.get(appointment.office_id)))

    def reschedule(self, raw_cn: str, request: RescheduleRequest,
                   together_with: Alongside | None = None) -> dict:
        """`together_with(confirmation_number, office_id of the new slot)`: as for `cancel`."""
        appointment, held = self._proven_held(raw_cn, request)
        try:
            return self._reschedule(appointment, request, together_with, held)
        finally:
            held.settle()

    def _reschedule(self, appointment: Appointment, request: RescheduleRequest,
                    together_with: Alongside | None, held: Reservation) -> dict:
        now = self.clock()
        ensure_changeable(appointment.status, appointment.start, now, self.policy,
                          appointment.timezone)
        # Compared as (office, start), not as text: any spelling of the current slot (and any
        # spelling stored before ids were canonical) is the same slot.
        if schedule.parse_slot_id(request.slot_id) == (appointment.office_id, appointment.start):
            raise errors.SameSlot()
        granted = bool((appointment.reason or {}).get("service_request"))
        if granted:
            # A visit an officer granted may move online within its office, as its
            # confirmation says, even where the office takes no online bookings; the
            # officer's decision stands in for the minimum interval, as when it was booked.
            parsed = schedule.parse_slot_id(request.slot_id)
            if parsed is not None and parsed[0] != appointment.office_id:
                raise errors.OfficeNotSelfService(
                    "A visit granted through a service request moves within its office only.")
        office, slot, guessed = self.openings.slot_to_book(request.slot_id, any_office=granted)
        freed = (appointment.office_id, appointment.start)  # the repository moves `appointment`
        # The claim covers both visits while the transaction runs (chalicelib/booking/claims.py).
        with self.claims.moving(appointment, slot.office_id,
                                schedule.slot_id(slot.office_id, slot.start), slot.end) \
                as nationwide:
            for _ in range(RETRIES_ON_CONFLICT):
                try:
                    moved = self.repo.reschedule(
                        appointment, slot, office["timezone"], now,
                        last_visit_before=slot.start if granted
                        else slot.start - self.policy.min_interval,
                        seat=self.openings.seat(office, slot, now),
                        old_to_pool=self._returned_pool(appointment, now),
                        together_with=[*(together_with(appointment.confirmation_number,
                                                       slot.office_id) if together_with else ()),
                                       held],
                        office_mode=None if granted else "self_service")
                except Rejected as rejected:
                    if held.rejected(rejected.failed) and not rejected.failed:
                        continue  # the proof's window closed meanwhile: nothing to give back
                    corrected = self.openings.guess_corrected(rejected.failed, office, slot,
                                                              guessed)
                    if corrected:
                        office, slot, guessed = corrected
                        continue
                    if "slot" in rejected.failed:
                        raise errors.SlotUnavailable(
                            alternatives=self.openings.alternatives(office, slot.start)) from None
                    if rejected.failed == {"person"}:
                        raise errors.TooSoon() from None
                    raise errors.ConcurrentUpdate() from None
                held.committed()
                break
            else:
                raise errors.ConcurrentUpdate()
            nationwide.booked(moved)
        appointment = moved
        notify(self.publisher, "reschedule_confirmation", appointment)
        if self.on_seat_freed:
            try:
                self.on_seat_freed(*freed)
            except Exception:  # the move stands; the waitlist job offers the seat on its next run
                log.exception("freed-seat listener failed")
        return self._view(appointment)
