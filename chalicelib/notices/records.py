"""Tables owned by the notices context, registered with the shared table definitions."""
from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection

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


class OfficeLettersIndex(GlobalSecondaryIndex):
    """An office's letters in one status, oldest first: what the office prints next. A GSI key
    is one attribute, so office and status are joined in `office_status` ("hartford#queued").
    Only what the list shows is projected; the text and HTML stay in the table."""

    class Meta:
        index_name = "office-letters"
        projection = IncludeProjection(["status", "language", "recipient_name",
                                        "postal_address"])

    office_status = UnicodeAttribute(hash_key=True)
    queued_at = UnicodeAttribute(range_key=True)


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
    # Letters queued before the office-letters index existed have none of these.
    office_status = UnicodeAttribute(null=True)  # "<office_id>#<status>": the index key
    recipient_name = UnicodeAttribute(null=True)
    postal_address = JSONAttribute(null=True)
    printed_at = UnicodeAttribute(null=True)
    printed_by = UnicodeAttribute(null=True)  # the staff token subject, never a name
    office_letters = OfficeLettersIndex()


tables.register(SentNoticeRecord)
tables.register(LetterRecord)
