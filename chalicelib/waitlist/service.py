"""Waitlist use cases: join, status, leave, offer a freed seat, accept, and the job that moves
lapsed offers on and ends entries whose range has passed. Storage comes in through the
repository; seats through the booking core (its holds and its booking transaction)."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Protocol

from chalicelib import errors
from chalicelib.booking import offices, schedule, seats
from chalicelib.booking.domain import iso_utc, person_key, proof_digest, proof_matches
from chalicelib.booking.holds import new_hold_id
from chalicelib.booking.openings import self_service_office
from chalicelib.booking.ports import Rejected
from chalicelib.booking.representation import local_iso
from chalicelib.booking.seats import Hold
from chalicelib.booking.service import BookingService
from chalicelib.booking.validation import BookingRequest, Proof
from chalicelib.limits.service import NO_LIMIT, ProofAttempts
from chalicelib.waitlist import domain
from chalicelib.waitlist.domain import (BOOKED, EXPIRY_NOTICE, LAPSED, LEFT, OFFER_NOTICE,
                                        OFFERED, WAITING, Entry, Offer)
from chalicelib.waitlist.validation import WaitlistRequest

log = logging.getLogger(__name__)

WAITLIST_PROOF = "waitlist_proof"
_ATTEMPTS = 5
_LOOK_FOR_SEATS = 20  # waiting entries per office the job looks for free seats for, each run


class WaitlistNotices(Protocol):
    def publish(self, waitlist_id: str, version: int, kind: str = OFFER_NOTICE) -> None: ...


class WaitlistService:
    def __init__(self, booking: BookingService, store: Any, notices: WaitlistNotices, *,
                 offer_minutes: int, attempts: ProofAttempts = NO_LIMIT,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.booking = booking
        self.store = store
        self.notices = notices
        self.offer_minutes = offer_minutes
        self.attempts = attempts
        self.clock = clock or booking.clock

    # --- the person's side ----------------------------------------------------------------

    def join(self, request: WaitlistRequest) -> dict:
        office = self_service_office(offices.get(request.office_id))
        today, final = self.booking.window(office)
        if request.to < request.from_:
            raise errors.ReversedRange(
                "Put the earlier date in 'from' and the later one in 'to'.")
        if request.from_ < today or request.to > final:
            raise errors.InvalidRange(
                "The range must lie within {window[from]} to {window[to]}.",
                window={"from": today.isoformat(), "to": final.isoformat()})
        a = request.applicant
        key = person_key(self.booking.pepper, a.first_name, a.last_name, a.date_of_birth)
        now = self.clock()
        person = self.booking.repo.get_person(key)
        if person and person.active_start and person.active_start >= now:
            raise errors.AlreadyBooked(
                "This person already has an appointment: reschedule or cancel it instead.")
        waitlist_id = domain.new_waitlist_id()
        entry = Entry(waitlist_id, key, office["id"], office["timezone"], request.from_,
                      request.to, WAITING, f"{iso_utc(now)}#{now.microsecond:06d}", 1,
                      proof_digest(self.booking.pepper, waitlist_id, a.last_name,
                                   a.date_of_birth),
                      a.model_dump(mode="json"), request.reason.model_dump(mode="json"),
                      request.language, request.contact_method)
        try:
            self.store.join(entry, int(entry.range_ends().timestamp()), now)
        except Rejected as rejected:
            if "person" in rejected.failed:
                raise errors.AlreadyWaiting() from None
            raise errors.ConcurrentUpdate() from None
        log.info("joined waitlist", extra={"office_id": office["id"]})
        if self.offer_free_seat(entry):  # a seat may be free in the range already
            entry = self.store.get(waitlist_id) or entry
        return self.view(entry)

    def _proven(self, raw_id: str, proof: Proof) -> Entry:
        waitlist_id = domain.normalize_waitlist_id(raw_id)
        with self.attempts.proof_attempt(WAITLIST_PROOF, waitlist_id or raw_id.strip()[:40]):
            entry = self.store.get(waitlist_id) if waitlist_id else None
            if entry is None or not proof_matches(self.booking.pepper, entry.proof,
                                                  entry.waitlist_id, proof.last_name,
                                                  proof.date_of_birth):
                raise errors.WaitlistEntryNotFound()
            offices.get(entry.office_id)  # proven: 421/503 if another region serves it now
        return entry

    def status(self, raw_id: str, proof: Proof) -> dict:
        return self.view(self._proven(raw_id, proof))

    def leave(self, raw_id: str, proof: Proof) -> dict:
        entry = self._proven(raw_id, proof)
        if entry.status not in (WAITING, OFFERED):
            return self.view(entry)  # left, booked or ended already: nothing to change
        if self.store.end(entry, LEFT, (WAITING, OFFERED)) and entry.status == OFFERED:
            self._pass_on(entry)
        return self.view(self.store.get(entry.waitlist_id) or entry)

    def accept(self, raw_id: str, proof: Proof) -> dict:
        """Books the offered seat with the offer's hold, through the booking transaction; the
        entry becomes `booked` in that same transaction."""
        entry = self._proven(raw_id, proof)
        now = self.clock()
        if entry.status == BOOKED:
            raise errors.NoOpenOffer()  # accepted already: its appointment is in the status
        if not entry.offer_open(now):
            raise errors.NoOpenOffer()
        request = BookingRequest(
            slot_id=schedule.slot_id(entry.office_id, entry.offer.start),
            applicant=entry.applicant, reason=entry.reason, language=entry.language,
            contact_method=entry.contact_method, hold_id=entry.offer.hold_id)
        try:
            outcome = self.booking.book(request, together_with=[self.store.accept_part(entry,
                                                                                      now)])
        except errors.ConcurrentUpdate:
            current = self.store.get(entry.waitlist_id)
            if current is None or not current.offer_open(self.clock()):
                raise errors.NoOpenOffer() from None
            raise
        cn = outcome.body["confirmation_number"]
        self.store.end(entry, BOOKED, (BOOKED,), confirmation_number=cn)  # marker freed too
        booked = replace(entry, status=BOOKED, offer=None, confirmation_number=cn)
        return {**self.view(booked), "appointment": outcome.body}

    def view(self, entry: Entry) -> dict:
        """What the proven person (or the one who just joined) sees: no personal data."""
        office = offices.get(entry.office_id)
        now = self.clock()
        body = {"waitlist_id": entry.waitlist_id, "status": entry.status,
                "office_id": entry.office_id, "timezone": entry.timezone,
                "from": entry.first.isoformat(), "to": entry.last.isoformat(),
                "language": entry.language, "contact_method": entry.contact_method,
                "offer": None, "confirmation_number": entry.confirmation_number,
                "position": None}
        if entry.status == WAITING:
            body["position"] = 1 + self.store.waiting_ahead(entry)
        if entry.status == OFFERED and entry.offer:
            expires = datetime.fromtimestamp(entry.offer.expires_at, tz=timezone.utc)
            body["offer"] = {
                "slot_id": schedule.slot_id(entry.office_id, entry.offer.start),
                "start": local_iso(entry.offer.start, office["timezone"]),
                "expires_at": iso_utc(expires),
                "expires_at_local": local_iso(expires, office["timezone"]),
                "expires_in_seconds": max(0, entry.offer.expires_at - int(now.timestamp()))}
        return body

    # --- offers -----------------------------------------------------------------------------

    def seat_freed(self, office_id: str, start: datetime) -> Entry | None:
        """A seat of the slot at (`office_id`, `start`) is free: the first person waiting for
        it gets it as an offer. Racing callers each take a different seat (the slot's
        condition) for a different person (the entry's condition)."""
        line = domain.first_in_line(self.store.waiting(office_id), start, self.clock())
        if not line:
            return None  # nobody waits for it: a cancellation costs one query more
        try:
            office, slot = self.booking.bookable_slot(schedule.slot_id(office_id, start))
        except errors.DomainError:
            return None  # too late to book, closed, or no longer self-service
        for attempt in range(_ATTEMPTS):
            now = self.clock()
            if attempt:  # a lost race: the line has moved
                line = domain.first_in_line(self.store.waiting(office_id), start, now)
            if not line:
                return None
            entry = line[0]
            try:
                seat = self.booking.public_seat(office, slot, now)
            except errors.SlotUnavailable:
                return None  # someone booked it first
            offer = Offer(new_hold_id(), slot.start,
                          domain.offer_expiry(now, slot.start, self.offer_minutes))
            hold = Hold(offer.hold_id, slot.office_id, slot.start, seats.ACTIVE,
                        offer.expires_at)
            try:
                self.booking.holds.take(hold, seat, now,
                                        together_with=[self.store.offer_part(entry, offer)])
            except Rejected as rejected:
                if "slot" in rejected.failed:
                    self.booking.holds.ensure_hold_map(slot.office_id, slot.start)
                    slot = self.booking.reread(slot)
                continue  # the seat or the person went to another offer: look again
            log.info("waitlist offer", extra={"office_id": office_id})
            self._notify(entry.waitlist_id, entry.version + 1)
            return entry
        return None

    def offer_free_seat(self, entry: Entry) -> bool:
        """For a person who just joined: the first free public seat in the range, if they are
        first in line for it."""
        for slot in self._free_slots([entry], self.clock()):
            offered = self.seat_freed(entry.office_id, slot.start)
            if offered is None:
                return False
            if offered.waitlist_id == entry.waitlist_id:
                return True
        return False

    def _free_slots(self, line: list[Entry], now: datetime):
        """Slots of the entries' office with a public seat free that one of them waits for:
        one Query over the span of their ranges."""
        zone = line[0].range_ends().tzinfo
        after = max(now, datetime.combine(min(e.first for e in line), time.min, tzinfo=zone))
        for slot in self.booking.repo.open_slots(line[0].office_id, after,
                                                 max(e.range_ends() for e in line)):
            if (seats.public_free(slot.available, slot.holds, now) > 0
                    and any(e.covers(slot.start) for e in line)):
                yield slot

    def _pass_on(self, entry: Entry) -> None:
        """The seat of an offer that ended unanswered (or refused) goes to the next person."""
        hold = self.booking.holds.get(entry.offer.hold_id)
        if hold is not None and hold.status == seats.ACTIVE:
            self.booking.holds.give_back(hold, seats.RELEASED)
        self.seat_freed(entry.office_id, entry.offer.start)

    def _notify(self, waitlist_id: str, version: int, kind: str = OFFER_NOTICE) -> None:
        try:
            self.notices.publish(waitlist_id, version, kind)
        except Exception:  # the job publishes unsettled notices again
            log.warning("waitlist notice deferred", extra={"kind": kind})

    # --- the job ----------------------------------------------------------------------------

    def move_on(self) -> dict[str, int]:
        """Every minute: lapsed offers end and their seats go to the next person; offers whose
        notice has not been settled are published again (the notices pipeline sends one per
        offer version); waiting entries whose range has passed end; the first in line get any
        public seat free in their range. An expiry is told once: its notice carries the
        entry's version after the expiry, and expired entries not yet told are published again
        until the notice is settled."""
        now = self.clock()
        lapsed = expired = republished = 0
        for entry in self.store.offered():  # one read: the lapsed ones and the unsettled ones
            if not entry.offer_open(now):
                if self.store.end(entry, LAPSED, (OFFERED,)):
                    lapsed += 1
                    self._pass_on(entry)
            elif entry.extra.get("notified") != entry.version:
                self._notify(entry.waitlist_id, entry.version)
                republished += 1
        for entry in self.store.untold():  # expired in an earlier run, notice not settled
            self._notify(entry.waitlist_id, entry.version, EXPIRY_NOTICE)
            republished += 1
        offered = 0
        for office in offices.home_offices():
            line = []
            for entry in self.store.waiting(office["id"]):
                if not entry.passed(now):
                    line.append(entry)
                elif self.store.expire(entry):
                    expired += 1
                    self._notify(entry.waitlist_id, entry.version + 1, EXPIRY_NOTICE)
            offered += self._offer_free_seats(office["id"], line[:_LOOK_FOR_SEATS], now)
        return {"lapsed": lapsed, "expired": expired, "republished": republished,
                "offered": offered}

    def _offer_free_seats(self, office_id: str, line: list[Entry], now: datetime) -> int:
        """Seats freed with nobody told (a closure lifted, new capacity, a tell that failed):
        each free public seat that one of the first in line waits for goes to the first person
        waiting for it. Returns the offers made."""
        offered = 0
        for slot in self._free_slots(line, now) if line else ():
            for _ in range(seats.public_free(slot.available, slot.holds, now)):
                if self.seat_freed(office_id, slot.start) is None:
                    break
                offered += 1
        return offered

    def notice_settled(self, waitlist_id: str, kind: str, version: int) -> None:
        if kind == OFFER_NOTICE:
            self.store.mark_notified(waitlist_id, version)
        elif kind == EXPIRY_NOTICE:
            self.store.mark_told(waitlist_id, version)
