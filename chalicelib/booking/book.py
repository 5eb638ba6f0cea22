"""A person books a visit online: the seat (a free one, or the one their hold keeps), a new
confirmation number, their one active appointment and their contact seats, in one transaction
with whatever must commit with it (an Idempotency-Key's claim, a waitlist offer accepted, the
client's rate-limit count). A rejected transaction is retried or explained."""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence

from chalicelib import errors
from chalicelib.booking import representation, schedule
from chalicelib.booking.claims import NationwideClaims, NoClaims
from chalicelib.booking.contacts import ContactSeats
from chalicelib.booking.domain import (Appointment, Policy, changes_close,
                                       new_confirmation_number, person_key, proof_digest)
from chalicelib.booking.openings import Openings
from chalicelib.booking.ports import (CONTACT_LABEL, RETRIES_ON_CONFLICT, BookingRepository,
                                      HoldStore, IdempotencyClaim, NoticePublisher, Rejected,
                                      SeatTaking, Slot, StoredResponse, TransactionPart, notify)
from chalicelib.booking.validation import BookingRequest
from chalicelib.limits.service import Admission

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict
    replayed: bool = False


class Booking:
    def __init__(self, repository: BookingRepository, publisher: NoticePublisher,
                 openings: Openings, contacts: ContactSeats, *, policy: Policy, pepper: str,
                 idempotency_ttl: timedelta, clock: Callable[[], datetime],
                 holds: HoldStore | None, claims: NationwideClaims | NoClaims) -> None:
        self.repo = repository
        self.publisher = publisher
        self.openings = openings
        self.contacts = contacts
        self.policy = policy
        self.pepper = pepper
        self.idempotency_ttl = idempotency_ttl
        self.clock = clock
        self.holds = holds
        # The person's nationwide claim (chalicelib/booking/claims.py), taken around every
        # booking transaction.
        self.claims = claims

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


def _hash(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()
