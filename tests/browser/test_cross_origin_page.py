"""A real browser (Debian's headless Chromium) runs a page served from another origin than the
API: it lists offices, books with an Idempotency-Key, reads `Idempotent-Replayed` on the replay and
the `code` of a 409 problem, all through cross-origin fetch() against the local stack. The page
posts what it could read back to the server that served it; the test asserts on that."""
from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.chromium import CHROMIUM_FLAGS, chromium
from tests.conftest import _free_port

pytestmark = pytest.mark.e2e

PAGE = Path(__file__).with_name("page.html")


class PageServer:
    """Serves the page on its own port and receives what the page saw."""

    def __init__(self) -> None:
        self.results: dict | None = None
        self.done = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path.split("?")[0] != "/":
                    self.send_error(404)
                    return
                body = PAGE.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                owner.results = json.loads(self.rfile.read(length))
                self.send_response(204)
                self.end_headers()
                owner.done.set()

            def log_message(self, *args):
                pass

        self.port = _free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "PageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_page(api: str, tmp_path: Path, timeout: float = 120) -> dict:
    with PageServer() as page:
        # localhost vs the API's 127.0.0.1, and another port: a different origin either way.
        url = f"http://localhost:{page.port}/?api={api}"
        profile = tmp_path / "profile"
        profile.mkdir()
        browser = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                    url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if not page.done.wait(timeout):
                browser.kill()
                raise AssertionError("the page never reported back; chromium said:\n"
                                     + browser.communicate()[1].decode(errors="replace")[-3000:])
        finally:
            if browser.poll() is None:
                browser.terminate()
                try:
                    browser.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    browser.kill()
                    browser.wait()
        return page.results or {}


def test_a_page_on_another_origin_books_and_reads_replays_and_problems(local_stack, tmp_path):
    seen = run_page(local_stack["api"], tmp_path)
    assert "error" not in seen, seen
    assert seen["origin"].startswith("http://localhost:")
    assert seen["offices"]["status"] == 200 and seen["offices"]["ids"][0] == "boston"
    booked, replay = seen["booked"], seen["replay"]
    assert booked["status"] == 201 and booked["replayed"] is None
    assert booked["location"] == f"/v1/appointments/{booked['confirmation']}/lookup"
    assert replay["status"] == 201 and replay["replayed"] == "true"
    assert replay["confirmation"] == booked["confirmation"]
    assert seen["conflict"] == {"status": 409, "type": "application/problem+json",
                                "code": "already_booked", "language": "es"}
    assert seen["unknown_route"]["status"] == 404 and seen["unknown_route"]["code"] == "not_found"
    assert seen["disallowed_header"] == "blocked"
