"""Tables owned by the notices context, registered with the shared table definitions."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib import tables


class SentNoticeRecord(tables._Table):
    """The exactly-once log: one item per (subject#id, kind#version). `claimed` (with a lease)
    before sending; `sent`, `undeliverable` or `skipped` after. Holds no PII."""
    short_name = "sent-notices"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "sent-notices"
        billing_mode = "PAY_PER_REQUEST"

    notice = UnicodeAttribute(hash_key=True)  # subject#id
    kind = UnicodeAttribute(range_key=True)  # kind#version
    state = UnicodeAttribute()
    token = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)  # epoch seconds; an older claim may be taken over
    channel = UnicodeAttribute(null=True)
    message_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    language = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    expires_at = NumberAttribute()


class LetterRecord(tables._Table):
    """Printable letters for mail-channel applicants, queued per office until printed."""
    short_name = "letters"
    ttl_attribute = "expires_at"

    class Meta:
        table_name = "letters"
        billing_mode = "PAY_PER_REQUEST"

    office_id = UnicodeAttribute(hash_key=True)
    notice_key = UnicodeAttribute(range_key=True)  # subject#id#kind#version
    status = UnicodeAttribute()  # queued | printed
    language = UnicodeAttribute()
    subject = UnicodeAttribute()
    text = UnicodeAttribute()
    html = UnicodeAttribute()
    queued_at = UnicodeAttribute()
    expires_at = NumberAttribute()


tables.register(SentNoticeRecord)
tables.register(LetterRecord)
