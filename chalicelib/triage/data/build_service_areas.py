"""Build service_areas.json: which field office serves each state and, in states with several
offices, each county. Run: .venv/bin/python chalicelib/triage/data/build_service_areas.py

A request goes to the office that serves the requester's area, never across a state line when
the state has an office (06830 Greenwich CT is Hartford's, not New York City's; 07030 Hoboken NJ
is Newark's). In a state with several offices each county goes to the in-state office nearest
the county's centre; a state or territory without an office goes to the office nearest its
centre. The output is reviewed data: a correction is an edit to the JSON (kept by
`OVERRIDES` here so a rebuild does not lose it).
"""
from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import zipcodes

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
from chalicelib.booking import offices  # noqa: E402

OUT = Path(__file__).parent / "service_areas.json"
# Corrections to the distance rule, by "ST" or "ST:County".
OVERRIDES: dict[str, str] = {
    "VI": "san-juan",  # the U.S. Virgin Islands are served from Puerto Rico
    "DC": "washington",  # the Washington field office (Fairfax, VA) serves the District
    # Pacific freely associated states and military mail: the centre of a scattered area is
    # no place at all, so name the office.
    "FM": "honolulu", "MH": "honolulu", "PW": "honolulu", "AP": "honolulu",
    "AA": "miami", "AE": "new-york-city",
}


def _miles(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 3958.8 * math.asin(math.sqrt(h))


def _centre(points):
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def _nearest(point, candidates):
    return min(candidates, key=lambda o: _miles(point, (o["latitude"], o["longitude"])))["id"]


def build() -> dict:
    by_state = defaultdict(list)
    by_county = defaultdict(list)
    for z in zipcodes.list_all():
        if not z.get("lat") or not z.get("state"):
            continue
        point = (float(z["lat"]), float(z["long"]))
        by_state[z["state"]].append(point)
        if z.get("county"):
            by_county[(z["state"], z["county"])].append(point)
    all_offices = offices.all_offices()
    in_state = defaultdict(list)
    for office in all_offices:
        in_state[office["address"]["state"]].append(office)
    states, counties = {}, {}
    for state, points in sorted(by_state.items()):
        own = in_state.get(state)
        states[state] = _nearest(_centre(points), own or all_offices)
        if own and len(own) > 1:
            for (st, county), cpoints in sorted(by_county.items()):
                if st == state:
                    counties[f"{st}:{county}"] = _nearest(_centre(cpoints), own)
    for key, office_id in OVERRIDES.items():
        (counties if ":" in key else states)[key] = office_id
    return {"rule": "in-state office nearest the county centre; else the office nearest the "
                    "state centre; overrides in build_service_areas.py",
            "states": states, "counties": counties}


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
