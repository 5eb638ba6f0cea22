"""Published performance through the API in-process against the moto server: the scheduled
publication counts an office's day from its real slots, appointments and service requests, and
`GET /v1/performance` serves the figures, public and free of personal data."""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone

from chalicelib import wiring
from chalicelib.booking import offices, schedule
from tests.api.test_offices_api import (OFFICE, PERSON, ZONE, assert_problem, book, call,  # noqa: F401
                                        client, open_days, slots_on, token)
from tests.api.test_triage_api import request_body

DESK = token("front_desk", OFFICE, "desk-1")


def morning_after(day):
    """04:00 office-local the next day: the publication counts `day` then."""
    return datetime.combine(day + timedelta(days=1), time(4), tzinfo=ZONE).astimezone(timezone.utc)


def person(n):
    return dict(PERSON, first_name=f"Ana{'BCDEF'[n]}", email=f"ana{n}@example.org",
                phone=f"(305) 555-{1100 + n:04d}")


def test_the_days_figures_are_published_once_and_served_without_personal_data(client,  # noqa: F811
                                                                               monkeypatch):
    [day] = open_days(1, after_days=3)
    slots = slots_on(client, day)
    numbers = []
    for n in range(3):
        status, data, _ = book(client, slots[n]["slot_id"], person(n))
        assert status == 201, data
        numbers.append(data["confirmation_number"])
    proof = {"last_name": PERSON["last_name"], "date_of_birth": PERSON["date_of_birth"]}
    assert call(client, "post", f"/v1/appointments/{numbers[0]}/cancel", proof)[0] == 200
    # The front desk's marks, allowed days early here (the visit is in the future).
    monkeypatch.setenv("CHECK_IN_EARLY_MINUTES", str(20 * 24 * 60))
    monkeypatch.setenv("NO_SHOW_GRACE_MINUTES", str(-20 * 24 * 60))
    wiring.rewire()
    assert call(client, "post", f"/v1/staff/appointments/{numbers[1]}/check-in",
                headers=DESK)[0] == 200
    assert call(client, "post", f"/v1/staff/appointments/{numbers[2]}/no-show",
                headers=DESK)[0] == 200

    published = wiring.publication().run(morning_after(day))
    assert OFFICE in published["published"]
    # The next hourly run finds the day published.
    assert OFFICE not in wiring.publication().run(morning_after(day) + timedelta(hours=1))[
        "published"]

    status, data, headers = call(client, "get",
                                 f"/v1/performance?from={day}&to={day}&office_id={OFFICE}")
    assert status == 200, data
    assert headers["Cache-Control"] == "public, max-age=3600"
    [office] = data["offices"]
    [figures] = office["days"]
    offered = sum(s.capacity for s in schedule.plan_day(offices.get(OFFICE), day))
    assert figures["date"] == day.isoformat()
    assert figures["seats"] == {"offered": offered, "booked": 3, "cancelled": 1, "released": 0,
                                "attended": 1, "no_shows": 1}
    assert data["totals"]["seats"] == figures["seats"]
    text = json.dumps(data)
    for secret in [*numbers, PERSON["last_name"], "AnaB", "555", "1979-08-30"]:
        assert secret not in text


def test_triage_requests_are_counted_on_the_day_they_arrive_at_their_office(client):  # noqa: F811
    status, data, _ = call(client, "post", "/v1/service-requests",
                           request_body(zip="33139", applicant=dict(PERSON)))
    assert status == 201, data
    arrived = datetime.now(ZONE).date()  # a request is never created in the office's future
    for when in (arrived - timedelta(days=1), arrived):
        wiring.publication().run(morning_after(when))
    status, data, _ = call(client, "get", f"/v1/performance?from={arrived - timedelta(days=1)}"
                                          f"&to={arrived}&office_id={OFFICE}")
    assert status == 200, data
    assert sum(data["totals"]["triage"]["submitted"].values()) == 1


def test_bad_ranges_are_problems(client):  # noqa: F811
    assert_problem(*call(client, "get", "/v1/performance?from=2026-06-02&to=2026-06-01"), 400,
                   "reversed_range")
    assert_problem(*call(client, "get", "/v1/performance?from=2026-01-01&to=2026-06-01"), 400,
                   "invalid_parameter")
    assert_problem(*call(client, "get", "/v1/performance?from=June"), 400, "invalid_parameter")
    assert_problem(*call(client, "get", "/v1/performance?office_id=atlantis"), 404,
                   "unknown_office")
