"""Least-privilege IAM policy per deployed stage, generated from the shared definitions.

`.chalice/config.json` sets `autogen_policy: false` and `iam_policy_file: policy-<stage>.json`:
Chalice's generated policy only sees boto3 calls written in `app.py`, not PynamoDB's, so every
DynamoDB call would be denied. The files are committed (reviewable diffs) and a test fails
when they differ from what this module generates:

    python -m infra.policy           # rewrite .chalice/policy-<stage>.json for every stage
    python -m infra.policy --check   # exit 1 if any committed file is stale

Scope: the stage's own tables and their indexes (in the stage's region: a function only calls
its own region's replica of a global table), its queues (not their dead-letter queues:
SQS moves messages there itself), its SES identity and configuration set, its KMS key, and log
groups of its own functions; a stage whose tables are global tables also uses the data stack's
key of its region (`alias/<table prefix>-tables`) through DynamoDB. `${AWS::Partition}`,
`${AWS::AccountId}` and `${DataKey.Arn}` are resolved by CloudFormation (the merge template
wraps the document in `Fn::Sub`), so the files only deploy through the packaged template
(`make deploy`), never through `chalice deploy`.
Two actions have no resource-level permissions in AWS and keep `Resource: "*"`, each narrowed
by a condition where AWS offers one: `xray:PutTraceSegments`/`PutTelemetryRecords` (active
tracing) and `cloudwatch:PutMetricData` (only in the InfoPass namespace).
"""
from __future__ import annotations

import json
import sys
from typing import Any

from infra import resources as r
from infra.stages import Stage, deployed, load

PARTITION_REGION_ACCOUNT = "arn:${AWS::Partition}:%s:%s:${AWS::AccountId}:%s"

TABLE_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
                 "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable",
                 "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan",
                 "dynamodb:UpdateItem"]
INDEX_ACTIONS = ["dynamodb:Query", "dynamodb:Scan"]
QUEUE_ACTIONS = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                 "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"]
# Actions AWS authorizes only against Resource "*".
UNSCOPABLE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords",
                      "cloudwatch:PutMetricData"}


def arn(stage: Stage, service: str, resource: str) -> str:
    return PARTITION_REGION_ACCOUNT % (service, stage.region, resource)


KEY_ACTIONS = ["kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt",
               "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def document(stage: Stage) -> dict[str, Any]:
    _, queues = r.definitions()
    tables = r.data_tables()
    s = stage.settings
    table_arns, index_arns = [], []
    for model in tables:
        table_arn = arn(stage, "dynamodb", f"table/{model.full_name(s)}")
        table_arns.append(table_arn)
        index_arns += [f"{table_arn}/index/{name}" for name in r.index_names(model)]
    statements: list[dict[str, Any]] = [
        {"Sid": "OwnLogGroups", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": arn(stage, "logs", f"log-group:/aws/lambda/{stage.prefix}-*:*")},
        {"Sid": "StageTables", "Effect": "Allow", "Action": TABLE_ACTIONS,
         "Resource": sorted(table_arns)},
    ]
    if index_arns:
        statements.append({"Sid": "StageTableIndexes", "Effect": "Allow",
                           "Action": INDEX_ACTIONS, "Resource": sorted(index_arns)})
    statements += [
        {"Sid": "StageQueues", "Effect": "Allow", "Action": QUEUE_ACTIONS,
         "Resource": sorted(arn(stage, "sqs", q.name(s)) for q in queues)},
        {"Sid": "StageKey", "Effect": "Allow",
         # What DynamoDB's own AWS-managed key allows its callers; only through the services.
         "Action": KEY_ACTIONS,
         "Resource": "${%s.Arn}" % r.DATA_KEY,
         "Condition": {"StringEquals": {"kms:ViaService": sorted(
             f"{service}.{stage.region}.amazonaws.com"
             for service in ("dynamodb", "sqs", "lambda"))}}},
        *_global_tables_key(stage),
        {"Sid": "NoticesEmail", "Effect": "Allow",
         "Action": ["ses:SendEmail", "ses:SendRawEmail"],
         "Resource": [arn(stage, "ses", f"identity/{stage.ses_identity}"),
                      arn(stage, "ses",
                          f"configuration-set/{stage.env['SES_CONFIGURATION_SET']}")],
         "Condition": {"StringEquals": {"ses:FromAddress": stage.env["SES_SENDER"]}}},
        {"Sid": "TracingHasNoResourceLevelPermissions", "Effect": "Allow",
         "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "Resource": "*"},
        {"Sid": "MetricsOnlyInTheInfoPassNamespace", "Effect": "Allow",
         "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": r.METRICS_NAMESPACE}}},
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _global_tables_key(stage: Stage) -> list[dict[str, Any]]:
    """The data stack's key of the stage's region (global tables), named by its alias: the key
    is in another stack, and an alias is the one name it has before it exists."""
    data = stage.data_set
    if data is None:
        return []
    return [{"Sid": "GlobalTablesKey", "Effect": "Allow", "Action": KEY_ACTIONS,
             "Resource": arn(stage, "kms", "key/*"),
             "Condition": {"StringEquals": {
                 "kms:ViaService": f"dynamodb.{stage.region}.amazonaws.com"},
                 "ForAnyValue:StringEquals": {"kms:ResourceAliases": data.key_alias}}}]


def render(stage: Stage) -> str:
    return json.dumps(document(stage), indent=2) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in deployed():
        stage = load(name)
        text = render(stage)
        current = stage.policy_file.read_text(encoding="utf-8") if stage.policy_file.exists() \
            else None
        if current == text:
            continue
        if check:
            stale.append(stage.policy_file.name)
        else:
            stage.policy_file.write_text(text, encoding="utf-8")
            print(f"wrote {stage.policy_file.relative_to(stage.policy_file.parent.parent)}")
    if stale:
        print(f"stale IAM policies: {', '.join(stale)}; run `make policies`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
