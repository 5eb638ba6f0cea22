"""The one-off migration of person claims from the v1 key to the v2 key, on DynamoDB (moto)."""
from datetime import date

import pytest

from chalicelib import errors, identity, tables
from chalicelib.booking.domain import normalize_confirmation_number
from chalicelib.booking.rekey import rekey
from chalicelib.booking.validation import Proof
from tests.integration.test_booking_repository import (MONDAY_NOON, clock, service,  # noqa: F401
                                                       slot_after)
from tests.unit.test_booking_service import request

DOB = date(1985, 3, 4)
PROOF = Proof(last_name="Santos", date_of_birth=DOB)


def as_v1(cn: str, a_number: str | None) -> str:
    """Make a booking look as v1 wrote it: the appointment and its claim under the v1 key."""
    record = tables.AppointmentRecord.get(cn)
    v1 = identity.legacy_person_key("test", "Maria", "Santos", DOB, a_number)
    tables.PersonRecord.get(record.person_key).delete()
    tables.PersonRecord(v1, active_confirmation=cn, active_start=record.start,
                        last_start=record.start, prev_start="1970-01-01T00:00:00Z").save()
    record.update(actions=[tables.AppointmentRecord.person_key.set(v1)])
    return v1


def book(service, days, **extra):
    outcome = service.book(request(slot_after(service, days)["slot_id"], **extra))
    return normalize_confirmation_number(outcome.body["confirmation_number"])


def test_v1_claims_move_to_the_v2_key_and_the_rule_holds_afterwards(service):
    # Under v1, sending an A-number made a second person: two upcoming visits for one.
    first = book(service, 3)
    as_v1(first, None)
    second = book(service, 5, a_number="A123456789")
    v1_second = as_v1(second, "A123456789")

    counts = rekey("test", MONDAY_NOON)
    assert counts["moved"] == 1 and counts["extra_upcoming"] == 1
    v2 = identity.person_key("test", "Maria", "Santos", DOB)
    claim = tables.PersonRecord.get(v2)
    assert claim.active_confirmation == first  # the earliest upcoming visit
    assert tables.AppointmentRecord.get(first).person_key == v2
    assert tables.AppointmentRecord.get(second).person_key == v1_second  # kept on its v1 claim

    with pytest.raises(errors.AlreadyBooked):
        book(service, 8, a_number="A999999999",
             contacts={"email": "maria.2@example.org", "phone": "+1 617 555 0001"})
    assert rekey("test", MONDAY_NOON)["already"] == 1  # a second run changes nothing

    # Both appointments can still be given back, each releasing its own claim.
    for cn in (second, first):
        assert service.cancel(cn, PROOF)["status"] == "cancelled"
    assert tables.PersonRecord.get(v2).active_confirmation is None
    assert tables.PersonRecord.get(v1_second).active_confirmation is None
    assert book(service, 9)  # and the person may book again
