"""What the public office page shows of the office's operations: closures by their dates and
reason code, never the staff member who set one or the note they typed (it may quote a person),
as openapi.json's public `Closure` schema states."""
from __future__ import annotations

from tests.api.test_offices_api import ADMIN, OFFICE, call, client, open_days  # noqa: F401


def test_the_public_office_detail_shows_a_closure_without_its_author_or_staff_note(client):
    [closed] = open_days(1, after_days=3)
    status, closure, _ = call(client, "post", f"/v1/staff/offices/{OFFICE}/closures",
                              {"from": closed.isoformat(), "to": closed.isoformat(),
                               "reason_code": "staffing",
                               "note": "Called in by Ms. Ruiz, 305-555-0199"}, ADMIN)
    assert status == 201, closure

    status, office, _ = call(client, "get", f"/v1/offices/{OFFICE}")
    assert status == 200, office
    [shown] = [c for c in office["closures"] if c["from"] == closed.isoformat()]
    assert shown == {"from": closed.isoformat(), "to": closed.isoformat(),
                     "start": closure["start"], "end": closure["end"],
                     "reason_code": "staffing"}
    assert "Ruiz" not in str(office) and "admin-miami" not in str(office)
