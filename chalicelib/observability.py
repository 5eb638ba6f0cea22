"""Structured JSON logs (Powertools) for every module's stdlib logger.

Log calls pass ids and codes in `extra`, never names, birth dates, A-numbers, phones or emails.
"""
from __future__ import annotations

import logging
import threading

from chalicelib import settings as _settings

_configuring = threading.Lock()
_configured = False


def configure_logging() -> None:
    """Once per process. Under a lock: the local API serves requests on threads, and two first
    requests configuring the loggers at once broke Powertools' formatter (500s: "'Formatter'
    object has no attribute 'append_keys'")."""
    global _configured
    if _configured:
        return
    with _configuring:
        if not _configured:
            _configure()
            _configured = True


def _configure() -> None:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    logger = Logger(service="infopass", level=_settings.settings.log_level)
    # Their debug output carries whole request bodies, personal data included: never enable it.
    for noisy in ("pynamodb", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib", "app"})


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
