"""`make deploy` (infra/deploy.sh) against a stand-in for the AWS CLI that records every call and
answers the stack-output queries (`None` for an output the stack lacks, as the CLI prints): the
API is deployed first, then the web app's stack in us-east-1 with the API's origin in its CSP,
then the site's files with config.json naming the API. Nothing reaches AWS."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_URL = "https://abc123.execute-api.us-west-2.amazonaws.com/api/"

FAKE_AWS = r'''#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["AWS_CALLS"], "a") as log:
    log.write(json.dumps(args) + "\n")
if args[:2] == ["cloudformation", "describe-stacks"] and "--query" in args:
    query = args[args.index("--query") + 1]
    for key, value in (("EndpointURL", os.environ["FAKE_API_URL"]),
                       ("ApiUrl", os.environ.get("FAKE_API_DOMAIN_URL", "None")),
                       ("SiteBucket", "infopass-site-bucket"),
                       ("SiteUrl", "https://infopass.example.gov/")):
        if f"'{key}'" in query:
            print(value)
if args[:2] == ["s3", "sync"]:
    # What the site's config.json said at upload time.
    config = Path(args[2]) / "config.json"
    with open(os.environ["AWS_CALLS"], "a") as log:
        log.write(json.dumps({"config": config.read_text()}) + "\n")
'''


@pytest.fixture
def packaged(tmp_path):
    """A packaged stage as `make package` leaves it, and the recording CLI on PATH."""
    out = tmp_path / "build" / "prod-us-west-2"
    (out / "web" / "i18n").mkdir(parents=True)
    for name in ("sam.json", "web.json"):
        (out / name).write_text("{}")
    for name in ("index.html", "app-ABC.js", "style-DEF.css", "config.json", "i18n/en.json"):
        (out / "web" / name).write_text("x")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aws = bin_dir / "aws"
    aws.write_text(FAKE_AWS)
    aws.chmod(aws.stat().st_mode | stat.S_IXUSR)
    # A file matching the CLI's patterns where the script runs: the shell must not expand them.
    (tmp_path / "app-local.js").write_text("")
    shutil.copy(ROOT / "infra" / "deploy.sh", tmp_path / "deploy.sh")
    return tmp_path


def deploy(cwd: Path, **env) -> tuple[subprocess.CompletedProcess, list]:
    calls = cwd / "calls.jsonl"
    run = subprocess.run(
        ["sh", "deploy.sh", "prod-us-west-2", "us-west-2", "infopass-prod-us-west-2"],
        cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PATH": f"{cwd / 'bin'}:{os.environ['PATH']}",
             "AWS_CALLS": str(calls), "FAKE_API_URL": API_URL, "ARTIFACT_BUCKET": "artifacts",
             **env})
    lines = calls.read_text().splitlines() if calls.exists() else []
    return run, [json.loads(line) for line in lines]


def test_deploy_ships_the_api_then_the_web_app_pointed_at_it(packaged):
    run, calls = deploy(packaged, WEB_CERTIFICATE_ARN="arn:aws:acm:us-east-1:123456789012:certificate/x")
    assert run.returncode == 0, run.stderr
    commands = [c[:2] for c in calls if isinstance(c, list)]
    api = commands.index(["cloudformation", "deploy"])
    web = [i for i, c in enumerate(calls) if isinstance(c, list) and c[:2] == ["cloudformation", "deploy"]
           and "infopass-prod-us-west-2-web" in c]
    assert web and web[0] > api
    web_deploy = calls[web[0]]
    assert web_deploy[web_deploy.index("--region") + 1] == "us-east-1"
    assert "ApiOrigin=https://abc123.execute-api.us-west-2.amazonaws.com" in web_deploy
    syncs = [c for c in calls if isinstance(c, list) and c[:2] == ["s3", "sync"]]
    assert len(syncs) == 3 and all(c[3] == "s3://infopass-site-bucket" for c in syncs)
    immutable = next(c for c in syncs if "public, max-age=31536000, immutable" in c)
    assert "app-*.js" in immutable and "app-local.js" not in immutable  # no shell globbing
    fresh = next(c for c in syncs if "no-cache" in c)
    assert {"index.html", "config.json", "i18n/*"} <= set(fresh)
    configs = [c["config"] for c in calls if isinstance(c, dict)]
    assert configs and all(json.loads(c) == {"api": API_URL.rstrip("/")} for c in configs)


def test_a_change_set_review_stops_before_the_web_app(packaged):
    run, calls = deploy(packaged, CHANGESET_ONLY="1")
    assert run.returncode == 0, run.stderr
    assert not any(isinstance(c, list) and c[:2] == ["s3", "sync"] for c in calls)
    assert not any("infopass-prod-us-west-2-web" in c for c in calls if isinstance(c, list))


def test_the_web_app_is_not_shipped_without_its_certificate(packaged):
    run, calls = deploy(packaged, WEB_CERTIFICATE_ARN="")
    assert run.returncode != 0 and "WEB_CERTIFICATE_ARN" in run.stderr
    assert not any(isinstance(c, list) and c[:2] == ["s3", "sync"] for c in calls)


@pytest.fixture
def with_data_stack(packaged):
    """The prod stage as `make package` leaves it with its data stack (infra/data.py)."""
    from infra import data, stages

    data.write(stages.load("prod-us-west-2"), packaged / "build" / "prod-us-west-2" / "data")
    return packaged


def test_the_data_stacks_go_first_other_regions_keys_before_the_primary_global_tables(
        with_data_stack):
    run, calls = deploy(with_data_stack,
                        WEB_CERTIFICATE_ARN="arn:aws:acm:us-east-1:123456789012:certificate/x")
    assert run.returncode == 0, run.stderr
    deploys = [c for c in calls if isinstance(c, list) and c[:2] == ["cloudformation", "deploy"]]
    stacks = [(c[c.index("--stack-name") + 1], c[c.index("--region") + 1]) for c in deploys]
    assert stacks[:3] == [("infopass-prod-data", "us-west-2"), ("infopass-prod-data", "us-east-1"),
                          ("infopass-prod-us-west-2", "us-west-2")]
    for call in deploys[:2]:
        region = call[call.index("--region") + 1]
        template = call[call.index("--template-file") + 1]
        assert template == f"build/prod-us-west-2/data/{region}.json"
        assert "--s3-bucket" not in call  # inline: the artifact bucket is in one region only
    packaging = next(i for i, c in enumerate(calls)
                     if isinstance(c, list) and c[:2] == ["cloudformation", "package"])
    assert calls.index(deploys[1]) < packaging


def test_a_change_set_review_covers_the_data_stacks_and_executes_nothing(with_data_stack):
    run, calls = deploy(with_data_stack, CHANGESET_ONLY="1")
    assert run.returncode == 0, run.stderr
    deploys = [c for c in calls if isinstance(c, list) and c[:2] == ["cloudformation", "deploy"]]
    assert len(deploys) == 3
    assert all("--no-execute-changeset" in c for c in deploys)


def test_a_stage_without_a_data_stack_deploys_only_its_own_stack(packaged):
    run, calls = deploy(packaged, CHANGESET_ONLY="1")
    assert run.returncode == 0, run.stderr
    deploys = [c for c in calls if isinstance(c, list) and c[:2] == ["cloudformation", "deploy"]]
    assert [c[c.index("--stack-name") + 1] for c in deploys] == ["infopass-prod-us-west-2"]


def test_a_stage_with_a_regional_api_domain_needs_and_passes_its_certificate(with_data_stack):
    sam = with_data_stack / "build" / "prod-us-west-2" / "sam.json"
    sam.write_text(json.dumps({"Parameters": {"ApiCertificateArn": {"Type": "String"}}}))
    run, calls = deploy(with_data_stack, CHANGESET_ONLY="1")
    assert run.returncode != 0 and "API_CERTIFICATE_ARN" in run.stderr
    assert calls == []  # nothing deployed or uploaded
    certificate = "arn:aws:acm:us-west-2:123456789012:certificate/api"
    run, calls = deploy(with_data_stack, CHANGESET_ONLY="1", API_CERTIFICATE_ARN=certificate)
    assert run.returncode == 0, run.stderr
    (api,) = [c for c in calls if isinstance(c, list) and c[:2] == ["cloudformation", "deploy"]
              and "infopass-prod-us-west-2" in c]
    assert api[api.index("--parameter-overrides") + 1] == f"ApiCertificateArn={certificate}"


def test_a_stage_with_a_regional_api_domain_points_the_web_app_at_that_domain(packaged):
    domain = "https://api-west.infopass.example.gov"
    run, calls = deploy(packaged, FAKE_API_DOMAIN_URL=domain,
                        WEB_CERTIFICATE_ARN="arn:aws:acm:us-east-1:123456789012:certificate/x")
    assert run.returncode == 0, run.stderr
    (web_deploy,) = [c for c in calls if isinstance(c, list)
                     and c[:2] == ["cloudformation", "deploy"] and "infopass-prod-us-west-2-web" in c]
    assert f"ApiOrigin={domain}" in web_deploy
    configs = [json.loads(c["config"]) for c in calls if isinstance(c, dict)]
    assert configs and all(c == {"api": domain} for c in configs)
