"""Where an office lives (issue 16): the rule every context applies before it reads or writes an
office's calendar. Plain Python; the composition root tells the office directory which region
this stage is and the API base URL of every region (`REGION_URLS`).

One home region per office: only that region's stage generates its slots, takes its bookings and
changes its settings, so a seat exists once however many regions run. A stage that lists one
region or none (local, dev, the tests) is the home of every office.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from chalicelib import errors

HOME = "home"
MOVING = "moving"  # fenced: no region reads or writes the office until its move ends


@dataclass(frozen=True)
class Regions:
    here: str = ""
    urls: Mapping[str, str] = field(default_factory=dict)
    retry_after_seconds: int = 60

    @property
    def multi(self) -> bool:
        return len(self.urls) > 1

    def home_of(self, office: Mapping) -> str:
        return office.get("home_region") or self.here

    def is_home(self, office: Mapping) -> bool:
        """Whether this stage serves the office now (jobs run for these offices only)."""
        if not self.multi:
            return True
        return self.home_of(office) == self.here and office.get("placement") != MOVING

    def base_url(self, office: Mapping) -> str | None:
        """The API that serves the office, in a multi-region stage (None otherwise)."""
        return self.urls.get(self.home_of(office)) if self.multi else None

    def check(self, office: Mapping) -> None:
        """Raise unless this stage may read and write the office's calendar now."""
        if not self.multi:
            return
        if office.get("placement") == MOVING:
            raise errors.OfficeMoving(self.retry_after_seconds)
        home = self.home_of(office)
        if home != self.here:
            raise errors.OfficeInOtherRegion(home, self.urls.get(home))
