"""One-off migration: person claims from the v1 key (names, birth date and A-number) to the v2
key (`chalicelib.identity.person_key`). Run once per stage after deploying v2:

    python -m chalicelib.booking.rekey

Idempotent: a second run finds every upcoming appointment already on its v2 claim. Prints
counts only, never names.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from datetime import date, datetime, timezone

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import aws, identity
from chalicelib import settings as _settings
from chalicelib.booking.domain import iso_utc
from chalicelib.tables import AppointmentRecord, PersonRecord

EPOCH = "1970-01-01T00:00:00Z"


def _key(record: AppointmentRecord, pepper: str) -> str:
    a = record.applicant
    return identity.person_key(pepper, a["first_name"], a["last_name"],
                               date.fromisoformat(a["date_of_birth"]))


def rekey(pepper: str, now: datetime) -> dict[str, int]:
    """Write each person's v2 claim from their booked appointments: the earliest upcoming one
    is the active claim (and is re-pointed to the v2 key in the same transaction, so its
    cancel and reschedule release the v2 claim); past visits carry the minimum interval."""
    by_person: dict[str, list[AppointmentRecord]] = defaultdict(list)
    for record in AppointmentRecord.scan(AppointmentRecord.status == "booked"):
        by_person[_key(record, pepper)].append(record)
    counts = {"people": 0, "moved": 0, "already": 0, "extra_upcoming": 0, "conflicts": 0}
    connection = aws.dynamodb()
    for key, records in by_person.items():
        counts["people"] += 1
        records.sort(key=lambda r: r.start)
        upcoming = [r for r in records if r.start > iso_utc(now)]
        counts["extra_upcoming"] += max(0, len(upcoming) - 1)
        active = upcoming[0] if upcoming else None
        # The last visit before the active one (what a cancellation restores), and the last
        # visit. Extra upcoming appointments stay on their v1 claims, which release them.
        past = [r.start for r in records if r.start <= iso_utc(now)]
        prev = past[-1] if past else EPOCH
        last = active.start if active is not None else prev
        if active is not None and active.person_key == key:
            counts["already"] += 1
            continue
        actions = [PersonRecord.last_start.set(last), PersonRecord.prev_start.set(prev)]
        if active is not None:
            actions += [PersonRecord.active_confirmation.set(active.confirmation_number),
                        PersonRecord.active_start.set(active.start)]
        # Only where no v2 booking has claimed the person since the deploy: that claim is newer
        # and already enforces the rule.
        condition = (PersonRecord.active_start.does_not_exist()
                     | (PersonRecord.active_start < iso_utc(now)))
        try:
            with TransactWrite(connection=connection) as txn:
                txn.update(PersonRecord(key), actions=actions, condition=condition)
                if active is not None:
                    txn.update(AppointmentRecord(active.confirmation_number),
                               actions=[AppointmentRecord.person_key.set(key)],
                               condition=(AppointmentRecord.version == active.version)
                               & (AppointmentRecord.status == "booked"))
        except TransactWriteError:
            counts["conflicts"] += 1  # changed meanwhile: a re-run picks it up
            continue
        counts["moved"] += 1
    return counts


def main() -> int:
    counts = rekey(_settings.settings.identity_pepper, datetime.now(timezone.utc))
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
