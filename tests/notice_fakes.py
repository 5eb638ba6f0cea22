"""In-memory stand-ins for the notices ports, with the same conditional semantics as the
DynamoDB adapters."""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from chalicelib.notices.ports import (CLAIMED, SETTLED, AlreadySettled, Busy, DueReminder,
                                      PermanentlyRejected, SendFailed, SentState,
                                      StoredAppointment, Throttled)


class FakeSentLog:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], dict] = {}
        self._tokens = itertools.count(1)

    def get(self, key):
        r = self.records.get(key)
        return SentState(r["state"], r.get("lease_until", 0)) if r else None

    def _free(self, key, now):
        r = self.records.get(key)
        return r is None or (r["state"] == CLAIMED and r["lease_until"] < int(now.timestamp()))

    def claim(self, key, now, lease_seconds):
        if not self._free(key, now):
            if self.records[key]["state"] in SETTLED:
                raise AlreadySettled(self.records[key]["state"])
            raise Busy()
        token = f"t{next(self._tokens)}"
        self.records[key] = {"state": CLAIMED, "token": token,
                             "lease_until": int(now.timestamp()) + lease_seconds}
        return token

    def settle(self, key, token, state, now, detail):
        if token is None:
            if not self._free(key, now):
                return False
        else:
            r = self.records.get(key)
            if r is None or r["state"] != CLAIMED or r["token"] != token:
                return False
        self.records[key] = {"state": state, **detail}
        return True

    def release(self, key, token):
        r = self.records.get(key)
        if r and r["state"] == CLAIMED and r["token"] == token:
            del self.records[key]

    def state(self, key):
        r = self.records.get(key)
        return r["state"] if r else None


class FakeSender:
    """Records what it sends; `failures` is a queue of exceptions to raise first."""

    def __init__(self) -> None:
        self.sent = []
        self.failures: list[Exception] = []
        self.attempts = 0

    def send(self, message):
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"msg-{len(self.sent)}"


class FakeLetterBox:
    def __init__(self) -> None:
        self.letters = {}

    def queue(self, letter, now):
        self.letters.setdefault((letter.office_id, letter.notice_key), letter)


class FakeQueue:
    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.events = []

    def publish(self, event, delay_seconds=0):
        from chalicelib.notices.events import PublishFailed
        if self.failing:
            raise PublishFailed("queue unavailable")
        self.events.append((event, delay_seconds))

    def take(self):
        events, self.events = [e for e, _ in self.events], []
        return events


class FakeAppointmentStore:
    def __init__(self) -> None:
        self.items: dict[str, StoredAppointment] = {}

    def put(self, appointment: StoredAppointment) -> None:
        self.items[appointment.confirmation_number] = appointment

    def change(self, cn, **fields) -> StoredAppointment:
        self.items[cn] = replace(self.items[cn], **fields)
        return self.items[cn]

    def get(self, cn):
        return self.items.get(cn)

    def clear_pending(self, cn, entry):
        if cn in self.items:
            a = self.items[cn]
            self.items[cn] = replace(a, pending_notices=a.pending_notices - {entry})

    def schedule_reminder(self, cn, version, due):
        a = self.items.get(cn)
        if a and a.version == version and a.status == "booked":
            self.items[cn] = replace(a, reminder_due=due, reminder_version=version)

    def clear_reminder(self, cn, up_to_version):
        a = self.items.get(cn)
        if a and a.reminder_version is not None and a.reminder_version <= up_to_version:
            self.items[cn] = replace(a, reminder_due=None, reminder_version=None)

    def pending_outbox(self, older_than):
        return [(a.confirmation_number, a.pending_notices) for a in self.items.values()
                if a.pending_notices and a.updated_at < older_than]

    def due_reminders(self, now, lookback_days):
        first_day = (now - timedelta(days=lookback_days)).date()
        return [DueReminder(a.confirmation_number, a.reminder_version, a.reminder_due)
                for a in self.items.values()
                if a.reminder_due is not None and a.reminder_due <= now
                and a.reminder_due.astimezone(timezone.utc).date() >= first_day]


def appointment(cn="7K3M9Q2XHD4P", start=datetime(2026, 12, 1, 14, tzinfo=timezone.utc),
                booked_at=datetime(2026, 11, 20, 15, tzinfo=timezone.utc), language="en",
                contact_method="email", office_id="boston", zone="America/New_York",
                **changes) -> StoredAppointment:
    base = StoredAppointment(
        confirmation_number=cn, status="booked", version=1, office_id=office_id, start=start,
        end=start + timedelta(minutes=30), timezone=zone,
        applicant={"first_name": "Maria", "last_name": "Santos", "email": "maria@example.org",
                   "address": {"line1": "1 Main St", "line2": None, "city": "Boston",
                               "state": "MA", "zip": "02108"}},
        language=language, contact_method=contact_method, updated_at=booked_at,
        pending_notices=frozenset({"booking_confirmation:1"}))
    return replace(base, **changes)


__all__ = ["FakeSentLog", "FakeSender", "FakeLetterBox", "FakeQueue", "FakeAppointmentStore",
           "appointment", "Throttled", "PermanentlyRejected", "SendFailed"]
