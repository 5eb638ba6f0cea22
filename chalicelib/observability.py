"""Structured JSON logs for every module's stdlib logger, and metrics for the jobs.

Log calls pass ids and codes in `extra`, never names, birth dates, A-numbers, phones or emails.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone

from chalicelib import settings as _settings

_configuring = threading.Lock()
_configured = False

# What every LogRecord carries; anything else on a record came from `extra`.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the keys Powertools' Logger wrote (level, location,
    message, timestamp, service, the `extra` keys, exception, xray_trace_id). The stdlib does
    it without Powertools' imports on the request path (20-60 ms of a cold start, issue 14)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {"level": record.levelname, "location": f"{record.funcName}:{record.lineno}",
               "message": record.getMessage(),
               "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                   timespec="milliseconds"),
               "service": "infopass"}
        out.update((k, v) for k, v in record.__dict__.items() if k not in _RECORD_ATTRIBUTES)
        if record.exc_info:
            out["exception_name"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            out["exception"] = self.formatException(record.exc_info)
        trace = _settings.xray_trace_id()
        if trace:
            out["xray_trace_id"] = trace.split(";", 1)[0].removeprefix("Root=")
        return json.dumps(out, default=str, ensure_ascii=False)


def configure_logging() -> None:
    """Once per process. Under a lock: the local API serves requests on threads, and two first
    requests configuring the loggers at once broke Powertools' formatter (500s: "'Formatter'
    object has no attribute 'append_keys'"); the stdlib one is set up once the same way."""
    global _configured
    if _configured:
        return
    with _configuring:
        if not _configured:
            _configure()
            _configured = True


def _configure() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    # Their debug output carries whole request bodies, personal data included: never enable it.
    for noisy in ("pynamodb", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "infopass" is Chalice's own logger (the app's name), which Powertools' Logger took over.
    for name in ("chalicelib", "app", "infopass"):
        logger = logging.getLogger(name)
        logger.setLevel(_settings.settings.log_level)
        logger.handlers = [handler]
        logger.propagate = False  # one line per record, not a second one from the root logger


def emit_counts(counts: dict[str, int]) -> None:
    """CloudWatch Embedded Metric Format on stdout (Lambda ships it to CloudWatch Logs, which
    extracts the metrics): one Count metric per entry, in the stage's namespace, dimension
    Stage. Zero counts are emitted too, so a graph or alarm always has data."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    s = _settings.settings
    metrics = EphemeralMetrics(namespace=s.metrics_namespace)
    metrics.add_dimension(name="Stage", value=s.stage)
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()
