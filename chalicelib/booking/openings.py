"""Finding a seat: offices near a ZIP code, an office's booking window, its open slots, the
nearest alternatives to a taken time, and the slot and seat a booking is for (read, or guessed
from the office's schedule and read once a transaction's condition proves the guess wrong)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from chalicelib import errors
from chalicelib.booking import offices, representation, schedule, seats
from chalicelib.booking.domain import Policy, ensure_bookable
from chalicelib.booking.ports import BookingRepository, SeatTaking, Slot

MAX_ALTERNATIVES = 5


def self_service_office(office: dict) -> dict:
    """The office, if people book it online; else `office_not_self_service`."""
    if office["scheduling"] != "self_service":
        raise errors.OfficeNotSelfService(
            "This office takes visits by request: submit a service request or call "
            "{contact_center_phone}.", contact_center_phone=representation.CONTACT_CENTER_PHONE,
            request_path=representation.SERVICE_REQUEST_PATH)
    return office


class Openings:
    def __init__(self, repository: BookingRepository, *, policy: Policy,
                 clock: Callable[[], datetime]) -> None:
        self.repo = repository
        self.policy = policy
        self.clock = clock

    def offices_near(self, zip_code: str, limit: int) -> list[dict]:
        return [representation.office_summary(o, d) for o, d in offices.nearest(zip_code, limit)]

    def window(self, office: dict) -> tuple[date, date]:
        today = schedule.local_today(office["timezone"], self.clock())
        return today, today + timedelta(days=self.policy.booking_window_days)

    def availability(self, office_id: str, first: date | None, last: date | None,
                     for_staff: bool = False) -> dict:
        # Staff book visits at every office, contact-center ones included (triage grants).
        office = offices.get(office_id)
        if not for_staff:
            office = self_service_office(office)
        today, final = self.window(office)
        if first is not None and last is not None and last < first:
            raise errors.ReversedRange(
                "Put the earlier date in 'from' and the later one in 'to'.")
        first, last = first or today, last or final
        if first < today or last > final or last < first:
            raise errors.InvalidRange(
                "The range must lie within {window[from]} to {window[to]}.",
                window={"from": today.isoformat(), "to": final.isoformat()})
        zone = ZoneInfo(office["timezone"])
        after = max(self.clock(), datetime.combine(first, time.min, tzinfo=zone))
        before = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        now = self.clock()
        shown = []
        for s in self.repo.open_slots(office_id, after, before):
            public = seats.public_free(s.available, s.holds, now)
            if for_staff and public + s.reserved > 0:
                # Staff see the reserve beside the public seats: grants take it first.
                shown.append({**representation.slot(s, office["timezone"], public + s.reserved),
                              "reserved": s.reserved})
            elif public > 0:
                shown.append(representation.slot(s, office["timezone"], public))
        return {"office_id": office_id, "timezone": office["timezone"], "slots": shown}

    def alternatives(self, office: dict, near: datetime) -> list[dict]:
        _, final = self.window(office)
        zone = ZoneInfo(office["timezone"])
        now = self.clock()
        open_slots = [s for s in self.repo.open_slots(
            office["id"], now, datetime.combine(final + timedelta(days=1), time.min, tzinfo=zone))
            if seats.public_free(s.available, s.holds, now) > 0]
        nearest = sorted(open_slots, key=lambda s: abs((s.start - near).total_seconds()))
        return [representation.slot(s, office["timezone"],
                                    seats.public_free(s.available, s.holds, now))
                for s in nearest[:MAX_ALTERNATIVES]]

    def seat(self, office: dict, slot: Slot, now: datetime, staff: bool = False) -> SeatTaking:
        """The seat a booking takes, as the slot was just read: staff (a triage grant, an
        assisted booking) a reserved one first; then a free public seat; then the seat of an
        expired hold, which is free at once. None free: `slot_unavailable`."""
        if staff and slot.reserved > 0:
            return SeatTaking(pool=seats.RESERVED)
        if slot.available > 0:
            return SeatTaking()
        expired = seats.expired_holds(slot.holds, now)
        if expired:
            return SeatTaking(expired_hold=expired[0], at=int(now.timestamp()))
        raise errors.SlotUnavailable(alternatives=self.alternatives(office, slot.start))

    def reread(self, slot: Slot) -> Slot:
        return self.repo.get_slot(slot.office_id, slot.start) or slot

    def bookable_slot(self, raw_slot_id: str, any_office: bool = False) -> tuple[dict, Slot]:
        parsed = schedule.parse_slot_id(raw_slot_id)
        if parsed is None:
            raise errors.UnknownSlot()
        office_id, start = parsed
        try:
            # A fresh read: a mode switch made a moment ago in another container holds at once.
            office = offices.get(office_id, fresh=True)
        except errors.UnknownOffice:
            raise errors.UnknownSlot() from None
        if not any_office:
            office = self_service_office(office)
        ensure_bookable(start, self.clock(), self.window(office)[1], ZoneInfo(office["timezone"]))
        slot = self.repo.get_slot(office_id, start)
        if slot is None:
            raise errors.UnknownSlot()
        return office, slot

    def slot_to_book(self, raw_slot_id: str, any_office: bool = False,
                     staff: bool = False) -> tuple[dict, Slot, bool]:
        """(office, slot, guessed) for a booking, without a read in the usual case: the office
        from the directory's cache (whose mode the transaction then checks), the slot's end
        from the office's schedule, and a guess of a free seat (a reserved one for `staff`).
        The transaction's conditions decide whether the slot exists with that end and has that
        seat; `guessed` says the slot was not read, so a failed slot condition reads it then."""
        parsed = schedule.parse_slot_id(raw_slot_id)
        if parsed is None:
            raise errors.UnknownSlot()
        office_id, start = parsed
        office = self._office_to_book(office_id, any_office)
        ensure_bookable(start, self.clock(), self.window(office)[1], ZoneInfo(office["timezone"]))
        end = schedule.planned_end(office, start)
        # Staff take a reserved seat first where the schedule keeps some and the release job
        # has not given them to the public yet.
        reserve = staff and schedule.planned_reserve(office, start) > 0 and not seats.release_due(
            start, self.clock(), seats.release_lead(office))
        return office, Slot(office_id, start, end, capacity=1, available=1,
                            reserved=1 if reserve else 0), True

    def _office_to_book(self, office_id: str, any_office: bool) -> dict:
        try:
            office = offices.get(office_id)
        except errors.UnknownOffice:
            office = None
        if office is None or (not any_office and office["scheduling"] != "self_service"):
            # The cache may be behind a change made a moment ago in another container.
            try:
                office = offices.get(office_id, fresh=True)
            except errors.UnknownOffice:
                raise errors.UnknownSlot() from None
        return office if any_office else self_service_office(office)

    def office_changed(self, office: dict) -> dict:
        """The office's mode condition failed: read it, and say why (or go on if it switched
        back meanwhile)."""
        try:
            return self_service_office(offices.get(office["id"], fresh=True))
        except errors.UnknownOffice:
            raise errors.UnknownSlot() from None

    def guess_corrected(self, failed: set[str], office: dict, slot: Slot,
                        guessed: bool) -> tuple[dict, Slot, bool] | None:
        """After a rejected transaction, (office, slot, guessed) to try again with when what was
        not read turned out wrong: the office's mode (read now; raises if it no longer books
        online) or the guessed slot (read now, with the seat it has; raises if it does not
        exist). None when neither failed."""
        if "office" in failed:
            return self.office_changed(office), slot, guessed
        if guessed and "slot" in failed:
            return office, self.read_slot(slot), False
        return None

    def read_slot(self, slot: Slot) -> Slot:
        """The slot as stored, once a guessed one failed its condition."""
        found = self.repo.get_slot(slot.office_id, slot.start)
        if found is None:
            raise errors.UnknownSlot()
        return found
