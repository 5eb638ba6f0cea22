"""Sends email through SES v2 as raw MIME (text, HTML and attachments in one message)."""
from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.notices import render
from chalicelib.notices.model import Email
from chalicelib.notices.ports import PermanentlyRejected, SendFailed, Throttled

# Stages without SES_SENDER (the local stack, tests) send as this; local provisioning verifies it.
LOCAL_SENDER = "USCIS InfoPass <no-reply@infopass.example.gov>"

THROTTLING = frozenset({"TooManyRequestsException", "LimitExceededException", "Throttling",
                        "ThrottlingException", "SendingPausedException",
                        "MaxSendingRateExceeded"})
# Retrying these sends the same message to the same refusal.
PERMANENT = frozenset({"MessageRejected", "BadRequestException", "InvalidParameterValue",
                       "MailFromDomainNotVerifiedException"})


class SesV2Sender:
    def __init__(self, sender: str, configuration_set: str | None = None) -> None:
        self.sender = sender
        self.configuration_set = configuration_set

    def send(self, message: Email) -> str:
        # No Destination: SES takes the recipients from the message's To header.
        request = {"FromEmailAddress": self.sender,
                   "Content": {"Raw": {"Data": render.mime(message, self.sender)}}}
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            return aws.client("sesv2").send_email(**request)["MessageId"]
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in THROTTLING:
                raise Throttled(code) from None
            if code in PERMANENT:
                raise PermanentlyRejected(code) from None
            raise SendFailed(code or "ClientError") from None
        except BotoCoreError as error:
            raise SendFailed(type(error).__name__) from None
