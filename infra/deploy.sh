#!/bin/sh
# `make deploy STAGE=<stage> ARTIFACT_BUCKET=<bucket> WEB_CERTIFICATE_ARN=<arn>`: uploads the
# packaged stage and deploys it with CloudFormation, then the web app. Needs the AWS CLI v2 and
# credentials for the stage's account; CI never runs it (tests/infra/test_deploy_script.py runs
# it against a recording stand-in for the CLI). `make package` has already written
# build/<stage>/sam.json, deployment.zip, web.json and web/.
#
#   CHANGESET_ONLY=1  create the change sets (data stacks, then the API's) and stop, so they can be
#                     reviewed in the console (then: aws cloudformation execute-change-set ...,
#                     data stacks first); the web app waits.
#   WEB_CERTIFICATE_ARN  the ACM certificate (us-east-1) of the web app's domain.
#   API_CERTIFICATE_ARN  a stage with a regional API domain (its entry in REGION_URLS): the ACM
#                        certificate of that domain, in the stage's region.
#
# A stage whose tables are DynamoDB global tables (the prod stages, infra/data.py) first deploys
# its data stack in every region of the set, in the order build/<stage>/data/stacks lists
# (the other regions' table keys, then the primary region's global tables), then its own stack.
set -eu
stage=$1 region=$2 stack=$3
bucket=${ARTIFACT_BUCKET:?"set ARTIFACT_BUCKET to a versioned, encrypted S3 bucket in $region"}
out=build/$stage
release=$(git rev-parse HEAD 2>/dev/null || echo unknown)
api_cert=
if grep -q '"ApiCertificateArn"' "$out/sam.json"; then
  # The stage's regional API domain (its REGION_URLS entry) needs its certificate; checked
  # before anything is deployed.
  api_cert=${API_CERTIFICATE_ARN:?"set API_CERTIFICATE_ARN to the ACM certificate in $region of the stage's API domain (REGION_URLS)"}
fi
review=
if [ "${CHANGESET_ONLY:-}" = 1 ]; then
  review=--no-execute-changeset
fi
if [ -f "$out/data/stacks" ]; then
  # fd 3: the AWS CLI must not read the list from stdin.
  while read -r data_region data_stack data_template <&3; do
    # Small templates without code: sent inline, so no bucket is needed in the other region.
    aws cloudformation deploy --region "$data_region" \
      --template-file "$out/data/$data_template" --stack-name "$data_stack" \
      --no-fail-on-empty-changeset $review \
      --tags project=infopass "stage=$data_stack" "release=$release"
  done 3< "$out/data/stacks"
fi

aws cloudformation package --region "$region" \
  --template-file "$out/sam.json" \
  --s3-bucket "$bucket" --s3-prefix "$stack/$(git rev-parse --short HEAD 2>/dev/null || date +%s)" \
  --output-template-file "$out/packaged.yaml"

set -- --region "$region" --template-file "$out/packaged.yaml" --stack-name "$stack" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
  --no-fail-on-empty-changeset \
  --tags project=infopass "stage=$stage" "release=$release"
if [ -n "$api_cert" ]; then
  set -- "$@" --parameter-overrides "ApiCertificateArn=$api_cert"
fi
if [ -n "$review" ]; then
  set -- "$@" "$review"
fi
aws cloudformation deploy "$@"
aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
  --query 'Stacks[0].Outputs' --output table
if [ "${CHANGESET_ONLY:-}" = 1 ] || [ ! -d "$out/web" ]; then
  exit 0
fi

# The web app (README "Web app"): its own stack in us-east-1, where CloudFront takes its
# certificate; the CSP and config.json name this stage's API.
output() {  # output <region> <stack> <key>
  aws cloudformation describe-stacks --region "$1" --stack-name "$2" \
    --query "Stacks[0].Outputs[?OutputKey=='$3'].OutputValue" --output text
}
cert=${WEB_CERTIFICATE_ARN:?"set WEB_CERTIFICATE_ARN to the ACM certificate (us-east-1) of the web app's domain"}
# The stage's regional API domain when it has one (the URL REGION_URLS and the other regions'
# 421 answers name), else API Gateway's own URL; the CLI prints None for a missing output.
api_url=$(output "$region" "$stack" ApiUrl)
case "$api_url" in
  https://*) ;;
  *) api_url=$(output "$region" "$stack" EndpointURL) ;;
esac
api_origin=$(printf '%s' "$api_url" | sed -E 's#^(https://[^/]+).*$#\1#')
aws cloudformation deploy --region us-east-1 --template-file "$out/web.json" \
  --stack-name "$stack-web" --no-fail-on-empty-changeset \
  --parameter-overrides "CertificateArn=$cert" "ApiOrigin=$api_origin" \
  --tags project=infopass "stage=$stage" "release=$release"
site_bucket=$(output us-east-1 "$stack-web" SiteBucket)
printf '{"api": "%s"}\n' "${api_url%/}" > "$out/web/config.json"
# The bundles have hashed names and never change: cached for a year, and old ones stay for pages
# already open. The page, its config and the language files are read fresh every time; the
# design system's fonts and icons (names without a hash) for a day.
set -f  # the patterns below are for the CLI, not the shell
bundles="--include app-*.js --include style-*.css"
fresh="--include index.html --include config.json --include i18n/*"
aws s3 sync "$out/web" "s3://$site_bucket" --exclude '*' $bundles \
  --cache-control 'public, max-age=31536000, immutable'
aws s3 sync "$out/web" "s3://$site_bucket" --exclude '*' $fresh --cache-control 'no-cache'
aws s3 sync "$out/web" "s3://$site_bucket" $(echo "$bundles $fresh" | sed 's/--include/--exclude/g') \
  --cache-control 'public, max-age=86400'
output us-east-1 "$stack-web" SiteUrl
