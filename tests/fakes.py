"""In-memory stand-ins for the booking ports, with the same conditional semantics as the
DynamoDB repository (each method is all-or-nothing)."""
from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timezone

from chalicelib.booking.ports import (ContactSeat, IdempotencyClaim, Person, PublishFailed,
                                      Rejected, Slot, StoredResponse)
from chalicelib.booking.schedule import PlannedSlot, slot_id

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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
                       if o == office_id and after < start <= before and s.available > 0),
                      key=lambda s: s.start)

    def slot_starts(self, office_id, after, before):
        return {start for (o, start) in self.slots if o == office_id and after <= start <= before}

    def add_slot(self, slot: PlannedSlot, expires_at):
        key = (slot.office_id, slot.start)
        if key in self.slots:
            return False
        self.writes += 1
        self.slots[key] = Slot(slot.office_id, slot.start, slot.end, slot.capacity, slot.capacity)
        return True

    def book(self, appointment, not_active_after, last_visit_before, claim: IdempotencyClaim | None):
        failed = set()
        slot = self.slots.get((appointment.office_id, appointment.start))
        if slot is None or slot.available <= 0:
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
            raise Rejected(failed)
        for entry in appointment.contact_seats:
            self.seats[entry] = {"confirmation_number": appointment.confirmation_number,
                                 "active_start": appointment.start}
        self.writes += 1
        self.slots[(slot.office_id, slot.start)] = replace(slot, available=slot.available - 1)
        self.appointments[appointment.confirmation_number] = copy.deepcopy(appointment)
        self.persons[appointment.person_key] = {
            "active_confirmation": appointment.confirmation_number,
            "active_start": appointment.start, "prev_start": person.get("last_start", EPOCH),
            "last_start": appointment.start}
        if claim:
            self.responses[claim.key] = claim

    def cancel(self, appointment, now, release_contacts=True):
        stored = self.appointments.get(appointment.confirmation_number)
        if stored is None or stored.version != appointment.version or stored.status != "booked":
            raise Rejected({"appointment"})
        self.writes += 1
        slot = self.slots[(stored.office_id, stored.start)]
        self.slots[(slot.office_id, slot.start)] = replace(slot, available=slot.available + 1)
        person = self.persons[stored.person_key]
        person.update(active_confirmation=None, active_start=None, last_start=person["prev_start"])
        for entry in stored.contact_seats if release_contacts else ():
            if self.seats.get(entry, {}).get("confirmation_number") == stored.confirmation_number:
                del self.seats[entry]
        stored.status, stored.version, stored.updated_at = "cancelled", stored.version + 1, now
        return copy.deepcopy(stored)

    def reschedule(self, appointment, new_slot, zone, now, last_visit_before):
        stored = self.appointments.get(appointment.confirmation_number)
        failed = set()
        if stored is None or stored.version != appointment.version or stored.status != "booked":
            failed.add("appointment")
        target = self.slots.get((new_slot.office_id, new_slot.start))
        if target is None or target.available <= 0:
            failed.add("slot")
        person = self.persons.get(appointment.person_key, {})
        if person.get("prev_start", EPOCH) > last_visit_before:
            failed.add("person")
        if failed:
            raise Rejected(failed)
        self.writes += 1
        old = self.slots[(stored.office_id, stored.start)]
        self.slots[(old.office_id, old.start)] = replace(old, available=old.available + 1)
        self.slots[(target.office_id, target.start)] = replace(target, available=target.available - 1)
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
