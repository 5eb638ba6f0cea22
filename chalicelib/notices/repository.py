"""DynamoDB adapters for the notices context, through PynamoDB. Every decision is a condition
on the write; TTL only tidies up (moto never expires items, and DynamoDB does so lazily)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Iterable

from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.condition import size

from chalicelib.booking import offices
from chalicelib.booking.domain import iso_utc
from chalicelib.notices.model import Letter
from chalicelib.notices.ports import (CLAIMED, SETTLED, AlreadySettled, Busy, DueReminder,
                                      LetterSummary, PrintableLetter, SentState,
                                      StoredAppointment)
from chalicelib.notices.records import LetterRecord, SentNoticeRecord
from chalicelib.tables import AppointmentRecord

KEEP = timedelta(days=400)
_DETAILS = ("channel", "message_id", "reason", "language")


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _failed_condition(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class DynamoSentLog:
    def get(self, key: tuple[str, str]) -> SentState | None:
        try:
            record = SentNoticeRecord.get(*key, consistent_read=True)
        except SentNoticeRecord.DoesNotExist:
            return None
        return SentState(record.state, int(record.lease_until or 0))

    def claim(self, key: tuple[str, str], now: datetime, lease_seconds: int) -> str:
        token = secrets.token_hex(16)
        record = SentNoticeRecord(*key, state=CLAIMED, token=token,
                                  lease_until=int(now.timestamp()) + lease_seconds,
                                  updated_at=iso_utc(now), expires_at=int((now + KEEP).timestamp()))
        try:
            record.save(condition=self._unclaimed(now))
        except PutError as error:
            if not _failed_condition(error):
                raise
            known = self.get(key)
            if known is not None and known.state in SETTLED:
                raise AlreadySettled(known.state) from None
            raise Busy() from None
        return token

    @staticmethod
    def _unclaimed(now: datetime):
        return (SentNoticeRecord.notice.does_not_exist()
                | ((SentNoticeRecord.state == CLAIMED)
                   & (SentNoticeRecord.lease_until < int(now.timestamp()))))

    def settle(self, key: tuple[str, str], token: str | None, state: str, now: datetime,
               detail: dict) -> bool:
        details = {k: str(v) for k, v in detail.items() if k in _DETAILS and v is not None}
        try:
            if token is None:
                SentNoticeRecord(*key, state=state, updated_at=iso_utc(now),
                                 expires_at=int((now + KEEP).timestamp()),
                                 **details).save(condition=self._unclaimed(now))
            else:
                actions = [SentNoticeRecord.state.set(state),
                           SentNoticeRecord.updated_at.set(iso_utc(now)),
                           SentNoticeRecord.token.remove(), SentNoticeRecord.lease_until.remove()]
                actions += [getattr(SentNoticeRecord, k).set(v) for k, v in details.items()]
                SentNoticeRecord(*key).update(
                    actions=actions, condition=(SentNoticeRecord.state == CLAIMED)
                    & (SentNoticeRecord.token == token))
        except (PutError, UpdateError) as error:
            if _failed_condition(error):
                return False
            raise
        return True

    def release(self, key: tuple[str, str], token: str) -> None:
        try:
            SentNoticeRecord(*key).delete(condition=(SentNoticeRecord.state == CLAIMED)
                                          & (SentNoticeRecord.token == token))
        except DeleteError as error:
            if not _failed_condition(error):
                raise


class DynamoLetterBox:
    def queue(self, letter: Letter, now: datetime) -> None:
        record = LetterRecord(letter.office_id, letter.notice_key, status="queued",
                              office_status=f"{letter.office_id}#queued",
                              language=letter.language, subject=letter.subject,
                              text=letter.text, html=letter.html, queued_at=iso_utc(now),
                              recipient_name=letter.recipient_name or None,
                              postal_address=letter.postal_address,
                              expires_at=int((now + KEEP).timestamp()))
        try:
            record.save(condition=LetterRecord.notice_key.does_not_exist())
        except PutError as error:
            if not _failed_condition(error):  # already queued by an earlier try: same letter
                raise

    def queued(self, office_id: str) -> list[LetterRecord]:
        return [r for r in LetterRecord.query(office_id, consistent_read=True)
                if r.status == "queued"]

    # --- the office side (LetterShelf) ---------------------------------------------------

    def waiting(self, office_id: str, status: str, limit: int) -> list[LetterSummary]:
        # A GSI read is eventually consistent: a letter printed a moment ago may still be
        # listed; marking it again answers 409 already_printed.
        return [_summary(r) for r in LetterRecord.office_letters.query(
            f"{office_id}#{status}", scan_index_forward=True, limit=limit)]

    def get(self, office_id: str, notice_key: str) -> PrintableLetter | None:
        try:
            return _printable(LetterRecord.get(office_id, notice_key, consistent_read=True))
        except LetterRecord.DoesNotExist:
            return None

    def mark_printed(self, office_id: str, notice_key: str, by: str,
                     at: str) -> PrintableLetter | None:
        record = LetterRecord(office_id, notice_key)
        try:
            # update() refreshes the record from the item as written (ALL_NEW).
            record.update(actions=[LetterRecord.status.set("printed"),
                                   LetterRecord.office_status.set(f"{office_id}#printed"),
                                   LetterRecord.printed_at.set(at),
                                   LetterRecord.printed_by.set(by)],
                          condition=LetterRecord.status == "queued")
        except UpdateError as error:
            if _failed_condition(error):
                return None
            raise
        return _printable(record)


def _summary(r: LetterRecord) -> LetterSummary:
    return LetterSummary(office_id=r.office_id, notice_key=r.notice_key, status=r.status,
                         language=r.language, queued_at=r.queued_at,
                         recipient_name=r.recipient_name, postal_address=r.postal_address)


def _printable(r: LetterRecord) -> PrintableLetter:
    return PrintableLetter(office_id=r.office_id, notice_key=r.notice_key, status=r.status,
                           language=r.language, queued_at=r.queued_at,
                           recipient_name=r.recipient_name, postal_address=r.postal_address,
                           subject=r.subject, text=r.text, html=r.html,
                           printed_at=r.printed_at, printed_by=r.printed_by)


class DynamoAppointmentStore:
    def get(self, confirmation_number: str) -> StoredAppointment | None:
        try:
            r = AppointmentRecord.get(confirmation_number, consistent_read=True)
        except AppointmentRecord.DoesNotExist:
            return None
        return StoredAppointment(
            confirmation_number=r.confirmation_number, status=r.status, version=int(r.version),
            office_id=r.office_id, start=_parse(r.start), end=_parse(r.end),
            timezone=r.timezone, applicant=r.applicant or {}, language=r.language,
            contact_method=r.contact_method, updated_at=_parse(r.updated_at),
            pending_notices=frozenset(r.pending_notices or ()),
            reminder_due=_parse(r.reminder_due),
            reminder_version=int(r.reminder_version) if r.reminder_version is not None else None,
            reason=r.reason or None)

    def clear_pending(self, confirmation_number: str, entry: str) -> None:
        record = AppointmentRecord(confirmation_number)
        try:
            # The usual case in one update: this was the only pending notice, so the outbox
            # marker goes with it.
            record.update(actions=[AppointmentRecord.pending_notices.delete({entry}),
                                   AppointmentRecord.outbox.remove()],
                          condition=AppointmentRecord.pending_notices.contains(entry)
                          & (size(AppointmentRecord.pending_notices) == 1))
            return
        except UpdateError as error:
            if not _failed_condition(error):
                raise
        try:
            record.update(actions=[AppointmentRecord.pending_notices.delete({entry})],
                          condition=AppointmentRecord.confirmation_number.exists())
        except UpdateError as error:
            if not _failed_condition(error):
                raise
            return
        try:
            # DynamoDB drops a set once it is empty; only then leave the outbox index. A notice
            # added meanwhile keeps the set, and so the marker.
            record.update(actions=[AppointmentRecord.outbox.remove()],
                          condition=AppointmentRecord.pending_notices.does_not_exist()
                          & AppointmentRecord.outbox.exists())
        except UpdateError as error:
            if not _failed_condition(error):
                raise

    def schedule_reminder(self, confirmation_number: str, version: int, due: datetime) -> None:
        try:
            AppointmentRecord(confirmation_number).update(
                actions=[AppointmentRecord.reminder_day.set(iso_utc(due)[:10]),
                         AppointmentRecord.reminder_due.set(iso_utc(due)),
                         AppointmentRecord.reminder_version.set(version)],
                condition=(AppointmentRecord.version == version)
                & (AppointmentRecord.status == "booked"))
        except UpdateError as error:
            if not _failed_condition(error):
                raise

    def clear_reminder(self, confirmation_number: str, up_to_version: int) -> None:
        try:
            AppointmentRecord(confirmation_number).update(
                actions=[AppointmentRecord.reminder_day.remove(),
                         AppointmentRecord.reminder_due.remove(),
                         AppointmentRecord.reminder_version.remove()],
                condition=AppointmentRecord.reminder_version <= up_to_version)
        except UpdateError as error:
            if not _failed_condition(error):
                raise

    def pending_outbox(self, older_than: datetime) -> Iterable[tuple[str, frozenset[str]]]:
        for r in AppointmentRecord.outbox_index.query(
                # Stored to the second: a record of the cut-off's own second is older too.
                "pending", AppointmentRecord.updated_at <= iso_utc(older_than)):
            if offices.serves(r.office_id):  # another region's: its own sweep publishes them
                yield r.confirmation_number, frozenset(r.pending_notices or ())

    def due_reminders(self, now: datetime, lookback_days: int) -> Iterable[DueReminder]:
        for days_ago in range(lookback_days, -1, -1):
            day = iso_utc(now - timedelta(days=days_ago))[:10]
            for r in AppointmentRecord.reminder_index.query(
                    day, AppointmentRecord.reminder_due <= iso_utc(now)):
                if r.reminder_version is not None and offices.serves(r.office_id):
                    yield DueReminder(r.confirmation_number, int(r.reminder_version),
                                      _parse(r.reminder_due))
