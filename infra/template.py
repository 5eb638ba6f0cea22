"""Builds the merge template for `chalice package --merge-template`.

Two kinds of content:

- the stage's own resources, rendered from the shared definitions (`infra.resources`): tables
  (unless they are global tables of the stage's data stack, `infra.data`), queues with
  dead-letter queues, the KMS key, SES, the staff Cognito pool, alarms (with replication lag
  to the other regions of a data set);
- overrides of what Chalice generated, found by reading Chalice's own template for the stage
  (a first `chalice package` pass), so functions other contexts add later are covered without
  editing this file:
  * every function: a predictable name (`<prefix>-<LogicalId>`, which the stage's log policy is
    scoped to), its environment encrypted with the stage key, `DependsOn` every table and queue
    (an SQS event source is only created once its queue exists), and its environment values
    that hold `${...}` (account id, Cognito pool) wrapped in `Fn::Sub`;
  * every SQS event source: `FunctionResponseTypes: [ReportBatchItemFailures]`, which Chalice
    cannot set. A consumer that returns `{"batchItemFailures": [...]}` gets only those messages
    retried; one that raises still fails its whole batch, as without the setting;
  * every role: the stage policy file with `${AWS::Partition}`, `${AWS::AccountId}` and
    `${DataKey.Arn}` resolved by `Fn::Sub`;
  * Chalice's log groups: encrypted with the stage key;
  * the REST API: name, stage throttling, X-Ray, access logs, problem+json gateway responses;
    a stage listed in REGION_URLS also gets its regional custom domain (certificate parameter
    `ApiCertificateArn`);
  * the API function: SnapStart on published versions behind an alias, which the REST API
    invokes (`infra.snapstart`).

Chalice's merge is a deep merge in which the merge template wins, so every override below only
names the keys it sets.
"""
from __future__ import annotations

import re
from typing import Any

from infra import data as d, resources as r
from infra import snapstart
from infra.stages import Stage


def own_tables(stage: Stage) -> list:
    """Tables the stage's stack creates: all of them, unless they are global tables of the
    stage's data set (`infra.data`), which its stack only names."""
    return [] if stage.data_set else r.data_tables()


def sub(value: Any) -> Any:
    """Wraps every string that holds `${...}` in `Fn::Sub`, leaving intrinsics as they are."""
    if isinstance(value, str):
        return {"Fn::Sub": value} if "${" in value else value
    if isinstance(value, list):
        return [sub(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1 and any(k == "Ref" or k.startswith("Fn::") for k in value):
            return value
        return {key: sub(item) for key, item in value.items()}
    return value


def own_resources(stage: Stage) -> dict[str, dict[str, Any]]:
    _, queues = r.definitions()
    out: dict[str, dict[str, Any]] = {}
    out.update(r.data_key(stage))
    for model in own_tables(stage):
        out[r.table_id(model)] = r.table(model, stage)
    for queue in queues:
        out.update(r.queue_pair(queue, stage))
    out.update(r.notices_email(stage))
    out.update(r.staff_pool(stage))
    out.update(r.api_access_logs(stage))
    out.update(r.alarms(stage, queues))
    out.update(d.replication_alarms(stage))
    out.update(d.claims_alarm(stage))
    out.update(r.web_acl(stage))
    out.update(r.api_domain(stage))
    return out


def data_resources(stage: Stage) -> list[str]:
    _, queues = r.definitions()
    return sorted([r.table_id(m) for m in own_tables(stage)] + [r.queue_id(q) for q in queues]
                  + [r.dead_letter_queue_id(q) for q in queues])


def _function_override(stage: Stage, logical_id: str, properties: dict[str, Any]) -> dict:
    override: dict[str, Any] = {
        "DependsOn": data_resources(stage),
        "Properties": {
            "FunctionName": f"{stage.prefix}-{logical_id}",
            "KmsKeyArn": {"Fn::GetAtt": [r.DATA_KEY, "Arn"]},
        },
    }
    variables = properties.get("Environment", {}).get("Variables", {})
    resolved = {name: sub(value) for name, value in variables.items()
                if isinstance(value, str) and "${" in value}
    if resolved:
        override["Properties"]["Environment"] = {"Variables": resolved}
    sqs_events = {name: {"Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}}
                  for name, event in (properties.get("Events") or {}).items()
                  if event.get("Type") == "SQS"}
    if sqs_events:
        override["Properties"]["Events"] = sqs_events
    return override


def _role_override(properties: dict[str, Any]) -> dict:
    policies = [{**policy, "PolicyDocument": sub(policy["PolicyDocument"])}
                for policy in properties.get("Policies", [])]
    return {"Properties": {"Policies": policies}}


def _log_group_override(stage: Stage, properties: dict[str, Any], functions: list[str]) -> dict:
    # Chalice names the group after the function's logical id before it renames the API
    # handler (`${ApiHandler}` for `APIHandler`), so the reference can dangle; the functions'
    # names are fixed here anyway, so the group gets the literal name.
    reference = re.fullmatch(r"/aws/lambda/\$\{(\w+)\}",
                             properties.get("LogGroupName", {}).get("Fn::Sub", ""))
    override: dict[str, Any] = {"KmsKeyId": {"Fn::GetAtt": [r.DATA_KEY, "Arn"]}}
    if reference:
        function = {name.lower(): name for name in functions}.get(reference.group(1).lower())
        if function is None:
            raise ValueError(f"log group for unknown function {reference.group(1)}")
        override["LogGroupName"] = f"/aws/lambda/{stage.prefix}-{function}"
    return {"Properties": override}


def overrides(stage: Stage, chalice_template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    functions = [logical_id for logical_id, resource in chalice_template["Resources"].items()
                 if resource["Type"] == "AWS::Serverless::Function"]
    for logical_id, resource in chalice_template["Resources"].items():
        kind, properties = resource["Type"], resource.get("Properties", {})
        if kind == "AWS::Serverless::Function":
            out[logical_id] = _function_override(stage, logical_id, properties)
        elif kind == "AWS::IAM::Role":
            out[logical_id] = _role_override(properties)
        elif kind == "AWS::Logs::LogGroup":
            out[logical_id] = _log_group_override(stage, properties, functions)
        elif kind == "AWS::Serverless::Api" and logical_id == r.REST_API:
            out[logical_id] = r.rest_api(stage)
    # SnapStart on the API function: published versions behind an alias that the API invokes.
    for logical_id, override in snapstart.overrides(chalice_template).items():
        snapstart.merge(out.setdefault(logical_id, {}), override)
    return out


def outputs(stage: Stage) -> dict[str, Any]:
    _, queues = r.definitions()
    out: dict[str, Any] = {
        "StaffUserPoolId": {"Value": {"Ref": r.USER_POOL}},
        "StaffUserPoolClientId": {"Value": {"Ref": r.USER_POOL_CLIENT}},
        "StaffTokenIssuer": {"Value": {"Fn::Sub": "https://cognito-idp.${AWS::Region}."
                                                  "amazonaws.com/${%s}" % r.USER_POOL}},
        "AlarmTopicArn": {"Value": {"Ref": r.ALARM_TOPIC}},
        "DataKeyArn": {"Value": {"Fn::GetAtt": [r.DATA_KEY, "Arn"]}},
    }
    for n in (1, 2, 3):
        out[f"SesDkimRecord{n}"] = {"Description": "CNAME to publish for the SES identity",
                                    "Value": {"Fn::Join": [" CNAME ", [
                                        {"Fn::GetAtt": [r.SES_IDENTITY, f"DkimDNSTokenName{n}"]},
                                        {"Fn::GetAtt": [r.SES_IDENTITY,
                                                        f"DkimDNSTokenValue{n}"]}]]}}
    for queue in queues:
        out[r.queue_id(queue) + "Url"] = {"Value": {"Ref": r.queue_id(queue)}}
    if r.api_domain(stage):
        out["ApiDomainTarget"] = {
            "Description": f"CNAME (or Route 53 alias) target for {r.api_domain_name(stage)}",
            "Value": {"Fn::GetAtt": [r.API_DOMAIN, "RegionalDomainName"]}}
        # What the web app calls (deploy.sh writes it into config.json): the name REGION_URLS
        # and the other regions' 421 answers give, not API Gateway's own URL.
        out["ApiUrl"] = {"Description": "The API's public base URL (its REGION_URLS entry)",
                         "Value": stage.region_urls[stage.region].rstrip("/")}
    return out


def merge_template(stage: Stage, chalice_template: dict[str, Any]) -> dict[str, Any]:
    clashes = set(own_resources(stage)) & set(chalice_template["Resources"])
    if clashes:
        raise ValueError(f"logical ids used by both Chalice and infra/: {sorted(clashes)}")
    merged = {"Resources": {**own_resources(stage), **overrides(stage, chalice_template)},
              "Outputs": outputs(stage)}
    if r.api_domain_parameters(stage):
        merged["Parameters"] = r.api_domain_parameters(stage)
    return merged
