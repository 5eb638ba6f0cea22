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

    def move(self, office_id: str, to_region: str, default_home: str) -> dict:
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
        return {"office_id": office_id, "from": from_region, "to": to_region,
                "calendar_items": len(expected)}

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
