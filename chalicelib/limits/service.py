"""The `Limiter` other services and views call: identity-proof attempts and per-client rates.

Proof attempts are counted per subject (a confirmation number or request id, normalized) whether
or not the subject exists, so the 429 is no oracle for which numbers are real. An attempt is
reserved *before* the proof is checked and given back when it succeeds: many concurrent guesses
can never get more than `limit` proofs checked in a window, while an honest person's correct
proof after a typo or two costs nothing. When the reservations are full but not with failures
(the owner's double clicks or parallel tabs still being checked), the attempt waits briefly for
them instead of being refused.
"""
from __future__ import annotations

import ipaddress
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, ContextManager, Iterable, Iterator, Protocol

from chalicelib import errors
from chalicelib.limits.domain import Counter, Rule, closes_at, counter_key

Clock = Callable[[], datetime]

# Buckets: each names a rule in the Limiter's table of rules.
BOOKING_PROOF = "booking_proof"
REQUEST_PROOF = "request_proof"
BOOKING_CLIENT = "booking_client"
HOLD_CLIENT = "hold_client"


class Counters(Protocol):
    def take(self, key: str, limit: int, now: int, closes_at: int) -> Counter | None: ...
    def give_back(self, key: str, now: int) -> None: ...
    def count_failure(self, key: str, now: int) -> None: ...


# Waits (seconds) for proofs of the same number still being checked, about 5 s in all: well
# inside the API's timeout, long enough for a handful of concurrent changes to finish.
BUSY_WAITS = (0.1, 0.2, 0.4, 0.8, 1.6, 2.0)


class ProofAttempts(Protocol):
    """What a service with an identity proof needs of the Limiter."""
    def proof_attempt(self, bucket: str, subject: str) -> ContextManager["Reservation"]: ...


class _NoLimit:
    """For unit tests and tools that construct services without a limiter."""
    @contextmanager
    def proof_attempt(self, bucket: str, subject: str) -> Iterator["Reservation"]:
        yield Reservation(None, "")


NO_LIMIT: ProofAttempts = _NoLimit()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Limiter:
    def __init__(self, counters: Counters, rules: dict[str, Rule], *, pepper: str,
                 exempt_clients: Iterable[str] = (), clock: Clock = utc_now,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.counters = counters
        self.sleep = sleep
        self.rules = rules
        self.pepper = pepper
        self.exempt = tuple(ipaddress.ip_network(n.strip(), strict=False)
                            for n in exempt_clients if n.strip())
        self.clock = clock

    @contextmanager
    def proof_attempt(self, bucket: str, subject: str,
                      failure: type[Exception] = errors.NotFound) -> Iterator["Reservation"]:
        """Wrap one identity check. Raises `TooManyAttempts` before checking once `limit`
        failures are counted in the window; a `failure` raised inside stays counted; success (or
        an error that says nothing about the proof) gives the attempt back, at once or, after
        `Reservation.defer`, with the caller's own transaction (see `Reservation`)."""
        rule, key = self.rules[bucket], counter_key(self.pepper, bucket, subject)
        self._reserve(rule, key)
        held = Reservation(self, key)
        try:
            yield held
        except failure:
            self.counters.count_failure(key, int(self.clock().timestamp()))
            raise
        except BaseException:
            held.settle()
            raise
        if not held.deferred:
            held.settle()

    def _reserve(self, rule: Rule, key: str) -> None:
        for wait in (*BUSY_WAITS, None):
            now = self.clock()
            full = self.counters.take(key, rule.limit, int(now.timestamp()), closes_at(now, rule))
            if full is None:
                return
            if full.failures >= rule.limit:
                raise errors.TooManyAttempts(retry_after=full.retry_after(now))
            if wait is None:  # still busy: a retry in a moment will likely get through
                raise errors.TooManyAttempts(retry_after=1)
            self.sleep(wait)  # full of proofs still being checked, not of failures

    def client_request(self, bucket: str, source_ip: str | None) -> None:
        """Count one request of `bucket` from this client; `RateLimited` once the window is full.
        Addresses in the exempt list (the agency's own egress) are not counted."""
        if not source_ip or self._exempt(source_ip):
            return
        rule, now = self.rules[bucket], self.clock()
        full = self.counters.take(counter_key(self.pepper, bucket, source_ip), rule.limit,
                                  int(now.timestamp()), closes_at(now, rule))
        if full is not None:
            raise errors.RateLimited(retry_after=full.retry_after(now))

    def admission(self, bucket: str, source_ip: str | None) -> "Admission | None":
        """This client's request of `bucket`, to be counted in the transaction the request
        makes (see `Admission`); None for an exempt or unknown client."""
        if not source_ip or self._exempt(source_ip):
            return None
        return Admission(self, bucket, counter_key(self.pepper, bucket, source_ip))

    def client_key(self, bucket: str, source_ip: str | None) -> str | None:
        """The key (an HMAC, never the address) under which another context keeps one thing
        per client, e.g. one active hold; None for an exempt or unknown client."""
        if not source_ip or self._exempt(source_ip):
            return None
        return counter_key(self.pepper, bucket, source_ip)

    def _exempt(self, source_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(source_ip)
        except ValueError:
            return False
        return any(address in network for network in self.exempt)


class Admission:
    """One client request of a rate-limited bucket, counted once: as an item of the request's
    own transaction when that commits (`add_to`; no request of its own), otherwise by itself
    (`settle`, in the view's `finally`: malformed, refused and replayed requests count too).

    A full window fails the transaction's item and comes back with the failure, so the 429 needs
    no read (`rejected`). A closed window fails it too (one update cannot both reset and count):
    then the request is counted by itself, opening a new window, and the transaction is tried
    again without the item.
    """
    label = "client_limit"

    def __init__(self, limiter: Limiter, bucket: str, key: str) -> None:
        self.limiter, self.bucket, self.key = limiter, bucket, key
        self.rule = limiter.rules[bucket]
        self.counted = False

    def add_to(self, txn: Any) -> None:
        if not self.counted:
            now = self.limiter.clock()
            self.limiter.counters.in_transaction(
                self.label, self.key, self.rule.limit, int(now.timestamp()),
                closes_at(now, self.rule)).add_to(txn)

    def committed(self) -> None:
        self.counted = True

    def rejected(self, failed: set[str], old: dict) -> bool:
        """After a cancelled transaction: `RateLimited` when the window is full; True when the
        count failed only because its window had closed (now counted by itself: try again)."""
        if self.counted or self.label not in failed:
            return False
        now = self.limiter.clock()
        current = self.limiter.counters.returned(old.get(self.label))
        if current is not None and current.closes_at > now.timestamp():
            self.counted = True  # refused: nothing left to count
            raise errors.RateLimited(retry_after=current.retry_after(now))
        self._count()
        return True

    def settle(self) -> None:
        """Count the request by itself unless its transaction did (`RateLimited` once full)."""
        if not self.counted:
            self._count()

    def _count(self) -> None:
        self.counted = True
        now = self.limiter.clock()
        full = self.limiter.counters.take(self.key, self.rule.limit, int(now.timestamp()),
                                          closes_at(now, self.rule))
        if full is not None:
            raise errors.RateLimited(retry_after=full.retry_after(now))


class Reservation:
    """A proof attempt reserved on the subject's counter, to be given back once the proof held.
    After `defer`, the caller gives it back as an item of the write the proof allowed (`add_to`,
    label `proof`; no request of its own) and calls `settle` in a `finally`, which gives it back
    by itself unless that write did. A window that closed meanwhile fails the item: nothing is
    left to give back (`rejected`)."""
    label = "proof"

    def __init__(self, limiter: Limiter | None, key: str) -> None:
        self.limiter, self.key = limiter, key
        self.deferred = False
        self.done = limiter is None

    def defer(self) -> "Reservation":
        self.deferred = True
        return self

    def add_to(self, txn: Any) -> None:
        if not self.done:
            self.limiter.counters.give_back_in_transaction(
                self.label, self.key, int(self.limiter.clock().timestamp())).add_to(txn)

    def committed(self) -> None:
        self.done = True

    def rejected(self, failed: set[str]) -> bool:
        """True when the give-back's own condition failed (retry the write without it)."""
        if self.done or self.label not in failed:
            return False
        self.done = True
        failed.discard(self.label)
        return True

    def settle(self) -> None:
        if not self.done:
            self.done = True
            self.limiter.counters.give_back(self.key, int(self.limiter.clock().timestamp()))
