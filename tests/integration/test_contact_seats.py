"""The per-contact limit's conditions on DynamoDB (moto): seats taken in the booking's
transaction, freed by a cancellation or by the holder's start passing, moved by a reschedule."""
from datetime import date, datetime, timedelta

import pytest

from chalicelib import errors, tables
from chalicelib.booking.domain import normalize_confirmation_number
from chalicelib.booking.validation import Proof, RescheduleRequest
from tests.integration.test_booking_repository import clock, service, slot_after  # noqa: F401
from tests.unit.test_booking_service import request

SHARED = {"email": "casa@example.org", "phone": "(617) 555-0142"}


def book(service, days, first):
    outcome = service.book(request(slot_after(service, days)["slot_id"], first=first,
                                   contacts=SHARED))
    return normalize_confirmation_number(outcome.body["confirmation_number"])


def test_seats_are_held_until_the_start_moved_by_a_reschedule_and_freed_by_a_cancel(
        service, clock):
    ana = book(service, 1, "Ana")
    bia = book(service, 1.2, "Bia")
    with pytest.raises(errors.ContactLimitReached):
        book(service, 3, "Caio")
    assert tables.ContactSeatRecord.count() == 4  # two seats of the email, two of the phone
    # Ana moves to next week: her seats follow her new start.
    later = slot_after(service, 8)
    service.reschedule(ana, RescheduleRequest(slot_id=later["slot_id"], last_name="Santos",
                                              date_of_birth=date(1985, 3, 4)))
    held = {s.active_start for s in tables.ContactSeatRecord.scan()}
    assert held == {tables.AppointmentRecord.get(ana).start,
                    tables.AppointmentRecord.get(bia).start}
    # Once Bia's visit has started it stops counting, with no write at all.
    clock.now = datetime.fromisoformat(
        tables.AppointmentRecord.get(bia).start.replace("Z", "+00:00")) + timedelta(minutes=1)
    caio = book(service, 1, "Caio")
    with pytest.raises(errors.ContactLimitReached):
        book(service, 2, "Dora")
    # Cancelling gives the seats back at once.
    service.cancel(caio, Proof(last_name="Santos", date_of_birth=date(1985, 3, 4)))
    assert book(service, 2, "Dora")
