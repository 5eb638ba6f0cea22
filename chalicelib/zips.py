"""ZIP code -> latitude, longitude, state and county, from a compact table (zips.tsv) built
from the `zipcodes` package: `python -m chalicelib.zips` rebuilds it (commit the result).

`zipcodes` loads its whole database on the first lookup (0.3-0.5 s, about 2 s on a loaded
machine), which was most of a cold `GET /v1/offices?zip=`. The table is read as bytes once
(1.7 MB) and a lookup finds its line: about a millisecond. Deployed code never imports
`zipcodes`; the table, the office check and the service-area builder come from it."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

_DATA = Path(__file__).with_name("zips.tsv")
_HEADER = "zip\tlat\tlong\tstate\tcounty"


class Place(NamedTuple):
    latitude: str  # as the zipcodes data has them (decimal strings)
    longitude: str
    state: str
    county: str | None


@lru_cache(maxsize=1)
def _table() -> bytes:
    return _DATA.read_bytes()


def lookup(zip5: str) -> Place | None:
    """The place of a five-digit ZIP (ASCII digits), or None if the data does not know it."""
    if len(zip5) != 5 or not zip5.isascii() or not zip5.isdigit():
        return None
    data = _table()
    at = data.find(b"\n" + zip5.encode("ascii") + b"\t")
    if at < 0:
        return None
    fields = data[at + 1:data.index(b"\n", at + 1)].decode("utf-8").split("\t")
    return Place(fields[1], fields[2], fields[3], fields[4] or None)


def build() -> str:
    import zipcodes

    rows = [_HEADER]
    for z in sorted(zipcodes.list_all(), key=lambda z: z["zip_code"]):
        rows.append("\t".join((z["zip_code"], z.get("lat") or "", z.get("long") or "",
                               z.get("state") or "", z.get("county") or "")))
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    _DATA.write_text(build(), encoding="utf-8")
    print(f"{_DATA}: {_DATA.stat().st_size} bytes")
