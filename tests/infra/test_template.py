"""The packaged template of every stage holds exactly the tables and queues of the shared
definitions, with the protections the issue asks for, and Chalice's functions are wired to them."""
from __future__ import annotations

import re

import pytest

from chalicelib import queues as queue_defs, tables as table_defs
from infra import resources as r, stages
from infra.template import sub
from tests.infra.conftest import resources_of

STAGES = stages.deployed()


def definitions():
    return r.definitions()


def consumers_of(template: dict, queue_name: str) -> list[dict]:
    """Functions with an SQS event on the queue called `queue_name`."""
    found = []
    for function in resources_of(template, "AWS::Serverless::Function").values():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] != "SQS":
                continue
            queue = event["Properties"]["Queue"]
            text = queue.get("Fn::Sub", "") if isinstance(queue, dict) else queue
            if text.endswith(":" + queue_name):
                found.append(function)
    return found


# Stages whose stack creates its tables; the prod stages' tables are global tables of their data
# stack (tests/infra/test_global_tables.py).
OWN_TABLES = [name for name in STAGES if stages.load(name).data_set is None]


@pytest.mark.parametrize("name", OWN_TABLES)
def test_the_template_has_exactly_the_defined_tables_with_their_keys_indexes_and_ttl(
        templates, name):
    stage = stages.load(name)
    models = r.data_tables()
    deployed = {t["Properties"]["TableName"]: t["Properties"]
                for t in resources_of(templates[name], "AWS::DynamoDB::Table").values()}
    assert set(deployed) == {m.full_name(stage.settings) for m in models}
    for model in models:
        table = deployed[model.full_name(stage.settings)]
        schema = model._get_schema()
        assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == \
            {(k["AttributeName"], k["KeyType"]) for k in schema["key_schema"]}
        assert table["KeySchema"][0]["KeyType"] == "HASH"
        assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} \
            == {(a["AttributeName"], a["AttributeType"]) for a in schema["attribute_definitions"]}
        expected_indexes = {
            i["index_name"]: ({(k["AttributeName"], k["KeyType"]) for k in i["key_schema"]},
                              i["projection"]["ProjectionType"],
                              sorted(i["projection"].get("NonKeyAttributes", [])))
            for i in schema["global_secondary_indexes"]}
        assert {i["IndexName"]: ({(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]},
                                 i["Projection"]["ProjectionType"],
                                 sorted(i["Projection"].get("NonKeyAttributes", [])))
                for i in table.get("GlobalSecondaryIndexes", [])} == expected_indexes
        ttl = table.get("TimeToLiveSpecification")
        if model.ttl_attribute:
            assert ttl == {"AttributeName": model.ttl_attribute, "Enabled": True}
        else:
            assert ttl is None


@pytest.mark.parametrize("name", OWN_TABLES)
def test_every_table_is_on_demand_recoverable_and_encrypted_with_the_stage_key(templates, name):
    stage = stages.load(name)
    template = templates[name]
    key = template["Resources"][r.DATA_KEY]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    tables = resources_of(template, "AWS::DynamoDB::Table").values()
    assert tables
    for table in tables:
        properties = table["Properties"]
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True}
        assert properties["SSESpecification"] == {
            "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": r.DATA_KEY}}
        assert properties["DeletionProtectionEnabled"] is stage.production
        assert table["DeletionPolicy"] == ("Retain" if stage.production else "Delete")


def test_only_production_stages_protect_tables_from_deletion(templates, packaged):
    import json

    def protections(name):
        data = stages.load(name).data_set
        if data is None:
            return [t["Properties"]["DeletionProtectionEnabled"]
                    for t in resources_of(templates[name], "AWS::DynamoDB::Table").values()]
        primary = json.loads((packaged[name] / "data" / f"{data.primary_region}.json")
                             .read_text())
        return [replica["DeletionProtectionEnabled"] for t in
                resources_of(primary, "AWS::DynamoDB::GlobalTable").values()
                for replica in t["Properties"]["Replicas"]]

    protected = {name for name in templates if all(protections(name)) and protections(name)}
    assert protected == {"prod-us-east-1", "prod-us-west-2"}


@pytest.mark.parametrize("name", STAGES)
def test_every_defined_queue_has_a_dead_letter_queue_that_outlives_it(templates, name):
    stage = stages.load(name)
    _, queues = definitions()
    deployed = {q["Properties"]["QueueName"]: (logical_id, q["Properties"]) for logical_id, q in
                resources_of(templates[name], "AWS::SQS::Queue").items()}
    expected = {q.name(stage.settings) for q in queues} | \
        {q.dead_letter_name(stage.settings) for q in queues}
    assert set(deployed) == expected
    for queue in queues:
        _, source = deployed[queue.name(stage.settings)]
        dead_letter_id, dead_letter = deployed[queue.dead_letter_name(stage.settings)]
        assert source["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_id, "Arn"]}, "maxReceiveCount": 5}
        assert dead_letter["MessageRetentionPeriod"] > source["MessageRetentionPeriod"]
        assert source["KmsMasterKeyId"] == dead_letter["KmsMasterKeyId"] == {"Ref": r.DATA_KEY}


@pytest.mark.parametrize("name", STAGES)
def test_visibility_timeout_is_at_least_six_times_each_consumers_timeout(templates, name):
    stage = stages.load(name)
    _, queues = definitions()
    for queue in queues:
        for consumer in consumers_of(templates[name], queue.name(stage.settings)):
            assert queue.visibility_timeout >= 6 * consumer["Properties"]["Timeout"]


def test_the_notices_queue_has_a_consumer_in_every_stage(templates):
    for name, template in templates.items():
        stage = stages.load(name)
        assert consumers_of(template, queue_defs.NOTICES.name(stage.settings)), name


@pytest.mark.parametrize("name", STAGES)
def test_every_sqs_consumer_reports_batch_item_failures_and_reads_a_queue_of_its_stage(
        templates, name):
    stage = stages.load(name)
    _, queues = definitions()
    own = {q.name(stage.settings) for q in queues}
    events = [event for function in resources_of(
        templates[name], "AWS::Serverless::Function").values()
        for event in (function["Properties"].get("Events") or {}).values()
        if event["Type"] == "SQS"]
    assert events
    for event in events:
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        queue_arn = event["Properties"]["Queue"]["Fn::Sub"]
        assert queue_arn.rsplit(":", 1)[1] in own, queue_arn


@pytest.mark.parametrize("name", STAGES)
def test_functions_are_named_for_the_stage_encrypted_and_wait_for_their_data(templates, name):
    stage = stages.load(name)
    template = templates[name]
    data = {k for k, v in template["Resources"].items()
            if v["Type"] in {"AWS::DynamoDB::Table", "AWS::SQS::Queue"}}
    functions = resources_of(template, "AWS::Serverless::Function")
    assert "APIHandler" in functions
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["FunctionName"] == f"{stage.prefix}-{logical_id}"
        assert properties["KmsKeyArn"] == {"Fn::GetAtt": [r.DATA_KEY, "Arn"]}
        assert properties["Tracing"] == "Active"
        assert set(function["DependsOn"]) == data
        for value in properties["Environment"]["Variables"].values():
            # A `${...}` left in a plain string would reach Lambda verbatim.
            assert isinstance(value, dict) or "${" not in value
    for logical_id, group in resources_of(template, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [r.DATA_KEY, "Arn"]}
        # WAF's log holds client IPs of blocked requests: kept 90 days, not a year.
        assert group["Properties"]["RetentionInDays"] == 90 if logical_id == r.WAF_LOGS \
            else group["Properties"]["RetentionInDays"] >= 365


@pytest.mark.parametrize("name", STAGES)
def test_every_function_role_carries_the_stage_policy_file_resolved_by_cloudformation(
        templates, name):
    import json

    stage = stages.load(name)
    policy = json.loads(stage.policy_file.read_text())
    roles = resources_of(templates[name], "AWS::IAM::Role")
    assert len(roles) == len(resources_of(templates[name], "AWS::Serverless::Function"))
    for role in roles.values():
        (inline,) = role["Properties"]["Policies"]
        assert inline["PolicyDocument"] == sub(policy)
        assert role["Properties"].get("ManagedPolicyArns") is None


@pytest.mark.parametrize("name", STAGES)
def test_the_api_stage_is_throttled_traced_logged_and_answers_problem_json(templates, name):
    stage = stages.load(name)
    api = templates[name]["Resources"]["RestAPI"]["Properties"]
    assert api["Name"] == stage.prefix and api["StageName"] == stage.api_gateway_stage
    (setting,) = api["MethodSettings"]
    assert setting["ThrottlingRateLimit"] == stage.profile.api_rate_limit
    assert setting["ThrottlingBurstLimit"] == stage.profile.api_burst_limit
    assert api["TracingEnabled"] is True
    assert api["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": [r.API_ACCESS_LOGS, "Arn"]}
    responses = api["GatewayResponses"]
    assert {"DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED", "MISSING_AUTHENTICATION_TOKEN",
            "UNAUTHORIZED", "ACCESS_DENIED"} <= set(responses)
    for response in responses.values():
        assert response["ResponseParameters"]["Headers"]["Content-Type"] == \
            "'application/problem+json'"
        body = response["ResponseTemplates"]["application/json"]
        assert re.search(r'"code": "[a-z_]+"', body) and '"title"' in body
    assert responses["THROTTLED"]["StatusCode"] == "429"
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"


@pytest.mark.parametrize("name", STAGES)
def test_alarms_watch_dead_letters_5xx_rate_and_triage_deadline_breaches(templates, name):
    stage = stages.load(name)
    _, queues = definitions()
    alarms = [a["Properties"] for a in
              resources_of(templates[name], "AWS::CloudWatch::Alarm").values()]
    topic = {"Ref": r.ALARM_TOPIC}
    assert all(a["AlarmActions"] == [topic] for a in alarms)
    depth = {a["Dimensions"][0]["Value"] for a in alarms
             if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"}
    assert depth == {q.dead_letter_name(stage.settings) for q in queues}
    (errors,) = [a for a in alarms if a.get("MetricName") == "5XXError"]
    assert {d["Name"]: d["Value"] for d in errors["Dimensions"]} == {
        "ApiName": stage.prefix, "Stage": stage.api_gateway_stage}
    (breaches,) = [a for a in alarms if a.get("MetricName") == "TriageDeadlineBreaches"]
    assert breaches["Namespace"] == "InfoPass" == stage.env["METRICS_NAMESPACE"]
    assert breaches["Dimensions"] == [{"Name": "Stage", "Value": stage.env["STAGE"]}]
    assert templates[name]["Resources"][r.ALARM_TOPIC]["Properties"]["KmsMasterKeyId"] == {
        "Ref": r.DATA_KEY}


@pytest.mark.parametrize("name", STAGES)
def test_staff_pool_has_a_group_per_staff_role_and_admin_only_sign_up(templates, name):
    from chalicelib.staff.roles import STAFF_ROLES

    template = templates[name]
    pool = template["Resources"][r.USER_POOL]["Properties"]
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert pool["MfaConfiguration"] == "ON"
    groups = {g["Properties"]["GroupName"] for g in
              resources_of(template, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(STAFF_ROLES) == {"tier1", "tier2", "supervisor", "office_admin",
                                             "headquarters", "front_desk"}


@pytest.mark.parametrize("name", STAGES)
def test_staff_cannot_change_the_office_their_token_carries(templates, name):
    from chalicelib.staff.auth import OFFICE_CLAIM

    resources = templates[name]["Resources"]
    pool = resources[r.USER_POOL]["Properties"]
    client = resources[r.USER_POOL_CLIENT]["Properties"]
    assert OFFICE_CLAIM == "custom:" + pool["Schema"][0]["Name"]
    assert OFFICE_CLAIM in client["ReadAttributes"]
    assert OFFICE_CLAIM not in client["WriteAttributes"]


@pytest.mark.parametrize("name", STAGES)
def test_ses_identity_and_configuration_set_match_the_stage_sender(templates, name):
    stage = stages.load(name)
    resources = templates[name]["Resources"]
    assert resources[r.SES_CONFIGURATION_SET]["Properties"]["Name"] == \
        stage.env["SES_CONFIGURATION_SET"]
    identity = resources[r.SES_IDENTITY]["Properties"]["EmailIdentity"]
    assert stage.env["SES_SENDER"].endswith("@" + identity)


def test_tables_registered_by_any_context_are_in_the_shared_definitions():
    import app  # noqa: F401

    models, _ = definitions()
    # The same models; all_tables() orders them by module, TABLES by import order.
    assert sorted(models, key=id) == sorted(table_defs.TABLES, key=id)
    assert len({m.short_name for m in models}) == len(models)


def test_the_shared_definitions_hold_every_table_the_app_registers_without_importing_the_app():
    # A fresh interpreter: in this one other tests have imported the app already.
    import subprocess
    import sys

    code = ("from chalicelib import tables\n"
            "found = [m.short_name for m in tables.all_tables()]\n"
            "import sys; assert 'app' not in sys.modules and 'chalicelib.wiring' not in sys.modules\n"
            "import app\n"
            "assert found == [m.short_name for m in tables.all_tables()], found\n"
            "assert sorted(found) == sorted(m.short_name for m in tables.TABLES), found\n"
            "print(len(found))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(table_defs.all_tables())


@pytest.mark.parametrize("name", STAGES)
def test_a_regional_web_acl_guards_the_stage_api_with_per_ip_rates_and_a_booking_challenge(
        templates, name):
    stage = stages.load(name)
    resources = templates[name]["Resources"]
    acl = resources[r.WEB_ACL]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    association = resources["ApiWebAclAssociation"]
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [r.WEB_ACL, "Arn"]}
    assert association["Properties"]["ResourceArn"]["Fn::Sub"].endswith(
        f"/restapis/${{RestAPI}}/stages/{stage.api_gateway_stage}")
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    assert len({rule["Priority"] for rule in acl["Rules"]}) == len(acl["Rules"])
    everything = rules["rate-per-ip"]["Statement"]["RateBasedStatement"]
    strict = rules["rate-per-ip-booking-and-proofs"]["Statement"]["RateBasedStatement"]
    assert everything["AggregateKeyType"] == strict["AggregateKeyType"] == "IP"
    assert strict["Limit"] < everything["Limit"] and "ScopeDownStatement" not in everything
    for rule in (rules["rate-per-ip"], rules["rate-per-ip-booking-and-proofs"]):
        assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    assert rules["challenge-booking"]["Action"] == {"Challenge": {}}
    assert rules["challenge-booking"]["Priority"] > rules["rate-per-ip-booking-and-proofs"][
        "Priority"]
    # The path patterns match what the gateway sees, with or without the stage prefix, and
    # nothing else.
    for path in ("/api/v1/appointments", "/v1/appointments"):
        assert re.match(r.BOOKING_PATH, path)
    for path in ("/api/v1/appointments/ABCD-EFGH-JK/lookup", "/v1/appointments/x/cancel",
                 "/api/v1/appointments/x/reschedule", "/api/v1/service-requests/x/status",
                 "/v1/service-requests/x/appeal"):
        assert re.match(r.PROOF_PATHS, path), path
    for path in ("/api/v1/appointments/x", "/api/v1/offices", "/api/v1/service-requests",
                 "/api/v1/staff/service-requests/x/appeal-decision"):
        assert not re.match(r.PROOF_PATHS, path) and not re.match(r.BOOKING_PATH, path)
    logging = resources["ApiWebAclLogging"]["Properties"]
    assert {"UriPath": {}} in logging["RedactedFields"] and \
        {"QueryString": {}} in logging["RedactedFields"]
    assert logging["LoggingFilter"]["DefaultBehavior"] == "DROP"
    assert resources[r.WAF_LOGS]["Properties"]["LogGroupName"].startswith("aws-waf-logs-")


@pytest.mark.parametrize("name", STAGES)
def test_the_capacity_jobs_run_on_their_schedules_in_every_stage(templates, name):
    """Reserved seats are released and booked-out slots unlisted every 15 minutes, expired
    holds returned and the waitlist moved on every minute in the deployed stage itself, not only
    by the local worker."""
    schedules = {}
    for logical_id, function in resources_of(templates[name],
                                             "AWS::Serverless::Function").items():
        for event in (function["Properties"].get("Events") or {}).values():
            if event["Type"] == "Schedule":
                schedules[logical_id] = event["Properties"]["Schedule"]
    by_name = {k.lower(): v for k, v in schedules.items()}
    assert by_name.get("releasereservedseats") == "rate(15 minutes)", schedules
    assert by_name.get("unlistbookedoutslots") == "rate(15 minutes)", schedules
    assert by_name.get("returnexpiredholds") == "rate(1 minute)", schedules
    assert by_name.get("movewaitliston") == "rate(1 minute)", schedules
