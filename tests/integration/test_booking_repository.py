"""The booking service against DynamoDB (moto server): the conditions in the transactions."""
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib import errors, tables
from chalicelib.booking.domain import Policy, normalize_confirmation_number
from chalicelib.booking.notices import SqsNoticePublisher
from chalicelib.booking.repository import DynamoBookingRepository
from chalicelib.booking.service import BookingService
from chalicelib.booking.validation import Proof, RescheduleRequest
from tests.fakes import FixedClock
from tests.unit.test_booking_service import MONDAY_NOON, OFFICE, request
from tests.aws_fixtures import with_slots

PROOF = Proof(last_name="Santos", date_of_birth=date(1985, 3, 4))


@pytest.fixture
def clock():
    return FixedClock(MONDAY_NOON)


@pytest.fixture
def service(aws, clock):
    svc = BookingService(DynamoBookingRepository(), SqsNoticePublisher(aws["notices"]),
                         pepper="test", clock=clock, policy=Policy())
    with_slots([OFFICE], svc)
    return svc


def slots(service):
    return service.availability(OFFICE, None, None)["slots"]


def slot_after(service, days):
    target = MONDAY_NOON + timedelta(days=days)
    return next(s for s in slots(service) if datetime.fromisoformat(s["start"]) >= target)


def test_slot_generation_is_idempotent_and_never_resets_taken_seats(service):
    slot = slot_after(service, 3)
    service.book(request(slot["slot_id"]))
    assert service.generate_slots([OFFICE]) == {OFFICE: 0}
    assert next(s for s in slots(service) if s["slot_id"] == slot["slot_id"])["available"] == slot["available"] - 1


def test_slots_are_added_a_hundred_per_request_and_one_created_meanwhile_is_kept(aws, clock):
    from chalicelib.booking import offices, schedule

    service = BookingService(DynamoBookingRepository(), SqsNoticePublisher(aws["notices"]),
                             pepper="test", clock=clock, policy=Policy())
    office = offices.get(OFFICE)
    first, last = service.window(office)
    planned = schedule.plan(office, first, last)
    assert len(planned) > 100
    pairs = [(slot, 2_000_000_000) for slot in planned]
    repo = DynamoBookingRepository()
    # Another generator created one of them meanwhile, and a booking took a seat in it.
    assert repo.add_slot(planned[-1], 2_000_000_000)
    taken = tables.SlotRecord.get(OFFICE, planned[-1].start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    taken.update(actions=[tables.SlotRecord.available.add(-1)])
    assert repo.add_slots(pairs) == len(planned) - 1
    assert tables.SlotRecord.count(OFFICE) == len(planned)
    kept = tables.SlotRecord.get(OFFICE, planned[-1].start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert kept.available == planned[-1].capacity - planned[-1].reserved - 1
    assert repo.add_slots(pairs) == 0


def test_a_booking_writes_slot_appointment_and_person_together(service):
    slot = slot_after(service, 3)
    cn = normalize_confirmation_number(service.book(request(slot["slot_id"])).body["confirmation_number"])
    record = tables.AppointmentRecord.get(cn)
    assert record.status == "booked" and record.version == 1
    assert record.pending_notices == {"booking_confirmation:1"}
    person = tables.PersonRecord.get(record.person_key)
    assert person.active_confirmation == cn
    assert "santos" not in record.person_key and "Santos" not in record.proof


def test_the_outbox_counts_a_booking_of_the_cut_offs_own_second_as_older(service):
    """Times are stored to the second: a sweep half a second after a booking finds its notice."""
    from chalicelib.notices.repository import DynamoAppointmentStore

    slot = slot_after(service, 3)
    cn = normalize_confirmation_number(
        service.book(request(slot["slot_id"])).body["confirmation_number"])
    pending = dict(DynamoAppointmentStore().pending_outbox(MONDAY_NOON + timedelta(milliseconds=500)))
    assert pending == {cn: frozenset({"booking_confirmation:1"})}


def test_a_rejected_booking_leaves_nothing_behind(service):
    slot = slot_after(service, 3)
    for n in range(slot["available"]):
        service.book(request(slot["slot_id"], first=f"Person{chr(65 + n)}"))
    appointments = tables.AppointmentRecord.count()
    with pytest.raises(errors.SlotUnavailable):
        service.book(request(slot["slot_id"], first="Extra"))
    assert tables.AppointmentRecord.count() == appointments
    assert tables.SlotRecord.get(OFFICE, slot_after_record(slot)).available == 0
    # the refused person is not claimed: they can book elsewhere
    assert service.book(request(slot_after(service, 5)["slot_id"], first="Extra")).status == 201


def slot_after_record(slot):
    start = datetime.fromisoformat(slot["start"]).astimezone(timezone.utc)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_already_booked_and_too_soon_are_told_apart(service, clock):
    service.book(request(slot_after(service, 2)["slot_id"]))
    with pytest.raises(errors.AlreadyBooked):
        service.book(request(slot_after(service, 4)["slot_id"]))
    clock.advance(days=7)
    service.generate_slots([OFFICE])
    with pytest.raises(errors.TooSoon):
        service.book(request(slot_after(service, 5)["slot_id"]))


def test_idempotent_replay_and_key_reuse(service):
    slot = slot_after(service, 3)["slot_id"]
    first = service.book(request(slot), idempotency_key="abc")
    assert service.book(request(slot), idempotency_key="abc").body == first.body
    with pytest.raises(errors.IdempotencyKeyReused):
        service.book(request(slot, first="Different"), idempotency_key="abc")
    assert tables.AppointmentRecord.count() == 1


def test_cancel_then_rebook_and_reschedule_keep_seats_exact(service):
    a, b = slot_after(service, 3), slot_after(service, 6)
    cn = service.book(request(a["slot_id"])).body["confirmation_number"]
    moved = service.reschedule(cn, RescheduleRequest(slot_id=b["slot_id"], **PROOF.model_dump()))
    assert moved["version"] == 2
    now = {s["slot_id"]: s["available"] for s in slots(service)}
    assert now[a["slot_id"]] == a["available"] and now[b["slot_id"]] == b["available"] - 1
    service.cancel(cn, PROOF)
    now = {s["slot_id"]: s["available"] for s in slots(service)}
    assert now[b["slot_id"]] == b["available"]
    assert service.book(request(a["slot_id"])).status == 201


def test_a_stale_reschedule_cannot_take_a_second_seat(service):
    a, b, c = (slot_after(service, d) for d in (3, 5, 7))
    cn = service.book(request(a["slot_id"])).body["confirmation_number"]
    stale = service.repo.get_appointment(normalize_confirmation_number(cn))
    service.reschedule(cn, RescheduleRequest(slot_id=b["slot_id"], **PROOF.model_dump()))
    from chalicelib.booking.ports import Rejected
    new_slot = service.repo.get_slot(OFFICE, datetime.fromisoformat(c["start"]))
    with pytest.raises(Rejected):
        service.repo.reschedule(stale, new_slot, "America/New_York", MONDAY_NOON, MONDAY_NOON)
    now = {s["slot_id"]: s["available"] for s in slots(service)}
    assert now[c["slot_id"]] == c["available"]
    assert now[a["slot_id"]] == a["available"]


def test_a_booking_publishes_an_event_without_personal_data(service, aws):
    import json
    from chalicelib import aws as aws_clients
    cn = service.book(request(slot_after(service, 3)["slot_id"])).body["confirmation_number"]
    messages = aws_clients.client("sqs").receive_message(QueueUrl=aws["notices"], MaxNumberOfMessages=10)["Messages"]
    body = json.loads(messages[0]["Body"])
    assert body == {"kind": "booking_confirmation", "subject": "appointment",
                    "id": normalize_confirmation_number(cn), "version": 1}
    assert "Santos" not in messages[0]["Body"] and "maria" not in messages[0]["Body"]


def test_a_missing_queue_does_not_fail_the_booking(aws, clock):
    svc = BookingService(DynamoBookingRepository(), SqsNoticePublisher(aws["notices"] + "-gone"),
                         pepper="t", clock=clock, policy=Policy())
    svc.generate_slots([OFFICE])
    assert svc.book(request(slot_after(svc, 3)["slot_id"])).status == 201


def test_an_expired_idempotency_record_that_ttl_has_not_deleted_does_not_hold_the_key(service, clock):
    first = service.book(request(slot_after(service, 3)["slot_id"]), idempotency_key="stale")
    service.cancel(first.body["confirmation_number"], PROOF)
    clock.advance(hours=25)  # moto never expires TTL items: the record is still there
    second = service.book(request(slot_after(service, 5)["slot_id"]), idempotency_key="stale")
    assert not second.replayed
    assert second.body["confirmation_number"] != first.body["confirmation_number"]
