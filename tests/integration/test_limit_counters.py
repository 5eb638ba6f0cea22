"""The limit counters against DynamoDB (moto server, one request at a time like DynamoDB's
per-item atomicity): conditional updates hold the limit under real threads, and an expired
window is treated as absent by the conditions themselves (moto, like DynamoDB for up to days,
keeps expired TTL items)."""
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from chalicelib.limits.repository import CounterRecord, DynamoCounters

NOW = 1_800_000_000
CLOSES = NOW + 3600


def test_counts_up_to_the_limit_then_answers_the_full_counter(aws):
    counters = DynamoCounters()
    assert [counters.take("k", 3, NOW, CLOSES) for _ in range(3)] == [None, None, None]
    full = counters.take("k", 3, NOW + 10, CLOSES + 10)
    assert full is not None and full.count == 3 and full.closes_at == CLOSES
    assert CounterRecord.get("k").hits == 3  # the refused event was not counted


def test_an_expired_window_starts_again_although_the_item_is_still_there(aws):
    counters = DynamoCounters()
    for _ in range(3):
        counters.take("k", 3, NOW, CLOSES)
    assert counters.take("k", 3, CLOSES - 1, CLOSES + 3600) is not None
    assert counters.take("k", 3, CLOSES, CLOSES + 3600) is None  # the window has closed
    record = CounterRecord.get("k")
    assert record.hits == 1 and record.expires_at == CLOSES + 3600


def test_giving_back_uncounts_one_event_of_the_open_window_only(aws):
    counters = DynamoCounters()
    counters.take("k", 3, NOW, CLOSES)
    counters.take("k", 3, NOW, CLOSES)
    counters.give_back("k", NOW)
    assert CounterRecord.get("k").hits == 1
    counters.give_back("k", NOW)
    counters.give_back("k", NOW)  # never below zero
    assert CounterRecord.get("k").hits == 0
    counters.give_back("nothing-here", NOW)  # no counter: nothing to give back, no error
    counters.take("k", 3, NOW, CLOSES)
    counters.give_back("k", CLOSES)  # the window has closed: leave it
    assert CounterRecord.get("k").hits == 1


def test_thirty_threads_racing_for_five_attempts_get_exactly_five(aws):
    counters = DynamoCounters()
    barrier = Barrier(30)

    def attempt(_):
        barrier.wait()
        return counters.take("raced", 5, NOW, CLOSES)

    with ThreadPoolExecutor(max_workers=30) as pool:
        results = list(pool.map(attempt, range(30)))
    assert sum(result is None for result in results) == 5
    assert all(r.count == 5 for r in results if r is not None)
    assert CounterRecord.get("raced").hits == 5


def test_threads_racing_over_a_closed_window_open_exactly_one_new_window(aws):
    counters = DynamoCounters()
    for _ in range(5):
        counters.take("stale", 5, NOW, CLOSES)
    barrier = Barrier(20)

    def attempt(_):
        barrier.wait()
        return counters.take("stale", 5, CLOSES + 1, CLOSES + 3601)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert sum(result is None for result in results) == 5
    record = CounterRecord.get("stale")
    assert record.hits == 5 and record.expires_at == CLOSES + 3601


def test_failures_are_marked_in_the_open_window_and_cleared_with_it(aws):
    counters = DynamoCounters()
    counters.take("f", 3, NOW, CLOSES)
    counters.count_failure("f", NOW)
    assert counters.get("f").failures == 1 and counters.get("f").count == 1
    counters.count_failure("f", CLOSES)  # closed window: nothing marked
    assert counters.get("f").failures == 1
    counters.take("f", 3, CLOSES, CLOSES + 3600)
    assert counters.get("f").failures == 0 and counters.get("f").count == 1
