"""#16: the prod stages share ONE set of tables as DynamoDB global tables in the data stack
(`infra/data.py`): the regional tables with multi-Region eventual consistency, the person
claims with multi-Region strong consistency and a witness. Each prod stage's own stack names
them, watches their replication and may use them; dev keeps its own ordinary tables."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra import data as d, resources as r, stages
from tests.infra.conftest import resources_of

ROOT = Path(__file__).resolve().parents[2]
PROD = ["prod-us-east-1", "prod-us-west-2"]


@pytest.fixture(scope="module")
def data_templates(packaged) -> dict[str, dict[str, dict]]:
    """stage -> region -> the data stack template `make package` wrote for it."""
    out = {}
    for name in PROD:
        folder = packaged[name] / "data"
        out[name] = {line.split()[0]: json.loads((folder / line.split()[2]).read_text())
                     for line in (folder / "stacks").read_text().splitlines()}
    return out


def global_tables(template: dict) -> dict[str, dict]:
    return {t["Properties"]["TableName"]: t
            for t in resources_of(template, "AWS::DynamoDB::GlobalTable").values()}


def test_the_prod_stages_share_one_data_set_in_both_regions_and_dev_has_none():
    east, west = (stages.load(name) for name in PROD)
    assert east.data_set == west.data_set
    data = east.data_set
    assert data.regions == ("us-east-1", "us-west-2") and data.primary_region == "us-east-1"
    assert data.stack_name == "infopass-prod-data" and data.production
    assert data.deploy_order == ("us-west-2", "us-east-1")
    assert stages.load("dev").data_set is None
    assert stages.load("dev").settings.table_name("slots") == "infopass-dev-slots"
    assert east.settings.table_name("slots") == west.settings.table_name("slots") == \
        "infopass-prod-slots"


def test_both_prod_stages_package_the_same_data_stack_and_no_tables_of_their_own(
        packaged, templates, data_templates):
    assert data_templates["prod-us-east-1"] == data_templates["prod-us-west-2"]
    for name in PROD:
        assert resources_of(templates[name], "AWS::DynamoDB::Table") == {}
        assert resources_of(templates[name], "AWS::DynamoDB::GlobalTable") == {}
        assert (packaged[name] / "data" / "stacks").read_text().splitlines() == [
            "us-west-2 infopass-prod-data us-west-2.json",
            "us-east-1 infopass-prod-data us-east-1.json"]
    assert not (packaged["dev"] / "data").exists()
    assert resources_of(templates["dev"], "AWS::DynamoDB::Table")


def test_every_regional_table_is_a_global_table_with_a_replica_in_each_prod_region(
        data_templates):
    data = stages.load("prod-us-east-1").data_set
    primary = data_templates["prod-us-east-1"]["us-east-1"]
    tables = global_tables(primary)
    assert set(tables) == {f"infopass-prod-{m.short_name}" for m in r.data_tables()}
    # The other region's stack only holds its key: the replicas are the primary's to manage.
    assert global_tables(data_templates["prod-us-east-1"]["us-west-2"]) == {}
    for model in r.data_tables():
        table = tables[f"infopass-prod-{model.short_name}"]
        properties = table["Properties"]
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
        assert [replica["Region"] for replica in properties["Replicas"]] == list(data.regions)
        for replica in properties["Replicas"]:
            assert replica["PointInTimeRecoverySpecification"] == {
                "PointInTimeRecoveryEnabled": True}
            assert replica["DeletionProtectionEnabled"] is True
            # Each replica is encrypted with the data stack's key of its own region.
            assert replica["SSESpecification"]["KMSMasterKeyId"] == {"Fn::Sub": (
                f"arn:${{AWS::Partition}}:kms:{replica['Region']}:${{AWS::AccountId}}:"
                "alias/infopass-prod-tables")}
        if model.short_name == r.CLAIMS:
            continue
        assert "MultiRegionConsistency" not in properties  # MREC, the default
        assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        shape = r.table_shape(model)
        for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes",
                    "TimeToLiveSpecification"):
            assert properties.get(key) == shape.get(key), (model.short_name, key)


def test_the_person_claims_are_strongly_consistent_across_regions_with_a_witness(
        data_templates):
    east = stages.load("prod-us-east-1")
    claims = global_tables(data_templates[east.name]["us-east-1"])["infopass-prod-claims"]
    properties = claims["Properties"]
    assert properties["MultiRegionConsistency"] == "STRONG"
    assert properties["GlobalTableWitnesses"] == [{"Region": "us-east-2"}]
    assert {replica["Region"] for replica in properties["Replicas"]} == {"us-east-1",
                                                                         "us-west-2"}
    assert properties["KeySchema"] == [{"AttributeName": "person_key", "KeyType": "HASH"}]
    assert {"AttributeName": "person_key", "AttributeType": "S"} in \
        properties["AttributeDefinitions"]
    # MRSC: no TTL (expiry is in the saga's write conditions) and no local indexes.
    assert "TimeToLiveSpecification" not in properties
    assert "LocalSecondaryIndexes" not in properties
    for name in PROD:
        assert stages.load(name).env["CLAIMS_TABLE"] == properties["TableName"] == \
            stages.load(name).settings.table_name(r.CLAIMS)


def test_each_region_gets_its_own_rotating_retained_tables_key_before_the_tables(
        data_templates):
    for region, template in data_templates["prod-us-west-2"].items():
        resources = template["Resources"]
        key = resources[d.TABLES_KEY]
        assert key["Type"] == "AWS::KMS::Key" and key["DeletionPolicy"] == "Retain"
        assert key["Properties"]["EnableKeyRotation"] is True
        assert resources[d.TABLES_KEY_ALIAS]["Properties"]["AliasName"] == \
            "alias/infopass-prod-tables"
        for table in resources_of(template, "AWS::DynamoDB::GlobalTable").values():
            assert table["DependsOn"] == [d.TABLES_KEY_ALIAS]


def test_the_data_templates_fit_a_template_body_the_cli_sends_without_a_bucket(packaged):
    for path in (packaged["prod-us-east-1"] / "data").glob("*.json"):
        assert path.stat().st_size <= d.TEMPLATE_BODY_LIMIT, path.name


def test_the_prod_policies_grant_the_shared_tables_and_the_claims_in_the_own_region_only():
    for name in PROD:
        stage = stages.load(name)
        statements = {s["Sid"]: s for s in
                      json.loads(stage.policy_file.read_text())["Statement"]}
        tables = statements["StageTables"]["Resource"]
        assert (f"arn:${{AWS::Partition}}:dynamodb:{stage.region}:${{AWS::AccountId}}:"
                "table/infopass-prod-claims") in tables
        assert all(f":dynamodb:{stage.region}:" in t and "/infopass-prod-" in t for t in tables)
        key = statements["GlobalTablesKey"]
        assert key["Resource"] == f"arn:${{AWS::Partition}}:kms:{stage.region}:" \
                                  "${AWS::AccountId}:key/*"
        assert key["Condition"] == {
            "StringEquals": {"kms:ViaService": f"dynamodb.{stage.region}.amazonaws.com"},
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/infopass-prod-tables"}}
    dev = {s["Sid"] for s in json.loads(stages.load("dev").policy_file.read_text())["Statement"]}
    assert "GlobalTablesKey" not in dev


@pytest.mark.parametrize("name", PROD)
def test_each_prod_stack_alarms_on_replication_lag_of_every_regional_table_to_the_other_region(
        templates, name):
    stage = stages.load(name)
    (peer,) = [region for region in stage.data_set.regions if region != stage.region]
    alarms = [a["Properties"] for a in resources_of(templates[name],
                                                    "AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == "ReplicationLatency"]
    watched = {}
    for alarm in alarms:
        dimensions = {x["Name"]: x["Value"] for x in alarm["Dimensions"]}
        watched[dimensions["TableName"]] = dimensions["ReceivingRegion"]
        assert alarm["Namespace"] == "AWS/DynamoDB"
        assert alarm["AlarmActions"] == [{"Ref": r.ALARM_TOPIC}]
        assert alarm["Threshold"] == d.REPLICATION_LATENCY_THRESHOLD_MS  # milliseconds
        assert alarm["Statistic"] == "Average" and alarm["Period"] == 300
    assert watched == {f"infopass-prod-{m.short_name}": peer for m in r.data_tables()
                       if m.short_name != r.CLAIMS}


def test_dev_stays_single_region_with_its_own_tables_and_no_replication_alarms(templates):
    template = templates["dev"]
    names = {t["Properties"]["TableName"] for t in
             resources_of(template, "AWS::DynamoDB::Table").values()}
    assert names == {f"infopass-dev-{m.short_name}" for m in r.data_tables()}
    assert not any(a["Properties"].get("MetricName") == "ReplicationLatency"
                   for a in resources_of(template, "AWS::CloudWatch::Alarm").values())
    env = stages.load("dev").env
    assert "REGION_URLS" not in env and "CLAIMS_TABLE" not in env


def test_the_prod_stages_list_both_regions_apis_and_share_the_person_key_pepper():
    urls = [json.loads(stages.load(name).env["REGION_URLS"]) for name in PROD]
    assert urls[0] == urls[1]
    assert set(urls[0]) == {stages.load(name).region for name in PROD}
    assert all(re.fullmatch(r"https://[a-z0-9.-]+", url) for url in urls[0].values())
    # The person key (HMAC with the pepper) must be the same in both regions, or one person's
    # claims would not meet: one secret, replicated to us-west-2 (README "Regions").
    assert {stages.load(name).env["IDENTITY_PEPPER"] for name in PROD} == {
        "{{resolve:secretsmanager:infopass-prod/identity-pepper}}"}


def test_cfn_lint_and_checkov_pass_the_data_templates(packaged):
    files = sorted(str(p) for p in (packaged["prod-us-east-1"] / "data").glob("*.json"))
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--format",
                           "parseable", *files], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    checkov = ROOT / ".venv-checkov" / "bin" / "checkov"
    if not checkov.exists():
        pytest.fail("checkov is not installed: run `make checkov-venv` (make test does)")
    args = [str(checkov), "--config-file", str(ROOT / "infra" / "checkov.yaml"),
            "--output", "json"]
    for path in files:
        args += ["--file", path]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{c['check_id']} {c['resource']}" for report in reports
              for c in report["results"]["failed_checks"]]
    passed = {c["check_id"] for report in reports for c in report["results"]["passed_checks"]}
    assert failed == []
    assert "CKV_AWS_165" in passed  # point-in-time recovery on the global tables' replicas


@pytest.mark.parametrize("name", PROD)
def test_each_prod_api_answers_at_the_root_of_the_domain_its_region_urls_entry_names(
        templates, name):
    stage = stages.load(name)
    template = templates[name]
    domain = template["Resources"][r.API_DOMAIN]["Properties"]
    assert "https://" + domain["DomainName"] == stage.region_urls[stage.region]
    assert domain["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain["SecurityPolicy"] == "TLS_1_2"
    assert domain["RegionalCertificateArn"] == {"Ref": r.API_CERTIFICATE_PARAMETER}
    assert template["Parameters"][r.API_CERTIFICATE_PARAMETER]["Type"] == "String"
    # At the root (no BasePath): REGION_URLS carries no `/api` stage prefix.
    assert template["Resources"]["ApiDomainMapping"]["Properties"] == {
        "DomainName": {"Ref": r.API_DOMAIN}, "RestApiId": {"Ref": "RestAPI"},
        "Stage": stage.api_gateway_stage}
    assert template["Outputs"]["ApiDomainTarget"]["Value"] == {
        "Fn::GetAtt": [r.API_DOMAIN, "RegionalDomainName"]}
    assert template["Outputs"]["ApiUrl"]["Value"] == stage.region_urls[stage.region].rstrip("/")


def test_dev_has_no_regional_domain_to_deploy_with_a_certificate(templates):
    assert r.API_DOMAIN not in templates["dev"]["Resources"]
    assert r.API_CERTIFICATE_PARAMETER not in templates["dev"].get("Parameters", {})
    assert "ApiUrl" not in templates["dev"]["Outputs"]  # deploy.sh then uses EndpointURL


@pytest.mark.parametrize("name", PROD)
def test_each_prod_stack_alarms_when_its_claims_replica_fails_requests(templates, name):
    stage = stages.load(name)
    alarm = templates[name]["Resources"]["ClaimsSystemErrorsAlarm"]["Properties"]
    assert alarm["AlarmActions"] == [{"Ref": r.ALARM_TOPIC}]
    (total,) = [m for m in alarm["Metrics"] if m["ReturnData"]]
    watched = {m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if not m["ReturnData"]}
    # The alarm adds up every operation it watches, and watches every one the saga calls.
    assert set(re.findall(r"FILL\((m\d+), 0\)", total["Expression"])) == set(watched)
    assert {tuple(sorted((x["Name"], x["Value"]) for x in metric["Dimensions"]))
            for metric in watched.values()} == {
        (("Operation", operation), ("TableName", stage.claims_table))
        for operation in d.CLAIMS_OPERATIONS}
    assert all(metric["MetricName"] == "SystemErrors" and metric["Namespace"] == "AWS/DynamoDB"
               for metric in watched.values())
    assert "ClaimsSystemErrorsAlarm" not in templates["dev"]["Resources"]
