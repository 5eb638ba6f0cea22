"""Scheduled triage jobs: the callback-deadline watch, and the metric the breach alarm reads."""
from __future__ import annotations

import logging

from chalice import Blueprint, Rate

from chalicelib import settings as _settings, wiring

jobs = Blueprint(__name__)
log = logging.getLogger(__name__)

BREACH_METRIC = "TriageDeadlineBreaches"
REMINDER_METRIC = "TriageDeadlineReminders"


@jobs.schedule(Rate(15, unit=Rate.MINUTES), name="watch_triage_deadlines")
def watch_deadlines(event):
    """Reminds Tier 2 queues of deadlines ending soon and flags missed ones; never closes a
    request. Every run emits the breach count, zero included, so the alarm always has data."""
    counts = wiring.triage_service().watch_deadlines()
    emit_metrics(counts)
    log.info("triage deadlines watched", extra=counts)
    return counts


def emit_metrics(counts: dict[str, int]) -> None:
    """CloudWatch Embedded Metric Format on stdout (Lambda ships it to CloudWatch Logs, which
    extracts the metrics): namespace from settings, one dimension, Stage."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    s = _settings.settings
    metrics = EphemeralMetrics(namespace=s.metrics_namespace)
    metrics.add_dimension(name="Stage", value=s.stage)
    metrics.add_metric(name=BREACH_METRIC, unit=MetricUnit.Count, value=counts.get("breached", 0))
    metrics.add_metric(name=REMINDER_METRIC, unit=MetricUnit.Count,
                       value=counts.get("reminded", 0))
    metrics.flush_metrics()
