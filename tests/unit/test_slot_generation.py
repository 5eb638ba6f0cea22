"""Slot generation plans only what is new: the days that came into the window since the last
run, or the whole window after the office changed; existing slots are never touched."""
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.booking import offices
from chalicelib.booking.domain import Policy
from chalicelib.booking.generation import Mark
from chalicelib.booking.service import BookingService
from tests.fakes import FakePublisher, FakeRepository, FixedClock

OFFICE = "boston"
MONDAY_NOON = datetime(2026, 11, 30, 17, tzinfo=timezone.utc)  # 12:00 in Boston


class MemoryMarks:
    def __init__(self) -> None:
        self.marks: dict[str, Mark] = {}

    def all(self):
        return dict(self.marks)

    def put(self, mark):
        self.marks[mark.office_id] = mark


class CountingRepository(FakeRepository):
    """Records the range of every read of existing slots."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[datetime, datetime]] = []

    def slot_starts(self, office_id, after, before):
        self.reads.append((after, before))
        return super().slot_starts(office_id, after, before)


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def marks():
    return MemoryMarks()


@pytest.fixture
def repo():
    return CountingRepository()


@pytest.fixture
def service(repo, marks, clock):
    return BookingService(repo, FakePublisher(), pepper="t", clock=clock, policy=Policy(),
                          generation_marks=marks)


def days(repo) -> set[date]:
    return {start.date() for (_, start) in repo.slots}


def test_the_first_run_fills_the_whole_window_and_marks_its_last_day(service, repo, marks):
    created = service.generate_slots([OFFICE])
    assert created[OFFICE] == len(repo.slots) > 0
    office = offices.get(OFFICE)
    assert marks.marks[OFFICE] == Mark(OFFICE, date(2026, 11, 30) + timedelta(days=14),
                                       office["version"])


def test_a_second_run_the_same_day_reads_no_slots_and_creates_none(service, repo):
    service.generate_slots([OFFICE])
    reads_before = len(repo.reads)
    assert service.generate_slots([OFFICE]) == {OFFICE: 0}
    assert len(repo.reads) == reads_before


def test_the_next_day_plans_only_the_day_that_came_into_the_window(service, repo, clock):
    service.generate_slots([OFFICE])
    before = set(repo.slots)
    clock.now = MONDAY_NOON + timedelta(days=1)  # Tuesday: Tuesday two weeks on is new
    created = service.generate_slots([OFFICE])
    added = set(repo.slots) - before
    assert created[OFFICE] == len(added) > 0
    assert {start.astimezone(timezone(timedelta(hours=-5))).date() for _, start in added} == {
        date(2026, 12, 15)}
    after, before_end = repo.reads[-1]
    assert before_end - after < timedelta(days=1)  # one day's slots read, not the window's


def test_a_changed_office_has_its_whole_window_planned_again_without_duplicates(
        service, repo, marks):
    service.generate_slots([OFFICE])
    count = len(repo.slots)
    # The office changed since (a schedule change or a closure bumps its version).
    marks.put(Mark(OFFICE, marks.marks[OFFICE].through, marks.marks[OFFICE].version - 1))
    assert service.generate_slots([OFFICE]) == {OFFICE: 0}
    first, last = repo.reads[-1]
    assert last - first > timedelta(days=10)  # the whole window was read again
    assert len(repo.slots) == count
    assert marks.marks[OFFICE].version == offices.get(OFFICE)["version"]


def test_a_slot_missing_inside_a_marked_window_is_only_restored_after_the_office_changes(
        service, repo, marks):
    """The mark trusts the window it wrote; removing slots is a schedule change's job, and
    every schedule change bumps the version, which plans the window again."""
    service.generate_slots([OFFICE])
    removed = sorted(repo.slots)[0]
    del repo.slots[removed]
    assert service.generate_slots([OFFICE]) == {OFFICE: 0}
    marks.put(Mark(OFFICE, marks.marks[OFFICE].through, 0))
    assert service.generate_slots([OFFICE]) == {OFFICE: 1}
    assert removed in repo.slots
