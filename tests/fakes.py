"""In-memory stand-ins for the booking ports, with the same conditional semantics as the
DynamoDB repository (each method is all-or-nothing)."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timezone

from chalicelib.booking.ports import (PUBLIC_SEAT, ContactSeat, IdempotencyClaim, Person,
                                      PublishFailed, Rejected, SeatTaking, Slot, StoredResponse)
from chalicelib.booking.schedule import PlannedSlot, slot_id

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def taken(slot: Slot | None, seat: SeatTaking) -> Slot | None:
    """The slot after `seat` is taken, or None when its condition does not hold (the same
    conditions as chalicelib.booking.repository.take_seat)."""
    if slot is None:
        return None
    if seat.hold_id or seat.expired_hold:
        hold = seat.hold_id or seat.expired_hold
        expires = slot.holds.get(hold)
        if expires is None or (expires > seat.at) != bool(seat.hold_id):
            return None
        return replace(slot, holds={h: e for h, e in slot.holds.items() if h != hold})
    if seat.pool == "reserved":
        return replace(slot, reserved=slot.reserved - 1) if slot.reserved > 0 else None
    return replace(slot, available=slot.available - 1) if slot.available > 0 else None


def given_back(slot: Slot, pool: str) -> Slot:
    if pool == "reserved":
        return replace(slot, reserved=slot.reserved + 1)
    return replace(slot, available=slot.available + 1)


class FakeRepository:
    def __init__(self) -> None:
        self.slots: dict[tuple[str, datetime], Slot] = {}
        self.appointments: dict = {}
        self.persons: dict[str, dict] = {}
        self.responses: dict[str, IdempotencyClaim] = {}
        self.seats: dict[str, dict] = {}  # "<contact key>#<seat>" -> holder
        self.writes = 0

    def get_slot(self, office_id, start):
        return self.slots.get((office_id, start))

    def open_slots(self, office_id, after, before):
        return sorted((s for (o, start), s in self.slots.items()
                       if o == office_id and after < start <= before
                       and (s.available > 0 or s.reserved > 0 or s.holds)),
                      key=lambda s: s.start)

    def slot_starts(self, office_id, after, before):
        return {start for (o, start) in self.slots if o == office_id and after <= start <= before}

    def add_slot(self, slot: PlannedSlot, expires_at):
        key = (slot.office_id, slot.start)
        if key in self.slots:
            return False
        self.writes += 1
        self.slots[key] = Slot(slot.office_id, slot.start, slot.end, slot.capacity,
                               slot.capacity - slot.reserved, slot.reserved)
        return True

    def add_slots(self, slots):
        return sum(self.add_slot(slot, expires_at) for slot, expires_at in slots)

    def reserved_slots(self, office_id, after, before):
        return sorted((s for (o, start), s in self.slots.items()
                       if o == office_id and after <= start <= before and s.reserved > 0),
                      key=lambda s: s.start)

    def release_reserved(self, office_id, start, now, seen=None):
        slot = self.slots.get((office_id, start))
        if slot is None or slot.reserved <= 0:
            return 0
        self.writes += 1
        self.released = getattr(self, "released", 0) + slot.reserved
        self.slots[(office_id, start)] = replace(slot, available=slot.available + slot.reserved,
                                                 reserved=0)
        return slot.reserved

    def _office_changed(self, office_id, mode):
        # Offices whose mode changed after the directory (the seed) was read: office id -> mode.
        changed = getattr(self, "office_modes", {})
        return mode is not None and office_id in changed and changed[office_id] != mode

    def book(self, appointment, not_active_after, last_visit_before, claim: IdempotencyClaim | None,
             together_with=(), seat: SeatTaking = PUBLIC_SEAT, office_mode=None):
        failed = set()
        if self._office_changed(appointment.office_id, office_mode):
            failed.add("office")
        slot = self.slots.get((appointment.office_id, appointment.start))
        after = taken(slot, seat) if slot is not None and slot.end == appointment.end else None
        if after is None:
            failed.add("slot")
        if appointment.confirmation_number in self.appointments:
            failed.add("appointment")
        person = self.persons.get(appointment.person_key, {})
        if person.get("active_start") and person["active_start"] >= not_active_after:
            failed.add("person")
        if person.get("last_start") and person["last_start"] > last_visit_before:
            failed.add("person")
        if claim and claim.key in self.responses \
                and self.responses[claim.key].expires_at >= claim.claimed_at:
            failed.add("idempotency")
        for n, entry in enumerate(appointment.contact_seats):
            held = self.seats.get(entry)
            if held and held["active_start"] >= not_active_after:
                failed.add(f"contact{n}")
        if failed:
            rejected = Rejected(failed)
            if "idempotency" in failed:
                stored = self.responses[claim.key]
                rejected.replay = StoredResponse(stored.body_hash, stored.status, stored.body)
            raise rejected
        for entry in appointment.contact_seats:
            self.seats[entry] = {"confirmation_number": appointment.confirmation_number,
                                 "active_start": appointment.start}
        self.writes += 1
        self.slots[(slot.office_id, slot.start)] = after
        self.appointments[appointment.confirmation_number] = copy.deepcopy(appointment)
        self.persons[appointment.person_key] = {
            "active_confirmation": appointment.confirmation_number,
            "active_start": appointment.start, "prev_start": person.get("last_start", EPOCH),
            "last_start": appointment.start}
        if claim:
            self.responses[claim.key] = claim

    def cancel(self, appointment, now, release_contacts=True, to_pool="public", together_with=()):
        stored = self.appointments.get(appointment.confirmation_number)
        if stored is None or stored.version != appointment.version or stored.status != "booked":
            raise Rejected({"appointment"})
        self.writes += 1
        slot = self.slots[(stored.office_id, stored.start)]
        self.slots[(slot.office_id, slot.start)] = given_back(slot, to_pool)
        person = self.persons[stored.person_key]
        person.update(active_confirmation=None, active_start=None, last_start=person["prev_start"])
        for entry in stored.contact_seats if release_contacts else ():
            if self.seats.get(entry, {}).get("confirmation_number") == stored.confirmation_number:
                del self.seats[entry]
        stored.status, stored.version, stored.updated_at = "cancelled", stored.version + 1, now
        return copy.deepcopy(stored)

    def reschedule(self, appointment, new_slot, zone, now, last_visit_before,
                   seat: SeatTaking = PUBLIC_SEAT, old_to_pool="public", together_with=(),
                   office_mode=None):
        stored = self.appointments.get(appointment.confirmation_number)
        failed = set()
        if stored is None or stored.version != appointment.version or stored.status != "booked":
            failed.add("appointment")
        if self._office_changed(new_slot.office_id, office_mode):
            failed.add("office")
        target = self.slots.get((new_slot.office_id, new_slot.start))
        after = taken(target, seat) if target is not None and target.end == new_slot.end else None
        if after is None:
            failed.add("slot")
        person = self.persons.get(appointment.person_key, {})
        if person.get("prev_start", EPOCH) > last_visit_before:
            failed.add("person")
        if failed:
            raise Rejected(failed)
        self.writes += 1
        old = self.slots[(stored.office_id, stored.start)]
        self.slots[(old.office_id, old.start)] = given_back(old, old_to_pool)
        after = taken(self.slots[(target.office_id, target.start)], seat)
        self.slots[(target.office_id, target.start)] = after
        stored.seat_pool = seat.pool
        person.update(active_start=target.start, last_start=target.start)
        for entry in stored.contact_seats:
            if self.seats.get(entry, {}).get("confirmation_number") == stored.confirmation_number:
                self.seats[entry]["active_start"] = target.start
        stored.office_id, stored.slot_id = target.office_id, slot_id(target.office_id, target.start)
        stored.timezone = zone
        stored.start, stored.end = target.start, target.end
        stored.version, stored.updated_at = stored.version + 1, now
        return copy.deepcopy(stored)

    def get_appointment(self, confirmation_number):
        found = self.appointments.get(confirmation_number)
        return copy.deepcopy(found) if found else None

    def get_person(self, key):
        p = self.persons.get(key)
        if p is None:
            return None
        return Person(key, p.get("active_confirmation"), p.get("active_start"), p.get("last_start"))

    def contact_seats(self, contact_key):
        return [ContactSeat(int(entry.rpartition("#")[2]), held["confirmation_number"],
                            held["active_start"])
                for entry, held in self.seats.items() if entry.rpartition("#")[0] == contact_key]

    def get_response(self, key, now):
        claim = self.responses.get(key)
        if claim is None or claim.expires_at < now.timestamp():
            return None
        return StoredResponse(claim.body_hash, claim.status, claim.body)


class FakePublisher:
    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.events: list[tuple[str, str, int]] = []

    def publish(self, kind, confirmation_number, version):
        if self.failing:
            raise PublishFailed("queue unavailable")
        self.events.append((kind, confirmation_number, version))


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        from datetime import timedelta
        self.now += timedelta(**delta)
