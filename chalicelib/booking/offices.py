"""The field office directory, searched by distance.

Offices are data (the offices table, changed by staff through chalicelib/offices/); this module
keeps the read side cheap: one scan per container every `ttl` seconds, served from memory in
between. The composition root installs the table as the source (`use`); until then, and in unit
tests, the source is the seed file `data/offices.json` (the offices a new stage starts with).
A reader that must see a change made a moment ago in another container asks `get(id, fresh=True)`
(one consistent read).
"""
from __future__ import annotations

import json
import math
import re
import threading
import time
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable

from chalicelib import errors
from chalicelib.regions import Regions

_DATA = Path(__file__).parent / "data" / "offices.json"
_EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")

Loader = Callable[[], list[dict]]
FreshLoader = Callable[[str], "dict | None"]


@lru_cache(maxsize=1)
def seed() -> tuple[dict, ...]:
    """The seed file as written: one schedule and closures by date per office."""
    with _DATA.open(encoding="utf-8") as handle:
        return tuple(json.load(handle))


def seed_directory() -> list[dict]:
    from chalicelib.offices.domain import from_seed

    return [from_seed(office) for office in seed()]


class _Directory:
    def __init__(self) -> None:
        self.load: Loader = seed_directory
        self.load_one: FreshLoader | None = None
        self.ttl = 10.0
        self._lock = threading.Lock()
        self._entries: dict[str, dict] | None = None
        self._until = 0.0
        self.loads = 0  # scans so far (the benchmark reads it)
        self.regions = Regions()

    def entries(self) -> dict[str, dict]:
        now = time.monotonic()
        entries = self._entries
        if entries is not None and now < self._until:
            return entries
        with self._lock:
            if self._entries is None or time.monotonic() >= self._until:
                today = datetime.now(timezone.utc).date()
                self._entries = {o["id"]: _shaped(o, today) for o in self.load()}
                self._until = time.monotonic() + self.ttl
                self.loads += 1
            return self._entries


def _shaped(office: dict, today: date) -> dict:
    from chalicelib.offices.domain import for_directory

    return for_directory(office, today)


_directory = _Directory()


def use(load: Loader, load_one: FreshLoader | None, ttl_seconds: float) -> None:
    """Install the directory's source (the composition root does, once per container)."""
    _directory.load, _directory.load_one, _directory.ttl = load, load_one, ttl_seconds
    refresh()


def use_regions(regions: Regions) -> None:
    """Say which region this stage is and where the others are (the composition root does)."""
    _directory.regions = regions


def regions() -> Regions:
    return _directory.regions


def source() -> tuple[Loader, FreshLoader | None, float]:
    return _directory.load, _directory.load_one, _directory.ttl


def refresh() -> None:
    """Forget the cached offices: the next read loads them again (after a change here)."""
    _directory._entries = None


def all_offices() -> list[dict]:
    """Every office of every region (the directory a person searches)."""
    return list(_directory.entries().values())


def home_offices() -> list[dict]:
    """The offices this stage serves now: scheduled jobs work on these only."""
    here = _directory.regions
    return [office for office in _directory.entries().values() if here.is_home(office)]


def serves(office_id: str) -> bool:
    """Whether this stage serves the office now: jobs that read a table every region holds
    (expired holds, reminders, the outbox) skip the other regions' items."""
    here = _directory.regions
    if not here.multi:
        return True
    office = _directory.entries().get(office_id)
    return office is not None and here.is_home(office)


def get(office_id: str, fresh: bool = False, anywhere: bool = False) -> dict:
    """The office, if this stage serves it now; otherwise `office_in_other_region` (421) or
    `office_moving` (503). `anywhere`: any region's office, for what only describes it (a
    notice about a visit already made)."""
    if fresh and _directory.load_one is not None:
        office = _directory.load_one(office_id)
        if office is None and office_id in _directory.entries():
            # A new stage's empty table seeds itself on its first directory read.
            office = _directory.load_one(office_id)
        office = _shaped(office, datetime.now(timezone.utc).date()) if office else None
    else:
        office = _directory.entries().get(office_id)
    if office is None:
        raise errors.UnknownOffice()
    if not anywhere:
        _directory.regions.check(office)
    return office


def zip5(raw: str) -> str:
    """The five-digit ZIP of `12345` or ZIP+4 `12345-6789`, in ASCII digits only: `str.isdigit`
    and regex `\\d` accept fullwidth, superscript and Arabic-Indic digits, on which the ZIP
    library panics with a BaseException that nothing should have to catch."""
    if not _ZIP.fullmatch(raw):
        raise errors.InvalidZip("'zip' must be a 5-digit ZIP code (or ZIP+4, 12345-6789).")
    return raw[:5]


def zip_coordinates(zip_code: str) -> tuple[float, float]:
    from chalicelib import zips  # read on first use only: most routes never need it

    place = zips.lookup(zip5(zip_code))
    if place is None:
        raise errors.UnknownZip()
    return float(place.latitude), float(place.longitude)


def miles_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * _EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def nearest(zip_code: str, limit: int) -> list[tuple[dict, float]]:
    origin = zip_coordinates(zip_code)
    ranked = sorted(((office, miles_between(origin, (office["latitude"], office["longitude"])))
                     for office in all_offices()), key=lambda pair: pair[1])
    return ranked[:limit]
