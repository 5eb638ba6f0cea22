"""Holds: a person takes a seat for `HOLD_MINUTES` while filling in the booking form, may extend
it once, gives it back, or books with it (`BookingService.book` with `hold_id`). One active hold
per client (the gateway's source IP, as an HMAC) and a per-client rate of new holds. An expired
hold's seat is free at once for everyone (booking and holding conditions treat it as free);
`return_expired` (the `return_expired_holds` job, every minute) puts those seats back in the
slot's public count and settles the holds."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Callable

from chalicelib import errors
from chalicelib.booking import offices, schedule, seats
from chalicelib.booking.domain import iso_utc
from chalicelib.booking.ports import HoldStore, Rejected
from chalicelib.booking.representation import local_iso
from chalicelib.booking.seats import Hold
from chalicelib.booking.service import BookingService
from chalicelib.limits.service import HOLD_CLIENT, Limiter

log = logging.getLogger(__name__)

_ATTEMPTS = 3


def new_hold_id() -> str:
    return secrets.token_hex(16)  # 128 random bits: the id is the only key to the hold


def explain(hold: Hold | None, now: datetime) -> None:
    """Raise the error that says why `hold` cannot be used now (nothing when it can)."""
    if hold is None:
        raise errors.HoldNotFound()
    if hold.status in (seats.CONVERTED, seats.RELEASED):
        raise errors.HoldAlreadyUsed()
    if hold.status == seats.EXPIRED or hold.expired(now):
        raise errors.HoldExpired()


def view(hold: Hold, office: dict, now: datetime) -> dict:
    """Times as elsewhere in the API: office-local with its offset beside the zone's name, and
    the expiry in UTC too, with the seconds left (a page can count down without a clock)."""
    zone = office["timezone"]
    expires = datetime.fromtimestamp(hold.expires_at, tz=now.tzinfo)
    return {"hold_id": hold.hold_id, "status": hold.status,
            "slot_id": schedule.slot_id(hold.office_id, hold.start),
            "office_id": hold.office_id, "timezone": zone,
            "start": local_iso(hold.start, zone),
            "expires_at": iso_utc(expires), "expires_at_local": local_iso(expires, zone),
            "expires_in_seconds": max(0, hold.expires_at - int(now.timestamp())),
            "extendable": hold.status == seats.ACTIVE and not hold.extended}


class HoldService:
    def __init__(self, booking: BookingService, store: HoldStore, limiter: Limiter, *,
                 hold_minutes: int, clock: Callable[[], datetime] | None = None,
                 on_freed: Callable[[str, datetime], object] | None = None) -> None:
        self.booking = booking
        # Told of each seat an expired hold gave back (the waitlist offers it first).
        self.on_freed = on_freed
        self.store = store
        self.limiter = limiter
        self.minutes = hold_minutes
        self.clock = clock or booking.clock

    def hold(self, raw_slot_id: str, source_ip: str | None) -> dict:
        """The view has counted the request against the client's rate (`HOLD_CLIENT`)."""
        office, slot = self.booking.bookable_slot(raw_slot_id)
        client = self.limiter.client_key(HOLD_CLIENT, source_ip)
        for attempt in range(_ATTEMPTS):
            now = self.clock()
            seat = self.booking.public_seat(office, slot, now)
            hold = Hold(new_hold_id(), slot.office_id, slot.start, seats.ACTIVE,
                        int((now + timedelta(minutes=self.minutes)).timestamp()), client=client)
            try:
                self.store.take(hold, seat, now)
            except Rejected as rejected:
                if "client" in rejected.failed:
                    raise errors.HoldLimitReached(
                        "Book with the time you hold, or give it back, before holding "
                        "another.", limit=1) from None
                if attempt == _ATTEMPTS - 1:
                    break
                if "slot" in rejected.failed:
                    # Taken meanwhile, or a slot made before holds existed: read it again.
                    self.store.ensure_hold_map(slot.office_id, slot.start)
                    slot = self.booking.reread(slot)
                continue
            log.info("seat held", extra={"office_id": office["id"],
                                         "slot_id": schedule.slot_id(slot.office_id, slot.start)})
            return view(hold, office, now)
        raise errors.SlotUnavailable(alternatives=self.booking.alternatives(office, slot.start))

    def extend(self, hold_id: str) -> dict:
        now = self.clock()
        hold = self.store.get(hold_id)
        explain(hold, now)
        offices.get(hold.office_id)  # served here and not moving, or 421/503 before any write
        if hold.extended:
            raise errors.HoldAlreadyExtended()
        try:
            self.store.extend(hold, hold.extended_expiry(self.minutes), now)
        except Rejected:
            hold = self.store.get(hold_id)  # used, given back, expired or extended meanwhile
            explain(hold, self.clock())
            raise errors.HoldAlreadyExtended() from None
        extended = Hold(hold.hold_id, hold.office_id, hold.start, hold.status,
                        hold.extended_expiry(self.minutes), True, hold.client)
        return view(extended, offices.get(hold.office_id), now)

    def give_back(self, hold_id: str) -> None:
        """`DELETE`: the seat goes back at once, offered first to the first person waiting
        for it. Giving back a hold that was given back or has expired changes nothing; a hold
        that became a booking is 409."""
        hold = self.store.get(hold_id)
        if hold is None:
            raise errors.HoldNotFound()
        offices.get(hold.office_id)  # served here and not moving, or 421/503 before any write
        if hold.status == seats.CONVERTED:
            raise errors.HoldAlreadyUsed()
        if hold.status == seats.ACTIVE and self.store.give_back(hold, seats.RELEASED):
            self._tell(hold)

    def return_expired(self) -> dict[str, int]:
        """Expired holds' seats back to the slots' public counts, each with a condition on the
        hold's entry still being there and expired (a conversion that won keeps its seat; a
        booking that took the expired seat over has it already)."""
        now = self.clock()
        returned = settled = 0
        for _ in range(50):  # 5,000 a minute at most; the rest wait a minute (free meanwhile)
            batch = self.store.expired(now)
            for hold in batch:
                if self.store.give_back(hold, seats.EXPIRED, now):
                    returned += 1
                    self._tell(hold)
                settled += 1
            if len(batch) < 100:
                break
        return {"returned": returned, "settled": settled}

    def _tell(self, hold: Hold) -> None:
        if self.on_freed:
            try:
                self.on_freed(hold.office_id, hold.start)
            except Exception:  # the seat is public already; the waitlist job looks again
                log.exception("waitlist not told of a returned seat")
