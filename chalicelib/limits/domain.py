"""Fixed windows that start at a subject's first counted event.

A counter allows `limit` events per `window`; the window opens with the first event and closes
`window` later, when the count starts again from zero. Subjects (a confirmation number, a source
IP) are stored only as an HMAC under the identity pepper, so the table holds no address or
number, and a bucket name keeps different limits on one subject apart.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= timedelta(0):
            raise ValueError("a limit allows at least one event in a positive window")


@dataclass(frozen=True)
class Counter:
    """What the table holds for one subject: the events counted and when the window closes.
    For proofs, `count` is failures plus proofs being checked right now, `failures` only the
    former (see `Limiter.proof_attempt`)."""
    count: int
    closes_at: int  # epoch seconds
    failures: int = 0

    def open_at(self, now: datetime) -> bool:
        return now.timestamp() < self.closes_at

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window closes (at least 1), for the Retry-After header."""
        return max(1, math.ceil(self.closes_at - now.timestamp()))


def counter_key(pepper: str, bucket: str, subject: str) -> str:
    digest = hmac.new(pepper.encode(), f"{bucket}\x1f{subject}".encode(), hashlib.sha256)
    return f"{bucket}#{digest.hexdigest()}"


def closes_at(now: datetime, rule: Rule) -> int:
    # Rounded down, so Retry-After never exceeds the window.
    return math.floor((now + rule.window).timestamp())
