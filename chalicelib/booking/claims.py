"""One person, one active appointment, nationwide (issue 16): the person's claim.

Each region keeps its own tables and books in its own transaction, and DynamoDB transactions do
not span regions. So before a region books, it takes the person's claim: one item per person in
a table every region writes to (a global table with multi-Region strong consistency, MRSC).
MRSC makes a single item's conditional write strongly consistent across the regions: of two
regions putting the same person's claim at once, exactly one condition holds. MRSC has no
transactions, so the booking is a saga:

1. put the claim `pending` (the condition: no claim, or an active one whose visit is over), with a
   lease well above the API's Lambda timeout;
2. run the region's booking transaction, as before (the person's regional record still says
   one active appointment per person in the region);
3. confirm the claim `active`, naming the appointment and the visit's end; if step 2 failed,
   delete the claim (on the condition that it is still this booking's).

A request that dies between 1 and 3 leaves a pending claim. Only its region can tell whether the
booking committed (its tables hold the appointment), so no other region takes over a pending
claim: the region's sweep (and a booking of the same person in that region) resolves a claim
whose lease ran out: the person's appointment is there and active? confirm it; otherwise delete
it. A cancellation releases the claim after its transaction; a reschedule moves it (covering
both visits while its transaction runs). A cancellation that dies before the release leaves an
active claim naming a cancelled appointment: the person's next booking in any region releases
it, once that region's replica shows the appointment cancelled (`_cancelled_here`).
"""
from __future__ import annotations

import logging
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterator, Protocol

from chalicelib import errors

log = logging.getLogger(__name__)

PENDING, ACTIVE = "pending", "active"
CANCELLED = "cancelled"  # an appointment's status that nothing changes again
_TAKE_ATTEMPTS = 3


@dataclass(frozen=True)
class Claim:
    person_key: str
    claim_id: str
    state: str  # pending | active
    region: str
    office_id: str | None = None
    slot_id: str | None = None
    confirmation_number: str | None = None
    lease_until: int | None = None  # epoch s, while pending
    until: int | None = None  # epoch s, the visit's end, once active

    def live(self, now: int) -> bool:
        """Whether it still stops another booking of the person: a pending claim always (only
        its region resolves it), an active one until the visit ends."""
        return self.state == PENDING or (self.until or 0) >= now

    def lease_over(self, now: int) -> bool:
        return self.state == PENDING and (self.lease_until or 0) < now


class ClaimStore(Protocol):
    """chalicelib/booking/claim_repository.py: single-item conditional writes only."""

    def take(self, claim: Claim, now: int) -> bool: ...

    def get(self, person_key: str) -> Claim | None: ...

    def confirm(self, person_key: str, claim_id: str, confirmation_number: str,
                office_id: str, slot_id: str, until: int, now: int) -> bool: ...

    def move(self, person_key: str, confirmation_number: str, office_id: str, slot_id: str,
             until: int, now: int) -> bool: ...

    def drop(self, person_key: str, claim_id: str) -> bool: ...

    def release(self, person_key: str, confirmation_number: str) -> bool: ...

    def expired_pending(self, region: str, now: int, limit: int = 100) -> list[Claim]: ...


class RegionalAppointments(Protocol):
    """The region's own records (the booking repository): who holds what here."""

    def get_person(self, key: str): ...

    def get_appointment(self, confirmation_number: str): ...


@dataclass
class Taken:
    """A claim this request holds; `booked` records the appointment its transaction committed."""
    claim: Claim
    appointment: object | None = None

    def booked(self, appointment) -> None:
        self.appointment = appointment


class NoClaims:
    """For one-region tests of the booking core: no nationwide claim."""

    @contextmanager
    def held(self, person_key: str, office_id: str, slot_id: str) -> Iterator[Taken]:
        yield Taken(Claim(person_key, "", PENDING, ""))

    @contextmanager
    def moving(self, appointment, office_id: str, slot_id: str, end: datetime
               ) -> Iterator[Taken]:
        yield Taken(Claim(appointment.person_key, "", ACTIVE, ""))

    def released(self, person_key: str, confirmation_number: str) -> None:
        pass


class NationwideClaims:
    def __init__(self, store: ClaimStore, region: str, appointments: RegionalAppointments, *,
                 lease_seconds: int, clock: Callable[[], datetime],
                 region_urls: dict[str, str] | None = None) -> None:
        self.store = store
        self.region = region
        self.appointments = appointments
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.region_urls = region_urls or {}

    def _now(self) -> int:
        return int(self.clock().timestamp())

    # --- booking ------------------------------------------------------------------------

    @contextmanager
    def held(self, person_key: str, office_id: str, slot_id: str) -> Iterator[Taken]:
        """The person's claim for the length of a booking: taken on entry (or the 409 that says
        who holds it); on exit confirmed if the block recorded a booked appointment, deleted
        otherwise (an error, a replayed response)."""
        taken = Taken(self.take(person_key, office_id, slot_id))
        try:
            yield taken
        except BaseException:
            self._drop(taken.claim)
            raise
        if taken.appointment is None:
            self._drop(taken.claim)
        else:
            self._confirm(taken.claim, taken.appointment)

    def take(self, person_key: str, office_id: str, slot_id: str) -> Claim:
        for _ in range(_TAKE_ATTEMPTS):
            now = self._now()
            claim = Claim(person_key, secrets.token_hex(8), PENDING, self.region, office_id,
                          slot_id, lease_until=now + self.lease_seconds)
            if self.store.take(claim, now):
                return claim
            current = self.store.get(person_key)
            if current is None or not current.live(now):
                continue  # released or over since the put: try again
            if current.region != self.region:
                if self._cancelled_here(current):
                    continue  # its appointment was cancelled: released (or changed), try again
                raise errors.AppointmentInOtherRegion(
                    region=current.region, base_url=self.region_urls.get(current.region))
            if self._stale(current, now):
                continue  # this region's claim, not backed by an appointment: now deleted
            raise errors.AlreadyBooked(
                "This person already has an appointment: reschedule or cancel it instead.")
        raise errors.ConcurrentUpdate()

    def _stale(self, claim: Claim, now: int) -> bool:
        """A claim of this region that blocks a booking of the same person: resolved (and True)
        when no appointment here backs it: a pending one whose lease ran out (its request died),
        an active one whose appointment was cancelled before the claim was released."""
        if claim.state == PENDING:
            return claim.lease_over(now) and self.resolve(claim) is None
        person = self.appointments.get_person(claim.person_key)
        if person is not None and person.active_confirmation == claim.confirmation_number:
            return False
        return self.store.drop(claim.person_key, claim.claim_id)

    def _cancelled_here(self, claim: Claim) -> bool:
        """Another region's active claim whose cancellation lost its release (the process died
        after the transaction): released from here on positive evidence only, as this region
        reads the other's appointments in an eventually consistent replica. The evidence: the
        replica holds the appointment the claim names, the person's, cancelled. A cancellation
        is final (no write makes an appointment booked again; a reschedule keeps it booked
        under the same number, moving the claim with it), so even a late replica never shows
        one that did not happen. The release holds only while the claim still names that
        appointment, so a claim taken or confirmed for another booking meanwhile stays.
        Anything less keeps the 409: an appointment missing here may not have replicated yet
        (or is a failover's booking that never will), one shown booked may be live, and a
        pending claim is never touched (only its region can tell whether its booking
        committed). True once the claim no longer names the appointment (released here, or
        changed meanwhile): worth a new put."""
        if claim.state != ACTIVE or not claim.confirmation_number:
            return False
        appointment = self.appointments.get_appointment(claim.confirmation_number)
        if (appointment is None or appointment.status != CANCELLED
                or appointment.person_key != claim.person_key):  # another's, under that number
            return False
        if self.store.release(claim.person_key, claim.confirmation_number):
            log.warning("released another region's claim its cancellation had left",
                        extra={"claim_region": claim.region, "office_id": claim.office_id})
        return True

    def _confirm(self, claim: Claim, appointment) -> None:
        try:
            if not self.store.confirm(claim.person_key, claim.claim_id,
                                      appointment.confirmation_number, appointment.office_id,
                                      appointment.slot_id, int(appointment.end.timestamp()),
                                      self._now()):
                log.error("claim gone before its booking confirmed it",
                          extra={"office_id": appointment.office_id})
        except Exception:  # the booking stands; the sweep confirms the pending claim
            log.exception("claim confirmation deferred to the sweep")

    def _drop(self, claim: Claim) -> None:
        try:
            self.store.drop(claim.person_key, claim.claim_id)
        except Exception:  # the sweep deletes the pending claim once its lease runs out
            log.exception("claim deletion deferred to the sweep")

    # --- changes ------------------------------------------------------------------------

    @contextmanager
    def moving(self, appointment, office_id: str, slot_id: str, end: datetime
               ) -> Iterator[Taken]:
        """A reschedule to (office_id, slot_id, ending at `end`). While its transaction runs the
        claim names the new slot and lasts to the later of the two ends, so a process dying
        in between leaves the person claimed, never free. On exit the claim is exact: as it
        was if the block recorded no move, else the moved appointment's (written again only
        when that differs from what was written before: a move earlier, a slot read anew)."""
        key, cn = appointment.person_key, appointment.confirmation_number
        before = (appointment.office_id, appointment.slot_id, int(appointment.end.timestamp()))
        during = (office_id, slot_id, max(before[2], int(end.timestamp())))
        self._move(key, cn, *during)
        taken = Taken(Claim(key, "", ACTIVE, self.region, confirmation_number=cn))
        try:
            yield taken
        except BaseException:
            self._move(key, cn, *before)
            raise
        moved = taken.appointment
        after = (moved.office_id, moved.slot_id, int(moved.end.timestamp())) if moved else before
        if after != during:
            self._move(key, cn, *after)

    def _move(self, person_key: str, confirmation_number: str, office_id: str, slot_id: str,
              until: int) -> None:
        try:
            if not self.store.move(person_key, confirmation_number, office_id, slot_id, until,
                                   self._now()):
                log.warning("no active claim names the appointment being moved",
                            extra={"office_id": office_id})
        except Exception:
            log.exception("claim not moved with its appointment")

    def released(self, person_key: str, confirmation_number: str) -> None:
        """After a cancellation's transaction. A failure leaves an active claim no appointment
        backs: the person's next booking finds and deletes it, in this region (`_stale`) or in
        another once its replica holds the cancellation (`_cancelled_here`)."""
        try:
            self.store.release(person_key, confirmation_number)
        except Exception:
            log.exception("claim not released after a cancellation")

    # --- the sweep ----------------------------------------------------------------------

    def resolve(self, claim: Claim) -> Claim | None:
        """A pending claim of this region whose lease ran out: its request is over. Confirmed
        when the person's active appointment is here (the booking committed before the request
        died), deleted otherwise. Returns the claim as it now stands (None: deleted or gone)."""
        now = self._now()
        person = self.appointments.get_person(claim.person_key)
        appointment = (self.appointments.get_appointment(person.active_confirmation)
                       if person is not None and person.active_confirmation else None)
        if (appointment is not None and appointment.status == "booked"
                and appointment.end.timestamp() >= now):
            until = int(appointment.end.timestamp())
            if self.store.confirm(claim.person_key, claim.claim_id,
                                  appointment.confirmation_number, appointment.office_id,
                                  appointment.slot_id, until, now):
                return replace(claim, state=ACTIVE, lease_until=None, until=until,
                               confirmation_number=appointment.confirmation_number,
                               office_id=appointment.office_id, slot_id=appointment.slot_id)
            return self.store.get(claim.person_key)
        self.store.drop(claim.person_key, claim.claim_id)
        return None

    def sweep(self, limit: int = 100) -> dict[str, int]:
        """This region's pending claims whose lease ran out, each resolved."""
        counts = {"confirmed": 0, "deleted": 0}
        for claim in self.store.expired_pending(self.region, self._now(), limit):
            counts["confirmed" if self.resolve(claim) else "deleted"] += 1
        return counts
