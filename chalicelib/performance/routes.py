"""Public performance figures: parse, call the service, serialize."""
from __future__ import annotations

from datetime import datetime, timezone

from chalice import Blueprint, Response
from pydantic import Field

from chalicelib import contract, params, wiring
from chalicelib.performance import responses
from chalicelib.performance.service import MAX_RANGE_DAYS
from chalicelib.problems import handled

api = Blueprint(__name__)


class PerformanceQuery(contract.Parameters):
    from_: str | None = Field(default=None, alias="from", json_schema_extra={"format": "date"},
                              description="First office-local day (default: 30 days back).")
    to: str | None = Field(default=None, json_schema_extra={"format": "date"},
                           description="Last day (default: yesterday); at most "
                                       f"{MAX_RANGE_DAYS} days from `from`.")
    office_id: str | None = Field(default=None, description="One office (default: every one).")


@api.route("/performance")
@contract.operation(
    "Published performance: seats, waits, callbacks, decisions and appeals per office and day",
    tags=("performance",), query=PerformanceQuery, responses={200: responses.Performance},
    problems={400: ["invalid_parameter", "reversed_range"], 404: ["unknown_office"]},
    regional=False)  # published figures of any region's office
@handled
def performance():
    request = api.current_request
    figures = wiring.figures().between(
        params.date_query(request, "from"), params.date_query(request, "to"),
        params.query(request, "office_id"), datetime.now(timezone.utc).date())
    # Published once a day per office: caches and browsers may keep an answer for an hour.
    return Response(figures, headers={"Cache-Control": "public, max-age=3600"})
