"""The shape of the published performance figures (the service builds them); the contract checks
every answer against it and `openapi.json` publishes it. Counts and durations only."""
from __future__ import annotations

from pydantic import Field

from chalicelib.contract import Body


class Seats(Body):
    offered: int = Field(description="Seats in open slots (a closed slot offers none).")
    booked: int = Field(description="Appointments made for the day, whatever became of them.")
    cancelled: int
    released: int = Field(description="Reserved seats given to the public.")
    attended: int = Field(description="Checked in or completed.")
    no_shows: int


class Levels(Body):
    emergency: int
    urgent: int
    standard: int


class AppealOutcomes(Body):
    upheld: int
    overturned: int


class TriageFigures(Body):
    submitted: Levels = Field(description="Service requests received, by computed level.")
    first_callbacks: int
    median_hours_to_first_callback: float | None
    decisions: int
    decisions_on_time: int = Field(description="Before any deadline of the request was missed.")
    appeals: int
    appeal_outcomes: AppealOutcomes


class Totals(Body):
    seats: Seats
    median_days_to_first_open_seat: float | None
    triage: TriageFigures


class OfficeDay(Body):
    date: str = Field(description="The office's own calendar day.",
                      json_schema_extra={"format": "date"})
    seats: Seats
    days_to_first_open_seat: int | None = Field(
        description="Days from that day to the first seat the public could book then.")
    triage: TriageFigures


class OfficeFigures(Body):
    office_id: str
    totals: Totals
    days: list[OfficeDay]


class Performance(Body):
    model_config = Body.model_config | {"populate_by_name": True}
    from_: str = Field(alias="from", json_schema_extra={"format": "date"})
    to: str = Field(json_schema_extra={"format": "date"})
    totals: Totals = Field(description="Every office in the answer, together.")
    offices: list[OfficeFigures]
