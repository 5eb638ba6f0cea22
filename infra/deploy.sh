#!/bin/sh
# `make deploy STAGE=<stage> ARTIFACT_BUCKET=<bucket>`: uploads the packaged stage and deploys it
# with CloudFormation. Needs the AWS CLI v2 and credentials for the stage's account; CI never
# runs it. `make package` has already written build/<stage>/sam.json and deployment.zip.
#
#   CHANGESET_ONLY=1  create the change set and stop, so it can be reviewed in the console
#                     (then: aws cloudformation execute-change-set ...).
set -eu
stage=$1 region=$2 stack=$3
bucket=${ARTIFACT_BUCKET:?"set ARTIFACT_BUCKET to a versioned, encrypted S3 bucket in $region"}
out=build/$stage

aws cloudformation package --region "$region" \
  --template-file "$out/sam.json" \
  --s3-bucket "$bucket" --s3-prefix "$stack/$(git rev-parse --short HEAD 2>/dev/null || date +%s)" \
  --output-template-file "$out/packaged.yaml"

set -- --region "$region" --template-file "$out/packaged.yaml" --stack-name "$stack" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
  --no-fail-on-empty-changeset \
  --tags project=infopass "stage=$stage" "release=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [ "${CHANGESET_ONLY:-}" = 1 ]; then
  set -- "$@" --no-execute-changeset
fi
aws cloudformation deploy "$@"
aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
  --query 'Stacks[0].Outputs' --output table
