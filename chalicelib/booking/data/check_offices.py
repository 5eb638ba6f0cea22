"""Validate offices.json. Run: .venv/bin/python chalicelib/booking/data/check_offices.py"""
import datetime
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import zipcodes

PILOTS = {"hartford", "el-paso", "jacksonville", "sacramento", "san-francisco"}
SERVICES = {"case_inquiry", "emergency_travel_document", "evidence_of_status", "document_error",
            "interview_documents", "accommodation_request", "other"}
DAYS = {"mon", "tue", "wed", "thu", "fri"}
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def minutes(t):
    assert HHMM.match(t), f"bad time {t!r}"
    return int(t[:2]) * 60 + int(t[3:])


def check_office(o):
    oid = o["id"]
    assert re.fullmatch(r"[a-z0-9-]+", oid), f"bad slug {oid!r}"
    a = o["address"]
    assert a["line1"] and a["city"], oid
    assert re.fullmatch(r"\d{5}", a["zip"]), f"{oid}: zip {a['zip']!r}"
    assert re.fullmatch(r"[A-Z]{2}", a["state"]), f"{oid}: state {a['state']!r}"
    ZoneInfo(o["timezone"])
    z = zipcodes.matching(a["zip"])
    assert z, f"{oid}: zip {a['zip']} not in zipcodes"
    assert abs(o["latitude"] - float(z[0]["lat"])) <= 0.3, f"{oid}: latitude"
    assert abs(o["longitude"] - float(z[0]["long"])) <= 0.3, f"{oid}: longitude"
    want = "contact_center" if oid in PILOTS else "self_service"
    assert o["scheduling"] == want, f"{oid}: scheduling should be {want}"
    s = o["schedule"]
    slot = s["slot_minutes"]
    assert isinstance(slot, int) and slot > 0 and isinstance(s["capacity"], int) and s["capacity"] > 0, oid
    assert set(s["hours"]) <= DAYS, f"{oid}: bad day keys"
    reserved = s.get("reserved_seats", 0)
    assert isinstance(reserved, int) and 0 <= reserved < s["capacity"], f"{oid}: reserved_seats"
    lead = s.get("release_lead_hours", 48)
    assert isinstance(lead, int) and 1 <= lead <= 336, f"{oid}: release_lead_hours"
    for day, ivs in s["hours"].items():
        prev = -1
        for start, end in ivs:
            a0, a1 = minutes(start), minutes(end)
            assert prev <= a0 < a1, f"{oid} {day}: bad/overlapping interval {start}-{end}"
            assert (a1 - a0) % slot == 0, f"{oid} {day}: {start}-{end} not multiple of {slot}"
            prev = a1
    for c in o["closures"]:
        assert datetime.date.fromisoformat(c["date"]).weekday() < 5 and c["reason"], f"{oid}: closure"
    assert o["services"] and set(o["services"]) <= SERVICES, f"{oid}: services"


def main():
    offices = json.loads((Path(__file__).parent / "offices.json").read_text(encoding="utf-8"))
    assert len(offices) >= 25, f"only {len(offices)} offices"
    ids = [o["id"] for o in offices]
    assert len(ids) == len(set(ids)), "duplicate slugs"
    assert PILOTS <= set(ids), f"missing pilots: {PILOTS - set(ids)}"
    for o in offices:
        check_office(o)
    tzs = {o["timezone"] for o in offices}
    assert tzs & {"Pacific/Honolulu", "America/Anchorage"}, "no Honolulu/Anchorage office"
    assert "America/Puerto_Rico" in tzs, "no Puerto Rico office"
    n_cc = sum(o["scheduling"] == "contact_center" for o in offices)
    print(f"OK: {len(offices)} offices, {n_cc} contact_center, {len(tzs)} timezones, "
          f"{sum(len(o['closures']) for o in offices)} closures")


if __name__ == "__main__":
    main()
