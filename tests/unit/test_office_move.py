"""Moving an office's home between regions (chalicelib/offices/placement.py) with fake regions:
every region is fenced before anything else, the new home is named only once its copy of the
calendar matches, and a move that cannot finish leaves the office fenced, never served twice."""
from __future__ import annotations

import pytest

from chalicelib.offices.placement import MoveFailed, OfficeMove
from chalicelib.regions import MOVING


class FakeRegion:
    def __init__(self, region, calendar, journal):
        self.region, self._calendar, self.journal = region, set(calendar), journal
        self.placements = {}

    def placement(self, office_id):
        return self.placements.get(office_id, (None, None))

    def set_placement(self, office_id, home_region, placement):
        self.journal.append((self.region, home_region, placement))
        self.placements[office_id] = (home_region, placement)

    def calendar(self, office_id):
        return frozenset(self._calendar)


def regions(east_calendar, west_calendar):
    journal = []
    return {"us-east-1": FakeRegion("us-east-1", east_calendar, journal),
            "us-west-2": FakeRegion("us-west-2", west_calendar, journal)}, journal


def test_a_move_fences_every_region_waits_then_names_the_new_home_first():
    both, journal = regions({("slot", "a")}, {("slot", "a")})
    slept = []
    move = OfficeMove(both, fence_seconds=25, sleep=slept.append)

    result = move.move("seattle", "us-east-1", default_home="us-west-2")

    assert result == {"office_id": "seattle", "from": "us-west-2", "to": "us-east-1",
                      "calendar_items": 1}
    assert journal[:2] == [("us-east-1", "us-west-2", MOVING), ("us-west-2", "us-west-2", MOVING)]
    assert journal[2:] == [("us-east-1", "us-east-1", None), ("us-west-2", "us-east-1", None)]
    assert 25 in slept  # the fence was held before the new home was named
    assert all(r.placement("seattle") == ("us-east-1", None) for r in both.values())


def test_the_new_home_is_not_named_while_its_calendar_differs_and_the_office_stays_fenced():
    both, journal = regions({("slot", "a"), ("appointment", "X", "1", "booked")},
                            {("slot", "a")})
    clock = iter(range(0, 10_000, 10))
    move = OfficeMove(both, fence_seconds=1, settle_seconds=30, sleep=lambda s: None,
                      monotonic=lambda: next(clock))

    with pytest.raises(MoveFailed):
        move.move("seattle", "us-east-1", default_home="us-west-2")

    assert all(r.placement("seattle") == ("us-west-2", MOVING) for r in both.values())
    assert not any(home == "us-east-1" for _, home, _ in journal)

    move.resume("seattle", default_home="us-west-2")
    assert all(r.placement("seattle") == ("us-west-2", None) for r in both.values())


def test_a_local_move_copies_the_calendar_after_the_fence_and_before_comparing():
    both, journal = regions({("slot", "a"), ("slot", "b")}, set())
    copies = []

    def replicate(office_id, source, target):
        copies.append((office_id, source, target, list(journal)))
        both[target]._calendar = set(both[source]._calendar)

    move = OfficeMove(both, fence_seconds=0, sleep=lambda s: None, replicate=replicate)
    move.move("seattle", "us-east-1", default_home="us-west-2")

    [(office, source, target, fenced)] = copies
    assert (office, source, target) == ("seattle", "us-west-2", "us-east-1")
    assert [p for _, _, p in fenced] == [MOVING, MOVING]  # copied only once fenced


def test_moving_an_office_to_where_it_is_already_served_is_refused():
    both, journal = regions(set(), set())
    with pytest.raises(MoveFailed):
        OfficeMove(both, 0, sleep=lambda s: None).move("miami", "us-east-1", "us-east-1")
    with pytest.raises(MoveFailed):
        OfficeMove(both, 0, sleep=lambda s: None).move("miami", "eu-west-1", "us-east-1")
    assert journal == []
