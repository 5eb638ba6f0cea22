"""Every route family and every job once, as the packaged code runs them (`bench.package`).

Run by a fresh interpreter whose sys.path starts with the extracted zip; DynamoDB, SQS and SES
are an address nothing listens on (one attempt each), so a request or job goes as far as its
first AWS call: parsing, validation, translations, the ZIP table, the libraries it imports. The
notice rendering and the holiday calendar, which come after AWS reads, are called directly."""
from __future__ import annotations

import importlib
import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import app


def api(method: str, resource: str, body: dict | None = None, headers: dict | None = None,
        query: dict | None = None, **params: str) -> int:
    path = resource.format(**params)
    event = {"resource": resource, "path": path, "httpMethod": method,
             "headers": {"accept": "application/json", "content-type": "application/json",
                         "accept-language": "es", **(headers or {})},
             "multiValueHeaders": None, "queryStringParameters": query,
             "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
             "pathParameters": params or None, "stageVariables": None,
             "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
             "requestContext": {"resourcePath": resource, "httpMethod": method, "stage": "api",
                                "path": "/api" + path, "requestId": "bench",
                                "identity": {"sourceIp": "192.0.2.1"}}}
    return app.app(event, None)["statusCode"]


class Context:
    function_name, aws_request_id, memory_limit_in_mb = "bench", "bench", 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def run(step, *args) -> str:
    try:
        step(*args)
        return "ok"
    except Exception as error:  # noqa: BLE001 - no AWS here; the code up to it has run
        return type(error).__name__


def main() -> dict:
    person = {"first_name": "José", "last_name": "Núñez", "date_of_birth": "1980-02-03",
              "email": "jose@example.com", "phone": "(617) 555-0123"}
    address = {"line1": "1 Pike St", "city": "Seattle", "state": "WA", "zip": "98101"}
    statuses = {
        "health": api("GET", "/v1/health"),
        "languages": api("GET", "/v1/languages"),
        "reasons": api("GET", "/v1/reasons"),
        "openapi": api("GET", "/v1/openapi.json"),
        "offices by ZIP": api("GET", "/v1/offices", query={"zip": "02108"}),
        "slots": api("GET", "/v1/offices/{office_id}/slots", query={"from": "2026-12-01"},
                     office_id="bos"),
        "book": api("POST", "/v1/appointments",
                    {"slot_id": "bos.20261201t1400z", "applicant": {**person, "address": address},
                     "reason": {"category": "case_inquiry"}, "language": "vi"}),
        "lookup": api("POST", "/v1/appointments/{confirmation_number}/lookup",
                      {"last_name": "Núñez", "date_of_birth": "1980-02-03"},
                      confirmation_number="7K3M9Q2XHD4P"),
        "triage criteria": api("GET", "/v1/triage/criteria"),
        "triage submit": api("POST", "/v1/service-requests",
                             {"applicant": person, "callback_period": "morning", "language": "es",
                              "zip": "06103", "inquiry_type": "emergency_travel_document",
                              "description": "Mi madre está muy enferma en Lima."}),
        "staff queue": api("GET", "/v1/staff/queue", headers={"authorization": "Bearer a.b.c"}),
    }
    from chalicelib.staff.auth import CognitoVerifier
    statuses["staff token"] = run(CognitoVerifier("https://cognito.invalid/x", "c").verify,
                                  "a.b.c")
    from chalicelib.booking.schedule import is_federal_holiday
    statuses["holidays"] = sum(is_federal_holiday(date(2026, 1, 1) + timedelta(days=d))
                               for d in range(365))
    from chalicelib.i18n import LANGUAGES, translator
    moment = datetime(2026, 12, 1, 14, tzinfo=timezone.utc)
    statuses["dates"] = len({translator(language).when(moment.astimezone(
        ZoneInfo("America/New_York"))) for language in LANGUAGES})
    from chalicelib.notices.calendar import ics
    from chalicelib.notices.model import CalendarEvent
    statuses["ics"] = len(ics(CalendarEvent("uid", 1, moment, moment + timedelta(minutes=30),
                                            "Cita", "Boston", "Traiga su aviso"), moment))
    jobs = {"generate_slots": "chalicelib.booking.jobs",
            "release_reserved_seats": "chalicelib.booking.jobs",
            "return_expired_holds": "chalicelib.booking.jobs",
            "unlist_booked_out_slots": "chalicelib.booking.jobs",
            "publish_performance": "chalicelib.performance.jobs",
            "move_waitlist_on": "chalicelib.waitlist.jobs",
            "send_reminders": "chalicelib.notices.handlers",
            "sweep_outbox": "chalicelib.notices.handlers",
            "watch_deadlines": "chalicelib.triage.jobs",
            "cancel_for_closures": "chalicelib.offices.jobs"}
    scheduled = {"version": "0", "id": "bench", "detail-type": "Scheduled Event",
                 "source": "aws.events", "account": "000000000000", "region": "us-east-1",
                 "time": "2026-12-01T14:00:00Z", "resources": [], "detail": {}}
    for name, module in jobs.items():
        handler = getattr(importlib.import_module(module), name, None)
        statuses[name] = run(handler, scheduled, Context()) if handler else "missing"
    from chalicelib.notices.handlers import send_notice
    record = {"messageId": "m1", "receiptHandle": "r", "body": json.dumps({"kind": "x"}),
              "attributes": {}, "messageAttributes": {}, "md5OfBody": "", "eventSource":
              "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q",
              "awsRegion": "us-east-1"}
    statuses["send_notice"] = run(send_notice, {"Records": [record]}, Context())
    return statuses
