"""One-off migration (issue 16): the nationwide claims of appointments booked before claims
existed. Run once in each region after deploying claims, before its other region takes
bookings:

    python -m chalicelib.booking.claim_backfill

Each upcoming booked appointment of this region gets an active claim unless the person already
has a live one. Idempotent: a second run finds each claim `already` there. `conflicts` counts
people already claimed for another appointment (booked in both regions before claims: staff
settle these by hand). Prints counts only, never names.
"""
from __future__ import annotations

import secrets
import sys
from datetime import datetime, timezone

from chalicelib import settings as _settings
from chalicelib.booking.claim_repository import DynamoClaims
from chalicelib.booking.claims import ACTIVE, Claim
from chalicelib.booking.domain import iso_utc
from chalicelib.tables import AppointmentRecord


def backfill(store: DynamoClaims, region: str, now: datetime) -> dict[str, int]:
    counts = {"claimed": 0, "already": 0, "conflicts": 0}
    stamp = int(now.timestamp())
    for record in AppointmentRecord.scan((AppointmentRecord.status == "booked")
                                         & (AppointmentRecord.end > iso_utc(now))):
        until = int(datetime.fromisoformat(record.end.replace("Z", "+00:00")).timestamp())
        claim = Claim(record.person_key, secrets.token_hex(8), ACTIVE, region,
                      record.office_id, record.slot_id, record.confirmation_number, until=until)
        if store.adopt(claim, stamp):
            counts["claimed"] += 1
            continue
        current = store.get(record.person_key)
        counts["already" if current and current.confirmation_number
               == record.confirmation_number else "conflicts"] += 1
    return counts


def main() -> int:
    counts = backfill(DynamoClaims(), _settings.settings.region, datetime.now(timezone.utc))
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
