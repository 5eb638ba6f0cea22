"""Steps a person takes in the web app, and the checks run on every page (axe-core, no personal
data in any URL), for tests/browser/test_web_app.py."""
from __future__ import annotations

import itertools
import json
import re
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
_people = itertools.count(1)


@dataclass
class Person:
    first: str = "Maria"
    last: str = field(default_factory=lambda: "Santos" + "".join(
        chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:6]))
    dob: str = "1985-03-04"
    phone: str = field(default_factory=lambda: f"617 555 {1000 + next(_people) * 37 % 8999:04d}")

    @property
    def email(self) -> str:
        return f"{self.last.lower()}@example.org"


class Checked:
    """A page wrapper that runs axe-core on every page it is asked to check and records every
    URL the browser requested, so a test can assert what never appeared in one."""

    def __init__(self, page, shots):
        self.page, self.shots = page, shots
        self.urls: list[str] = []
        self.violations: dict[str, list] = {}
        self.pages_checked = 0
        page.on("request", lambda r: self.urls.append(r.url))

    def check(self, step: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.shots(self.page, step)
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol: the site's CSP (no inline scripts) stays on.
            self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
        found = self.page.evaluate("""async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")
        self.pages_checked += 1
        if found:
            self.violations[step] = found

    def assert_accessible(self) -> None:
        assert self.pages_checked > 0
        assert not self.violations, json.dumps(self.violations, indent=1)

    def assert_no_personal_data_in_urls(self, *values: str) -> None:
        for url in self.urls:
            query_and_fragment = url.partition("?")[2] + url.partition("#")[2]
            for value in values:
                assert value.lower() not in query_and_fragment.lower(), url
                if "/v1/" not in url:  # the site's own URLs carry no personal data at all
                    assert value.lower() not in url.lower(), url


def find_offices(page, zip_code: str, label="ZIP code", button="Find offices") -> None:
    page.get_by_label(label).fill(zip_code)
    page.get_by_role("button", name=button).click()


def pick_day_and_time(page, day_index: int = 1, time_index: int = 0, action: str = "Continue") -> str:
    """Chooses a day button and a time; answers the chosen slot id."""
    page.locator("[data-day]").nth(day_index).click()
    radios = page.locator("input[name=slot]")
    page.locator(f"label[for=slot-{time_index}]").click()  # USWDS tiles: the label is what shows
    slot_id = radios.nth(time_index).get_attribute("value")
    page.locator("#times button[type=submit]").click()
    return slot_id


def fill_details(page, person: Person, labels: dict[str, str] | None = None) -> None:
    """By field name (labels differ by language); the API validates, the page shows its errors."""
    def f(name: str) -> str:
        return "#f-" + re.sub(r"[^A-Za-z0-9_]", "-", name)
    page.fill(f("applicant.first_name"), person.first)
    page.fill(f("applicant.last_name"), person.last)
    page.fill(f("applicant.date_of_birth"), person.dob)
    page.fill(f("applicant.phone"), person.phone)
    page.fill(f("applicant.email"), person.email)
    page.fill(f("applicant.address.line1"), "1 Main St")
    page.fill(f("applicant.address.city"), "Boston")
    page.select_option(f("applicant.address.state"), "MA")
    page.fill(f("applicant.address.zip"), "02108")
    if page.locator(f("reason.category")).count():  # the waitlist form asks no reason
        page.select_option(f("reason.category"), "case_inquiry")


def fill_service_request(page, person: Person, inquiry: str, description: str, period: int) -> None:
    page.fill("#f-applicant-first_name", person.first)
    page.fill("#f-applicant-last_name", person.last)
    page.fill("#f-applicant-date_of_birth", person.dob)
    page.fill("#f-applicant-phone", person.phone)
    page.fill("#f-applicant-email", person.email)
    page.select_option("#f-inquiry_type", inquiry)
    page.fill("#f-description", description)
    page.locator(f"label[for='f-callback_period-{period}']").click()


def fill_proof(page, number_field: str, number: str, person: Person) -> None:
    """A number and the proof that goes with it (last name, date of birth)."""
    page.fill(number_field, number)
    page.fill("#f-last_name", person.last)
    page.fill("#f-date_of_birth", person.dob)


def confirmation_number(page) -> str:
    text = page.locator(".usa-alert--success .usa-alert__heading").inner_text()
    return re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text).group(0)


def book_through_the_api(api: str, slot_id: str, person: Person) -> str:
    """Books as `person` through the API itself; answers the confirmation number."""
    body = {"slot_id": slot_id, "applicant": {
        "first_name": person.first, "last_name": person.last, "date_of_birth": person.dob,
        "email": person.email, "phone": person.phone,
        "address": {"line1": "2 Elm St", "city": "Boston", "state": "MA", "zip": "02108"}},
        "reason": {"category": "other"}, "contact_method": "email"}
    request = urllib.request.Request(f"{api}/v1/appointments", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 201
        return json.load(response)["confirmation_number"]


def book_seats_through_the_api(api: str, slot_id: str, seats: int) -> None:
    """Other people take the seats of a slot (each a different person)."""
    for n in range(seats):
        book_through_the_api(api, slot_id, Person(first="Other", dob=f"19{60 + n}-01-02"))


def first_slot(api: str, office: str, day_index: int = 5) -> str:
    with urllib.request.urlopen(f"{api}/v1/offices/{office}/slots", timeout=60) as response:
        slots = json.load(response)["slots"]
    days = sorted({s["start"][:10] for s in slots})
    return next(s["slot_id"] for s in slots if s["start"][:10] == days[min(day_index, len(days) - 1)])


def slot_available(api: str, office: str, slot_id: str) -> int:
    with urllib.request.urlopen(f"{api}/v1/offices/{office}/slots", timeout=60) as response:
        slots = json.load(response)["slots"]
    return next((s["available"] for s in slots if s["slot_id"] == slot_id), 0)


def wait_for_email(moto: str, to: str, subject_part: str, timeout: float = 120) -> dict:
    from local.mail import sent_emails
    deadline = time.monotonic() + timeout
    while True:
        for mail in sent_emails(moto):
            if to in mail["to"] and subject_part in mail["subject"]:
                return mail
        if time.monotonic() > deadline:
            raise AssertionError(f"no email to {to} with {subject_part!r} within {timeout} s")
        time.sleep(1)
