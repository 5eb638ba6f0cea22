"""The field office directory: a data file shipped with the code, searched by distance."""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

from chalicelib import errors

_DATA = Path(__file__).parent / "data" / "offices.json"
_EARTH_RADIUS_MILES = 3958.8
_ZIP = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")


@lru_cache(maxsize=1)
def _directory() -> dict[str, dict]:
    with _DATA.open(encoding="utf-8") as handle:
        return {office["id"]: office for office in json.load(handle)}


def all_offices() -> list[dict]:
    return list(_directory().values())


def get(office_id: str) -> dict:
    office = _directory().get(office_id)
    if office is None:
        raise errors.UnknownOffice()
    return office


def zip5(raw: str) -> str:
    """The five-digit ZIP of `12345` or ZIP+4 `12345-6789`, in ASCII digits only: `str.isdigit`
    and regex `\\d` accept fullwidth, superscript and Arabic-Indic digits, on which the ZIP
    library panics with a BaseException that nothing should have to catch."""
    if not _ZIP.fullmatch(raw):
        raise errors.InvalidZip("'zip' must be a 5-digit ZIP code (or ZIP+4, 12345-6789).")
    return raw[:5]


def zip_coordinates(zip_code: str) -> tuple[float, float]:
    zip_code = zip5(zip_code)  # whoever calls, the library never sees anything else
    # The ZIP database is imported on first use only: most routes never need it.
    import zipcodes

    matches = zipcodes.matching(zip_code)
    if not matches:
        raise errors.UnknownZip()
    return float(matches[0]["lat"]), float(matches[0]["long"])


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
