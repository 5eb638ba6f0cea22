"""moto in server mode, serving one request at a time.

moto's threaded server is not atomic: concurrent conditional writes over-book and a failed
transaction restores a deep copy of the table, erasing other clients' writes. Real DynamoDB
executes each request atomically; a lock around the whole request (including reading the
response body) gives the local stack the same guarantee.
"""
from __future__ import annotations

import argparse
import logging
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


class Serialized:
    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == SENT_MAIL_PATH:
            return sent_mail(start_response)
        with self.lock:
            chunks = list(self.app(environ, start_response))
        return chunks


# The emails moto's SES accepted, without the rest of /moto-api/data.json (which serializes every
# table item and, with a full booking window, takes seconds while holding up every request).
SENT_MAIL_PATH = "/infopass/sent-mail.json"


def sent_mail(start_response):
    import json

    from moto.ses.models import ses_backends

    raw, simple = [], []
    for regions in list(ses_backends.values()):
        for backend in list(regions.values()):
            for message in list(backend.sent_messages):
                if hasattr(message, "raw_data"):
                    raw.append({"id": message.id, "destinations": message.destinations,
                                "raw_data": message.raw_data})
                else:
                    simple.append({"id": message.id, "subject": message.subject,
                                   "body": message.body, "destinations": message.destinations})
    body = json.dumps({"ses": {"RawMessage": raw, "Message": simple}}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = Serialized(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
