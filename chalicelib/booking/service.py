"""Booking use cases: find offices, list availability, book, look up, cancel, reschedule,
generate slots. Storage and messaging come in through ports; the clock is injected."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Sequence

from chalicelib import errors
from chalicelib.booking import representation, schedule
from chalicelib.booking.changes import Alongside, AppointmentChanges
from chalicelib.booking.claims import NationwideClaims, NoClaims
from chalicelib.booking.contacts import ContactSeats
from chalicelib.booking.domain import (Appointment, Policy, changes_close,
                                       new_confirmation_number, person_key, proof_digest)
from chalicelib.booking.generation import Marks, NoMarks, SlotGeneration
from chalicelib.booking.openings import Openings
from chalicelib.booking.ports import (CONTACT_LABEL, RETRIES_ON_CONFLICT, BookingRepository,
                                      IdempotencyClaim, HoldStore, NoticePublisher, Rejected,
                                      SeatTaking, Slot, StoredResponse, TransactionPart, notify)
from chalicelib.booking.validation import BookingRequest, Proof, RescheduleRequest
from chalicelib.limits.service import NO_LIMIT, Admission, ProofAttempts

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


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


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict
    replayed: bool = False


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
        self.idempotency_ttl = idempotency_ttl
        self.clock = clock
        self.contacts = ContactSeats(repository, pepper, policy.max_active_per_contact)
        self.openings = Openings(repository, policy=policy, clock=clock)
        self.changes = AppointmentChanges(
            repository, publisher, self.openings, policy=policy, pepper=pepper, clock=clock,
            attempts=attempts, claims=self.claims, on_cancelled=on_cancelled,
            on_seat_freed=on_seat_freed)

    # --- finding a seat (chalicelib/booking/openings.py) ---------------------------------

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

    # --- booking ------------------------------------------------------------------------

    def book(self, request: BookingRequest, idempotency_key: str | None = None,
             together_with: Sequence[TransactionPart] = (),
             admission: Admission | None = None) -> Outcome:
        """`together_with`: other contexts' writes that commit with the booking (a waitlist
        offer accepted); a failed condition of theirs is a concurrent update. `admission`: the
        client's rate-limit count, taken in the booking's transaction (chalicelib/limits).

        A repeated request with the same Idempotency-Key is answered from its transaction's
        failed claim (the stored response comes back with the failure), so no request reads
        the key first. One refused before its transaction (the time has passed since) reads it
        then: the stored response is still the answer."""
        body_hash = _hash(request.model_dump_json())
        claim_key = _hash("booking", idempotency_key) if idempotency_key else None
        try:
            return self._book(request, body_hash, claim_key, together_with, admission)
        except errors.TooManyRequests:
            raise
        except errors.DomainError:
            replay = self._replay(claim_key, body_hash) if claim_key else None
            if replay:
                return replay
            raise

    def _book(self, request: BookingRequest, body_hash: str, claim_key: str | None,
              together_with: Sequence[TransactionPart], admission: Admission | None) -> Outcome:
        office, slot, guessed = self.openings.slot_to_book(request.slot_id)
        hold = self._hold_for(request.hold_id, slot) if request.hold_id else None
        applicant = request.applicant
        key = person_key(self.pepper, applicant.first_name, applicant.last_name,
                         applicant.date_of_birth)
        contacts = self.contacts.keys(applicant.email, applicant.phone)
        # Each contact's first seat, unread: a taken one fails its condition, and only then
        # are the contact's seats read to pick a free one (or refuse).
        picked = self.contacts.first_seats(contacts)
        with self.claims.held(key, office["id"], schedule.slot_id(slot.office_id, slot.start)) \
                as nationwide:
            for attempt in range(RETRIES_ON_CONFLICT):
                now = self.clock()
                appointment = self._new_appointment(request, office, slot, key, now)
                together: list[TransactionPart] = list(together_with)
                if admission is not None:
                    together.append(admission)
                if hold is not None and hold.usable(now):
                    # The hold's seat becomes the booking's: no second seat is taken.
                    seat = SeatTaking(hold_id=hold.hold_id, at=int(now.timestamp()))
                    together.append(self.holds.conversion(hold, appointment.confirmation_number))
                else:
                    # No hold, or it expired: any free seat.
                    seat = self.openings.seat(office, slot, now)
                appointment.contact_seats = picked
                body = representation.booking(appointment, office,
                                              changes_close(appointment.start, self.policy), now)
                claim = (IdempotencyClaim(claim_key, body_hash, 201, body,
                                          int((now + self.idempotency_ttl).timestamp()),
                                          claimed_at=int(now.timestamp()))
                         if claim_key else None)
                try:
                    self.repo.book(appointment, not_active_after=now,
                                   last_visit_before=slot.start - self.policy.min_interval,
                                   claim=claim, seat=seat, together_with=together,
                                   office_mode="self_service")
                except Rejected as rejected:
                    if admission is not None:
                        # A full window is a 429 at once; a closed one was counted anew.
                        if admission.rejected(rejected.failed, rejected.old) \
                                and rejected.failed == {admission.label}:
                            continue
                        rejected.failed.discard(admission.label)
                    if rejected.replay is not None:
                        return self._replayed(rejected.replay, body_hash)
                    if "office" in rejected.failed:
                        office = self.openings.office_changed(office)
                        continue
                    guess_failed = False
                    if guessed and "slot" in rejected.failed:
                        slot, guessed, guess_failed = self.openings.read_slot(slot), False, True
                    if any(f.startswith(CONTACT_LABEL) for f in rejected.failed):
                        picked, guess_failed = self._contact_seats(contacts, key, now), True
                    if guess_failed and "hold" not in rejected.failed:
                        continue
                    if "hold" in rejected.failed:
                        hold = self._hold_for(request.hold_id, slot)  # used meanwhile: says so
                        continue
                    if ("slot" in rejected.failed and request.hold_id
                            and attempt < RETRIES_ON_CONFLICT - 1):
                        hold = self._hold_for(request.hold_id, slot)  # it expired meanwhile
                        slot = self.openings.reread(slot)
                        continue
                    if rejected.failed == {"slot"} and attempt < RETRIES_ON_CONFLICT - 1:
                        # Another took that seat first: is one left?
                        slot = self.openings.reread(slot)
                        continue
                    if rejected.failed or attempt == RETRIES_ON_CONFLICT - 1:
                        replay = self._explain_rejected_booking(
                            rejected, office, slot, key, claim_key, body_hash)
                        if replay:
                            return replay
                    continue
                if admission is not None:
                    admission.committed()
                if hold is not None and hold.client:
                    self.holds.free_marker(hold)  # the client may hold another time at once
                log.info("booked", extra={"office_id": office["id"],
                                          "slot_id": appointment.slot_id})
                nationwide.booked(appointment)
                notify(self.publisher, "booking_confirmation", appointment)
                return Outcome(201, body)
            self._contact_seats(contacts, key, self.clock())  # lost every race: is a seat left?
            raise errors.ConcurrentUpdate()

    def _hold_for(self, hold_id: str, slot: Slot):
        """The hold a booking converts: it must exist, be for this slot and not be used or
        given back (409 otherwise); an expired one is no error, since its seat is free to
        anyone and the booking takes whatever seat is free."""
        hold = self.holds.get(hold_id) if self.holds else None
        if hold is None:
            raise errors.HoldNotFound()
        if (hold.office_id, hold.start) != (slot.office_id, slot.start):
            raise errors.HoldSlotMismatch()
        if hold.status in ("converted", "released"):
            raise errors.HoldAlreadyUsed()
        return hold

    def _contact_seats(self, contacts: list[str], key: str, now: datetime) -> list[str]:
        try:
            return self.contacts.pick(contacts, now)
        except errors.ContactLimitReached:
            # A person who already holds an appointment hears that, not that their family's
            # contact address is full.
            person = self.repo.get_person(key)
            if person and person.active_start and person.active_start >= now:
                raise errors.AlreadyBooked(
                    "This person already has an appointment: reschedule or cancel it "
                    "instead.") from None
            raise

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

    def _replay(self, claim_key: str, body_hash: str) -> Outcome | None:
        stored = self.repo.get_response(claim_key, self.clock())
        return self._replayed(stored, body_hash) if stored is not None else None

    @staticmethod
    def _replayed(stored: StoredResponse, body_hash: str) -> Outcome:
        if stored.body_hash != body_hash:
            raise errors.IdempotencyKeyReused()
        return Outcome(stored.status, stored.body, replayed=True)

    def _explain_rejected_booking(self, rejected: Rejected, office: dict, slot: Slot,
                                  key: str, claim_key: str | None,
                                  body_hash: str) -> Outcome | None:
        """Raise the error that explains a rejected booking; return a stored response when the
        same request was already booked under the same key; return None when worth retrying."""
        if "idempotency" in rejected.failed and claim_key:
            replay = self._replay(claim_key, body_hash)
            if replay:
                return replay
        if "slot" in rejected.failed:
            raise errors.SlotUnavailable(
                alternatives=self.openings.alternatives(office, slot.start))
        if "person" in rejected.failed:
            person = self.repo.get_person(key)
            if person and person.active_start and person.active_start >= self.clock():
                raise errors.AlreadyBooked(
                    "This person already has an appointment: reschedule or cancel it instead.")
            raise errors.TooSoon(
                "One visit per {min_interval_days} days; call {contact_center_phone} if the "
                "matter is urgent.", min_interval_days=self.policy.min_interval.days,
                contact_center_phone=representation.CONTACT_CENTER_PHONE)
        if rejected.failed <= {"appointment"} | {f for f in rejected.failed
                                                 if f.startswith(CONTACT_LABEL)}:
            # A confirmation-number collision, or another booking took the contact seat this
            # one picked: retry with a new number and a fresh look at the seats.
            return None
        raise errors.ConcurrentUpdate()

    def _new_appointment(self, request: BookingRequest, office: dict, slot: Slot, key: str,
                         now: datetime) -> Appointment:
        cn = new_confirmation_number()
        a = request.applicant
        return Appointment(
            confirmation_number=cn, status="booked", version=1, office_id=office["id"],
            # The canonical id, whatever spelling the caller sent: one slot, one name.
            slot_id=schedule.slot_id(slot.office_id, slot.start), start=slot.start, end=slot.end,
            timezone=office["timezone"],
            person_key=key, proof=proof_digest(self.pepper, cn, a.last_name, a.date_of_birth),
            applicant=a.model_dump(mode="json"), reason=request.reason.model_dump(mode="json"),
            language=request.language, contact_method=request.contact_method,
            a_number=request.a_number, receipt_number=request.receipt_number,
            accommodations=list(request.accommodations), created_at=now, updated_at=now)

    # --- a booked appointment (chalicelib/booking/changes.py) -----------------------------

    def lookup(self, raw_cn: str, proof: Proof) -> dict:
        return self.changes.lookup(raw_cn, proof)

    def cancel(self, raw_cn: str, proof: Proof, together_with: Alongside | None = None) -> dict:
        return self.changes.cancel(raw_cn, proof, together_with)

    def reschedule(self, raw_cn: str, request: RescheduleRequest,
                   together_with: Alongside | None = None) -> dict:
        return self.changes.reschedule(raw_cn, request, together_with)

    # --- slot generation (chalicelib/booking/generation.py) ------------------------------

    def generate_slots(self, office_ids: list[str] | None = None) -> dict[str, int]:
        """Create missing slots for every office's window. Safe to re-run: existing slots,
        with their taken seats, are never touched."""
        return SlotGeneration(self.repo, self.generation_marks,
                              self.openings.window).run(office_ids)


def _hash(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
