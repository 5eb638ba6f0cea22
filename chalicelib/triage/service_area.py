"""Which field office serves a ZIP code: the ZIP's state and county (offline `zipcodes` data),
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
    # zipcodes raises a BaseException on non-ASCII digits (fullwidth ０２１０８): refuse first.
    if len(zip_code) != 5 or not zip_code.isascii() or not zip_code.isdigit():
        raise errors.UnknownZip()
    import zipcodes  # its database loads on first use; only routing needs it

    matches = zipcodes.matching(zip_code)
    if not matches or not matches[0].get("state"):
        raise errors.UnknownZip()
    return matches[0]["state"], matches[0].get("county") or None


def office_for(zip_code: str) -> str:
    """The id of the office serving `zip_code`'s area."""
    state, county = area_of(zip_code)
    table = _table()
    found = table["counties"].get(f"{state}:{county}") if county else None
    found = found or table["states"].get(state)
    if found is None:
        raise errors.UnknownZip()
    return found
