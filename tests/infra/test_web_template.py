"""The web app's hosting template (infra/web.py, `make package` -> build/<stage>/web.json) for
every deployed stage: a private bucket read only by its CloudFront distribution through OAC,
HTTPS only, the security headers the site is built for; cfn-lint and checkov clean."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra import stages, web
from tests.infra.test_lint import CHECKOV, CHECKOV_CONFIG

STAGES = stages.deployed()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("web")
    files = {}
    for name in STAGES:
        path = out / f"{name}.json"
        path.write_text(json.dumps(web.template(stages.load(name))), encoding="utf-8")
        files[name] = path
    return files


@pytest.mark.parametrize("name", STAGES)
def test_the_site_bucket_is_private_and_read_only_by_its_distribution_over_oac(name):
    resources = web.template(stages.load(name))["Resources"]
    block = resources["SiteBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    reads = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert reads["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "${Distribution}" in reads["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    origin = resources["Distribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["OriginAccessControl", "Id"]}
    assert resources["OriginAccessControl"]["Properties"]["OriginAccessControlConfig"][
        "SigningBehavior"] == "always"


@pytest.mark.parametrize("name", STAGES)
def test_viewers_get_https_only_and_the_security_headers(name):
    stage = stages.load(name)
    resources = web.template(stage)["Resources"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "https-only"
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["Aliases"] == [web.site_origin(stage).removeprefix("https://")]
    headers = resources["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    policy = "".join(p for p in headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
                     ["Fn::Join"][1] if isinstance(p, str))
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"


@pytest.mark.parametrize("name", STAGES)
def test_the_site_domain_is_on_the_stage_api_cors_allow_list(name):
    stage = stages.load(name)
    assert web.site_origin(stage) in stage.env["CORS_ALLOWED_ORIGINS"].replace(",", " ").split()


def test_cfn_lint_finds_no_errors_in_the_web_templates(rendered):
    done = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable",
                           *map(str, rendered.values())], capture_output=True, text=True)
    errors = [line for line in done.stdout.splitlines() if ":E" in line]
    assert errors == [], done.stdout


def test_checkov_fails_no_check_on_the_web_templates(rendered):
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: run `make checkov-venv` (make test does)")
    args = [str(CHECKOV), "--config-file", str(CHECKOV_CONFIG), "--output", "json"]
    for path in rendered.values():
        args += ["--file", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}"
              for r in reports for c in r["results"]["failed_checks"]]
    passed = sum(len(r["results"]["passed_checks"]) for r in reports)
    assert failed == []
    assert passed > 15 * len(rendered)  # the checks really ran
