"""Packages every deployed stage once per test session (offline, from build/wheelhouse) and
shares the results; `chalice package` takes a few seconds per stage."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import package, stages
from tests.aws_fixtures import aws, moto_server  # noqa: F401


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("packaged")
    return {name: package.package(name, root / name) for name in stages.deployed()}


@pytest.fixture(scope="session")
def templates(packaged) -> dict[str, dict]:
    return {name: json.loads((out / "sam.json").read_text()) for name, out in packaged.items()}


def resources_of(template: dict, kind: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}
