"""The performance table, registered with the shared table definitions so the local stack, the
tests and infra/ create it from this one model."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib import tables


class PerformanceRecord(tables._Table):
    """Public figures only (counts and durations); nothing about one person."""
    short_name = "performance"

    class Meta:
        table_name = "performance"
        billing_mode = "PAY_PER_REQUEST"

    month = UnicodeAttribute(hash_key=True)  # YYYY-MM: a 92-day range reads four partitions
    day_office = UnicodeAttribute(range_key=True)  # YYYY-MM-DD#office_id
    figures = JSONAttribute()


tables.register(PerformanceRecord)
