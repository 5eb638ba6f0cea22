from datetime import date, datetime, timezone

from chalicelib.booking import offices, schedule
from chalicelib.offices.domain import for_directory, from_seed


def office(zone: str, **overrides) -> dict:
    base = {"id": "test", "timezone": zone, "closures": [],
            "schedule": {"slot_minutes": 30, "capacity": 3,
                         "hours": {d: [["08:00", "12:00"], ["13:00", "15:00"]]
                                   for d in ("mon", "tue", "wed", "thu", "fri")}}}
    base.update(overrides)
    return base


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def first_start(o: dict, day: date) -> datetime:
    return schedule.plan_day(o, day)[0].start


def test_eight_oclock_stays_eight_oclock_across_the_november_2026_dst_change():
    new_york, los_angeles = office("America/New_York"), office("America/Los_Angeles")
    assert first_start(new_york, date(2026, 10, 30)) == utc(2026, 10, 30, 12)  # EDT, UTC-4
    assert first_start(new_york, date(2026, 11, 2)) == utc(2026, 11, 2, 13)  # EST, UTC-5
    assert first_start(los_angeles, date(2026, 10, 30)) == utc(2026, 10, 30, 15)
    assert first_start(los_angeles, date(2026, 11, 2)) == utc(2026, 11, 2, 16)


def test_eight_oclock_stays_eight_oclock_across_the_march_2027_dst_change():
    chicago, denver = office("America/Chicago"), office("America/Denver")
    assert first_start(chicago, date(2027, 3, 12)) == utc(2027, 3, 12, 14)  # CST, UTC-6
    assert first_start(chicago, date(2027, 3, 15)) == utc(2027, 3, 15, 13)  # CDT, UTC-5
    assert first_start(denver, date(2027, 3, 12)) == utc(2027, 3, 12, 15)
    assert first_start(denver, date(2027, 3, 15)) == utc(2027, 3, 15, 14)


def test_zones_without_daylight_saving_do_not_shift():
    for zone, hour in (("America/Phoenix", 15), ("Pacific/Honolulu", 18), ("America/Puerto_Rico", 12)):
        o = office(zone)
        assert first_start(o, date(2026, 10, 30)).hour == hour
        assert first_start(o, date(2026, 11, 2)).hour == hour
        assert first_start(o, date(2027, 3, 15)).hour == hour


def test_the_dst_sundays_themselves_have_no_slots():
    assert schedule.plan_day(office("America/New_York"), date(2026, 11, 1)) == []
    assert schedule.plan_day(office("America/New_York"), date(2027, 3, 14)) == []


def test_a_window_spanning_the_change_has_the_same_slots_every_weekday():
    planned = schedule.plan(office("America/New_York"), date(2026, 10, 26), date(2026, 11, 8))
    per_day = {}
    for slot in planned:
        per_day.setdefault(slot.start.astimezone(schedule.ZoneInfo("America/New_York")).date(), []).append(slot)
    assert len(per_day) == 10
    assert {len(slots) for slots in per_day.values()} == {12}
    assert all((s.end - s.start).total_seconds() == 1800 for s in planned)


def test_weekends_federal_holidays_and_closures_are_skipped():
    o = office("America/New_York", closures=[{"date": "2026-12-24", "reason": "Office closed"}])
    for closed in (date(2026, 11, 11), date(2026, 11, 26), date(2026, 12, 25), date(2027, 1, 1),
                   date(2027, 1, 18), date(2026, 11, 28), date(2026, 11, 29), date(2026, 12, 24)):
        assert schedule.plan_day(o, closed) == [], closed
    assert len(schedule.plan_day(o, date(2026, 11, 27))) == 12


def test_every_real_office_generates_slots_on_an_ordinary_weekday():
    for o in (for_directory(from_seed(entry), date(2026, 12, 2)) for entry in offices.seed()):
        slots = schedule.plan_day(o, date(2026, 12, 2))
        assert slots, o["id"]
        assert all(s.capacity == o["schedule"]["capacity"] for s in slots)


def test_slot_ids_round_trip_and_reject_garbage():
    start = utc(2026, 12, 2, 13, 30)
    assert schedule.parse_slot_id(schedule.slot_id("new-york-city", start)) == ("new-york-city", start)
    for bad in ("", "nope", "office.2026", "office.20261302T1330Z", ".20261202T1330Z", "x" * 200):
        assert schedule.parse_slot_id(bad) is None


def test_a_slot_id_has_one_canonical_spelling_and_forgives_only_case():
    from chalicelib.booking.schedule import canonical_slot_id, parse_slot_id
    start = datetime(2026, 12, 10, 14, tzinfo=timezone.utc)
    assert parse_slot_id("boston.20261210T1400Z") == ("boston", start)
    for spelling in ("boston.20261210t1400z", "BOSTON.20261210T1400Z", "Boston.20261210t1400Z"):
        assert canonical_slot_id(spelling) == "boston.20261210T1400Z"
    for bad in ("boston.2026121T1400Z", "boston.2026121T14Z", "boston.20261210T1400",
                "boston.20261210T1400ZZ", "boston.20261310T1400Z", "boston.20261210T2500Z",
                ".20261210T1400Z", "boston20261210T1400Z", "boston.２０２６1210T1400Z",
                "boston.20261210 1400Z", "b" * 70 + ".20261210T1400Z", ""):
        assert parse_slot_id(bad) is None, bad
        assert canonical_slot_id(bad) is None
