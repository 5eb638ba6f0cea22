"""Slot generation's marks in DynamoDB (moto server): a run after the window is full plans
nothing, a new day plans one day, and the marks never show up among an office's slots."""
from datetime import date, timedelta

import pytest

from chalicelib import tables
from chalicelib.booking import offices
from chalicelib.booking.domain import Policy
from chalicelib.booking.generation import Mark
from chalicelib.booking.generation_repository import DynamoGenerationMarks
from chalicelib.booking.notices import SqsNoticePublisher
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.service import BookingService
from tests.fakes import FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def service(aws, clock):
    return BookingService(DynamoBookingRepository(), SqsNoticePublisher(aws["notices"]),
                          pepper="test", clock=clock, policy=Policy(),
                          generation_marks=DynamoGenerationMarks())


def test_marks_are_kept_per_office_and_read_back_in_one_query(service):
    created = service.generate_slots([OFFICE, "hartford"])
    assert created[OFFICE] > 0 and created["hartford"] > 0
    marks = DynamoGenerationMarks().all()
    assert marks[OFFICE] == Mark(OFFICE, date(2026, 11, 30) + timedelta(days=14),
                                 offices.get(OFFICE)["version"])
    assert set(marks) == {OFFICE, "hartford"}
    # No office's slot query meets a mark.
    assert tables.SlotRecord.count(OFFICE) == created[OFFICE]
    assert all(s["slot_id"].startswith(f"{OFFICE}.")
               for s in service.availability(OFFICE, None, None)["slots"])


def test_a_full_window_is_not_read_again_and_a_new_day_adds_only_that_day(service, clock):
    first = service.generate_slots([OFFICE])[OFFICE]
    # A slot removed behind the generator's back stays removed: the run trusts its mark and
    # reads no slots (a schedule change, which bumps the office's version, plans it again).
    victim = next(iter(tables.SlotRecord.query(OFFICE)))
    victim.delete()
    assert service.generate_slots([OFFICE]) == {OFFICE: 0}
    assert tables.SlotRecord.count(OFFICE) == first - 1
    clock.advance(days=1)
    added = service.generate_slots([OFFICE])[OFFICE]
    assert added > 0
    days = {r.start[:10] for r in tables.SlotRecord.query(OFFICE)}
    assert max(days) == "2026-12-15"
    assert tables.SlotRecord.count(OFFICE) == first - 1 + added
