"""The data stack of stages that share their tables across regions (`infra.stages.DataSet`).

Production runs one stage per region (prod-us-east-1, prod-us-west-2) over ONE set of tables:

- every table of `chalicelib.tables` is a DynamoDB global table with multi-Region eventual
  consistency (MREC): a replica in each region, asynchronous replication (typically about a
  second), last writer wins. Only an office's home region writes the office's items (#16), so
  two regions never race on one item; the replica in the other region is there to fail over to;
- the person claims (`CLAIMS_TABLE`) are a global table with multi-Region strong consistency
  (MRSC): replicas in both regions and a witness in us-east-2, so a conditional write in one
  region sees every write made in the other. MRSC has no transactions (the claim is a saga, see
  REGIONS.md) and declares no TTL here: expiry is in the write conditions.

One stack name, `<prefix>-data` (`infopass-prod-data`), in every region of the set: there it
holds the tables' KMS key (`alias/<prefix>-tables`; a replica can only use a key of its own
region). The primary region's stack also holds the global tables; CloudFormation creates and
keeps their replicas in the other regions. Deployed first, other regions before the primary
(`DataSet.deploy_order`), then each stage's own stack, which only names the tables. The tables
are retained and deletion-protected: deleting the data stack never drops data.

`make package STAGE=prod-...` writes them to `build/<stage>/data/`: one template per region and
`stacks` (region, stack, template per line, in deploy order), which `make deploy`
(infra/deploy.sh) reads.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra import resources as r
from infra.stages import DataSet, Stage, load

TABLES_KEY = "TablesKey"
TABLES_KEY_ALIAS = "TablesKeyAlias"
# CloudFormation takes a template body of up to 51,200 bytes without an S3 upload; the data
# stacks are deployed to regions where the artifact bucket is not, so they must fit.
TEMPLATE_BODY_LIMIT = 51_200
# Replication from this region to a peer, averaged over 5 minutes: normally about a second.
# A minute means the peer falls behind: what a failover now would lose for offices homed here.
REPLICATION_LATENCY_THRESHOLD_MS = 60_000


def _tags(data: DataSet) -> list[dict[str, str]]:
    tags = dict(load(data.stages[0]).config.get("tags", {}))
    tags["stage"] = data.prefix
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def _retain() -> dict[str, str]:
    # Only production shares tables across regions; its data outlives any stack.
    return {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def key_arn(data: DataSet, region: str) -> dict[str, Any]:
    """The tables key of `region`, by its alias: the same alias name in every region."""
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:kms:{region}:${{AWS::AccountId}}:"
                       f"{data.key_alias}"}


def tables_key(data: DataSet) -> dict[str, dict[str, Any]]:
    account_root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    return {
        TABLES_KEY: {
            "Type": "AWS::KMS::Key", **_retain(),
            "Properties": {
                "Description": f"InfoPass {data.prefix}: the global tables' replicas in this "
                               "region",
                "EnableKeyRotation": True,
                "PendingWindowInDays": 30,
                # DynamoDB uses the key through grants it creates with the caller's IAM
                # permission (`kms:ViaService` dynamodb in the stages' policies).
                "KeyPolicy": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "AccountAdministersTheKeyThroughIam", "Effect": "Allow",
                     "Principal": {"AWS": account_root}, "Action": "kms:*",
                     "Resource": "*"}]},
                "Tags": _tags(data),
            }},
        TABLES_KEY_ALIAS: {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": data.key_alias, "TargetKeyId": {"Ref": TABLES_KEY}}},
    }


def global_table(model, data: DataSet) -> dict[str, Any]:
    """A global table with a replica in every region of the set: MREC for the regional
    tables, MRSC with a witness for the person claims."""
    shape = r.table_shape(model)
    strong = model.short_name == r.CLAIMS
    properties: dict[str, Any] = {
        "TableName": f"{data.prefix}-{model.short_name}",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": shape.pop("AttributeDefinitions"),
        "KeySchema": shape.pop("KeySchema"),
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
        "Replicas": [{
            "Region": region,
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"KMSMasterKeyId": key_arn(data, region)},
            "DeletionProtectionEnabled": data.production,
            "Tags": _tags(data),
        } for region in data.regions],
    }
    if strong:
        # Two replicas and a witness: a write commits once two of the three Regions have it.
        properties["MultiRegionConsistency"] = "STRONG"
        properties["GlobalTableWitnesses"] = [{"Region": data.witness_region}]
        shape.pop("TimeToLiveSpecification", None)
        shape.pop("LocalSecondaryIndexes", None)
    else:
        # MREC replicates through the table's stream (required with more than one replica).
        properties["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    properties.update(shape)
    return {"Type": "AWS::DynamoDB::GlobalTable", **_retain(), "DependsOn": [TABLES_KEY_ALIAS],
            "Properties": properties}


def template(data: DataSet, region: str) -> dict[str, Any]:
    resources = tables_key(data)
    outputs: dict[str, Any] = {"TablesKeyArn": {
        "Value": {"Fn::GetAtt": [TABLES_KEY, "Arn"]},
        "Export": {"Name": f"{data.stack_name}-TablesKeyArn"}}}
    if region == data.primary_region:
        for model in r.data_tables():
            resources[r.table_id(model)] = global_table(model, data)
        outputs["Tables"] = {"Value": ",".join(
            resources[r.table_id(m)]["Properties"]["TableName"] for m in r.data_tables())}
    description = (f"InfoPass {data.prefix}: global tables (replicas in "
                   f"{', '.join(data.regions)}) and the tables key of {region}"
                   if region == data.primary_region else
                   f"InfoPass {data.prefix}: the tables key of {region} (the global tables "
                   f"are in {data.stack_name} of {data.primary_region})")
    return {"AWSTemplateFormatVersion": "2010-09-09", "Description": description,
            "Resources": resources, "Outputs": outputs}


def replication_alarms(stage: Stage) -> dict[str, dict[str, Any]]:
    """In the stage's own stack: replication from this region's replica of each MREC table to
    every other region (the metric is published in the source region)."""
    data = stage.data_set
    if data is None:
        return {}
    common = {"AlarmActions": [{"Ref": r.ALARM_TOPIC}], "OKActions": [{"Ref": r.ALARM_TOPIC}],
              # No writes, no datapoints: a quiet night is not an incident.
              "TreatMissingData": "notBreaching"}
    alarms: dict[str, dict[str, Any]] = {}
    for model in r.data_tables():
        if model.short_name == r.CLAIMS:
            continue  # MRSC replicates synchronously; a lagging region fails the write
        name = f"{data.prefix}-{model.short_name}"
        for peer in data.regions:
            if peer == stage.region:
                continue
            alarms[f"{r.table_id(model)}ReplicationTo{r.camel(peer)}Alarm"] = {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": f"{stage.prefix}-{model.short_name}-replication-to-{peer}",
                    "AlarmDescription": f"Writes to {name} in {stage.region} reach {peer} more "
                                        f"than {REPLICATION_LATENCY_THRESHOLD_MS // 1000} s "
                                        "late (5-minute average, 2 of 3 periods). README "
                                        "Regions: failover runbook.",
                    "Namespace": "AWS/DynamoDB", "MetricName": "ReplicationLatency",
                    "Dimensions": [{"Name": "TableName", "Value": name},
                                   {"Name": "ReceivingRegion", "Value": peer}],
                    "Statistic": "Average", "Period": 300, "EvaluationPeriods": 3,
                    "DatapointsToAlarm": 2, "Threshold": REPLICATION_LATENCY_THRESHOLD_MS,
                    "ComparisonOperator": "GreaterThanThreshold", **common}}
    return alarms


# What the claims saga calls (REGIONS.md): a system error on any of them in this region's replica
# means a claim cannot be taken, confirmed or released here, so no booking goes through.
CLAIMS_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")


def claims_alarm(stage: Stage) -> dict[str, dict[str, Any]]:
    """In the stage's own stack: DynamoDB answering 5xx on the stage's replica of the claims
    table (e.g. an MRSC write that cannot reach a second Region)."""
    data = stage.data_set
    if data is None:
        return {}
    name = f"{data.prefix}-{r.CLAIMS}"
    metrics: list[dict[str, Any]] = [{
        "Id": "errors", "ReturnData": True, "Label": "claims system errors",
        "Expression": " + ".join(f"FILL(m{i}, 0)" for i in range(len(CLAIMS_OPERATIONS)))}]
    for i, operation in enumerate(CLAIMS_OPERATIONS):
        metrics.append({"Id": f"m{i}", "ReturnData": False, "MetricStat": {
            "Metric": {"Namespace": "AWS/DynamoDB", "MetricName": "SystemErrors",
                       "Dimensions": [{"Name": "TableName", "Value": name},
                                      {"Name": "Operation", "Value": operation}]},
            "Period": 60, "Stat": "Sum"}})
    return {"ClaimsSystemErrorsAlarm": {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{stage.prefix}-claims-system-errors",
            "AlarmDescription": f"DynamoDB fails requests to {name} in {stage.region} (2 of 3 "
                                "minutes): person claims cannot be written, so no booking goes "
                                "through here. README Regions: failover runbook.",
            "Metrics": metrics, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
            "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "AlarmActions": [{"Ref": r.ALARM_TOPIC}], "OKActions": [{"Ref": r.ALARM_TOPIC}],
            "TreatMissingData": "notBreaching"}}}


def write(stage: Stage, out: Path) -> Path | None:
    """The data stack templates of the stage's data set and the `stacks` list, or None."""
    data = stage.data_set
    if data is None:
        return None
    out.mkdir(parents=True, exist_ok=True)
    lines = []
    for region in data.deploy_order:
        body = json.dumps(template(data, region), separators=(",", ":"), sort_keys=True)
        if len(body.encode()) > TEMPLATE_BODY_LIMIT:
            raise ValueError(f"data template for {region} is {len(body)} bytes, over "
                             f"{TEMPLATE_BODY_LIMIT}: deploy it from S3")
        (out / f"{region}.json").write_text(body + "\n")
        lines.append(f"{region} {data.stack_name} {region}.json")
    (out / "stacks").write_text("\n".join(lines) + "\n")
    return out

