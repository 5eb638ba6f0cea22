"""Lambda SnapStart on the API function (issue 14), as overrides of what Chalice generates.

SnapStart applies to published versions only, never to `$LATEST`, so:
- the API function publishes a version with every deployment and points the alias `live` at
  it (SAM's `AutoPublishAlias`; `AutoPublishAliasAllProperties` publishes on a configuration
  change too, not only on new code, so the alias never serves an older environment), and
  `SnapStart: ApplyOn: PublishedVersions` snapshots each version once it is initialized (the
  before-snapshot hook of `chalicelib/snapstart.py` runs then);
- API Gateway invokes the alias: every integration URI of Chalice's swagger names the alias
  (`Ref: APIHandler.Alias`, which SAM resolves to the alias' ARN) instead of the function
  (`${APIHandler.Arn}`, its `$LATEST`), and the invoke permission is granted on the alias.

SnapStart excludes provisioned concurrency, EFS and more than 512 MB of ephemeral storage; the
API function uses none of them (tests/infra/test_template.py checks the first and last).
The other functions (jobs, consumers, the staff authorizer) are left on-demand: they are not on
a person's request path, or are too small to gain.
"""
from __future__ import annotations

from typing import Any

API_FUNCTION = "APIHandler"
ALIAS = "live"
PERMISSION = f"{API_FUNCTION}InvokePermission"
_UNPUBLISHED = "${%s.Arn}" % API_FUNCTION
# SAM resolves `Ref: <function>.Alias` to the alias' ARN; in a Fn::Sub string `${X.Alias}`
# would read as an attribute (cfn-lint E1019), so the ARN comes in through Fn::Sub's variables.
_ALIAS_ARN = "LiveAliasArn"


def function_properties() -> dict[str, Any]:
    return {"AutoPublishAlias": ALIAS, "AutoPublishAliasAllProperties": True,
            "SnapStart": {"ApplyOn": "PublishedVersions"}}


def integrations_on_alias(definition: dict[str, Any]) -> dict[str, Any]:
    """The swagger paths whose integration invokes the API function, as a deep-merge override
    that makes each invoke its alias."""
    paths: dict[str, Any] = {}
    for path, operations in definition.get("paths", {}).items():
        for method, operation in operations.items():
            uri = (operation.get("x-amazon-apigateway-integration") or {}).get("uri")
            text = uri.get("Fn::Sub") if isinstance(uri, dict) else None
            if isinstance(text, str) and _UNPUBLISHED in text:
                paths.setdefault(path, {})[method] = {"x-amazon-apigateway-integration": {
                    "uri": {"Fn::Sub": [text.replace(_UNPUBLISHED, "${%s}" % _ALIAS_ARN),
                                        {_ALIAS_ARN: {"Ref": f"{API_FUNCTION}.Alias"}}]}}}
    return {"paths": paths}


def overrides(chalice_template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Deep-merge overrides for the API function, its invoke permission and the REST API;
    empty when the app has no API function."""
    resources = chalice_template["Resources"]
    if API_FUNCTION not in resources:
        return {}
    out: dict[str, dict[str, Any]] = {
        API_FUNCTION: {"Properties": function_properties()},
        PERMISSION: {"Properties": {"FunctionName": {"Ref": f"{API_FUNCTION}.Alias"}}},
    }
    for logical_id, resource in resources.items():
        body = resource.get("Properties", {}).get("DefinitionBody")
        if resource["Type"] == "AWS::Serverless::Api" and body:
            out[logical_id] = {"Properties": {"DefinitionBody": integrations_on_alias(body)}}
    return out


def merge(target: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of `extra` into `target` (in place), as Chalice merges the merge template."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value
    return target
