"""The Limiter's rules with in-memory counters and a fixed clock: windows, reservation and
give-back around a proof, the exempt list, Retry-After."""
from datetime import datetime, timedelta, timezone

import pytest

from chalicelib import errors
from chalicelib.limits.domain import Counter, Rule, counter_key
from chalicelib.limits.service import BOOKING_CLIENT, BOOKING_PROOF, Limiter
from tests.fakes import FixedClock

START = datetime(2026, 12, 7, 15, 0, tzinfo=timezone.utc)


class MemoryCounters:
    """The DynamoDB counters' contract (chalicelib/limits/repository.py), in memory."""

    def __init__(self):
        self.items: dict[str, Counter] = {}

    def take(self, key, limit, now, closes_at):
        current = self.items.get(key)
        if current is None or current.closes_at <= now:
            self.items[key] = Counter(1, closes_at)
            return None
        if current.count >= limit:
            return current
        self.items[key] = Counter(current.count + 1, current.closes_at, current.failures)
        return None

    def give_back(self, key, now):
        current = self.items.get(key)
        if current and current.closes_at > now and current.count > 0:
            self.items[key] = Counter(current.count - 1, current.closes_at, current.failures)

    def count_failure(self, key, now):
        current = self.items.get(key)
        if current and current.closes_at > now:
            self.items[key] = Counter(current.count, current.closes_at, current.failures + 1)


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def waits():
    return []


@pytest.fixture
def limiter(clock, waits):
    return Limiter(MemoryCounters(), {BOOKING_PROOF: Rule(3, timedelta(hours=1)),
                                      BOOKING_CLIENT: Rule(2, timedelta(minutes=10))},
                   pepper="pepper", exempt_clients=["10.0.0.0/8", "192.0.2.7"], clock=clock,
                   sleep=waits.append)


def fail_proof(limiter, subject="ABCD"):
    with pytest.raises(errors.NotFound):
        with limiter.proof_attempt(BOOKING_PROOF, subject):
            raise errors.AppointmentNotFound()


def test_failures_are_kept_until_the_limit_then_every_attempt_is_refused_with_retry_after(
        limiter, clock):
    for _ in range(3):
        fail_proof(limiter)
    clock.advance(minutes=20)
    with pytest.raises(errors.TooManyAttempts) as refused:
        with limiter.proof_attempt(BOOKING_PROOF, "ABCD"):
            pytest.fail("a proof is checked after the limit")
    assert refused.value.retry_after == 40 * 60
    assert refused.value.extra == {"retry_after": 40 * 60}


def test_the_window_closes_an_hour_after_the_first_failure(limiter, clock):
    for _ in range(3):
        fail_proof(limiter)
    clock.advance(hours=1)
    fail_proof(limiter)  # counted in a new window, not refused


def test_a_successful_proof_gives_its_attempt_back(limiter):
    fail_proof(limiter)
    fail_proof(limiter)
    for _ in range(5):
        with limiter.proof_attempt(BOOKING_PROOF, "ABCD"):
            pass
    fail_proof(limiter)
    with pytest.raises(errors.TooManyAttempts):
        with limiter.proof_attempt(BOOKING_PROOF, "ABCD"):
            pass


def test_an_error_that_says_nothing_about_the_proof_gives_the_attempt_back(limiter):
    for _ in range(5):
        with pytest.raises(errors.TooSoon):
            with limiter.proof_attempt(BOOKING_PROOF, "ABCD"):
                raise errors.TooSoon()
    fail_proof(limiter)  # still room: none of the above counted


def test_subjects_and_buckets_count_apart_and_are_stored_only_as_hmac(limiter):
    for _ in range(3):
        fail_proof(limiter, "ABCD")
    fail_proof(limiter, "WXYZ")
    keys = list(limiter.counters.items)
    assert keys == [counter_key("pepper", BOOKING_PROOF, "ABCD"),
                    counter_key("pepper", BOOKING_PROOF, "WXYZ")]
    assert all("ABCD" not in key and "WXYZ" not in key for key in keys)
    assert counter_key("pepper", BOOKING_CLIENT, "ABCD") != keys[0]


def test_a_client_is_limited_per_window_and_the_agency_networks_are_exempt(limiter, clock):
    limiter.client_request(BOOKING_CLIENT, "198.51.100.4")
    limiter.client_request(BOOKING_CLIENT, "198.51.100.4")
    with pytest.raises(errors.RateLimited) as refused:
        limiter.client_request(BOOKING_CLIENT, "198.51.100.4")
    assert refused.value.retry_after == 600
    limiter.client_request(BOOKING_CLIENT, "198.51.100.5")  # another client
    for address in ("10.1.2.3", "192.0.2.7"):
        for _ in range(10):
            limiter.client_request(BOOKING_CLIENT, address)
    clock.advance(minutes=10)
    limiter.client_request(BOOKING_CLIENT, "198.51.100.4")


def test_a_rule_needs_room_for_one_event_in_a_positive_window():
    with pytest.raises(ValueError):
        Rule(0, timedelta(hours=1))
    with pytest.raises(ValueError):
        Rule(5, timedelta(0))


def test_proofs_still_being_checked_make_a_new_attempt_wait_not_fail(limiter, waits):
    """The owner's parallel requests: three in flight fill the reservations; a fourth waits for
    one to finish rather than being refused."""
    first, second, third = (limiter.proof_attempt(BOOKING_PROOF, "ABCD") for _ in range(3))
    for held in (first, second, third):
        held.__enter__()
    fourth = limiter.proof_attempt(BOOKING_PROOF, "ABCD")
    counters = limiter.counters
    real_take = counters.take

    def take_after_the_first_finishes(*args):
        if waits:
            first.__exit__(None, None, None)  # succeeded: its reservation is given back
            counters.take = real_take
        return real_take(*args)

    counters.take = take_after_the_first_finishes
    fourth.__enter__()
    assert waits == [0.1]
    for held in (second, third, fourth):
        held.__exit__(None, None, None)


def test_a_number_busy_with_checks_for_too_long_answers_429_with_a_short_retry(limiter, waits):
    in_flight = [limiter.proof_attempt(BOOKING_PROOF, "ABCD") for _ in range(3)]
    for held in in_flight:
        held.__enter__()
    with pytest.raises(errors.TooManyAttempts) as refused:
        with limiter.proof_attempt(BOOKING_PROOF, "ABCD"):
            pass
    assert refused.value.retry_after == 1 and len(waits) == 6 and sum(waits) < 6


def test_a_number_full_of_failures_is_refused_at_once_without_waiting(limiter, waits):
    for _ in range(3):
        fail_proof(limiter)
    with pytest.raises(errors.TooManyAttempts):
        with limiter.proof_attempt(BOOKING_PROOF, "ABCD"):
            pass
    assert waits == []
