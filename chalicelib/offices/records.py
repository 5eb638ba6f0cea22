"""The offices and office-audit tables, registered with the shared table definitions so the
local stack, the tests and infra/ create them from the same models."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib import tables


class OfficeRecord(tables._Table):
    """One field office: its profile, weekly schedules, closures and mode. `version` is the
    optimistic lock every change is conditioned on."""
    short_name = "offices"

    class Meta:
        table_name = "offices"
        billing_mode = "PAY_PER_REQUEST"

    office_id = UnicodeAttribute(hash_key=True)
    profile = JSONAttribute()  # name, address, timezone, latitude, longitude, services
    scheduling = UnicodeAttribute()  # self_service | contact_center
    schedules = JSONAttribute()
    closures = JSONAttribute()
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    # Regions (chalicelib/regions.py): the region whose stage serves the office (absent: the
    # stage's own), and `moving` while an operator moves it to another region.
    home_region = UnicodeAttribute(null=True)
    placement = UnicodeAttribute(null=True)


class OfficeChangeRecord(tables._Table):
    """The audit trail of office changes: who, what, when, old and new settings. No personal
    data and no free text (a closure's note stays on the office)."""
    short_name = "office-audit"

    class Meta:
        table_name = "office-audit"
        billing_mode = "PAY_PER_REQUEST"

    office_id = UnicodeAttribute(hash_key=True)
    at_id = UnicodeAttribute(range_key=True)  # UTC ISO-8601 # office version: time order, unique
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    role = UnicodeAttribute()
    version = NumberAttribute()
    old = JSONAttribute(null=True)
    new = JSONAttribute(null=True)


tables.register(OfficeRecord)
tables.register(OfficeChangeRecord)
