"""Python 3.13 and SnapStart in the packaged template of every stage (issue 14): the API
function's published versions are snapshotted and API Gateway invokes them through the alias;
the before-snapshot hook runs from the pruned zip with only the Lambda runtime beside it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.package import probe_env
from infra import snapstart, stages
from tests.infra.conftest import resources_of

ROOT = Path(__file__).resolve().parents[2]
STAGES = stages.deployed()
PYTHON = (ROOT / ".python-version").read_text().strip()


@pytest.mark.parametrize("name", STAGES)
def test_every_function_runs_on_the_python_of_python_version(templates, name):
    functions = resources_of(templates[name], "AWS::Serverless::Function")
    assert functions and {f["Properties"]["Runtime"] for f in functions.values()} == {
        f"python{PYTHON}"}


@pytest.mark.parametrize("name", STAGES)
def test_the_api_function_snapshots_its_published_versions_behind_an_alias(templates, name):
    api = templates[name]["Resources"][snapstart.API_FUNCTION]["Properties"]
    assert api["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert api["AutoPublishAlias"] == snapstart.ALIAS
    # A configuration change (environment, memory) publishes a version too.
    assert api["AutoPublishAliasAllProperties"] is True
    # What SnapStart cannot be combined with.
    assert "ProvisionedConcurrencyConfig" not in api
    assert api.get("EphemeralStorage", {}).get("Size", 512) <= 512


@pytest.mark.parametrize("name", STAGES)
def test_api_gateway_invokes_the_alias_never_the_unpublished_function(templates, name):
    template = templates[name]
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    alias = {"Ref": f"{snapstart.API_FUNCTION}.Alias"}
    integrations = [operation["x-amazon-apigateway-integration"]["uri"]
                    for operations in body["paths"].values()
                    for operation in operations.values()
                    if "x-amazon-apigateway-integration" in operation
                    and operation["x-amazon-apigateway-integration"].get("type") == "aws_proxy"]
    assert integrations
    assert all(uri["Fn::Sub"][1] == {"LiveAliasArn": alias} for uri in integrations)
    assert "${%s.Arn}" % snapstart.API_FUNCTION not in json.dumps(body)
    permission = template["Resources"][snapstart.PERMISSION]["Properties"]
    assert permission["FunctionName"] == alias


def test_the_before_snapshot_hook_runs_from_the_pruned_zip(packaged, tmp_path):
    """Every module it loads is in the zip (none was pruned), and it sends nothing: the
    endpoint is an address nothing listens on, so a request would fail the hook."""
    from bench.package import lambda_like

    task, runtime = lambda_like(packaged["prod-us-east-1"] / "deployment.zip", tmp_path)
    code = f"""
import json, sys
sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]
import app
from chalicelib import snapstart
before = len(sys.modules)
snapstart.warm_up()
snapstart.refresh()
print(json.dumps([before, len(sys.modules)]))
"""
    done = subprocess.run([sys.executable, "-S", "-B", "-c", code],
                          env={**probe_env("prod-us-east-1"),
                               "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
                          capture_output=True, text=True,
                          cwd=task)
    assert done.returncode == 0, done.stderr
    before, after = json.loads(done.stdout)
    assert after > before
