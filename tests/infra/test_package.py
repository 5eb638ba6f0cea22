"""The deployment zip: lean (no SDK the runtime provides, Babel data only for our languages),
complete (every file of the app), and it starts with nothing but the Lambda runtime beside it."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.package import api_event, cold_start, lambda_like, probe_env
from infra.package import RUNTIME_PROVIDED

ROOT = Path(__file__).resolve().parents[2]
STAGE = "prod-us-west-2"
BUDGET_MB = 25  # Lambda allows 50 MB zipped; every MB is downloaded on a cold start.


@pytest.fixture(scope="module")
def archive(packaged) -> Path:
    return packaged[STAGE] / "deployment.zip"


@pytest.fixture(scope="module")
def extracted(archive, tmp_path_factory) -> tuple[Path, Path]:
    return lambda_like(archive, tmp_path_factory.mktemp("lambda"))


def test_the_zip_leaves_out_the_sdk_the_lambda_runtime_provides(archive):
    with zipfile.ZipFile(archive) as z:
        tops = {name.split("/", 1)[0] for name in z.namelist()}
    assert not tops & set(RUNTIME_PROVIDED)
    assert not any(top.startswith(("boto3-", "botocore-")) for top in tops)
    assert archive.stat().st_size < BUDGET_MB * 1e6


def test_the_zip_holds_every_file_of_the_app(archive):
    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
    tracked = subprocess.run(["git", "ls-files", "app.py", "chalicelib"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    assert tracked and [f for f in tracked if f not in names] == []


def test_the_packaged_app_answers_with_only_the_lambda_runtime_beside_it(extracted):
    task, runtime = extracted
    # Offices are data in DynamoDB since the operations work, and this probe has no AWS to
    # reach: the second request is one that loads packaged libraries (Babel and the catalogs)
    # without a table. The smoke deploy books against the stage's own tables.
    result = cold_start(task, runtime, STAGE, [api_event("/v1/health"),
                                               api_event("/v1/reasons"),
                                               api_event("/v1/openapi.json")])
    # The API description is the committed file, packaged through chalicelib/openapi.json.
    assert [r["status"] for r in result["requests"]] == [200, 200, 200]
    # Heavy imports stay off the cold path: none of these load just by importing the app.
    assert not {"boto3", "babel", "zipcodes", "holidays", "icalendar", "aws_xray_sdk", "jwt",
                "cryptography"} & set(result["loaded_by_import"])


def test_the_trimmed_babel_data_still_formats_dates_in_every_supported_language(extracted):
    task, runtime = extracted
    code = f"""
import json, sys
from datetime import datetime, timezone
sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]
from chalicelib.i18n import LANGUAGES, Translator
moment = datetime(2026, 12, 3, 14, 30, tzinfo=timezone.utc)
print(json.dumps({{language: Translator(language).date(moment) for language in LANGUAGES}}))
"""
    done = subprocess.run([sys.executable, "-S", "-B", "-c", code], env=probe_env(STAGE),
                          capture_output=True, text=True, cwd=task)
    assert done.returncode == 0, done.stderr
    dates = json.loads(done.stdout)
    assert len(dates) == 12 and all("2026" in text for text in dates.values())
