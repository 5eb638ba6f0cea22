"""Which field office serves a ZIP code: the ZIP's state and county (offline `zipcodes` data, as
the compact table of `chalicelib/zips.py`),
then the service-area table `data/service_areas.json` (built and explained by
`data/build_service_areas.py`). Not the nearest office by distance: that crosses state lines
(06830 Greenwich CT is nearer New York City than Hartford)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from chalicelib import errors

_DATA = Path(__file__).parent / "data" / "service_areas.json"


@lru_cache(maxsize=1)
def _table() -> dict:
    with _DATA.open(encoding="utf-8") as handle:
        return json.load(handle)


def area_of(zip_code: str) -> tuple[str, str | None]:
    """(state, county) of a five-digit ZIP or a ZIP+4 (`06103-2501`: its first five digits);
    `UnknownZip` if the data does not know it."""
    if len(zip_code) == 10 and zip_code[5] == "-" and zip_code[6:].isascii() \
            and zip_code[6:].isdigit():
        zip_code = zip_code[:5]
    from chalicelib import zips  # read on first use only: only routing needs it

    place = zips.lookup(zip_code)  # None for anything but five ASCII digits it knows
    if place is None or not place.state:
        raise errors.UnknownZip()
    return place.state, place.county


def office_for(zip_code: str) -> str:
    """The id of the office serving `zip_code`'s area."""
    state, county = area_of(zip_code)
    table = _table()
    found = table["counties"].get(f"{state}:{county}") if county else None
    found = found or table["states"].get(state)
    if found is None:
        raise errors.UnknownZip()
    return found
