"""The web app in a multi-region deployment (README "Regions"): its API answers 421
`office_in_other_region` for an office another region serves, naming that region's API, and the
app sends the same request there. Here the page's configured API is a stand-in for the other
region that answers every request with that 421, pointing at the local stack's API."""
from __future__ import annotations

import json
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local.web import DIST, Handler
from tests.browser.webapp import find_offices
from tests.conftest import _free_port

pytestmark = pytest.mark.e2e


def serve(handler) -> tuple[str, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", _free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


@pytest.fixture
def other_region(local_stack):
    """An API that serves no office: 421 for everything, naming the local API as the home."""
    seen: list[str] = []

    class OtherRegion(BaseHTTPRequestHandler):
        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", self.headers.get("Origin", "*"))
            self.send_header("Access-Control-Allow-Headers",
                             "Accept-Language, Content-Type, Idempotency-Key")
            self.send_header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")

        def do_OPTIONS(self):  # noqa: N802
            self.send_response(204)
            self._cors()
            self.end_headers()

        def do_GET(self):  # noqa: N802
            seen.append(self.path)
            body = json.dumps({"type": "urn:infopass:problem:office_in_other_region",
                               "title": "This office is served by another region", "status": 421,
                               "code": "office_in_other_region", "home_region": "us-east-1",
                               "home_base_url": local_stack["api"]}).encode()
            self.send_response(421)
            self._cors()
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args) -> None:
            pass

    url, server = serve(OtherRegion)
    yield url, seen
    server.shutdown()


@pytest.fixture
def site_on_other_region(web, other_region, local_stack):
    """The web app configured with the other region's API; its CSP allows both APIs, as a
    multi-region stage's does (infra/web.py names every REGION_URLS origin)."""
    other, _ = other_region

    class Site(Handler):
        api = other

        def end_headers(self) -> None:
            self.send_header("Content-Security-Policy",
                             f"default-src 'self'; connect-src 'self' {other} {local_stack['api']}")
            self.send_header("Cache-Control", "no-cache")
            super(Handler, self).end_headers()

    url, server = serve(partial(Site, directory=str(DIST)))
    yield url
    server.shutdown()


def test_the_app_follows_an_office_served_by_another_region_to_that_regions_api(
        browser, site_on_other_region, other_region):
    _, seen = other_region
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(site_on_other_region + "/")
        find_offices(page, "02108")
        page.get_by_role("heading", name="Offices near 02108").wait_for()
        page.get_by_role("button", name="Choose a time at Boston Field Office").click()
        page.locator("[data-day]").first.wait_for()
    finally:
        context.close()
    assert errors == []
    # Both reads went to the configured region first and were answered by the home region.
    assert any(p.startswith("/v1/offices?zip=02108") for p in seen), seen
    assert any(p.startswith("/v1/offices/boston/slots") for p in seen), seen
