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
        with self.lock:
            chunks = list(self.app(environ, start_response))
        return chunks


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
