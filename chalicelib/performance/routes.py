"""Public performance figures: parse, call the service, serialize."""
from __future__ import annotations

from datetime import datetime, timezone

from chalice import Blueprint, Response

from chalicelib import params, wiring
from chalicelib.problems import handled

api = Blueprint(__name__)


@api.route("/performance")
@handled
def performance():
    request = api.current_request
    figures = wiring.figures().between(
        params.date_query(request, "from"), params.date_query(request, "to"),
        params.query(request, "office_id"), datetime.now(timezone.utc).date())
    # Published once a day per office: caches and browsers may keep an answer for an hour.
    return Response(figures, headers={"Cache-Control": "public, max-age=3600"})
