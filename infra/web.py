"""The web app's hosting per stage: a private S3 bucket behind CloudFront (origin access
control), HTTPS only, with the security headers the site is built for.

`make package STAGE=...` writes build/<stage>/web.json (this template) beside the site's files
(build/<stage>/web/). It is its own stack, in us-east-1 whatever the API's region: CloudFront's
certificate and web ACL live there. The site's domain is the stage's CORS origin
(.chalice/config.json), so the API already admits it.

- The bucket blocks every public access; only this distribution reads it (OAC, SigV4, the
  bucket policy names the distribution), and only over TLS.
- Viewers get HTTPS only (TLS 1.2+, SNI, the stage's ACM certificate) and, on every answer:
  a CSP without inline scripts or styles (the build has none) that lets the page call only
  its own origin and the stage's API, HSTS (two years, subdomains, preload), Referrer-Policy
  no-referrer (confirmation numbers never leak to another site), nosniff, frame DENY.
- An AWS WAF web ACL with AWS's common and known-bad-input rule sets; CloudFront access logs
  to a log bucket.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from infra import stages

ROOT = Path(__file__).resolve().parent.parent


def site_origin(stage: stages.Stage) -> str:
    origins = [o for o in stage.env.get("CORS_ALLOWED_ORIGINS", "").replace(",", " ").split()
               if o.startswith("https://") and not o.endswith(":*")]
    if not origins:
        raise ValueError(f"stage {stage.name} lists no https origin for its web app in "
                         "CORS_ALLOWED_ORIGINS")
    return origins[0]


def region_origins(stage: stages.Stage) -> list[str]:
    """Every region's API origin (`REGION_URLS`): the app follows a 421 to the office's home."""
    import json

    urls = json.loads(stage.env.get("REGION_URLS") or "{}")
    return sorted({f"{urlparse(u).scheme}://{urlparse(u).netloc}" for u in urls.values()})


def csp(api_origin: dict | str, other_apis: list[str] = ()) -> dict:
    """The Content-Security-Policy; `connect-src` names the stage's API (and in a multi-region
    deployment the other regions' APIs)."""
    return {"Fn::Join": ["", [
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self' ", api_origin, "".join(f" {o}" for o in other_apis),
        "; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'; "
        "upgrade-insecure-requests"]]}


def _skip(*checks: tuple[str, str]) -> dict:
    return {"checkov": {"skip": [{"id": check, "comment": why} for check, why in checks]}}


def template(stage: stages.Stage) -> dict[str, Any]:
    domain = urlparse(site_origin(stage)).hostname
    prefix = stage.prefix
    bucket_arn = {"Fn::GetAtt": ["SiteBucket", "Arn"]}
    private = {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
               "RestrictPublicBuckets": True}
    encrypted = {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    tls_only = {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    resources: dict[str, Any] = {
        "LogBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Metadata": _skip(
                ("CKV_AWS_18", "This is the log bucket: logging its own access would log the logs."),
                ("CKV_AWS_145", "CloudFront standard logs cannot be delivered to an SSE-KMS bucket; SSE-S3 encrypts them."),
            ),
            "Properties": {
                "BucketEncryption": encrypted, "PublicAccessBlockConfiguration": private,
                "VersioningConfiguration": {"Status": "Enabled"},
                # CloudFront standard logging writes with an ACL.
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
                "LifecycleConfiguration": {"Rules": [{"Id": "expire-logs", "Status": "Enabled",
                                                      "ExpirationInDays": 90,
                                                      "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]},
            },
        },
        "LogBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "LogBucket"}, "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [{**tls_only, "Resource": [
                    {"Fn::GetAtt": ["LogBucket", "Arn"]},
                    {"Fn::Sub": "${LogBucket.Arn}/*"}]}]}},
        },
        "SiteBucket": {
            "Type": "AWS::S3::Bucket",
            "Metadata": _skip(
                ("CKV_AWS_145", "The site's files are public by purpose (served to everyone); SSE-S3 encrypts them at rest and OAC reads them without a KMS grant."),
            ),
            "Properties": {
                "BucketEncryption": encrypted, "PublicAccessBlockConfiguration": private,
                "VersioningConfiguration": {"Status": "Enabled"},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LoggingConfiguration": {"DestinationBucketName": {"Ref": "LogBucket"},
                                         "LogFilePrefix": "s3/"},
                "LifecycleConfiguration": {"Rules": [{"Id": "old-builds", "Status": "Enabled",
                                                      "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
            },
        },
        "SiteBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "SiteBucket"}, "PolicyDocument": {
                "Version": "2012-10-17", "Statement": [
                    {"Sid": "CloudFrontReads", "Effect": "Allow",
                     "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject",
                     "Resource": {"Fn::Sub": "${SiteBucket.Arn}/*"},
                     "Condition": {"StringEquals": {"AWS:SourceArn": {"Fn::Sub":
                         "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}}}},
                    {**tls_only, "Resource": [bucket_arn, {"Fn::Sub": "${SiteBucket.Arn}/*"}]}]}},
        },
        "OriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {"OriginAccessControlConfig": {
                "Name": f"{prefix}-web", "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always", "SigningProtocol": "sigv4"}},
        },
        "SecurityHeaders": {
            "Type": "AWS::CloudFront::ResponseHeadersPolicy",
            "Properties": {"ResponseHeadersPolicyConfig": {
                "Name": f"{prefix}-web-security-headers",
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {"ContentSecurityPolicy": csp({"Ref": "ApiOrigin"}, region_origins(stage)),
                                              "Override": True},
                    "StrictTransportSecurity": {"AccessControlMaxAgeSec": 63072000,
                                                "IncludeSubdomains": True, "Preload": True,
                                                "Override": True},
                    "ReferrerPolicy": {"ReferrerPolicy": "no-referrer", "Override": True},
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"FrameOption": "DENY", "Override": True},
                }}},
        },
        "WebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": f"{prefix}-web", "Scope": "CLOUDFRONT", "DefaultAction": {"Allow": {}},
                "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                     "MetricName": f"{prefix}-web"},
                "Rules": [{
                    "Name": name, "Priority": priority, "OverrideAction": {"None": {}},
                    "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}},
                    "VisibilityConfig": {"SampledRequestsEnabled": True,
                                         "CloudWatchMetricsEnabled": True, "MetricName": name},
                } for priority, name in enumerate(("AWSManagedRulesCommonRuleSet",
                                                   "AWSManagedRulesKnownBadInputsRuleSet"))],
            },
        },
        "Distribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Metadata": _skip(
                ("CKV_AWS_310", "One origin: the site bucket of this stage; S3 is the failover-free origin and a second bucket would hold the same files."),
                ("CKV_AWS_374", "No geo restriction: the agency serves people wherever they are, also abroad (consular and travel cases)."),
            ),
            "Properties": {"DistributionConfig": {
                "Enabled": True, "Comment": f"InfoPass web app ({stage.name})",
                "Aliases": [domain], "DefaultRootObject": "index.html", "HttpVersion": "http2and3",
                "PriceClass": "PriceClass_100", "IPV6Enabled": True,
                "WebACLId": {"Fn::GetAtt": ["WebAcl", "Arn"]},
                "ViewerCertificate": {"AcmCertificateArn": {"Ref": "CertificateArn"},
                                      "SslSupportMethod": "sni-only",
                                      "MinimumProtocolVersion": "TLSv1.2_2021"},
                "Logging": {"Bucket": {"Fn::GetAtt": ["LogBucket", "RegionalDomainName"]},
                            "Prefix": "cloudfront/", "IncludeCookies": False},
                "Origins": [{"Id": "site", "DomainName": {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]},
                             "S3OriginConfig": {"OriginAccessIdentity": ""},
                             "OriginAccessControlId": {"Fn::GetAtt": ["OriginAccessControl", "Id"]}}],
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site", "ViewerProtocolPolicy": "https-only",
                    "AllowedMethods": ["GET", "HEAD"], "Compress": True,
                    # AWS managed policy "CachingOptimized".
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                    "ResponseHeadersPolicyId": {"Ref": "SecurityHeaders"}},
            }},
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"InfoPass web app hosting ({stage.name}): private S3 behind CloudFront",
        "Parameters": {
            "CertificateArn": {"Type": "String", "Description": f"ACM certificate (us-east-1) for {domain}",
                               "AllowedPattern": "^arn:aws[a-z-]*:acm:us-east-1:\\d{12}:certificate/.+$"},
            "ApiOrigin": {"Type": "String", "Description": "The stage API's origin, for the CSP's connect-src",
                          "AllowedPattern": "^https://[a-z0-9.-]+$"},
        },
        "Resources": resources,
        "Outputs": {
            "SiteBucket": {"Value": {"Ref": "SiteBucket"}},
            "DistributionDomain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "SiteUrl": {"Value": f"https://{domain}/"},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    stage = stages.load(args.stage)
    out = args.out or ROOT / "build" / stage.name / "web.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(template(stage), indent=1) + "\n", encoding="utf-8")
    print(out)


if __name__ == "__main__":
    main()
