"""Counters in DynamoDB: every change is one conditional UpdateItem, so concurrent callers
(threads, Lambda containers) can never count past a limit together.

The window's end is both the TTL attribute and part of every condition: DynamoDB deletes
expired items only eventually (moto never does), so an expired counter is treated as absent
by the conditions themselves, not by waiting for TTL.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError

from chalicelib import tables
from chalicelib.limits.domain import Counter

_ATTEMPTS = 3  # a reset racing an increment: re-read and decide again


class CounterRecord(tables._Table):
    short_name = "limits"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "limits"
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)  # "<bucket>#<hmac of the subject>"
    hits = NumberAttribute()
    failures = NumberAttribute(null=True)  # proofs only: hits that stay counted
    expires_at = NumberAttribute()  # epoch seconds: the window closes, DynamoDB may delete


tables.register(CounterRecord)


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class _CountInTransaction:
    """One event counted as an item of another context's transaction (`add_to`, under `label`):
    one more in the open window with room, or the first of a window when there is no counter
    yet. A counter that is full, or whose window has closed, fails the condition and comes back
    with the failure (ALL_OLD), so the caller can tell the two apart without a read."""

    def __init__(self, label: str, key: str, limit: int, now: int, closes_at: int) -> None:
        self.label, self.key, self.limit, self.now, self.closes_at = (
            label, key, limit, now, closes_at)

    def add_to(self, txn: Any) -> None:
        actions, condition = _one_more(self.limit, self.now, self.closes_at)
        txn.update(self.label, CounterRecord(self.key), actions, condition, return_old=True)


class _GiveBackInTransaction:
    """`DynamoCounters.give_back` as an item of another context's transaction."""

    def __init__(self, label: str, key: str, now: int) -> None:
        self.label, self.key, self.now = label, key, now

    def add_to(self, txn: Any) -> None:
        txn.update(self.label, CounterRecord(self.key), *_one_less(self.now))


def _one_less(now: int) -> tuple[list, Any]:
    return ([CounterRecord.hits.add(-1)],
            (CounterRecord.expires_at > now) & (CounterRecord.hits > 0))


def _one_more(limit: int, now: int, closes_at: int) -> tuple[list, Any]:
    """One update for the usual cases: no counter yet (this event opens a window closing at
    `closes_at`), or an open window with room. A closed window fails it: one update cannot
    both reset a counter and count on it."""
    return ([CounterRecord.hits.add(1),
             CounterRecord.expires_at.set(CounterRecord.expires_at | closes_at)],
            CounterRecord.key.does_not_exist()
            | ((CounterRecord.expires_at > now) & (CounterRecord.hits < limit)))


class DynamoCounters:
    def in_transaction(self, label: str, key: str, limit: int, now: int,
                       closes_at: int) -> _CountInTransaction:
        return _CountInTransaction(label, key, limit, now, closes_at)

    def give_back_in_transaction(self, label: str, key: str, now: int) -> _GiveBackInTransaction:
        return _GiveBackInTransaction(label, key, now)

    @staticmethod
    def returned(raw: dict | None) -> Counter | None:
        """The counter a failed transaction item returned (ALL_OLD)."""
        if not raw:
            return None
        record = CounterRecord.from_raw_data(raw)
        return Counter(int(record.hits), int(record.expires_at), int(record.failures or 0))

    def take(self, key: str, limit: int, now: int, closes_at: int) -> Counter | None:
        """Count one event unless the open window already holds `limit`. Returns None when the
        event was counted, or the full counter (for its Retry-After) when it was not."""
        for _ in range(_ATTEMPTS):
            record = CounterRecord(key)
            try:  # the usual cases, in one request: no counter yet, or an open one with room
                actions, condition = _one_more(limit, now, closes_at)
                record.update(actions=actions, condition=condition)
                return None
            except UpdateError as error:
                if not _condition_failed(error):
                    raise
            try:  # its window has closed: this event opens a new one
                record.update(actions=[CounterRecord.hits.set(1),
                                       CounterRecord.failures.set(0),
                                       CounterRecord.expires_at.set(closes_at)],
                              condition=CounterRecord.expires_at <= now)
                return None
            except UpdateError as error:
                if not _condition_failed(error):
                    raise
            current = self.get(key)
            if current is not None and current.closes_at > now and current.count >= limit:
                return current
        # Still racing after several tries: refuse rather than loop or count unseen.
        return self.get(key) or Counter(limit, closes_at)

    def give_back(self, key: str, now: int) -> None:
        """Uncount one event of the open window (a proof that turned out right)."""
        try:
            actions, condition = _one_less(now)
            CounterRecord(key).update(actions=actions, condition=condition)
        except UpdateError as error:
            if not _condition_failed(error):
                raise  # a closed or emptied window needs nothing given back

    def count_failure(self, key: str, now: int) -> None:
        """Mark one counted event of the open window as a failure (it is not given back)."""
        try:
            CounterRecord(key).update(actions=[CounterRecord.failures.add(1)],
                                      condition=CounterRecord.expires_at > now)
        except UpdateError as error:
            if not _condition_failed(error):
                raise

    def get(self, key: str) -> Counter | None:
        try:
            record = CounterRecord.get(key, consistent_read=True)
        except CounterRecord.DoesNotExist:
            return None
        return Counter(int(record.hits), int(record.expires_at), int(record.failures or 0))
