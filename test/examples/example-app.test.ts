/**
 * The example app, synthesized once as `cdk synth` builds it (every example stack, the rule
 * packs and CloudFormation validation): zero findings, one snapshot per example stack, the
 * permission test over every stack, and the same app in sandbox mode.
 */
import { Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { exampleConfig } from '../../examples/config';
import { addConfigComplianceExamples } from '../../examples/security/config-compliance';
import { cdkJsonContext, checkedApp, exampleApp } from '../support/app';
import { checkPermissions, explainDenial, organizationFromContext, PermissionReport } from '../support/permissions';

type Resources = Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }>;

const context = cdkJsonContext();
const organization = organizationFromContext(context);

// Synthesizing runs the checks: a finding left anywhere throws here, with its text.
const app = exampleApp();
const assembly = app.synth();
const stacks = assembly.stacksRecursively;

function resources(stack: cxapi.CloudFormationStackArtifact): Resources {
  return stack.template.Resources as Resources;
}

describe('the example app', () => {
  test('synthesizes every example stack with zero check findings', () => {
    expect(stacks.length).toBeGreaterThan(20);
    expect(app.node.findAll().filter((c) => Stack.isStack(c))).toHaveLength(stacks.length);
  });

  test.each(stacks.map((s) => [s.stackName, s] as const))('snapshot of %s', (_name, stack) => {
    expect(stack.template).toMatchSnapshot();
  });

  test('no Lambda function reserves concurrency, so the app deploys in accounts with a low concurrency quota', () => {
    const functions = stacks.flatMap((stack) => Object.entries(resources(stack)).filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id, r]) => ({ id: `${stack.stackName}/${id}`, reserved: r.Properties?.ReservedConcurrentExecutions })));
    expect(functions.length).toBeGreaterThan(5);
    expect(functions.filter((f) => f.reserved !== undefined)).toEqual([]);
  });

  test('without sandbox, data is kept: every bucket and KMS key is retained', () => {
    const dropped = stacks.flatMap((stack) => Object.entries(resources(stack))
      .filter(([, r]) => ['AWS::S3::Bucket', 'AWS::KMS::Key'].includes(r.Type) && r.DeletionPolicy !== 'Retain')
      .map(([id]) => `${stack.stackName}/${id}`));
    expect(dropped).toEqual([]);
  });
});

describe('the permission test over the example app', () => {
  let result: PermissionReport;
  let selfManagedConfig: PermissionReport;
  beforeAll(async () => {
    result = await checkPermissions(assembly, { organization });
    // SEC-2 without Control Tower (`-c controlTower=false`): its own recorders, a central bucket
    // and the member StackSet, which the default app leaves to Control Tower.
    const variant = checkedApp({ controlTower: false });
    addConfigComplianceExamples(variant, exampleConfig(variant));
    selfManagedConfig = await checkPermissions(variant.synth(), { organization });
  });

  test('every service-to-service edge is allowed, every name and size within its limit, and no edge is of an unknown kind', () => {
    expect(result.problems).toBeUndefined();
    expect(selfManagedConfig.problems).toBeUndefined();
  });

  test('covers the edge kinds every pattern relies on', () => {
    const kinds = [...Object.keys(result.edgeKinds), ...Object.keys(selfManagedConfig.edgeKinds)];
    for (const kind of [
      'alarm -> SNS topic', 'EventBridge rule -> sns', 'EventBridge rule -> states', 'EventBridge rule -> codebuild', 'EventBridge rule -> codepipeline',
      'CloudTrail -> S3 bucket', 'CloudTrail -> KMS key', 'CloudTrail -> CloudWatch Logs (role)', 'AWS Config -> delivery bucket',
      'S3 server access logs -> bucket', 'ALB access logs -> bucket', 'VPC flow logs -> CloudWatch Logs (role)', 'CloudWatch Logs -> log group KMS key',
      'S3 replication -> same account', 'S3 replication -> other account', 'CodePipeline -> artifact stores', 'CodePipeline action (CodeBuild)',
      'CodePipeline action (CodeDeploy)', 'CodePipeline action (S3)', 'Step Functions task -> SNS topic', 'Step Functions SDK task -> API', 'CodeGuru Profiler -> SNS topic',
    ]) {
      expect(kinds).toContain(kind);
    }
    expect(result.edgeKinds['alarm -> SNS topic']).toBeGreaterThanOrEqual(16);
    expect(result.requestCount).toBeGreaterThan(400);
  });

  test('members deployed by a StackSet are checked too: each member region\'s Config recorder delivers to the central bucket', () => {
    const memberDeliveries = selfManagedConfig.edges.filter((e) => e.kind === 'AWS Config -> delivery bucket' && e.from.stack.stackName.includes('@'));
    expect(memberDeliveries.map((e) => e.from.stack.region).sort()).toEqual([context.primaryRegion, context.secondaryRegion].sort());
    expect(new Set(memberDeliveries.map((e) => e.from.stack.account))).toEqual(new Set([context.workloadAccount]));
  });

  test('a member\'s recorder role may write only under its own account\'s prefix of the central bucket, and may not list it', async () => {
    const delivery = selfManagedConfig.edges.find((e) => e.kind === 'AWS Config -> delivery bucket' && e.from.stack.stackName.includes('@'))!;
    const put = delivery.requests.find((r) => r.action === 's3:PutObject')!;
    expect(await explainDenial(selfManagedConfig.assembly, put, { organization })).toBeUndefined();
    const member = context.workloadAccount as string;
    const elsewhere = { ...put, resource: put.resource.replace(`/AWSLogs/${member}/`, '/AWSLogs/999999999999/') };
    expect(await explainDenial(selfManagedConfig.assembly, elsewhere, { organization })).toMatch(/s3:PutObject on \S+\/AWSLogs\/999999999999\/\S+ is not allowed/);
    const bucketArn = put.resource.split('/')[0];
    expect(await explainDenial(selfManagedConfig.assembly, { principal: put.principal, action: 's3:ListBucket', resource: bucketArn }, { organization })).toMatch(/s3:ListBucket on \S+ is not allowed/);
  });
});

describe('the example app in sandbox mode (-c sandbox=true)', () => {
  const sandboxStacks = exampleApp({ sandbox: 'true' }).synth().stacksRecursively;

  test('no resource in any example stack is retained', () => {
    const retained = sandboxStacks.flatMap((stack) => Object.entries(resources(stack))
      .filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate' || r.DeletionPolicy === 'Snapshot')
      .map(([id, r]) => `${stack.stackName}/${id} (${r.Type})`));
    expect(retained).toEqual([]);
  });

  test('every bucket is emptied before it is deleted', () => {
    for (const stack of sandboxStacks) {
      const all = resources(stack);
      const buckets = Object.entries(all).filter(([, r]) => r.Type === 'AWS::S3::Bucket').map(([id]) => id);
      const emptied = Object.values(all)
        .filter((r) => r.Type === 'Custom::S3AutoDeleteObjects')
        .map((r) => (r.Properties?.BucketName as { Ref: string }).Ref);
      expect({ stack: stack.stackName, buckets: buckets.sort() }).toEqual({ stack: stack.stackName, buckets: emptied.sort() });
    }
  });
});
