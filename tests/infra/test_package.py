"""The deployment zip: lean (no SDK the runtime provides, Babel data only for our languages),
complete (every file of the app), and it starts with nothing but the Lambda runtime beside it."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.package import api_event, cold_start, lambda_like, loaded_files, probe_env
from infra.package import (NEVER_LOADED, NEVER_LOADED_SUFFIXES, RUNTIME_PROVIDED,
                           only_kept_imports)

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


def test_the_pruned_zip_still_serves_every_exercised_route_and_job(extracted):
    # bench.exercise runs each route family and job up to its first AWS call (none listens):
    # a file pruned that one of them needs fails its import (an ImportError, or a 500 from a
    # route that works without AWS).
    task, runtime = extracted
    statuses, loaded = loaded_files(task, runtime, STAGE)
    assert {k: statuses[k] for k in ("health", "languages", "reasons", "openapi",
                                     "triage criteria")} == dict.fromkeys(
        ("health", "languages", "reasons", "openapi", "triage criteria"), 200)
    # Valid bodies pass validation (phone numbers, email syntax) and fail only at DynamoDB.
    assert statuses["book"] == statuses["triage submit"] == 500
    assert {"phonenumbers/phonenumberutil.py", "email_validator/syntax.py"} <= loaded
    assert statuses["dates"] == 12 and statuses["ics"] > 0
    assert not [k for k, v in statuses.items() if v in ("ImportError", "ModuleNotFoundError")]
    assert "holidays/countries/united_states.py" in loaded
    assert any(name.startswith("cryptography/hazmat/bindings/_rust") for name in loaded)


def test_the_pruned_holidays_give_the_us_federal_holidays_of_any_year(extracted, archive):
    task, runtime = extracted
    code = f"""
import json, sys
sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]
import holidays
print(json.dumps({{y: [(str(d), n) for d, n in sorted(holidays.US(years=y).items())]
                  for y in (2026, 2031, 2040)}}))
"""
    done = subprocess.run([sys.executable, "-S", "-B", "-c", code], capture_output=True,
                          text=True, cwd=task)
    assert done.returncode == 0, done.stderr
    import holidays  # the development venv's complete copy, same pinned version
    assert json.loads(done.stdout) == {
        str(y): [[str(d), n] for d, n in sorted(holidays.US(years=y).items())]
        for y in (2026, 2031, 2040)}
    with zipfile.ZipFile(archive) as z:
        countries = [n for n in z.namelist() if n.startswith("holidays/countries/")
                     and "/__pycache__/" not in n]
    assert sorted(countries) == ["holidays/countries/__init__.py",
                                 "holidays/countries/united_states.py"]


def test_what_no_route_or_job_loads_stays_out_of_the_zip(archive):
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        locales = {n.rsplit("/", 1)[1] for n in names if n.startswith("babel/locale-data/")}
    assert not [n for n in names if n.startswith(NEVER_LOADED)
                or n.endswith(NEVER_LOADED_SUFFIXES)]
    assert not [n for n in names if n.startswith(("zipcodes/", "holidays/financial/nyse"))]
    # Our locales and the parents Babel loads for them (es_US -> es_419 -> es -> root), no more.
    assert {"es_US.dat", "es_419.dat", "es.dat", "root.dat", "fil.dat"} <= locales
    assert "es_MX.dat" not in locales and "de.dat" not in locales


def test_only_kept_imports_drops_whole_statements_of_pruned_modules():
    source = ("from holidays.countries.albania import Albania, AL\n"
              "from holidays.countries.french_southern_territories import (\n"
              "    FrenchSouthernTerritories,\n    TF,\n)\n"
              "from holidays.countries.united_states import UnitedStates, US, USA\n")
    assert only_kept_imports(source, "holidays/countries",
                             frozenset({"holidays/countries/united_states.py"})) == \
        "from holidays.countries.united_states import UnitedStates, US, USA\n"


def test_what_a_cold_start_imports_ships_compiled_for_the_runtime_without_a_timestamp_check(
        archive):
    """Lambda's code directory is read-only: a module without its .pyc is compiled on every
    cold start. The .pyc files are unchecked-hash ones for the packaging Python (the runtime's
    version), so the zip's file times do not matter."""
    import importlib.util

    with zipfile.ZipFile(archive) as z:
        names = set(z.namelist())
        modules = {n for n in names if n.endswith(".py")}
        compiled = {n for n in names if n.endswith(".pyc")}
        folder, _, file = "chalicelib/snapstart.py".rpartition("/")
        header = z.read(f"{folder}/__pycache__/{file[:-3]}.{sys.implementation.cache_tag}.pyc")[:8]
    expected = {f"{m.rpartition('/')[0]}/__pycache__/{m.rpartition('/')[2][:-3]}."
                f"{sys.implementation.cache_tag}.pyc".lstrip("/") for m in modules}
    assert compiled <= expected
    tag = sys.implementation.cache_tag
    assert {f"__pycache__/app.{tag}.pyc", f"chalice/__pycache__/app.{tag}.pyc",
            f"pydantic/__pycache__/main.{tag}.pyc", f"pynamodb/__pycache__/models.{tag}.pyc",
            f"chalicelib/booking/__pycache__/service.{tag}.pyc"} <= compiled
    assert header[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, not checked
