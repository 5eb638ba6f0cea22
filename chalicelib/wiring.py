"""Composition root: builds services from settings and adapters, once per Lambda container."""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from chalicelib import aws, settings as _settings, tables
from chalicelib.observability import configure_logging
from chalicelib.booking.domain import Policy
from chalicelib.booking.notices import SqsNoticePublisher
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.service import BookingService


def policy(s: _settings.Settings) -> Policy:
    return Policy(booking_window_days=s.booking_window_days,
                  change_cutoff=timedelta(hours=s.change_cutoff_hours),
                  min_interval=timedelta(days=s.min_interval_days))


@lru_cache(maxsize=1)
def booking_service() -> BookingService:
    configure_logging()
    s = _settings.settings
    return BookingService(DynamoBookingRepository(), SqsNoticePublisher(s.notices_queue_url),
                          policy=policy(s), pepper=s.identity_pepper,
                          idempotency_ttl=timedelta(hours=s.idempotency_ttl_hours))


def rewire() -> None:
    """Re-read settings and rebuild everything (tests and the local stack)."""
    _settings.reload()
    tables.bind()
    aws.reset()
    booking_service.cache_clear()
