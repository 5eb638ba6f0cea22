"""The day's figures as CloudWatch metrics, in the Embedded Metric Format: one log line per office
and day, turned into metrics by CloudWatch Logs (no PutMetricData call, no extra client)."""
from __future__ import annotations

from chalicelib.performance import domain
from chalicelib.performance.domain import OfficeDay

NAMESPACE = "InfoPass"


def emit(d: OfficeDay) -> None:
    # Imported on first use: only the publication job pays for it.
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    metrics = EphemeralMetrics(namespace=NAMESPACE, service="infopass")
    metrics.add_dimension(name="office_id", value=d.office_id)
    metrics.add_metadata(key="date", value=d.day.isoformat())
    for name, value in vars(d.seats).items():
        metrics.add_metric(name=f"seats_{name}", unit=MetricUnit.Count, value=value)
    for level, count in d.triage.submitted.items():
        metrics.add_metric(name=f"requests_{level}", unit=MetricUnit.Count, value=count)
    t = domain.triage_figures(d.triage)
    for name in ("first_callbacks", "decisions", "decisions_on_time", "appeals"):
        metrics.add_metric(name=f"triage_{name}", unit=MetricUnit.Count, value=t[name])
    for outcome, count in t["appeal_outcomes"].items():
        metrics.add_metric(name=f"appeals_{outcome}", unit=MetricUnit.Count, value=count)
    if t["median_hours_to_first_callback"] is not None:
        metrics.add_metric(name="median_hours_to_first_callback", unit=MetricUnit.Count,
                           value=t["median_hours_to_first_callback"])
    if d.days_to_first_open_seat is not None:
        metrics.add_metric(name="days_to_first_open_seat", unit=MetricUnit.Count,
                           value=d.days_to_first_open_seat)
    metrics.flush_metrics()
