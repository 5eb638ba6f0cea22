"""Composition root: builds services from settings and adapters, once per Lambda container."""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib import settings as _settings
from chalicelib.booking import offices as office_directory
from chalicelib.observability import configure_logging

# Each factory imports its context when first called: a container answering office searches
# never loads triage, notices or performance (cold start, issue 14). Every table is registered by
# `chalicelib.tables.all_tables()`, not by the imports here.
if TYPE_CHECKING:
    from chalicelib.booking.claims import NationwideClaims
    from chalicelib.booking.domain import Policy
    from chalicelib.booking.holds import HoldService
    from chalicelib.booking.listing import BookedOutUnlisting
    from chalicelib.booking.release import ReservedSeatRelease
    from chalicelib.booking.service import BookingService
    from chalicelib.limits.service import Limiter
    from chalicelib.notices.appointments import AppointmentNotices
    from chalicelib.notices.events import SqsNoticeQueue
    from chalicelib.notices.letters import OfficeLetters
    from chalicelib.notices.service import NoticeService
    from chalicelib.offices.assisted import AssistedDigital
    from chalicelib.offices.closures import ClosureJob
    from chalicelib.offices.roster import FrontDesk
    from chalicelib.offices.service import OfficeAdministration
    from chalicelib.performance.service import Figures, Publication
    from chalicelib.triage.deadlines import DeadlinePolicy
    from chalicelib.triage.service import TriageService
    from chalicelib.waitlist.service import WaitlistService


def policy(s: _settings.Settings) -> Policy:
    from chalicelib.booking.domain import Policy

    return Policy(booking_window_days=s.booking_window_days,
                  change_cutoff=timedelta(hours=s.change_cutoff_hours),
                  min_interval=timedelta(days=s.min_interval_days),
                  max_active_per_contact=s.max_active_per_contact)


@lru_cache(maxsize=1)
def limiter() -> Limiter:
    from chalicelib.limits import service as limits
    from chalicelib.limits.domain import Rule
    from chalicelib.limits.repository import DynamoCounters
    from chalicelib.waitlist.service import WAITLIST_PROOF

    s = _settings.settings
    proofs = Rule(s.proof_attempts, timedelta(seconds=s.proof_window_seconds))
    return limits.Limiter(DynamoCounters(), {
        limits.BOOKING_PROOF: proofs, limits.REQUEST_PROOF: proofs, WAITLIST_PROOF: proofs,
        limits.BOOKING_CLIENT: Rule(s.booking_client_limit,
                                    timedelta(seconds=s.booking_client_window_seconds)),
        limits.HOLD_CLIENT: Rule(s.hold_client_limit,
                                 timedelta(seconds=s.hold_client_window_seconds)),
    }, pepper=s.identity_pepper, exempt_clients=s.rate_limit_exempt)


@lru_cache(maxsize=1)
def booking_service() -> BookingService:
    from chalicelib.booking.generation_repository import DynamoGenerationMarks
    from chalicelib.booking.hold_repository import DynamoHoldRepository
    from chalicelib.booking.notices import SqsNoticePublisher
    from chalicelib.booking.repository import DynamoBookingRepository
    from chalicelib.booking.service import BookingService

    configure_logging()
    s = _settings.settings
    return BookingService(DynamoBookingRepository(), SqsNoticePublisher(s.notices_queue_url),
                          policy=policy(s), pepper=s.identity_pepper,
                          idempotency_ttl=timedelta(hours=s.idempotency_ttl_hours),
                          attempts=limiter(),
                          # A cancelled visit that triage granted reopens its request.
                          on_cancelled=_cancelled,
                          on_seat_freed=lambda office_id, start: waitlist_service().seat_freed(
                              office_id, start),
                          holds=DynamoHoldRepository(),
                          generation_marks=DynamoGenerationMarks(),
                          claims=nationwide_claims())


@lru_cache(maxsize=1)
def nationwide_claims() -> NationwideClaims:
    """The person's claim every region shares (issue 16). It runs on one-region stages too
    (local, dev, tests): the same code path everywhere, two more requests a booking."""
    from chalicelib.booking.claim_repository import DynamoClaims
    from chalicelib.booking.claims import NationwideClaims
    from chalicelib.booking.repository import DynamoBookingRepository

    s = _settings.settings
    return NationwideClaims(DynamoClaims(), s.region, DynamoBookingRepository(),
                            lease_seconds=s.claim_lease_seconds, clock=_utc_now,
                            region_urls=s.region_urls)


def _cancelled(appointment) -> None:
    # A cancelled visit that triage granted reopens its request; its seat goes to the first
    # person waiting for it (both after the cancellation has committed).
    try:
        triage_service().visit_cancelled(appointment)
    finally:
        waitlist_service().seat_freed(appointment.office_id, appointment.start)


@lru_cache(maxsize=1)
def waitlist_service() -> WaitlistService:
    from chalicelib.waitlist.notices import SqsOfferNotices
    from chalicelib.waitlist.repository import DynamoWaitlistRepository
    from chalicelib.waitlist.service import WaitlistService

    s = _settings.settings
    return WaitlistService(booking_service(), DynamoWaitlistRepository(),
                           SqsOfferNotices(notice_queue()), offer_minutes=s.offer_minutes,
                           attempts=limiter())


@lru_cache(maxsize=1)
def hold_service() -> HoldService:
    from chalicelib.booking.hold_repository import DynamoHoldRepository
    from chalicelib.booking.holds import HoldService

    s = _settings.settings
    return HoldService(booking_service(), DynamoHoldRepository(), limiter(),
                       hold_minutes=s.hold_minutes,
                       on_freed=lambda office_id, start: waitlist_service().seat_freed(
                           office_id, start))


@lru_cache(maxsize=1)
def reserved_seat_release() -> ReservedSeatRelease:
    from chalicelib.booking.release import ReservedSeatRelease
    from chalicelib.booking.repository import DynamoBookingRepository

    configure_logging()
    return ReservedSeatRelease(DynamoBookingRepository(), clock=_utc_now,
                               on_freed=lambda office_id, start: waitlist_service().seat_freed(
                                   office_id, start))


@lru_cache(maxsize=1)
def booked_out_unlisting() -> BookedOutUnlisting:
    from chalicelib.booking.listing import BookedOutUnlisting
    from chalicelib.booking.repository import DynamoBookingRepository

    configure_logging()
    return BookedOutUnlisting(DynamoBookingRepository(), clock=_utc_now)


@lru_cache(maxsize=1)
def office_administration() -> OfficeAdministration:
    from chalicelib.offices.repository import DynamoOfficeRepository
    from chalicelib.offices.service import OfficeAdministration

    configure_logging()
    return OfficeAdministration(DynamoOfficeRepository(),
                                lambda ids: booking_service().generate_slots(ids),
                                booking_window_days=_settings.settings.booking_window_days)


@lru_cache(maxsize=1)
def closure_job() -> ClosureJob:
    from chalicelib.booking.notices import SqsNoticePublisher
    from chalicelib.offices.closures import ClosureJob
    from chalicelib.offices.repository import DynamoOfficeRepository

    configure_logging()
    return ClosureJob(DynamoOfficeRepository(),
                      SqsNoticePublisher(_settings.settings.notices_queue_url),
                      on_cancelled=nationwide_claims().released)


@lru_cache(maxsize=1)
def front_desk() -> FrontDesk:
    from chalicelib.offices.repository import DynamoRosterRepository
    from chalicelib.offices.roster import AttendancePolicy, FrontDesk

    configure_logging()
    s = _settings.settings
    return FrontDesk(DynamoRosterRepository(), AttendancePolicy(
        no_show_grace=timedelta(minutes=s.no_show_grace_minutes),
        check_in_early=timedelta(minutes=s.check_in_early_minutes),
        no_show_counts=s.no_show_counts))


@lru_cache(maxsize=1)
def assisted_digital() -> AssistedDigital:
    from chalicelib.offices.assisted import AssistedDigital

    return AssistedDigital(booking_service(), clock=_utc_now)


@lru_cache(maxsize=1)
def publication() -> Publication:
    from chalicelib.performance import metrics as performance_metrics
    from chalicelib.performance.repository import DynamoPerformanceStore
    from chalicelib.performance.service import Publication
    from chalicelib.performance.sources import DynamoSources

    configure_logging()
    return Publication(office_directory.home_offices, DynamoSources(), DynamoPerformanceStore(),
                       performance_metrics.emit, _settings.settings.booking_window_days)


@lru_cache(maxsize=1)
def figures() -> Figures:
    from chalicelib.performance.repository import DynamoPerformanceStore
    from chalicelib.performance.service import Figures

    configure_logging()
    return Figures(DynamoPerformanceStore(),
                   lambda: {office["id"] for office in office_directory.all_offices()})


def _load_offices() -> list[dict]:
    """Every office, from the table; a new stage's empty table is seeded first (once)."""
    from chalicelib.offices.repository import DynamoOfficeRepository

    found = DynamoOfficeRepository().all()
    if not found:
        office_administration().seed()
        found = DynamoOfficeRepository().all()
    return found


def _load_office(office_id: str) -> dict | None:
    from chalicelib.offices.repository import DynamoOfficeRepository

    return DynamoOfficeRepository().get(office_id)


def _install_office_directory() -> None:
    from chalicelib.regions import Regions

    s = _settings.settings
    office_directory.use(_load_offices, _load_office, s.offices_cache_seconds)
    office_directory.use_regions(Regions(s.region, s.region_urls,
                                         retry_after_seconds=s.move_fence_seconds))


_install_office_directory()


def notice_queue() -> SqsNoticeQueue:
    from chalicelib.notices.events import SqsNoticeQueue

    return SqsNoticeQueue(_settings.settings.notices_queue_url)


@lru_cache(maxsize=1)
def notice_service() -> NoticeService:
    from chalicelib.notices import registry as notice_registry
    from chalicelib.notices.repository import DynamoLetterBox, DynamoSentLog
    from chalicelib.notices.service import NoticeService
    from chalicelib.notices.ses import LOCAL_SENDER, SesV2Sender

    s = _settings.settings
    return NoticeService(notice_registry.get, DynamoSentLog(),
                         SesV2Sender(s.ses_sender or LOCAL_SENDER,
                                     s.ses_configuration_set or None),
                         DynamoLetterBox(), notice_queue(), lease_seconds=s.notice_lease_seconds,
                         outbox_grace=timedelta(minutes=s.outbox_grace_minutes))


@lru_cache(maxsize=1)
def appointment_notices() -> AppointmentNotices:
    from chalicelib.notices.appointments import AppointmentNoticePolicy, AppointmentNotices
    from chalicelib.notices.repository import DynamoAppointmentStore

    s = _settings.settings
    return AppointmentNotices(DynamoAppointmentStore(), AppointmentNoticePolicy(
        change_cutoff=timedelta(hours=s.change_cutoff_hours),
        reminder_lead=timedelta(hours=s.reminder_lead_hours), manage_url=s.manage_url),
        clock=_utc_now)


@lru_cache(maxsize=1)
def office_letters() -> OfficeLetters:
    from chalicelib.notices.letters import OfficeLetters
    from chalicelib.notices.repository import DynamoLetterBox

    configure_logging()
    return OfficeLetters(DynamoLetterBox(), clock=_utc_now)


def _utc_now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def deadline_policy(s: _settings.Settings) -> DeadlinePolicy:
    from chalicelib.triage.deadlines import DeadlinePolicy

    return DeadlinePolicy(emergency_business_days=s.triage_emergency_business_days,
                          urgent_business_days=s.triage_urgent_business_days,
                          standard_calendar_days=s.triage_standard_calendar_days,
                          reminder_before=timedelta(hours=s.triage_reminder_hours),
                          appeal_window_days=s.triage_appeal_window_days,
                          failed_callbacks_before_notice=s.triage_failed_callbacks,
                          decision_business_days=s.triage_decision_business_days,
                          appeal_decision_business_days=s.triage_appeal_decision_business_days,
                          visit_after_overturn_business_days=(
                              s.triage_visit_after_overturn_business_days),
                          breaches_before_escalation=s.triage_breaches_before_escalation)


@lru_cache(maxsize=1)
def triage_service() -> TriageService:
    from chalicelib.triage.events import SqsRequestNotices
    from chalicelib.triage.repository import DynamoTriageRepository
    from chalicelib.triage.service import TriageService

    configure_logging()
    s = _settings.settings
    return TriageService(DynamoTriageRepository(), booking_service(),
                         SqsRequestNotices(notice_queue()), policy=deadline_policy(s),
                         pepper=s.identity_pepper,
                         idempotency_ttl=timedelta(hours=s.idempotency_ttl_hours),
                         attempts=limiter())


def rewire() -> None:
    """Re-read settings and rebuild everything (tests and the local stack)."""
    from chalicelib import aws, tables
    from chalicelib.staff import auth as staff_auth

    _settings.reload()
    tables.bind()
    aws.reset()
    forget_services()
    staff_auth.verifier.cache_clear()
    _install_office_directory()


def forget_services() -> None:
    """Drops every service built so far: the next call builds it from the current settings
    (after `rewire`, and after a SnapStart restore: `chalicelib.snapstart.refresh`)."""
    limiter.cache_clear()
    booking_service.cache_clear()
    nationwide_claims.cache_clear()
    reserved_seat_release.cache_clear()
    booked_out_unlisting.cache_clear()
    hold_service.cache_clear()
    waitlist_service.cache_clear()
    notice_service.cache_clear()
    appointment_notices.cache_clear()
    office_letters.cache_clear()
    triage_service.cache_clear()
    office_administration.cache_clear()
    closure_job.cache_clear()
    front_desk.cache_clear()
    assisted_digital.cache_clear()
    publication.cache_clear()
    figures.cache_clear()
