"""Serves the committed API description. It is read from the package (chalicelib/openapi.json
links to the repository's openapi.json) on the first request, never generated in the Lambda:
the generator (chalicelib/openapi.py) is a build tool."""
from __future__ import annotations

from pathlib import Path

from chalice import Blueprint, Response
from pydantic import ConfigDict

from chalicelib import contract
from chalicelib.problems import handled

api = Blueprint(__name__)
DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
_cached: str | None = None


class ApiDescription(contract.Body):
    """The OpenAPI 3.1 document itself."""
    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict
    paths: dict


@api.route("/openapi.json")
@contract.operation("This API's OpenAPI 3.1 description", tags=("service",),
                    responses={200: ApiDescription})
@handled
def openapi_document():
    global _cached
    if _cached is None:
        _cached = DOCUMENT.read_text(encoding="utf-8")
    return Response(_cached, headers={"Content-Type": "application/json",
                                      "Cache-Control": "public, max-age=300"})
