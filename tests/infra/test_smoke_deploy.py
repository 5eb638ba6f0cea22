"""Smoke deploy: each stage's packaged template goes through moto's CloudFormation, and the app,
configured with that stage's environment from `.chalice/config.json`, books an appointment on
the resources the stack created.

moto's CloudFormation cannot run the SAM transform and implements none of Lambda-from-SAM,
API Gateway stages, Cognito, SES or CloudWatch alarms, so only the resources it implements are
deployed: the KMS key and alias, the tables, the queues, the alarm topic and the log groups.
The API runs in-process (chalice.test.Client) in place of Lambda + API Gateway. moto's
CloudFormation also ignores TTL, point-in-time recovery and SSE on tables; those are checked on
the template itself (test_template.py). One adaptation: moto reads KMS tags in the API's
TagKey/TagValue shape, not CloudFormation's Key/Value, so the key's tags are dropped here.
moto has no `AWS::DynamoDB::GlobalTable`: a prod stage's data stack (infra/data.py) is
deployed first with each global table as the ordinary table its replica in the stage's region
is (same name, keys, indexes); replication, MRSC and the witness are checked on the template
(test_global_tables.py).
"""
from __future__ import annotations

import copy
import json
import urllib.request
from datetime import datetime, timedelta

import boto3
import pytest
from chalice.test import Client

from infra import resources as r, stages

DEPLOYED_ON_MOTO = {"AWS::KMS::Key", "AWS::KMS::Alias", "AWS::DynamoDB::Table",
                    "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Logs::LogGroup"}
NOT_ON_MOTO = {"AWS::Serverless::Function", "AWS::Serverless::Api", "AWS::IAM::Role",
               "AWS::Lambda::Permission", "AWS::Cognito::UserPool",
               "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
               "AWS::SES::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination",
               "AWS::SES::EmailIdentity", "AWS::CloudWatch::Alarm", "AWS::WAFv2::WebACL",
               "AWS::WAFv2::WebACLAssociation", "AWS::WAFv2::LoggingConfiguration",
               "AWS::ApiGateway::DomainName", "AWS::ApiGateway::BasePathMapping"}
MOTO_ACCOUNT = "123456789012"
# An office each region is home to (#16: a region books only the offices it serves).
OFFICE_IN = {"us-east-1": "miami", "us-west-2": "seattle"}
PERSON = {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1979-08-30",
          "email": "ana.ruiz@example.org", "phone": "(305) 555-0199",
          "address": {"line1": "1 Ocean Dr", "city": "Miami", "state": "FL", "zip": "33139"}}


def moto_subset(template: dict) -> tuple[dict, set[str]]:
    kept = {k: copy.deepcopy(v) for k, v in template["Resources"].items()
            if v["Type"] in DEPLOYED_ON_MOTO}
    left_out = {v["Type"] for v in template["Resources"].values()} - DEPLOYED_ON_MOTO
    kept[r.DATA_KEY]["Properties"].pop("Tags", None)
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": kept}, left_out


def replica_tables(data_template: dict) -> dict:
    """The data stack as moto can create it: each global table as the replica it has here."""
    tables = {}
    for logical_id, resource in data_template["Resources"].items():
        if resource["Type"] != "AWS::DynamoDB::GlobalTable":
            continue
        properties = {k: v for k, v in resource["Properties"].items() if k in {
            "TableName", "BillingMode", "AttributeDefinitions", "KeySchema",
            "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "TimeToLiveSpecification"}}
        tables[logical_id] = {"Type": "AWS::DynamoDB::Table", "Properties": properties}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": tables}


def resolved(value: str, stage: stages.Stage) -> str:
    """What CloudFormation would put in the function's environment, as far as moto goes."""
    if value.startswith("{{resolve:secretsmanager:"):
        return "smoke-test-pepper"
    return (value.replace("${AWS::AccountId}", MOTO_ACCOUNT)
            .replace("${StaffUserPool}", f"{stage.region}_SmokeTest")
            .replace("${StaffUserPoolClient}", "smoke-test-client"))


def client(service: str, stage: stages.Stage, endpoint: str):
    return boto3.client(service, region_name=stage.region, endpoint_url=endpoint)


@pytest.fixture
def deployed_stack(request, templates, packaged, moto_server, monkeypatch):
    """Creates the stage's stack in moto and points the app at it with the stage's settings."""
    from chalicelib import wiring

    stage = stages.load(request.param)
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset",
                                                  method="POST"))
    body, left_out = moto_subset(templates[stage.name])
    assert left_out <= NOT_ON_MOTO, f"deployable on moto but left out: {left_out - NOT_ON_MOTO}"
    cloudformation = client("cloudformation", stage, moto_server)
    if stage.data_set:
        data = stage.data_set
        primary = json.loads((packaged[stage.name] / "data" / f"{data.primary_region}.json")
                             .read_text())
        cloudformation.create_stack(StackName=data.stack_name,
                                    TemplateBody=json.dumps(replica_tables(primary)))
        (stack,) = cloudformation.describe_stacks(StackName=data.stack_name)["Stacks"]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    cloudformation.create_stack(StackName=stage.stack_name, TemplateBody=json.dumps(body))
    (stack,) = cloudformation.describe_stacks(StackName=stage.stack_name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    for variable, value in stage.env.items():
        monkeypatch.setenv(variable, resolved(value, stage))
    monkeypatch.setenv("AWS_REGION", stage.region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", stage.region)
    wiring.rewire()
    yield stage
    monkeypatch.undo()
    wiring.rewire()


@pytest.mark.parametrize("deployed_stack", stages.deployed(), indirect=True)
def test_the_app_books_an_appointment_on_the_stack_moto_created_from_the_template(
        deployed_stack, moto_server):
    from app import app
    from chalicelib import settings, wiring

    stage = deployed_stack
    assert settings.settings.resource_prefix == stage.prefix
    office = OFFICE_IN[stage.region]
    wiring.booking_service().generate_slots([office])
    with Client(app, stage_name=stage.name) as c:
        slots = json.loads(c.http.get(f"/v1/offices/{office}/slots").body)["slots"]
        later = datetime.now().astimezone() + timedelta(days=3)
        slot = next(s for s in slots if datetime.fromisoformat(s["start"]) >= later)
        response = c.http.post("/v1/appointments", headers={"Content-Type": "application/json"},
                               body=json.dumps({
                                   "slot_id": slot["slot_id"], "applicant": PERSON,
                                   "reason": {"category": "emergency_travel_document",
                                              "details": "Family emergency"},
                                   "language": "es", "contact_method": "email"}))
    assert response.status_code == 201, response.body
    booked = json.loads(response.body)
    # The booking landed in the stage's table and its notice in the stage's queue, found
    # through NOTICES_QUEUE_URL exactly as config.json spells it.
    dynamodb = client("dynamodb", stage, moto_server)
    item = dynamodb.get_item(
        TableName=stage.settings.table_name("appointments"),
        Key={"confirmation_number": {"S": booked["confirmation_number"].replace("-", "")}})
    assert item.get("Item"), "appointment not in the stage's table"
    sqs = client("sqs", stage, moto_server)
    messages = sqs.receive_message(QueueUrl=settings.settings.notices_queue_url,
                                   MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["kind"] for m in messages] == ["booking_confirmation"]


@pytest.mark.parametrize("deployed_stack", ["prod-us-west-2"], indirect=True)
def test_tables_and_queues_from_the_template_match_those_the_local_stack_creates(
        deployed_stack, templates, packaged, moto_server, monkeypatch):
    """`local/provision.py` and the template both render the shared definitions; compared here
    as moto reports them (key schemas, indexes, queue attributes)."""
    from chalicelib import wiring
    from local import provision

    stage = deployed_stack
    monkeypatch.setenv("RESOURCE_PREFIX", "infopass-local-compare")
    monkeypatch.setenv("TABLE_PREFIX", "infopass-local-compare")
    monkeypatch.setenv("CLAIMS_TABLE", "infopass-local-compare-claims")
    wiring.rewire()
    provision.create_tables()
    provision.create_queues()
    dynamodb = client("dynamodb", stage, moto_server)
    sqs = client("sqs", stage, moto_server)
    models, queues = r.definitions()
    declared = templates[stage.name]
    if stage.data_set:
        declared = json.loads((packaged[stage.name] / "data" /
                               f"{stage.data_set.primary_region}.json").read_text())
    declared_tables = [t for t in declared["Resources"].values()
                       if t["Type"] in {"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"}]

    def shape(table: str) -> dict:
        t = dynamodb.describe_table(TableName=table)["Table"]
        return {"keys": t["KeySchema"],
                "attributes": sorted(t["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
                "indexes": sorted(((i["IndexName"], json.dumps(i["KeySchema"]),
                                    i["Projection"]["ProjectionType"])
                                   for i in t.get("GlobalSecondaryIndexes", []))),
                "billing": t["BillingModeSummary"]["BillingMode"]}

    for model in models:
        deployed = stage.settings.table_name(model.short_name)
        local = f"infopass-local-compare-{model.short_name}"
        assert shape(deployed) == shape(local), model.short_name
        local_ttl = dynamodb.describe_time_to_live(TableName=local)["TimeToLiveDescription"]
        template_ttl = next(
            t["Properties"].get("TimeToLiveSpecification") for t in declared_tables
            if t["Properties"]["TableName"] == deployed)
        assert (local_ttl.get("AttributeName"), local_ttl["TimeToLiveStatus"] == "ENABLED") == \
            ((template_ttl or {}).get("AttributeName"), bool(template_ttl))

    def attributes(name: str) -> dict:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(a.get("RedrivePolicy", "{}"))
        dead_letter = redrive.get("deadLetterTargetArn", "").rsplit(":", 1)[-1]
        return {"visibility": a["VisibilityTimeout"], "retention": a["MessageRetentionPeriod"],
                "max_receives": int(redrive.get("maxReceiveCount", 0)),
                "dead_letter_is_its_own": dead_letter == name + "-dlq"}

    for queue in queues:
        deployed = attributes(queue.name(stage.settings))
        assert deployed == attributes(f"infopass-local-compare-{queue.short_name}")
        assert deployed["max_receives"] == 5 and deployed["dead_letter_is_its_own"]
        assert attributes(queue.dead_letter_name(stage.settings))["retention"] == \
            attributes(f"infopass-local-compare-{queue.short_name}-dlq")["retention"]

