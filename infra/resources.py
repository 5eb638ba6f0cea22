"""CloudFormation for the stage's own resources, rendered from the shared definitions.

Tables come from `chalicelib.tables.all_tables()` (the PynamoDB models: keys, indexes, TTL) and
queues from `chalicelib.queues.QUEUES`, the same definitions `local/provision.py` creates in moto,
so what runs locally and what is deployed cannot drift.
"""
from __future__ import annotations

import functools
import json
from typing import Any

from chalicelib.settings import parse_origins
from infra.stages import Stage

DATA_KEY = "DataKey"
ALARM_TOPIC = "AlarmTopic"
USER_POOL = "StaffUserPool"
USER_POOL_CLIENT = "StaffUserPoolClient"
SES_CONFIGURATION_SET = "NoticesConfigurationSet"
SES_IDENTITY = "NoticesEmailIdentity"
API_ACCESS_LOGS = "ApiAccessLogs"
# Chalice's logical id for the REST API (chalice.package.SAMTemplateGenerator).
REST_API = "RestAPI"

# Descriptions of the staff roles (`chalicelib.staff.roles.STAFF_ROLES`,
# one Cognito group each); a role without one here still gets its group.
STAFF_GROUP_DESCRIPTIONS = {
    "tier1": "Tier 1 staff: first response to service requests",
    "tier2": "Tier 2 staff: escalated service requests",
    "supervisor": "Supervisors: appeals and oversight of their offices' requests",
    "office_admin": "Office administrators: office schedules, closures and staff",
    "headquarters": "Headquarters: every office's schedules, closures and mode",
    "front_desk": "Front desk: the office's roster, check-in and walk-in bookings",
}
# The ID-token claim (`custom:office_id`) that ties a staff member to an office.
OFFICE_ATTRIBUTE = "office_id"


def staff_groups() -> tuple[str, ...]:
    from chalicelib.staff.roles import STAFF_ROLES

    return tuple(STAFF_ROLES)

# The metric the triage deadline job emits (Embedded Metric Format or PutMetricData): one per
# service request found past its response deadline, dimension Stage = the STAGE setting.
METRICS_NAMESPACE = "InfoPass"
TRIAGE_BREACH_METRIC = "TriageDeadlineBreaches"


def definitions() -> tuple[list, list]:
    """Every table model and queue."""
    from chalicelib import queues, tables

    return tables.all_tables(), list(queues.QUEUES)


# The person-claims table (REGIONS.md): one item per person, keyed by the booking context's HMAC
# person key, written with conditions from every region. Rendered from the app's model once a
# context registers it (short name `claims`); until then from this minimal key schema.
CLAIMS = "claims"


@functools.cache
def _claims_fallback():
    from pynamodb.attributes import UnicodeAttribute
    from pynamodb.models import Model

    class PersonClaims(Model):
        short_name = CLAIMS
        ttl_attribute = None

        class Meta:
            table_name = CLAIMS
            billing_mode = "PAY_PER_REQUEST"

        person_key = UnicodeAttribute(hash_key=True)

    return PersonClaims


def data_tables() -> list:
    """Every table a stage needs: the app's models, and the person claims even before a
    context registers their model."""
    models, _ = definitions()
    if any(m.short_name == CLAIMS for m in models):
        return models
    return [*models, _claims_fallback()]


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def table_id(model) -> str:
    return "Table" + camel(model.short_name)


def queue_id(queue) -> str:
    return "Queue" + camel(queue.short_name)


def dead_letter_queue_id(queue) -> str:
    return queue_id(queue) + "DeadLetter"


def _tags(stage: Stage) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value}
            for key, value in sorted(stage.config.get("tags", {}).items())]


def _retain(stage: Stage) -> dict[str, str]:
    # Production data outlives a deleted or replaced stack; dev stacks clean up after themselves.
    policy = "Retain" if stage.production else "Delete"
    return {"DeletionPolicy": policy, "UpdateReplacePolicy": policy}


def _key_schema(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    # DynamoDB requires the HASH key first; PynamoDB lists them in attribute order.
    return sorted(({"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]}
                   for e in entries), key=lambda e: e["KeyType"] != "HASH")


def _projection(projection: dict[str, Any]) -> dict[str, Any]:
    out = {"ProjectionType": projection["ProjectionType"]}
    if projection.get("NonKeyAttributes"):
        out["NonKeyAttributes"] = list(projection["NonKeyAttributes"])
    return out


def table_shape(model) -> dict[str, Any]:
    """Keys, attributes, indexes and TTL of a model, as a table or global table declares them."""
    schema = model._get_schema()
    shape: dict[str, Any] = {
        "AttributeDefinitions": sorted(
            ({"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
             for a in schema["attribute_definitions"]), key=lambda a: a["AttributeName"]),
        "KeySchema": _key_schema(schema["key_schema"]),
    }
    for kind, key in (("global_secondary_indexes", "GlobalSecondaryIndexes"),
                      ("local_secondary_indexes", "LocalSecondaryIndexes")):
        indexes = [{"IndexName": index["index_name"],
                    "KeySchema": _key_schema(index["key_schema"]),
                    "Projection": _projection(index["projection"])} for index in schema[kind]]
        if indexes:
            shape[key] = sorted(indexes, key=lambda i: i["IndexName"])
    if model.ttl_attribute:
        shape["TimeToLiveSpecification"] = {"AttributeName": model.ttl_attribute,
                                            "Enabled": True}
    return shape


def table(model, stage: Stage) -> dict[str, Any]:
    shape = table_shape(model)
    properties: dict[str, Any] = {
        "TableName": model.full_name(stage.settings),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": shape.pop("AttributeDefinitions"),
        "KeySchema": shape.pop("KeySchema"),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS",
                             "KMSMasterKeyId": {"Ref": DATA_KEY}},
        "DeletionProtectionEnabled": stage.production,
        "Tags": _tags(stage),
        **shape,
    }
    return {"Type": "AWS::DynamoDB::Table", **_retain(stage), "Properties": properties}


def index_names(model) -> list[str]:
    schema = model._get_schema()
    return sorted(index["index_name"] for index in
                  schema["global_secondary_indexes"] + schema["local_secondary_indexes"])


def queue_pair(queue, stage: Stage) -> dict[str, dict[str, Any]]:
    s = stage.settings
    encryption = {"KmsMasterKeyId": {"Ref": DATA_KEY}, "KmsDataKeyReusePeriodSeconds": 300}
    return {
        dead_letter_queue_id(queue): {
            "Type": "AWS::SQS::Queue", **_retain(stage),
            "Properties": {"QueueName": queue.dead_letter_name(s),
                           "MessageRetentionPeriod": queue.dead_letter_retention_seconds,
                           **encryption, "Tags": _tags(stage)}},
        queue_id(queue): {
            "Type": "AWS::SQS::Queue", **_retain(stage),
            "Properties": {
                "QueueName": queue.name(s),
                "VisibilityTimeout": queue.visibility_timeout,
                "MessageRetentionPeriod": queue.retention_seconds,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_queue_id(queue), "Arn"]},
                    "maxReceiveCount": queue.max_receive_count},
                **encryption, "Tags": _tags(stage)}},
    }


def data_key(stage: Stage) -> dict[str, dict[str, Any]]:
    """One customer-managed key per stage for tables, queues, logs, alarms and Lambda env."""
    account_root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    return {
        DATA_KEY: {
            "Type": "AWS::KMS::Key", **_retain(stage),
            "Properties": {
                "Description": f"InfoPass {stage.name}: tables, queues, logs, alarms",
                "EnableKeyRotation": True,
                "PendingWindowInDays": 30,
                "KeyPolicy": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "AccountAdministersTheKeyThroughIam", "Effect": "Allow",
                     "Principal": {"AWS": account_root}, "Action": "kms:*", "Resource": "*"},
                    {"Sid": "CloudWatchAlarmsPublishToTheEncryptedTopic", "Effect": "Allow",
                     "Principal": {"Service": "cloudwatch.amazonaws.com"},
                     "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
                    {"Sid": "CloudWatchLogsEncryptsTheStagesLogGroups", "Effect": "Allow",
                     "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
                     "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*",
                                "kms:GenerateDataKey*", "kms:Describe*"],
                     "Resource": "*",
                     "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {
                         "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:"
                                    "${AWS::AccountId}:log-group:*"}}}},
                ]},
                "Tags": _tags(stage),
            }},
        "DataKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": f"alias/{stage.prefix}-data",
                           "TargetKeyId": {"Ref": DATA_KEY}}},
    }


def notices_email(stage: Stage) -> dict[str, dict[str, Any]]:
    name = stage.env["SES_CONFIGURATION_SET"]
    return {
        SES_CONFIGURATION_SET: {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": name,
                "DeliveryOptions": {"TlsPolicy": "REQUIRE"},
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
                "SuppressionOptions": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
            }},
        "NoticesEmailEvents": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "Properties": {
                "ConfigurationSetName": {"Ref": SES_CONFIGURATION_SET},
                "EventDestination": {
                    "Name": "cloudwatch", "Enabled": True,
                    "MatchingEventTypes": ["send", "reject", "bounce", "complaint", "delivery"],
                    "CloudWatchDestination": {"DimensionConfigurations": [{
                        "DimensionName": "Stage", "DimensionValueSource": "messageTag",
                        "DefaultDimensionValue": stage.name}]}}}},
        SES_IDENTITY: {
            "Type": "AWS::SES::EmailIdentity",
            "Properties": {
                "EmailIdentity": stage.ses_identity,
                "ConfigurationSetAttributes": {
                    "ConfigurationSetName": {"Ref": SES_CONFIGURATION_SET}},
                "DkimSigningAttributes": {"NextSigningKeyLength": "RSA_2048_BIT"},
                "FeedbackAttributes": {"EmailForwardingEnabled": True},
            }},
    }


def staff_pool(stage: Stage) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = {
        USER_POOL: {
            "Type": "AWS::Cognito::UserPool", **_retain(stage),
            "Properties": {
                "UserPoolName": f"{stage.prefix}-staff",
                # Staff accounts are created by office administrators, never by sign-up.
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "UsernameAttributes": ["email"],
                "AutoVerifiedAttributes": ["email"],
                "MfaConfiguration": "ON",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "AccountRecoverySetting": {"RecoveryMechanisms": [
                    {"Name": "verified_email", "Priority": 1}]},
                "Policies": {"PasswordPolicy": {
                    "MinimumLength": 14, "RequireLowercase": True, "RequireUppercase": True,
                    "RequireNumbers": True, "RequireSymbols": True,
                    "TemporaryPasswordValidityDays": 3}},
                "Schema": [{"Name": OFFICE_ATTRIBUTE, "AttributeDataType": "String",
                            "Mutable": True, "StringAttributeConstraints": {
                                "MinLength": "1", "MaxLength": "64"}}],
                "DeletionProtection": "ACTIVE" if stage.production else "INACTIVE",
                "UserPoolTags": dict(stage.config.get("tags", {})),
            }},
        USER_POOL_CLIENT: {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": USER_POOL},
                "ClientName": f"{stage.prefix}-staff-console",
                "GenerateSecret": False,
                # Staff may read their office but never change it: only administrators
                # (AdminUpdateUserAttributes) write custom:office_id, which scopes their access.
                "ReadAttributes": ["email", "email_verified", "name",
                                   f"custom:{OFFICE_ATTRIBUTE}"],
                "WriteAttributes": ["name"],
                "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
                "EnableTokenRevocation": True,
                "AccessTokenValidity": 60, "IdTokenValidity": 60, "RefreshTokenValidity": 12,
                "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes",
                                       "RefreshToken": "hours"},
            }},
    }
    # Precedence: the most privileged role's group wins in the token's preferred role.
    for precedence, group in enumerate(reversed(staff_groups()), start=1):
        resources["StaffGroup" + camel(group)] = {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {"UserPoolId": {"Ref": USER_POOL}, "GroupName": group,
                           "Description": STAFF_GROUP_DESCRIPTIONS.get(
                               group, f"InfoPass staff role {group}"),
                           "Precedence": precedence}}
    return resources


def alarms(stage: Stage, queues: list) -> dict[str, dict[str, Any]]:
    s = stage.settings
    common = {"AlarmActions": [{"Ref": ALARM_TOPIC}], "OKActions": [{"Ref": ALARM_TOPIC}],
              "TreatMissingData": "notBreaching"}
    resources: dict[str, dict[str, Any]] = {
        ALARM_TOPIC: {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": f"{stage.prefix}-alarms",
                           "KmsMasterKeyId": {"Ref": DATA_KEY}, "Tags": _tags(stage)}},
        "Api5xxRateAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"{stage.prefix}-api-5xx-rate",
                "AlarmDescription": "Share of API requests answered with a 5xx is above "
                                    f"{stage.profile.error_rate_threshold:.0%} (5-minute average, "
                                    "2 of 3 periods).",
                # 5XXError is 0 or 1 per request, so its Average is the 5xx rate.
                "Namespace": "AWS/ApiGateway", "MetricName": "5XXError",
                "Dimensions": [{"Name": "ApiName", "Value": stage.prefix},
                               {"Name": "Stage", "Value": stage.api_gateway_stage}],
                "Statistic": "Average", "Period": 300, "EvaluationPeriods": 3,
                "DatapointsToAlarm": 2, "Threshold": stage.profile.error_rate_threshold,
                "ComparisonOperator": "GreaterThanThreshold", **common}},
        "TriageDeadlineBreachAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"{stage.prefix}-triage-deadline-breaches",
                "AlarmDescription": "A service request passed its response deadline "
                                    f"({METRICS_NAMESPACE}/{TRIAGE_BREACH_METRIC}).",
                "Namespace": METRICS_NAMESPACE, "MetricName": TRIAGE_BREACH_METRIC,
                "Dimensions": [{"Name": "Stage", "Value": stage.name}],
                "Statistic": "Sum", "Period": 900, "EvaluationPeriods": 1,
                "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                **common}},
    }
    for queue in queues:
        resources[dead_letter_queue_id(queue) + "DepthAlarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "DependsOn": [dead_letter_queue_id(queue)],
            "Properties": {
                "AlarmName": f"{queue.dead_letter_name(s)}-depth",
                "AlarmDescription": f"Messages of the {queue.short_name} queue gave up after "
                                    f"{queue.max_receive_count} receives and wait in its "
                                    "dead-letter queue.",
                "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": queue.dead_letter_name(s)}],
                "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1,
                "Threshold": 1, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                **common}}
    return resources


def api_access_logs(stage: Stage) -> dict[str, dict[str, Any]]:
    return {API_ACCESS_LOGS: {
        "Type": "AWS::Logs::LogGroup", **_retain(stage),
        "Properties": {"LogGroupName": f"/aws/apigateway/{stage.prefix}-access",
                       "RetentionInDays": 365,
                       "KmsKeyId": {"Fn::GetAtt": [DATA_KEY, "Arn"]}}}}


# Access log fields: ids, route templates and outcomes only. No source IPs, paths or bodies:
# paths carry confirmation numbers and bodies carry PII.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","time":"$context.requestTimeEpoch",'
    '"method":"$context.httpMethod","route":"$context.resourcePath",'
    '"status":"$context.status","latencyMs":"$context.responseLatency",'
    '"integrationStatus":"$context.integrationStatus","error":"$context.error.responseType"}')


# API Gateway's own answers (unknown route, throttling, authorizer denials, timeouts), as
# problem+json like every answer of the app (chalicelib/problems.py).
_GATEWAY_PROBLEMS = {
    # response type: (status, code, title)
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found", "Not found"),
    "UNAUTHORIZED": ("401", "unauthorized", "Authentication required"),
    "ACCESS_DENIED": ("403", "forbidden", "Forbidden"),
    "EXPIRED_TOKEN": ("401", "unauthorized", "Authentication required"),
    "INVALID_SIGNATURE": ("403", "forbidden", "Forbidden"),
    "THROTTLED": ("429", "too_many_requests", "Too many requests"),
    "QUOTA_EXCEEDED": ("429", "too_many_requests", "Too many requests"),
    "REQUEST_TOO_LARGE": ("413", "payload_too_large", "Payload too large"),
    "UNSUPPORTED_MEDIA_TYPE": ("415", "unsupported_media_type", "Unsupported media type"),
    "BAD_REQUEST_BODY": ("400", "bad_request", "Bad request"),
    "BAD_REQUEST_PARAMETERS": ("400", "bad_request", "Bad request"),
    "INTEGRATION_TIMEOUT": ("504", "timeout", "Timed out"),
    "INTEGRATION_FAILURE": ("502", "internal_error", "Internal error"),
    "AUTHORIZER_FAILURE": ("500", "internal_error", "Internal error"),
    "AUTHORIZER_CONFIGURATION_ERROR": ("500", "internal_error", "Internal error"),
    # The defaults cover the remaining types; their exact status is not known here, so the
    # body omits `status` (optional in RFC 9457) rather than guess it.
    "DEFAULT_4XX": (None, "client_error", "Request not accepted"),
    "DEFAULT_5XX": (None, "internal_error", "Internal error"),
}


def gateway_cors_headers(origins: tuple[str, ...]) -> dict[str, str]:
    """CORS on API Gateway's own answers, which never reach the app's allow-list check.

    A gateway response can only hold literals or request values, not a list lookup. A stage that
    allows exactly one origin (every deployed stage today: its web app) names it as a literal, so
    the answer is exactly what the app would send. A stage with several, or with a `:*` pattern,
    echoes the request's `Origin`: these answers hold only a generic problem and a request id,
    and the API never allows credentials, so letting any page read them reveals nothing.
    A stage with none adds no CORS header."""
    if not origins:
        return {}
    single = len(origins) == 1 and not origins[0].endswith(":*")
    from chalicelib.cors import EXPOSED_HEADERS

    return {"Access-Control-Allow-Origin": f"'{origins[0]}'" if single
            else "method.request.header.Origin",
            "Access-Control-Expose-Headers": "'" + ", ".join(EXPOSED_HEADERS) + "'",
            "Vary": "'Origin'"}


def gateway_responses(origins: tuple[str, ...] = ()) -> dict[str, Any]:
    responses = {}
    for kind, (status, code, title) in _GATEWAY_PROBLEMS.items():
        body = {"type": f"urn:infopass:problem:{code}", "title": title, "code": code}
        if status:
            body["status"] = int(status)
        template = json.dumps(body)[:-1] + ',"requestId":"$context.requestId"}'
        response: dict[str, Any] = {
            "ResponseParameters": {"Headers": {"Content-Type": "'application/problem+json'",
                                               **gateway_cors_headers(origins)}},
            "ResponseTemplates": {"application/json": template},
        }
        if status:
            response["StatusCode"] = status
        responses[kind] = response
    return responses


def rest_api(stage: Stage) -> dict[str, Any]:
    """Merged into Chalice's AWS::Serverless::Api: name, throttling, tracing, access logs."""
    profile = stage.profile
    return {"Properties": {
        # The name is the ApiName dimension of the API's CloudWatch metrics (the 5xx alarm).
        "Name": stage.prefix,
        "TracingEnabled": True,
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True,
                            "ThrottlingRateLimit": profile.api_rate_limit,
                            "ThrottlingBurstLimit": profile.api_burst_limit}],
        "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": [API_ACCESS_LOGS, "Arn"]},
                             "Format": ACCESS_LOG_FORMAT},
        "GatewayResponses": gateway_responses(
            parse_origins(stage.env.get("CORS_ALLOWED_ORIGINS"), stage.name)),
    }}


# --- The regional API's custom domain (#16: REGION_URLS names it) ----------------------------

API_DOMAIN = "ApiDomain"
API_CERTIFICATE_PARAMETER = "ApiCertificateArn"


def api_domain_name(stage: Stage) -> str | None:
    """The host of the stage's own entry in REGION_URLS: where the other regions send a
    foreign office's callers (421 `office_in_other_region`)."""
    from urllib.parse import urlparse

    url = stage.region_urls.get(stage.region)
    return urlparse(url).hostname if url else None


def api_domain(stage: Stage) -> dict[str, dict[str, Any]]:
    """A regional custom domain mapped to the stage's API stage at its root, so the base URL in
    REGION_URLS (no `/api` stage prefix) serves the same routes. The certificate (ACM, in the
    stage's region) is a deploy parameter; DNS points the name at `ApiDomainTarget`."""
    host = api_domain_name(stage)
    if host is None:
        return {}
    return {
        API_DOMAIN: {
            "Type": "AWS::ApiGateway::DomainName",
            "Properties": {
                "DomainName": host,
                "RegionalCertificateArn": {"Ref": API_CERTIFICATE_PARAMETER},
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
                "Tags": _tags(stage)}},
        "ApiDomainMapping": {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "DependsOn": [f"{REST_API}{stage.api_gateway_stage}Stage"],
            "Properties": {"DomainName": {"Ref": API_DOMAIN},
                           "RestApiId": {"Ref": REST_API},
                           "Stage": stage.api_gateway_stage}},
    }


def api_domain_parameters(stage: Stage) -> dict[str, dict[str, Any]]:
    if api_domain_name(stage) is None:
        return {}
    return {API_CERTIFICATE_PARAMETER: {
        "Type": "String",
        "Description": f"ACM certificate in the stage's region for {api_domain_name(stage)}",
        "AllowedPattern": r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+$"}}


# --- WAF: per-IP rate rules and a challenge on booking (issue 9) ------------------------------

WEB_ACL = "ApiWebAcl"
WAF_LOGS = "ApiWebAclLogs"
# Requests per source IP per 5-minute window. Every route: far above what a person (or a
# library's shared connection) sends, well below a scraper. Booking and identity proofs (POST):
# stricter. The app's own limits (chalicelib/limits) are the fine-grained ones; these stop
# floods before they cost a Lambda invocation.
WAF_WINDOW_SECONDS = 300
WAF_RATE_ALL = {True: 1500, False: 500}  # by stage.production
WAF_RATE_BOOKING_AND_PROOFS = 60
# Paths as WAF sees them: with the stage prefix (/api/v1/...) on the execute-api endpoint,
# without it behind a custom domain.
BOOKING_PATH = r"^(/[A-Za-z0-9_-]+)?/v1/appointments/?$"
PROOF_PATHS = (r"^(/[A-Za-z0-9_-]+)?/v1/(appointments/[^/]+/(lookup|cancel|reschedule)"
               r"|service-requests/[^/]+/(status|appeal))/?$")
CHALLENGE_IMMUNITY_SECONDS = 300
_WAF_429 = json.dumps({"type": "urn:infopass:problem:too_many_requests",
                       "title": "Too many requests", "status": 429,
                       "code": "too_many_requests"})


def _visibility(name: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


def _post_to(pattern: str) -> dict[str, Any]:
    return {"AndStatement": {"Statements": [
        {"ByteMatchStatement": {"FieldToMatch": {"Method": {}}, "PositionalConstraint": "EXACTLY",
                                "SearchString": "POST",
                                "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
        {"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}}, "RegexString": pattern,
                                 "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"},
                                                         {"Priority": 1,
                                                          "Type": "LOWERCASE"}]}},
    ]}}


def _managed(name: str, priority: int) -> dict[str, Any]:
    return {"Name": name, "Priority": priority, "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}},
            "VisibilityConfig": _visibility(name)}


def _rate_rule(name: str, priority: int, limit: int,
               scope: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Limit": limit, "AggregateKeyType": "IP",
                                 "EvaluationWindowSec": WAF_WINDOW_SECONDS}
    if scope:
        statement["ScopeDownStatement"] = scope
    return {"Name": name, "Priority": priority,
            "Action": {"Block": {"CustomResponse": {
                "ResponseCode": 429, "CustomResponseBodyKey": "too-many-requests"}}},
            "Statement": {"RateBasedStatement": statement}, "VisibilityConfig": _visibility(name)}


def web_acl(stage: Stage) -> dict[str, dict[str, Any]]:
    """A regional web ACL on the stage's API: AWS's IP-reputation and known-bad-input rule
    groups, two per-IP rate rules, and a Challenge (silent browser proof of work, no puzzle for
    people) on booking. Only blocked and challenged requests are logged, without URI path or
    query (paths carry confirmation numbers) and without the Authorization header."""
    name = f"{stage.prefix}-api"
    log_group = f"aws-waf-logs-{stage.prefix}"  # WAF requires the prefix
    booking = _post_to(BOOKING_PATH)
    return {
        WEB_ACL: {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": name, "Scope": "REGIONAL",
                "Description": f"InfoPass {stage.name}: per-IP rates, challenge on booking",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": _visibility(name),
                "CustomResponseBodies": {"too-many-requests": {
                    "ContentType": "APPLICATION_JSON", "Content": _WAF_429}},
                "ChallengeConfig": {"ImmunityTimeProperty": {
                    "ImmunityTime": CHALLENGE_IMMUNITY_SECONDS}},
                "Rules": [
                    _managed("AWSManagedRulesAmazonIpReputationList", 0),
                    _managed("AWSManagedRulesKnownBadInputsRuleSet", 1),
                    _rate_rule("rate-per-ip", 10, WAF_RATE_ALL[stage.production]),
                    _rate_rule("rate-per-ip-booking-and-proofs", 20,
                               WAF_RATE_BOOKING_AND_PROOFS,
                               {"OrStatement": {"Statements": [booking,
                                                               _post_to(PROOF_PATHS)]}}),
                    {"Name": "challenge-booking", "Priority": 30,
                     "Action": {"Challenge": {}}, "Statement": booking,
                     "VisibilityConfig": _visibility("challenge-booking")},
                ],
                "Tags": _tags(stage),
            }},
        "ApiWebAclAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            # The stage SAM creates from Chalice's RestAPI (logical id RestAPI<stage>Stage).
            "DependsOn": [f"{REST_API}{stage.api_gateway_stage}Stage"],
            "Properties": {
                "ResourceArn": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::"
                                           f"/restapis/${{{REST_API}}}/stages/"
                                           f"{stage.api_gateway_stage}"},
                "WebACLArn": {"Fn::GetAtt": [WEB_ACL, "Arn"]}}},
        WAF_LOGS: {
            "Type": "AWS::Logs::LogGroup", **_retain(stage),
            # Holds client IPs of blocked requests: 90 days to investigate abuse, not a year.
            "Properties": {"LogGroupName": log_group, "RetentionInDays": 90,
                           "KmsKeyId": {"Fn::GetAtt": [DATA_KEY, "Arn"]}}},
        "ApiWebAclLogging": {
            "Type": "AWS::WAFv2::LoggingConfiguration",
            "DependsOn": [WAF_LOGS],
            "Properties": {
                "ResourceArn": {"Fn::GetAtt": [WEB_ACL, "Arn"]},
                "LogDestinationConfigs": [{"Fn::Sub": "arn:${AWS::Partition}:logs:"
                                                      "${AWS::Region}:${AWS::AccountId}:"
                                                      f"log-group:{log_group}"}],
                "RedactedFields": [{"UriPath": {}}, {"QueryString": {}},
                                   {"SingleHeader": {"Name": "authorization"}}],
                "LoggingFilter": {"DefaultBehavior": "DROP", "Filters": [{
                    "Behavior": "KEEP", "Requirement": "MEETS_ANY",
                    "Conditions": [{"ActionCondition": {"Action": action}}
                                   for action in ("BLOCK", "CHALLENGE", "CAPTCHA")]}]}}},
    }
