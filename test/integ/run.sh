#!/usr/bin/env bash
# npm run integ [-- <name filter>]: runs each integration test app (test/integ/integ.*.ts) against
# the account and region of the current AWS credentials (AWS_PROFILE, AWS_REGION): deploy, which
# runs the @aws-cdk/integ-tests-alpha assertions as custom resources (a failed assertion fails the
# deployment), then destroy, whatever the outcome. Exit status: 0 when every test passed.
#
# This does with the CDK CLI what integ-runner does: integ-runner's latest release reads cloud
# assemblies up to schema 53, and aws-cdk-lib 2.276 writes schema 55, so it cannot run these yet.
set -uo pipefail
cd "$(dirname "$0")/../.."
filter="${1:-}"
failed=0
ran=0
for file in test/integ/integ.*.ts; do
  [ -n "$filter" ] && [[ "$file" != *"$filter"* ]] && continue
  name=$(basename "$file" .ts)
  out="cdk.out.integ/run-$name"
  ran=$((ran + 1))
  echo "== $name: deploy and assert"
  if npx cdk deploy --app "npx tsx $file" --output "$out" --all --require-approval never --progress events; then
    result="PASSED"
  else
    result="FAILED"
    failed=$((failed + 1))
  fi
  echo "== $name: destroy"
  npx cdk destroy --app "npx tsx $file" --output "$out" --all --force || echo "!! $name: destroy failed; delete its stacks by hand"
  echo "== $name: $result"
done
if [ "$ran" -eq 0 ]; then echo "no integration test matches '$filter'"; exit 2; fi
echo "$((ran - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
