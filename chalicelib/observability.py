"""Structured JSON logs (Powertools) for every module's stdlib logger.

Log calls pass ids and codes in `extra`, never names, birth dates, A-numbers, phones or emails.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from chalicelib import settings as _settings


@lru_cache(maxsize=1)
def configure_logging() -> None:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    logger = Logger(service="infopass", level=_settings.settings.log_level)
    # Their debug output carries whole request bodies, personal data included: never enable it.
    for noisy in ("pynamodb", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib", "app"})
