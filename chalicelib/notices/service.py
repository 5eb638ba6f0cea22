"""Delivers notice events exactly once: claim, render, send (or queue a letter), settle.

SQS delivers at least once and the outbox sweep and the reminder job may publish an event again,
so the sent log decides: a notice is claimed with a conditional write before anything goes out,
and a settled notice is never sent again. A claim carries a lease: a worker that dies mid-send
leaves a claim that expires, so a later delivery can retry it.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from chalicelib import i18n
from chalicelib.notices import render
from chalicelib.notices.events import NoticeEvent, PublishFailed
from chalicelib.notices.model import NoticeData
from chalicelib.notices.ports import (SENT, SETTLED, SKIPPED, UNDELIVERABLE, AlreadySettled,
                                      Busy, EmailSender, LetterBox, NoticeQueue,
                                      PermanentlyRejected, SentLog, Throttled)
from chalicelib.notices.registry import Subject, UnknownSubject

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
MAX_THROTTLE_REQUEUES = 12
MAX_DELAY_SECONDS = 900  # SQS's limit


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class PoisonNotice(Exception):
    """The event can never be delivered as it is (unknown subject or kind); retries end in the
    dead-letter queue where someone can look at it."""


class RetryLater(Exception):
    """Leave the message on the queue: it comes back after the visibility timeout."""


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | letter_queued | duplicate | skipped | undeliverable | deferred
    detail: str = ""


class NoticeService:
    def __init__(self, subjects: Callable[[str], Subject], sent_log: SentLog,
                 sender: EmailSender, letters: LetterBox, queue: NoticeQueue, *,
                 lease_seconds: int = 60, outbox_grace: timedelta = timedelta(minutes=5),
                 clock: Clock = utc_now) -> None:
        self.subjects = subjects
        self.sent_log = sent_log
        self.sender = sender
        self.letters = letters
        self.queue = queue
        self.lease_seconds = lease_seconds
        self.outbox_grace = outbox_grace
        self.clock = clock

    def handle(self, event: NoticeEvent) -> Outcome:
        """The consumer's entry point: deliver, or put a throttled notice back with a delay."""
        try:
            return self.deliver(event)
        except Throttled:
            if event.attempt >= MAX_THROTTLE_REQUEUES:
                raise RetryLater("still throttled") from None
            delay = min(MAX_DELAY_SECONDS, 30 * 2 ** event.attempt) + random.randint(0, 30)
            try:
                self.queue.publish(event.retried(), delay_seconds=delay)
            except PublishFailed:
                raise RetryLater("throttled and could not re-queue") from None
            log.info("notice throttled; re-queued", extra={"kind": event.kind, "delay": delay})
            return Outcome("deferred", f"{delay}s")

    def deliver(self, event: NoticeEvent) -> Outcome:
        subject, render_kind = self._resolve(event)
        key = event.key
        # No read of the sent log first: the claim's condition finds a settled notice (a
        # redelivery), and only then is the log read to say so.
        data = subject.load(event.id, event.version)
        if data is None:
            return self._skip(subject, event, "superseded or gone")
        t = i18n.translator(data.language)
        content = render_kind(data, t)
        if content is None:
            return self._skip(subject, event, "not applicable")
        try:
            token = self.sent_log.claim(key, self.clock(), self.lease_seconds)
        except AlreadySettled as settled:
            self._settled(subject, event)
            return Outcome("duplicate", settled.state)
        except Busy:
            raise RetryLater("another worker is sending this notice") from None
        now = self.clock()
        try:
            outcome = self._dispatch(event, data, content, t, now)
        except Throttled:
            self.sent_log.release(key, token)  # nothing went out: the next try may claim at once
            raise
        except PermanentlyRejected as rejected:
            self._finish(subject, event, token, UNDELIVERABLE, {"reason": rejected.reason})
            log.warning("notice undeliverable", extra={"kind": event.kind,
                                                       "subject": event.subject,
                                                       "reason": rejected.reason})
            return Outcome("undeliverable", rejected.reason)
        self._finish(subject, event, token, SENT, {"channel": data.channel,
                                                   "message_id": outcome.detail,
                                                   "language": t.language})
        log.info("notice sent", extra={"kind": event.kind, "subject": event.subject,
                                       "channel": data.channel, "language": t.language})
        return outcome

    def _resolve(self, event: NoticeEvent):
        try:
            subject = self.subjects(event.subject)
        except UnknownSubject:
            raise PoisonNotice(f"unknown subject {event.subject!r}") from None
        render_kind = subject.kinds.get(event.kind)
        if render_kind is None:
            raise PoisonNotice(f"unknown notice kind {event.kind!r} for {event.subject!r}")
        return subject, render_kind

    def _dispatch(self, event: NoticeEvent, data: NoticeData, content, t,
                  now: datetime) -> Outcome:
        if data.channel == "mail":
            letter = render.letter(content, data, t, "#".join(event.key), now)
            self.letters.queue(letter, now)
            return Outcome("letter_queued", letter.office_id)
        if not data.email:
            raise PermanentlyRejected("no email address")
        return Outcome("sent", self.sender.send(render.email(content, data, t, now)))

    def _finish(self, subject: Subject, event: NoticeEvent, token: str, state: str,
                detail: dict) -> None:
        if not self.sent_log.settle(event.key, token, state, self.clock(), detail):
            # Only possible when sending outlasted the lease and another worker took over.
            log.warning("notice claim lost before settling", extra={"kind": event.kind})
        self._settled(subject, event)

    def _skip(self, subject: Subject, event: NoticeEvent, reason: str) -> Outcome:
        if not self.sent_log.settle(event.key, None, SKIPPED, self.clock(), {"reason": reason}):
            known = self.sent_log.get(event.key)
            if known is not None and known.state in SETTLED:  # a redelivery of a settled one
                self._settled(subject, event)
                return Outcome("duplicate", known.state)
        self._settled(subject, event)
        log.info("notice skipped", extra={"kind": event.kind, "reason": reason})
        return Outcome("skipped", reason)

    def _settled(self, subject: Subject, event: NoticeEvent) -> None:
        if subject.sent is not None:
            subject.sent(event.id, event.kind, event.version)

    # --- the outbox sweep ----------------------------------------------------------------

    def sweep_outbox(self, subjects: list[Subject]) -> int:
        """Publish every notice recorded more than `outbox_grace` ago and still pending. The normal path
        publishes right after the write; this covers the publishes that failed. Re-publishing
        one that is merely slow is harmless: the sent log keeps it to one notice."""
        published = 0
        older_than = self.clock() - self.outbox_grace
        for subject in subjects:
            if subject.outbox is None:
                continue
            for event in subject.outbox(older_than):
                try:
                    self.queue.publish(event)
                except PublishFailed:
                    log.warning("outbox publish failed; next sweep retries",
                                extra={"kind": event.kind})
                    continue
                published += 1
        return published
