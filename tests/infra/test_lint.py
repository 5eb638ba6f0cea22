"""cfn-lint (from .venv) and checkov (its own .venv-checkov, see the Makefile) on the packaged
template of every stage: no cfn-lint errors, no failed checkov check outside infra/checkov.yaml's
justified skip list."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra import stages

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
CHECKOV_CONFIG = ROOT / "infra" / "checkov.yaml"
STAGES = stages.deployed()


@pytest.fixture(scope="session")
def cfn_lint(packaged) -> dict[str, list[str]]:
    """One cfn-lint run over every stage: its findings per stage."""
    files = {str(out / "sam.json"): name for name, out in packaged.items()}
    done = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable",
                           *files], capture_output=True, text=True)
    findings: dict[str, list[str]] = {name: [] for name in packaged}
    for line in done.stdout.splitlines():
        path = line.split(":", 1)[0]
        findings[files[path]].append(line)
    assert done.returncode in (0, 2, 4, 6, 8, 10, 12, 14), done.stderr
    return findings


@pytest.fixture(scope="session")
def checkov(packaged) -> dict[str, dict]:
    """One checkov run over every stage: its report per stage."""
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: run `make checkov-venv` (make test does)")
    files = {str(out / "sam.json"): name for name, out in packaged.items()}
    args = [str(CHECKOV), "--config-file", str(CHECKOV_CONFIG), "--output", "json"]
    for path in files:
        args += ["--file", path]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    by_stage: dict[str, dict] = {name: {"failed": [], "passed": 0} for name in packaged}
    for report in reports:
        for check in report["results"]["failed_checks"]:
            by_stage[files[_absolute(check["file_abs_path"])]]["failed"].append(
                f"{check['check_id']} {check['resource']}: {check['check_name']}")
        for check in report["results"]["passed_checks"]:
            by_stage[files[_absolute(check["file_abs_path"])]]["passed"] += 1
    return by_stage


def _absolute(path: str) -> str:
    return str(Path(path).resolve())


@pytest.mark.parametrize("name", STAGES)
def test_cfn_lint_finds_no_errors_in_the_packaged_template(cfn_lint, name):
    errors = [line for line in cfn_lint[name] if re.search(r":E\d{4}:", line)]
    assert errors == []


@pytest.mark.parametrize("name", STAGES)
def test_checkov_fails_no_check_outside_the_justified_skip_list(checkov, name):
    assert checkov[name]["failed"] == []
    assert checkov[name]["passed"] > 50  # the checks really ran on the template


def test_every_skipped_checkov_check_has_a_one_line_justification():
    lines = CHECKOV_CONFIG.read_text().splitlines()
    start = lines.index("skip-check:")
    skips = [line for line in lines[start + 1:] if line.startswith("  - ")]
    assert skips
    for line in skips:
        assert re.fullmatch(r"  - CKV2?_AWS_\d+  # \S.{30,}", line), line
