import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AuditTrail, ReplicationDestination, Sandbox } from '../../lib';
import { addAuditTrailExamples } from '../../examples/observability/audit-trail';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const MANAGEMENT = '111111111111';
const WORKLOAD = '444444444444';

/** An account trail replicated to a destination in another region, optionally in sandbox mode. */
function accountTrail(sandbox = false): { stack: Stack; trail: AuditTrail } {
  const app = checkedApp();
  const stack = new Stack(app, 'Account', { env: { account: WORKLOAD, region: 'eu-west-1' } });
  const replica = new Stack(app, 'Replica', { env: { account: WORKLOAD, region: 'eu-central-1' } });
  if (sandbox) {
    Sandbox.enable(stack);
    Sandbox.enable(replica);
  }
  const trail = new AuditTrail(stack, 'Trail', { replicationDestination: new ReplicationDestination(replica, 'Dst') });
  return { stack, trail };
}

describe('OBS-2 AuditTrail', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const app = exampleTestApp();
  const stacks = addAuditTrailExamples(app, exampleConfig(app));
  app.synth();
  const template = Template.fromStack(stacks.organizationTrail);
  const trailName = stacks.organizationTrail.auditTrail.trailName;

  test('an organization trail, multi-region with global services, logging, with integrity validation and KMS', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: trailName,
      IsLogging: true,
      IsOrganizationTrail: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('OrganizationTrailKey'), 'Arn'] },
    });
  });

  test('management events, S3 object-level events of the named bucket and Lambda invocations are recorded', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      AdvancedEventSelectors: [
        { Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
        { Name: Match.anyValue(), FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          { Field: 'resources.ARN', StartsWith: [`arn:aws:s3:::payroll-data-${WORKLOAD}/`] },
        ] },
        { Name: 'Lambda invocations of every function', FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::Lambda::Function'] },
        ] },
      ],
    });
  });

  test('events are delivered to an encrypted CloudWatch Logs group through a role only CloudTrail of this account assumes', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('CloudWatchLogs'), 'Arn'] },
      CloudWatchLogsRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogsRole'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': MANAGEMENT } },
      })] },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('the bucket policy lets only this trail write, under the account and organization prefixes', () => {
    const trailArn = `arn:aws:cloudtrail:eu-west-1:${MANAGEMENT}:trail/${trailName}`;
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Sid: 'AllowCloudTrailAclCheck', Action: 's3:GetBucketAcl', Condition: { StringEquals: { 'aws:SourceArn': trailArn } } }),
        Match.objectLike({
          Sid: 'AllowCloudTrailWrite',
          Action: 's3:PutObject',
          Resource: [
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, `/AWSLogs/${MANAGEMENT}/*`]] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, '/AWSLogs/o-a1b2c3d4e5/*']] },
          ],
          Condition: { StringEquals: { 'aws:SourceArn': trailArn, 's3:x-amz-acl': 'bucket-owner-full-control' } },
        }),
      ]) },
    });
  });

  test('the key lets CloudTrail encrypt for this trail only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCloudTrailEncrypt',
        Principal: { Service: 'cloudtrail.amazonaws.com' },
        Action: 'kms:GenerateDataKey*',
        Condition: {
          StringEquals: { 'aws:SourceArn': `arn:aws:cloudtrail:eu-west-1:${MANAGEMENT}:trail/${trailName}` },
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${MANAGEMENT}:trail/*` },
        },
      })]) },
    });
  });

  test('log files are replicated to the log archive account, deployed first', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: { Role: Match.anyValue(), Rules: [Match.objectLike({ Destination: Match.objectLike({ Account: '333333333333' }) })] },
    });
    expect(stacks.organizationTrail.dependencies).toContain(stacks.logArchiveReplica);
  });

  test('the trail waits for its bucket policy and logs role policy', () => {
    const trail = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0] as { DependsOn: string[] };
    expect(trail.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/Policy/), expect.stringMatching(/LogsRoleGrants/)]));
  });

  test('an account trail in any account records without the organization', () => {
    const app2 = checkedApp();
    const stack = new Stack(app2, 'Account', { env: { account: WORKLOAD, region: 'eu-west-1' } });
    const bucket = new Stack(app2, 'Replica', { env: { account: WORKLOAD, region: 'eu-central-1' } });
    new AuditTrail(stack, 'Trail', { replicationDestination: new ReplicationDestination(bucket, 'Dst'), multiRegion: false });
    synthWithChecks(app2);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudTrail::Trail', {
      IsOrganizationTrail: false, IsMultiRegionTrail: false, AdvancedEventSelectors: [Match.objectLike({ Name: 'Management events' })],
    });
  });

  test('the trail waits for every policy of its logs role, also one started by a grant made after the constructor', () => {
    const { stack, trail } = accountTrail();
    for (let i = 0; i < 60; i++) {
      trail.logsRole!.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [`arn:aws:logs:eu-west-1:${WORKLOAD}:log-group:an-additional-log-group-with-a-long-name-${i}:log-stream:main`] }));
    }
    expect(trail.logsRole!.grantsPolicies.length).toBeGreaterThan(1);
    const t = Template.fromStack(stack);
    const resource = Object.values(t.findResources('AWS::CloudTrail::Trail'))[0] as { DependsOn: string[] };
    for (const policy of trail.logsRole!.grantsPolicies) {
      expect(resource.DependsOn).toContain(stack.getLogicalId(policy.node.defaultChild as iam.CfnManagedPolicy));
    }
  });

  test('Sandbox.enable on the stack: bucket, key and log group can be destroyed', () => {
    const { stack } = accountTrail(true);
    const t = Template.fromStack(stack);
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']) t.allResources(type, { DeletionPolicy: 'Delete' });
  });
});

describe('OBS-2 AuditTrail refusals', () => {
  test('refuses an organization trail outside the management account', () => {
    const stack = new Stack(checkedApp(), 'Workload', { env: { account: WORKLOAD, region: 'eu-west-1' } });
    expect(() => new AuditTrail(stack, 'Trail', { organizationTrail: true, managementAccount: MANAGEMENT, organizationId: 'o-a1b2c3d4e5' }))
      .toThrow(/^Workload\/Trail: invalid AuditTrail props \(1 problem\):\n {2}- an organization trail can only be created in the management account \(111111111111\), but this stack deploys to 444444444444$/);
  });

  test('refuses an organization trail without managementAccount or organizationId', () => {
    const stack = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new AuditTrail(stack, 'Trail', { organizationTrail: true, trailName: '-bad name' }))
      .toThrow(/\(3 problems\)[\s\S]*needs managementAccount[\s\S]*needs organizationId[\s\S]*trailName "-bad name"/);
  });

  test('refuses an organizationId that is not an organization id', () => {
    const stack = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new AuditTrail(stack, 'Trail', { organizationTrail: true, managementAccount: MANAGEMENT, organizationId: 'org-1' }))
      .toThrow('Mgmt/Trail: invalid AuditTrail props (1 problem):\n  - organizationId must be an organization id such as o-a1b2c3d4e5, got "org-1"');
  });

  test('refuses a managementAccount that is not a 12-digit account id', () => {
    const stack = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new AuditTrail(stack, 'Trail', { organizationTrail: true, managementAccount: '1111', organizationId: 'o-a1b2c3d4e5' }))
      .toThrow('Mgmt/Trail: invalid AuditTrail props (1 problem):\n  - managementAccount must be a 12-digit account id, got "1111"');
  });

  test('refuses an organization trail in an environment-agnostic stack', () => {
    const stack = new Stack(checkedApp(), 'Agnostic');
    expect(() => new AuditTrail(stack, 'Trail', { organizationTrail: true, managementAccount: MANAGEMENT, organizationId: 'o-a1b2c3d4e5' }))
      .toThrow(/needs an explicit account on its stack/);
  });
});
