"""Moving an office's home to another region (README "Regions"): the only way an office's
calendar changes hands, so a seat is never sold by two regions.

A planned move fences the office first: every region marks it `moving` and stops reading and
writing it (503 `office_moving`). Once every region reads the fence, the move waits out
`fence_seconds` (the offices cache, a request already past its check, replication), checks that
the new home's copy of the office's calendar (slots and appointments) is the old home's, and only
then names the new home everywhere. Anything that fails leaves the office fenced: it answers 503
until an operator resumes or retries the move, and never two regions at once.

No AWS here: each region comes in as a `RegionOffices` port (chalicelib/offices/placement_store.py
for DynamoDB).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol

from chalicelib.regions import MOVING


class RegionOffices(Protocol):
    region: str

    def placement(self, office_id: str) -> tuple[str | None, str | None]:
        """(home_region, placement) as this region reads them now (a consistent read)."""

    def set_placement(self, office_id: str, home_region: str, placement: str | None) -> None: ...

    def calendar(self, office_id: str) -> frozenset:
        """What must be the same in the new home before it serves the office: its slots' seat
        counts and holds, its appointments' versions and states."""


class SurvivingRegion(RegionOffices, Protocol):
    """What a failover needs of the region that takes a lost region's offices over."""

    def offices_served_by(self, region: str, default_home: str) -> list[str]: ...

    def has_appointment(self, confirmation_number: str) -> bool: ...

    def keep_seat(self, slot_id: str) -> bool:
        """Take one free seat of the slot (public, else reserved) for a booking the lost region
        made and never replicated; False when none is free."""


class LostRegionClaims(Protocol):
    """The person claims (an MRSC table: nothing its lost replica confirmed is lost)."""

    def of_region(self, region: str) -> list[dict]:
        """{person_key, claim_id, state, office_id, slot_id, confirmation_number} each."""

    def reassign(self, person_key: str, claim_id: str, region: str, pending: bool) -> bool: ...


class OfficeClaims(Protocol):
    """The person claims of the office's booked visits (chalicelib/booking/claims.py)."""

    def of_office(self, office_id: str) -> list[dict]: ...

    def reassign(self, person_key: str, claim_id: str, region: str, pending: bool) -> bool: ...


class MoveFailed(Exception):
    """The office stays fenced (503) until `resume` or another `move`."""


@dataclass
class OfficeMove:
    regions: Mapping[str, RegionOffices]
    fence_seconds: float
    # Seconds to wait for every region to read a change (replication), checked every second.
    settle_seconds: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    # Local stacks have no global tables: copy the office's items (local/replicate.py).
    replicate: Callable[[str, str, str], None] | None = None
    log: Callable[[str], None] = field(default=lambda line: None)

    def home(self, office_id: str, default: str) -> str:
        homes = {r.placement(office_id)[0] or default for r in self.regions.values()}
        if len(homes) != 1:
            raise MoveFailed(f"regions disagree on the office's home: {sorted(homes)}")
        return homes.pop()

    def move(self, office_id: str, to_region: str, default_home: str,
             claims: OfficeClaims | None = None) -> dict:
        if to_region not in self.regions:
            raise MoveFailed(f"{to_region} is not one of {sorted(self.regions)}")
        from_region = self.home(office_id, default_home)
        if from_region == to_region:
            raise MoveFailed(f"{office_id} is served by {to_region} already")
        self.log(f"fencing {office_id} in {', '.join(sorted(self.regions))}")
        for region in self.regions.values():
            region.set_placement(office_id, from_region, MOVING)
        self._until(lambda: all(r.placement(office_id)[1] == MOVING
                                for r in self.regions.values()), "every region reads the fence")
        self.log(f"fenced; waiting {self.fence_seconds:g} s for requests already past the check")
        self.sleep(self.fence_seconds)
        source, target = self.regions[from_region], self.regions[to_region]
        if self.replicate is not None:
            self.replicate(office_id, from_region, to_region)
        expected = source.calendar(office_id)
        self._until(lambda: target.calendar(office_id) == expected,
                    f"{to_region} holds {office_id}'s calendar as {from_region} does")
        # The new home first: the old one stays fenced until it reads the new home.
        for region in sorted(self.regions.values(), key=lambda r: r.region != to_region):
            region.set_placement(office_id, to_region, None)
        self._until(lambda: all(r.placement(office_id) == (to_region, None)
                                for r in self.regions.values()), "every region reads the new home")
        self.log(f"{office_id} is served by {to_region}")
        rehomed = self._rehome(claims, office_id, to_region) if claims is not None else 0
        return {"office_id": office_id, "from": from_region, "to": to_region,
                "calendar_items": len(expected), "claims_rehomed": rehomed}

    def _rehome(self, claims: OfficeClaims, office_id: str, to_region: str) -> int:
        """The office's active claims name its new home: a person's 409
        `appointment_in_other_region` then sends them where the visit is kept, and that
        region's cancellations and repairs treat the claim as its own. Each one only while it is
        still the same claim (a cancellation or a new booking meanwhile wins). A pending claim
        stays with the region whose request took it: only that region's sweep can tell whether
        its booking committed (it reads the same, replicated, appointment)."""
        rehomed = 0
        for claim in claims.of_office(office_id):
            if claim.get("state") == "active" and claim.get("region") != to_region \
                    and claims.reassign(claim["person_key"], claim["claim_id"], to_region, False):
                rehomed += 1
        self.log(f"{rehomed} claims of {office_id} now name {to_region}")
        return rehomed

    def failover(self, lost_region: str, to_region: str, default_home: str,
                 claims: LostRegionClaims) -> dict:
        """A region is gone (unplanned): its offices move to `to_region` without its consent.
        The survivors' replicas trail the lost one by the replication lag, so a booking it made
        in its last seconds may be missing here. The claims (strongly consistent across regions)
        name every booking the lost region took: each one missing here keeps its seat before the
        offices reopen, so no seat is sold twice; its confirmation number is reported for the
        office to call the person (the appointment itself arrives if the region comes back)."""
        survivors = {name: r for name, r in self.regions.items() if name != lost_region}
        if to_region not in survivors:
            raise MoveFailed(f"{to_region} is not a surviving region")
        target: SurvivingRegion = survivors[to_region]  # type: ignore[assignment]
        moved = target.offices_served_by(lost_region, default_home)
        self.log(f"fencing {len(moved)} offices of {lost_region} in {', '.join(survivors)}")
        for office_id in moved:
            for region in survivors.values():
                region.set_placement(office_id, lost_region, MOVING)
        self.sleep(self.fence_seconds)
        kept, unseated, present = [], [], 0
        for claim in claims.of_region(lost_region):
            cn = claim.get("confirmation_number")
            pending = claim.get("state") == "pending"
            if claim.get("office_id") in moved and not (cn and target.has_appointment(cn)):
                # Lost in replication, or a booking that died mid-way: keep its seat either way.
                if claim.get("slot_id") and target.keep_seat(claim["slot_id"]):
                    kept.append(cn or "(pending)")
                else:
                    unseated.append(cn or "(pending)")
                if not pending:
                    # The survivor would take its own missing appointment for a stale claim
                    # and book the person twice: the claim stays the lost region's, holding the
                    # person to their one appointment until the visit ends.
                    continue
            elif cn:
                present += 1
            # From now on the survivor's sweep and cancellations look after the claim (a
            # pending one whose booking is not here: the sweep lets the person book again).
            claims.reassign(claim["person_key"], claim["claim_id"], to_region, pending)
        for office_id in moved:
            for region in sorted(survivors.values(), key=lambda r: r.region != to_region):
                region.set_placement(office_id, to_region, None)
        self.log(f"{len(moved)} offices served by {to_region}; {len(kept)} seats kept for "
                 f"bookings not replicated, {len(unseated)} without a free seat")
        return {"lost": lost_region, "to": to_region, "offices": moved,
                "bookings_present": present, "seats_kept": kept, "without_seat": unseated}

    def resume(self, office_id: str, default_home: str) -> dict:
        """Lift a fence left by a failed move: the office is served by its home as before."""
        home = self.home(office_id, default_home)
        for region in self.regions.values():
            region.set_placement(office_id, home, None)
        return {"office_id": office_id, "home": home}

    def _until(self, done: Callable[[], bool], what: str) -> None:
        deadline = self.monotonic() + self.settle_seconds
        while not done():
            if self.monotonic() > deadline:
                raise MoveFailed(f"gave up waiting until {what}; the office stays fenced")
            self.sleep(1.0)
