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
                      "calendar_items": 1, "claims_rehomed": 0}
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


class FakeSurvivor(FakeRegion):
    def __init__(self, region, journal, homes, appointments, free_seats):
        super().__init__(region, set(), journal)
        self.homes, self.appointments, self.free = homes, appointments, free_seats

    def offices_served_by(self, region, default_home):
        return sorted(o for o, home in self.homes.items() if (home or default_home) == region)

    def has_appointment(self, cn):
        return cn in self.appointments

    def keep_seat(self, slot_id):
        if self.free.get(slot_id, 0) <= 0:
            return False
        self.free[slot_id] -= 1
        return True


class FakeClaims:
    def __init__(self, claims):
        self.claims = claims

    def of_region(self, region):
        return [dict(c) for c in self.claims if c["region"] == region]

    def of_office(self, office_id):
        return [dict(c) for c in self.claims if c.get("office_id") == office_id]

    def reassign(self, person_key, claim_id, region, pending):
        for c in self.claims:
            if c["person_key"] == person_key and c["claim_id"] == claim_id:
                c["region"] = region
                c["sweep"] = region if pending else None
                return True
        return False  # released or taken again meanwhile


def test_a_move_makes_the_offices_active_claims_name_the_new_home_and_leaves_pending_ones():
    both, _ = regions({("slot", "a")}, {("slot", "a")})
    claims = FakeClaims([
        {"person_key": "p1", "claim_id": "c1", "state": "active", "region": "us-west-2",
         "office_id": "seattle"},
        {"person_key": "p2", "claim_id": "c2", "state": "pending", "region": "us-west-2",
         "office_id": "seattle"},
        {"person_key": "p3", "claim_id": "c3", "state": "active", "region": "us-west-2",
         "office_id": "portland"},
        {"person_key": "p4", "claim_id": "c4", "state": "active", "region": "us-east-1",
         "office_id": "seattle"}])  # booked at the new home after the move's first step

    result = OfficeMove(both, fence_seconds=1, sleep=lambda s: None).move(
        "seattle", "us-east-1", default_home="us-west-2", claims=claims)

    assert result["claims_rehomed"] == 1
    assert [c["region"] for c in claims.claims] == ["us-east-1", "us-west-2", "us-west-2",
                                                   "us-east-1"]


def test_a_claim_released_while_the_move_rehomes_is_not_counted_or_brought_back():
    both, _ = regions({("slot", "a")}, {("slot", "a")})

    class ReleasedMeanwhile(FakeClaims):
        def of_office(self, office_id):
            found = super().of_office(office_id)
            self.claims.clear()  # the person cancels between the read and the write
            return found

    claims = ReleasedMeanwhile([{"person_key": "p1", "claim_id": "c1", "state": "active",
                                 "region": "us-west-2", "office_id": "seattle"}])
    result = OfficeMove(both, fence_seconds=1, sleep=lambda s: None).move(
        "seattle", "us-east-1", default_home="us-west-2", claims=claims)

    assert result["claims_rehomed"] == 0 and claims.claims == []


def test_a_failover_keeps_a_seat_for_every_claimed_booking_the_survivor_never_received():
    journal = []
    east = FakeSurvivor("us-east-1", journal, {"seattle": "us-west-2", "denver": "us-west-2",
                                               "miami": None},
                        appointments={"CN1"}, free_seats={"seattle.a": 1, "denver.b": 0})
    claims = FakeClaims([
        {"person_key": "p1", "claim_id": "c1", "state": "active", "region": "us-west-2",
         "office_id": "seattle", "slot_id": "seattle.a", "confirmation_number": "CN1"},
        {"person_key": "p2", "claim_id": "c2", "state": "active", "region": "us-west-2",
         "office_id": "seattle", "slot_id": "seattle.a", "confirmation_number": "CN2"},
        {"person_key": "p3", "claim_id": "c3", "state": "pending", "region": "us-west-2",
         "office_id": "denver", "slot_id": "denver.b"},
        {"person_key": "p4", "claim_id": "c4", "state": "active", "region": "us-east-1",
         "office_id": "miami", "slot_id": "miami.c", "confirmation_number": "CN4"}])
    slept = []
    move = OfficeMove({"us-east-1": east}, fence_seconds=30, sleep=slept.append)

    report = move.failover("us-west-2", "us-east-1", "us-east-1", claims)

    assert report == {"lost": "us-west-2", "to": "us-east-1", "offices": ["denver", "seattle"],
                      "bookings_present": 1, "seats_kept": ["CN2"],
                      "without_seat": ["(pending)"]}
    assert east.free == {"seattle.a": 0, "denver.b": 0}
    # Fenced first, then the new home named, and only for the lost region's offices.
    assert journal[:2] == [("us-east-1", "us-west-2", MOVING)] * 2
    assert journal[2:] == [("us-east-1", "us-east-1", None)] * 2
    assert 30 in slept
    # The claim of the booking that never arrived stays the lost region's: the survivor has
    # no appointment for it and would otherwise let the person book twice.
    assert [c["region"] for c in claims.claims] == ["us-east-1", "us-west-2", "us-east-1",
                                                    "us-east-1"]
    assert [c.get("sweep") for c in claims.claims] == [None, None, "us-east-1", None]


def test_a_failover_to_the_lost_region_itself_is_refused():
    east = FakeSurvivor("us-east-1", [], {}, set(), {})
    with pytest.raises(MoveFailed):
        OfficeMove({"us-east-1": east}, 0).failover("us-east-1", "us-east-1", "us-east-1",
                                                   FakeClaims([]))
