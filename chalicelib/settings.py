"""The one place that reads the environment.

Every tunable the stages differ by lives here; `.chalice/config.json` sets them per stage
and the local stack sets them for `make run` and the tests.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field


# pydantic looks for plugins in the entry points of every installed distribution when it builds
# its first validator (12 ms on a cold start here, a walk of every .dist-info in a Lambda zip);
# the app uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Origins a browser page may call the API from (`chalicelib/cors.py`): exact origins, or
# `scheme://host:*` for any port of that host. The local stack and the tests allow pages served
# from this machine (the reference web app's dev server among them); deployed stages list their
# web app's origin in `.chalice/config.json`.
LOCAL_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*")


def parse_origins(raw: str | None, stage: str) -> tuple[str, ...]:
    """`CORS_ALLOWED_ORIGINS`: origins separated by commas or spaces; unset means the local
    origins on the local and test stages and none elsewhere (a stage must name its web app)."""
    if raw is None:
        return LOCAL_ORIGINS if stage in {"local", "test"} else ()
    return tuple(o.strip().rstrip("/") for o in raw.replace(" ", ",").split(",") if o.strip())


def parse_region_urls(raw: str | None) -> dict[str, str]:
    """`REGION_URLS`: a JSON object {region: the API base URL of that region's stage}. More
    than one entry makes a multi-region stage (README "Regions"); unset or one entry: every
    office is at home here."""
    import json

    if not raw:
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
        raise ValueError("REGION_URLS must be a JSON object of region -> base URL")
    return {region: url.rstrip("/") for region, url in parsed.items()}


def _origins() -> tuple[str, ...]:
    return parse_origins(os.environ.get("CORS_ALLOWED_ORIGINS"), os.environ.get("STAGE", "local"))


@dataclass(frozen=True)
class Settings:
    stage: str = field(default_factory=lambda: os.environ.get("STAGE", "local"))
    region: str = field(default_factory=lambda: os.environ.get("AWS_REGION")
                        or os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    # Only the local stack and tests set an endpoint; deployed stages talk to AWS itself.
    aws_endpoint_url: str | None = field(
        default_factory=lambda: os.environ.get("AWS_ENDPOINT_URL") or None)
    resource_prefix: str = field(
        default_factory=lambda: os.environ.get("RESOURCE_PREFIX", "infopass-local"))
    # Table names. A DynamoDB global table has one name in every region, so the regional prod
    # stages share one (`infopass-prod`) while queues, keys and functions keep RESOURCE_PREFIX.
    table_prefix: str = field(default_factory=lambda: os.environ.get(
        "TABLE_PREFIX", os.environ.get("RESOURCE_PREFIX", "infopass-local")))
    notices_queue_url: str = field(default_factory=lambda: os.environ.get("NOTICES_QUEUE_URL", ""))
    booking_window_days: int = field(default_factory=lambda: _int("BOOKING_WINDOW_DAYS", 14))
    change_cutoff_hours: int = field(default_factory=lambda: _int("CHANGE_CUTOFF_HOURS", 24))
    min_interval_days: int = field(default_factory=lambda: _int("MIN_INTERVAL_DAYS", 180))
    idempotency_ttl_hours: int = field(default_factory=lambda: _int("IDEMPOTENCY_TTL_HOURS", 24))
    # Upcoming self-service appointments that may share one email address or one phone number.
    max_active_per_contact: int = field(default_factory=lambda: _int("MAX_ACTIVE_PER_CONTACT", 2))
    # Keys person identities and proofs with HMAC so the tables never hold a guessable hash of
    # a name and birth date. Deployed stages inject a secret; the default is for local use only.
    identity_pepper: str = field(
        default_factory=lambda: os.environ.get("IDENTITY_PEPPER", "local-development-pepper"))
    log_level: str = field(default_factory=lambda: os.environ.get("LOG_LEVEL", "INFO"))
    # Notices (issue 3); the SES sender and configuration set are `ses_sender` and
    # `ses_configuration_set` below.
    reminder_lead_hours: int = field(default_factory=lambda: _int("REMINDER_LEAD_HOURS", 48))
    outbox_grace_minutes: int = field(default_factory=lambda: _int("OUTBOX_GRACE_MINUTES", 5))
    # Longer than the consumer's Lambda timeout, shorter than the queue's visibility timeout.
    notice_lease_seconds: int = field(default_factory=lambda: _int("NOTICE_LEASE_SECONDS", 60))
    manage_url: str = field(default_factory=lambda: os.environ.get(
        "MANAGE_URL", "https://infopass.example.gov/manage"))
    # Deployed stages (see `.chalice/config.json` and `infra/`): the SES sender and configuration
    # set of the stage's region, the staff Cognito pool tokens are verified against, and the
    # CloudWatch namespace alarms watch.
    ses_sender: str = field(default_factory=lambda: os.environ.get("SES_SENDER", ""))
    ses_configuration_set: str = field(
        default_factory=lambda: os.environ.get("SES_CONFIGURATION_SET", ""))
    cognito_user_pool_id: str = field(
        default_factory=lambda: os.environ.get("COGNITO_USER_POOL_ID", ""))
    cognito_app_client_id: str = field(
        default_factory=lambda: os.environ.get("COGNITO_APP_CLIENT_ID", ""))
    cognito_issuer: str = field(default_factory=lambda: os.environ.get("COGNITO_ISSUER", ""))
    metrics_namespace: str = field(
        default_factory=lambda: os.environ.get("METRICS_NAMESPACE", "InfoPass"))

    # Triage (issue 4): callback deadlines by urgency level, the Tier 2 reminder lead, the
    # appeal window, and the failed callbacks after which the requester is told how to call.
    triage_emergency_business_days: int = field(
        default_factory=lambda: _int("TRIAGE_EMERGENCY_BUSINESS_DAYS", 1))
    triage_urgent_business_days: int = field(
        default_factory=lambda: _int("TRIAGE_URGENT_BUSINESS_DAYS", 5))
    triage_standard_calendar_days: int = field(
        default_factory=lambda: _int("TRIAGE_STANDARD_CALENDAR_DAYS", 30))
    triage_reminder_hours: int = field(default_factory=lambda: _int("TRIAGE_REMINDER_HOURS", 24))
    triage_appeal_window_days: int = field(
        default_factory=lambda: _int("TRIAGE_APPEAL_WINDOW_DAYS", 30))
    triage_failed_callbacks: int = field(default_factory=lambda: _int("TRIAGE_FAILED_CALLBACKS", 3))
    # Issue 11: what each open state owes after the callback, and when breaches escalate.
    triage_decision_business_days: int = field(
        default_factory=lambda: _int("TRIAGE_DECISION_BUSINESS_DAYS", 2))
    triage_appeal_decision_business_days: int = field(
        default_factory=lambda: _int("TRIAGE_APPEAL_DECISION_BUSINESS_DAYS", 10))
    triage_visit_after_overturn_business_days: int = field(
        default_factory=lambda: _int("TRIAGE_VISIT_AFTER_OVERTURN_BUSINESS_DAYS", 5))
    triage_breaches_before_escalation: int = field(
        default_factory=lambda: _int("TRIAGE_BREACHES_BEFORE_ESCALATION", 2))
    service_request_url: str = field(default_factory=lambda: os.environ.get(
        "SERVICE_REQUEST_URL", "https://infopass.example.gov/requests"))

    cors_allowed_origins: tuple[str, ...] = field(default_factory=_origins)
    # Office operations (issue 12): how long a container serves offices from memory before it
    # reads the offices table again (changes made in the same container show at once).
    offices_cache_seconds: int = field(default_factory=lambda: _int("OFFICES_CACHE_SECONDS", 10))
    # The front desk marks a no-show only this long after the start; and whether a no-show counts
    # as a visit for the minimum interval between visits (default: only attended visits count).
    no_show_grace_minutes: int = field(default_factory=lambda: _int("NO_SHOW_GRACE_MINUTES", 15))
    no_show_counts: bool = field(
        default_factory=lambda: os.environ.get("NO_SHOW_COUNTS", "false").lower() == "true")
    check_in_early_minutes: int = field(
        default_factory=lambda: _int("CHECK_IN_EARLY_MINUTES", 60))

    # Limits (issue 9): failed identity proofs per confirmation number or request id, and
    # bookings per client (the gateway's source IP) per window; generous for a library's or a
    # legal clinic's shared connection, far below a bot. Exempt: the agency's own egress
    # addresses or networks (comma-separated), e.g. office kiosks.
    proof_attempts: int = field(default_factory=lambda: _int("PROOF_ATTEMPTS", 5))
    proof_window_seconds: int = field(default_factory=lambda: _int("PROOF_WINDOW_SECONDS", 3600))
    booking_client_limit: int = field(default_factory=lambda: _int("BOOKING_CLIENT_LIMIT", 20))
    booking_client_window_seconds: int = field(
        default_factory=lambda: _int("BOOKING_CLIENT_WINDOW_SECONDS", 3600))
    # Holds (issue 13): how long a seat is held while a person fills in the form (one
    # extension of as long again), and holds per client (source IP) per window; one active
    # hold per client at a time.
    hold_minutes: int = field(default_factory=lambda: _int("HOLD_MINUTES", 10))
    hold_client_limit: int = field(default_factory=lambda: _int("HOLD_CLIENT_LIMIT", 20))
    hold_client_window_seconds: int = field(
        default_factory=lambda: _int("HOLD_CLIENT_WINDOW_SECONDS", 3600))
    # A seat offered from the waitlist is held this long for the person to accept it.
    offer_minutes: int = field(default_factory=lambda: _int("OFFER_MINUTES", 120))
    rate_limit_exempt: tuple[str, ...] = field(default_factory=lambda: tuple(
        n.strip() for n in os.environ.get("RATE_LIMIT_EXEMPT", "").split(",") if n.strip()))

    # Regions (issue 16): {region: API base URL} of the stage's regions; more than one region
    # is multi-region mode. The person-claims table (one active appointment per person
    # nationwide) has the same name in every region, and locally a shared endpoint of its own
    # that stands in for the multi-Region strongly consistent global table.
    region_urls: dict[str, str] = field(
        default_factory=lambda: parse_region_urls(os.environ.get("REGION_URLS")))
    # Unset: `{TABLE_PREFIX}-claims` (`claims_table_name`).
    claims_table: str = field(default_factory=lambda: os.environ.get("CLAIMS_TABLE", ""))
    claims_endpoint_url: str | None = field(default_factory=lambda: os.environ.get(
        "CLAIMS_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL") or None)
    # Local stacks and tests only: the region the claims endpoint is signed for, so that two
    # local regions see one table (moto keeps tables per region). In AWS, the stage's region.
    claims_region: str | None = field(default_factory=lambda: os.environ.get("CLAIMS_REGION") or None)
    # A pending claim's lease: well above the API Lambda timeout (30 s), so a claim whose lease
    # ran out belongs to a request that is no longer running.
    claim_lease_seconds: int = field(default_factory=lambda: _int("CLAIM_LEASE_SECONDS", 120))
    # How long an office is fenced (no region writes it) before its home moves: the offices
    # cache, a Lambda's whole run and replication must all have passed.
    move_fence_seconds: int = field(default_factory=lambda: _int("MOVE_FENCE_SECONDS", 60))

    def table_name(self, short: str) -> str:
        return f"{self.table_prefix}-{short}"

    def resource_name(self, short: str) -> str:
        """Names of the stage's own regional resources (queues)."""
        return f"{self.resource_prefix}-{short}"

    def claims_table_name(self) -> str:
        return self.claims_table or self.table_name("claims")


settings = Settings()


def xray_trace_id() -> str | None:
    """The X-Ray trace header Lambda sets for the current invocation (it changes per request,
    so it is read each time rather than kept in `settings`)."""
    return os.environ.get("_X_AMZN_TRACE_ID")


def reload() -> Settings:
    """Re-read the environment (tests and the local stack change it before wiring services)."""
    global settings
    settings = Settings()
    return settings
