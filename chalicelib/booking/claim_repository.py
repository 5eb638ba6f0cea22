"""Person claims on DynamoDB: one item per person (`person_key`) in a table every region shares
(in AWS a global table with multi-Region strong consistency; locally a moto server of its own).
Each write is a single-item conditional write: MRSC tables have no transactions, and a single
item's conditional write is what MRSC makes strongly consistent across regions."""
from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib import aws, settings as _settings, tables
from chalicelib.booking.claims import ACTIVE, PENDING, Claim


class LeaseIndex(GlobalSecondaryIndex):
    """Sparse: only pending claims (`sweep` = their region), by lease expiry: each region's
    sweep reads its own partition."""

    class Meta:
        index_name = "lease"
        projection = AllProjection()

    sweep = UnicodeAttribute(hash_key=True)
    lease_until = NumberAttribute(range_key=True)


class ClaimRecord(tables._Table):
    """A person's nationwide claim: `pending` while a region books (until `lease_until`), then
    `active` naming the appointment until the visit's end (`until`). No item: no claim."""
    short_name = "claims"
    regional = False

    class Meta:
        table_name = "claims"
        billing_mode = "PAY_PER_REQUEST"

    person_key = UnicodeAttribute(hash_key=True)
    claim_id = UnicodeAttribute()
    state = UnicodeAttribute()  # pending | active
    region = UnicodeAttribute()
    office_id = UnicodeAttribute(null=True)
    slot_id = UnicodeAttribute(null=True)
    confirmation_number = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)  # epoch s, pending claims
    until = NumberAttribute(null=True)  # epoch s, the visit's end, active claims
    sweep = UnicodeAttribute(null=True)  # the region, while pending: the index key
    updated_at = NumberAttribute()
    lease_index = LeaseIndex()

    @classmethod
    def full_name(cls, s: _settings.Settings) -> str:
        return s.claims_table_name()  # one name in every region: one global table's replicas

    @classmethod
    def endpoint(cls, s: _settings.Settings) -> str | None:
        return s.claims_endpoint_url

    @classmethod
    def signing_region(cls, s: _settings.Settings) -> str:
        return s.claims_region or s.region

    @classmethod
    def shared_connection(cls):
        return aws.claims_dynamodb()


tables.register(ClaimRecord)


def _failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _claim(r: ClaimRecord) -> Claim:
    return Claim(r.person_key, r.claim_id, r.state, r.region, r.office_id, r.slot_id,
                 r.confirmation_number, _int(r.lease_until), _int(r.until))


def _int(value) -> int | None:
    return int(value) if value is not None else None


class DynamoClaims:
    """Every write names the claim it acts on (`claim_id`, or the appointment's confirmation
    number), so a slow writer never undoes a newer claim of the same person."""

    def take(self, claim: Claim, now: int) -> bool:
        """The pending claim, on the condition that the person has no claim or only an active one
        whose visit is over. A pending claim is never taken over, even with its lease run out:
        its booking may have committed before it died, and only its own region can tell
        (`NationwideClaims.resolve`)."""
        return self._put_if_free(claim, now, state=PENDING, lease_until=claim.lease_until,
                                 sweep=claim.region)

    def adopt(self, claim: Claim, now: int) -> bool:
        """An active claim for an appointment booked before claims existed (the backfill),
        on the same condition as `take`."""
        return self._put_if_free(claim, now, state=ACTIVE,
                                 confirmation_number=claim.confirmation_number, until=claim.until)

    @staticmethod
    def _put_if_free(claim: Claim, now: int, **fields) -> bool:
        record = ClaimRecord(claim.person_key, claim_id=claim.claim_id, region=claim.region,
                             office_id=claim.office_id, slot_id=claim.slot_id, updated_at=now,
                             **fields)
        try:
            record.save(condition=ClaimRecord.person_key.does_not_exist()
                        | ((ClaimRecord.state == ACTIVE) & (ClaimRecord.until < now)))
        except PutError as error:
            if _failed(error):
                return False
            raise
        return True

    def get(self, person_key: str) -> Claim | None:
        try:
            return _claim(ClaimRecord.get(person_key, consistent_read=True))
        except ClaimRecord.DoesNotExist:
            return None

    def confirm(self, person_key: str, claim_id: str, confirmation_number: str,
                office_id: str, slot_id: str, until: int, now: int) -> bool:
        return self._update(person_key, [
            ClaimRecord.state.set(ACTIVE),
            ClaimRecord.confirmation_number.set(confirmation_number),
            ClaimRecord.office_id.set(office_id), ClaimRecord.slot_id.set(slot_id),
            ClaimRecord.until.set(until), ClaimRecord.updated_at.set(now),
            ClaimRecord.lease_until.remove(), ClaimRecord.sweep.remove(),
        ], ClaimRecord.claim_id == claim_id)

    def move(self, person_key: str, confirmation_number: str, office_id: str, slot_id: str,
             until: int, now: int) -> bool:
        """The active claim of that appointment, moved with it (a reschedule)."""
        return self._update(person_key, [
            ClaimRecord.office_id.set(office_id), ClaimRecord.slot_id.set(slot_id),
            ClaimRecord.until.set(until), ClaimRecord.updated_at.set(now),
        ], (ClaimRecord.state == ACTIVE)
            & (ClaimRecord.confirmation_number == confirmation_number))

    def drop(self, person_key: str, claim_id: str) -> bool:
        """Deletes the claim while it is `claim_id` (a booking giving up its own claim)."""
        return self._delete(person_key, ClaimRecord.claim_id == claim_id)

    def release(self, person_key: str, confirmation_number: str) -> bool:
        """Deletes the claim while it names that appointment (a cancellation)."""
        return self._delete(person_key, ClaimRecord.confirmation_number == confirmation_number)

    def expired_pending(self, region: str, now: int, limit: int = 100) -> list[Claim]:
        return [_claim(r) for r in ClaimRecord.lease_index.query(
            region, ClaimRecord.lease_until < now, limit=limit)]

    @staticmethod
    def _update(person_key: str, actions: list, condition) -> bool:
        try:
            ClaimRecord(person_key).update(actions=actions, condition=condition)
        except UpdateError as error:
            if _failed(error):
                return False
            raise
        return True

    @staticmethod
    def _delete(person_key: str, condition) -> bool:
        try:
            ClaimRecord(person_key).delete(condition=condition)
        except DeleteError as error:
            if _failed(error):
                return False
            raise
        return True
