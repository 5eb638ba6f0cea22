"""Hold rules in plain Python and through the booking service with fakes: an expired hold is free
at once, a hold extends once by one period, and the answer shows the expiry in UTC and in the
office's time with the zone named (across a DST change too)."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import errors, params
from chalicelib.booking import seats
from chalicelib.booking.holds import explain, view
from chalicelib.booking.seats import Hold
from tests.unit.test_booking_service import MONDAY_NOON, open_ids, request
from tests.unit.test_booking_service import clock, publisher, repo, service  # noqa: F401

NOW = datetime(2026, 11, 1, 5, 55, tzinfo=timezone.utc)  # 01:55 EDT; at 06:00 UTC it is EST


def hold(**changes):
    base = Hold("a" * 32, "boston", NOW + timedelta(days=2), seats.ACTIVE,
                int((NOW + timedelta(minutes=10)).timestamp()))
    return replace(base, **changes)


def test_a_hold_is_usable_until_the_second_it_expires():
    h = hold()
    assert h.usable(NOW) and h.usable(NOW + timedelta(minutes=9, seconds=59))
    assert h.expired(NOW + timedelta(minutes=10)) and not h.usable(NOW + timedelta(minutes=10))
    assert not hold(status=seats.CONVERTED).usable(NOW)
    assert h.extended_expiry(10) == h.expires_at + 600


def test_expired_holds_count_as_free_public_seats_at_once():
    at = int(NOW.timestamp())
    holds = {"x": at - 1, "y": at, "z": at + 60}
    assert seats.expired_holds(holds, NOW) == ["x", "y"]
    assert seats.public_free(0, holds, NOW) == 2
    assert seats.public_free(3, {}, NOW) == 3


@pytest.mark.parametrize("status,code", [(seats.CONVERTED, "hold_already_used"),
                                         (seats.RELEASED, "hold_already_used"),
                                         (seats.EXPIRED, "hold_expired")])
def test_a_hold_that_cannot_be_used_says_why(status, code):
    with pytest.raises(errors.DomainError) as raised:
        explain(hold(status=status), NOW)
    assert raised.value.code == code
    with pytest.raises(errors.HoldExpired):
        explain(hold(), NOW + timedelta(minutes=11))
    with pytest.raises(errors.HoldNotFound):
        explain(None, NOW)
    explain(hold(), NOW)  # usable: no error


def test_the_expiry_is_shown_in_utc_and_in_office_time_across_a_dst_change():
    h = hold()  # expires 06:05 UTC, just after Boston fell back to EST
    shown = view(h, {"timezone": "America/New_York"}, NOW)
    assert shown["expires_at"] == "2026-11-01T06:05:00Z"
    assert shown["expires_at_local"] == "2026-11-01T01:05:00-05:00"
    assert shown["timezone"] == "America/New_York" and shown["expires_in_seconds"] == 600
    assert shown["slot_id"] == "boston.20261103T0555Z" and shown["extendable"] is True
    assert view(replace(h, extended=True), {"timezone": "America/New_York"},
                NOW)["extendable"] is False


def test_hold_ids_are_32_hex_characters_or_no_hold():
    assert params.hold_id("0123456789abcdef" * 2) == "0123456789abcdef" * 2
    for bad in ("", "A" * 32, "a" * 31, "a" * 33, "../" + "a" * 29):
        with pytest.raises(errors.HoldNotFound):
            params.hold_id(bad)


def test_a_booking_takes_the_seat_of_an_expired_hold_when_no_public_seat_is_left(
        service, repo, clock):
    slot_id = open_ids(service, 1)[0]
    key = next(k for k in repo.slots if f"{k[0]}.{k[1].strftime('%Y%m%dT%H%MZ')}" == slot_id)
    at = int(MONDAY_NOON.timestamp())
    repo.slots[key] = replace(repo.slots[key], available=0,
                              holds={"live": at + 300, "gone": at - 1})
    assert service.book(request(slot_id)).status == 201
    assert repo.slots[key].holds == {"live": at + 300}  # the expired one's seat, no other
    with pytest.raises(errors.SlotUnavailable):
        service.book(request(slot_id, first="Late"))
    clock.advance(minutes=5)  # now the live one has expired too
    assert service.book(request(slot_id, first="Late")).status == 201
    assert repo.slots[key].holds == {} and repo.slots[key].available == 0


def test_staff_bookings_take_no_hold_of_the_public():
    from chalicelib.offices.validation import AssistedBooking
    from chalicelib.booking.validation import parse

    body = {"slot_id": "boston.20261203T1430Z", "identity_check": "receipt_notice",
            "applicant": {"first_name": "Ana", "last_name": "Lima", "date_of_birth": "1980-01-01",
                          "email": "ana@example.org", "phone": "+1 617 555 0100",
                          "address": {"line1": "1 Main St", "city": "Boston", "state": "MA",
                                      "zip": "02108"}},
            "reason": {"category": "other"}}
    import json
    assert parse(AssistedBooking, json.dumps(body).encode()).hold_id is None
    with pytest.raises(errors.ValidationFailed) as refused:
        parse(AssistedBooking, json.dumps({**body, "hold_id": "a" * 32}).encode())
    assert [e["field"] for e in refused.value.errors] == ["hold_id"]
