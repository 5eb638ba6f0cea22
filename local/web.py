"""Serves the web app (web/dist, built by `make run`) on its own port for the local stack, with a
`config.json` that points it at the local API. The API's local CORS allow-list admits
`http://127.0.0.1:*`, so the page calls the API across origins as it does on a stage.

The headers are the ones the stage's CloudFront sends (infra): a CSP without inline scripts,
no referrer, no sniffing."""
from __future__ import annotations

import argparse
import json
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DIST = Path(__file__).resolve().parent.parent / "web" / "dist"

HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def csp(api: str) -> str:
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"font-src 'self'; connect-src 'self' {api}; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'; object-src 'none'")


class Handler(SimpleHTTPRequestHandler):
    api = ""

    def end_headers(self) -> None:
        for name, value in {**HEADERS, "Content-Security-Policy": csp(self.api)}.items():
            self.send_header(name, value)
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802
        if self.path.split("?")[0] == "/config.json":
            body = json.dumps({"api": self.api}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--api", required=True)
    args = parser.parse_args()
    if not (DIST / "index.html").exists():
        raise SystemExit("web/dist is missing: build it with `make web` (make run does)")
    handler = type("LocalWebHandler", (Handler,), {"api": args.api})
    server = ThreadingHTTPServer((args.host, args.port), partial(handler, directory=str(DIST)))
    server.serve_forever()


if __name__ == "__main__":
    main()
