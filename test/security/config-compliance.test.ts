import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ComplianceRule, ConfigCompliance, ConfigDelegatedAdmin, ConfigDeliveryBucket } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addConfigComplianceExamples, ConfigComplianceExamples } from '../../examples/security/config-compliance';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const MANAGEMENT = '111111111111';
const SECURITY = '222222222222';

function examples(context: Record<string, unknown> = {}): ConfigComplianceExamples {
  const app = exampleTestApp(context);
  const stacks = addConfigComplianceExamples(app, exampleConfig(app));
  app.synth();
  return stacks;
}

describe('SEC-2 ConfigCompliance under Control Tower (the example app)', () => {
  const stacks = examples();
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const admin = Template.fromStack(stacks.admin);
  const management = Template.fromStack(stacks.management);

  test('the security account reuses Control Tower\'s recorder: no recorder, delivery channel or delivery bucket of its own', () => {
    admin.resourceCountIs('AWS::Config::ConfigurationRecorder', 0);
    admin.resourceCountIs('AWS::Config::DeliveryChannel', 0);
    admin.resourceCountIs('AWS::S3::Bucket', 0);
  });

  test('no member recorder StackSet: Control Tower already records in every enrolled account, and a second recorder would fail', () => {
    management.resourceCountIs('AWS::CloudFormation::StackSet', 0);
    management.hasResourceProperties('Custom::OrganizationsDelegatedAdmin', { AdminAccountId: SECURITY });
    expect(stacks.logArchive).toBeUndefined();
  });

  test('the rules, remediation, conformance pack and aggregator depend on nothing the stack no longer creates', () => {
    const template = admin.toJSON() as { Resources: Record<string, { Type: string; DependsOn?: string[] }> };
    const ids = new Set(Object.keys(template.Resources));
    for (const [id, r] of Object.entries(template.Resources)) {
      for (const dep of r.DependsOn ?? []) expect(`${id} -> ${dep}: ${ids.has(dep)}`).toBe(`${id} -> ${dep}: true`);
    }
    const rules = Object.values(admin.findResources('AWS::Config::ConfigRule')) as { DependsOn?: string[] }[];
    expect(rules).toHaveLength(5);
    for (const rule of rules) expect((rule.DependsOn ?? []).filter((d) => /Recorder|DeliveryChannel/.test(d))).toEqual([]);
    admin.resourceCountIs('AWS::Config::RemediationConfiguration', 1);
    admin.resourceCountIs('AWS::Config::ConfigurationAggregator', 1);
  });

  test('the conformance pack leaves out the management account, where Control Tower records nothing', () => {
    admin.hasResourceProperties('AWS::Config::OrganizationConformancePack', { ExcludedAccounts: [MANAGEMENT] });
  });
});

describe('SEC-2 ConfigCompliance without Control Tower (-c controlTower=false)', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const stacks = examples({ controlTower: 'false' });
  const admin = Template.fromStack(stacks.admin);
  const management = Template.fromStack(stacks.management);
  const logArchive = Template.fromStack(stacks.logArchive!);

  test('the recorder records every supported type and delivers to a KMS-encrypted, TLS-only bucket', () => {
    admin.hasResourceProperties('AWS::Config::ConfigurationRecorder', { RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: true } });
    admin.hasResourceProperties('AWS::Config::DeliveryChannel', { S3BucketName: Match.anyValue(), S3KmsKeyArn: Match.anyValue() });
    admin.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the delivery channel is created after the recorder (PutDeliveryChannel needs one), here and in member accounts', () => {
    const recorderId = Object.keys(admin.findResources('AWS::Config::ConfigurationRecorder'))[0];
    const channel = Object.values(admin.findResources('AWS::Config::DeliveryChannel'))[0] as { DependsOn?: string[] };
    expect(channel.DependsOn).toEqual(expect.arrayContaining([recorderId]));
    const set = Object.values(management.findResources('AWS::CloudFormation::StackSet'))[0] as { Properties: { TemplateBody: string } };
    const body = JSON.parse(set.Properties.TemplateBody);
    expect(body.Resources.DeliveryChannel.DependsOn).toEqual(expect.arrayContaining(['Recorder']));
  });

  test('the managed rules use their Config identifiers, not their names', () => {
    const expected: [string, string][] = [
      ['ec2-volume-inuse-check', 'EC2_VOLUME_INUSE_CHECK'],
      ['s3-bucket-ssl-requests-only', 'S3_BUCKET_SSL_REQUESTS_ONLY'],
      ['ec2-instance-managed-by-systems-manager', 'EC2_INSTANCE_MANAGED_BY_SSM'],
      ['cloudformation-stack-drift-detection-check', 'CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK'],
      ['cloudtrail-enabled', 'CLOUD_TRAIL_ENABLED'],
    ];
    for (const [name, identifier] of expected) {
      admin.hasResourceProperties('AWS::Config::ConfigRule', { ConfigRuleName: name, Source: { Owner: 'AWS', SourceIdentifier: identifier } });
    }
  });

  test('the drift check passes its role as cloudformationRoleArn, and cloudtrail-enabled is periodic', () => {
    admin.hasResourceProperties('AWS::Config::ConfigRule', {
      ConfigRuleName: 'cloudformation-stack-drift-detection-check',
      InputParameters: { cloudformationRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DriftDetectionRole'), 'Arn'] } },
    });
    admin.hasResourceProperties('AWS::Config::ConfigRule', { ConfigRuleName: 'cloudtrail-enabled', MaximumExecutionFrequency: 'TwentyFour_Hours', Scope: Match.absent() });
  });

  test('remediation runs SSM Automation automatically, with bounded retries and an AutomationAssumeRole', () => {
    admin.hasResourceProperties('AWS::Config::RemediationConfiguration', {
      TargetType: 'SSM_DOCUMENT',
      TargetId: 'AWSConfigRemediation-RestrictBucketSSLRequestsOnly',
      Automatic: true,
      MaximumAutomaticAttempts: 5,
      RetryAttemptSeconds: 60,
      Parameters: {
        BucketName: { ResourceValue: { Value: 'RESOURCE_ID' } },
        AutomationAssumeRole: { StaticValue: { Values: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('S3TlsRemediationRole'), 'Arn'] }] } },
      },
    });
  });

  test('the organization conformance pack and the aggregator across accounts and regions come from the delegated administrator', () => {
    const pack = admin.findResources('AWS::Config::OrganizationConformancePack');
    const body = JSON.parse((Object.values(pack)[0] as { Properties: { TemplateBody: string } }).Properties.TemplateBody);
    expect(Object.values(body.Resources).map((r) => (r as { Properties: { Source: { SourceIdentifier: string } } }).Properties.Source.SourceIdentifier))
      .toEqual(['EC2_VOLUME_INUSE_CHECK', 'S3_BUCKET_SSL_REQUESTS_ONLY', 'EC2_INSTANCE_MANAGED_BY_SSM', 'CLOUD_TRAIL_ENABLED']);
    admin.hasResourceProperties('AWS::Config::ConfigurationAggregator', { OrganizationAggregationSource: { AllAwsRegions: true, RoleArn: Match.anyValue() } });
  });

  test('compliance changes of the rules go through EventBridge to the encrypted topic', () => {
    admin.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.config'], 'detail-type': ['Config Rules Compliance Change'], 'detail': { configRuleName: Match.anyValue() } },
      Targets: [Match.objectLike({ InputTransformer: Match.anyValue() })],
    });
  });

  test('the management account registers the delegated administrator for both Config principals', () => {
    management.hasResourceProperties('Custom::OrganizationsDelegatedAdmin', {
      AdminAccountId: SECURITY, ServicePrincipals: ['config-multiaccountsetup.amazonaws.com', 'config.amazonaws.com'],
    });
    management.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'ConfigTrustedAccessAndDelegation',
        Condition: { StringEquals: { 'organizations:ServicePrincipal': ['config-multiaccountsetup.amazonaws.com', 'config.amazonaws.com'] } },
      })]) },
    });
  });

  test('the registration functions reserve no concurrency unless asked, so the stack deploys in accounts with a low concurrency quota', () => {
    const functions = Object.values(management.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    expect(functions.map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([undefined, undefined]);
  });

  test('reservedConcurrentExecutions reserves concurrency for the handler and the provider framework, and passes the checks', () => {
    const app = checkedApp();
    const mgmt = new Stack(app, 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    new ConfigDelegatedAdmin(mgmt, 'Admin', { adminAccount: SECURITY, reservedConcurrentExecutions: 3 });
    synthWithChecks(app);
    const functions = Object.values(Template.fromStack(mgmt).findResources('AWS::Lambda::Function'));
    expect(functions.map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([3, 3]);
  });

  test('member accounts get recorders through a service-managed StackSet that follows the OU', () => {
    management.hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-a1b2-c3d4e5f6'] }, Regions: ['eu-west-1', 'eu-central-1'] }],
    });
    const set = Object.values(management.findResources('AWS::CloudFormation::StackSet'))[0] as { Properties: { TemplateBody: string } };
    const body = JSON.parse(set.Properties.TemplateBody);
    expect(body.Resources.DeliveryChannel.Properties.S3BucketName).toBe(stacks.logArchive!.bucketName);
    expect(body.Resources.Recorder.Type).toBe('AWS::Config::ConfigurationRecorder');
  });

  test('the central bucket admits the Config roles of the organization only', () => {
    logArchive.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'OrganizationConfigDelivery', Action: ['s3:PutObject', 's3:PutObjectAcl'],
        Condition: Match.objectLike({ StringEquals: Match.objectLike({ 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' }) }),
      })]) },
    });
  });

  test('deployment order: log archive, then management, then the delegated administrator', () => {
    expect(stacks.management.dependencies).toContain(stacks.logArchive!);
    expect(stacks.admin.dependencies).toContain(stacks.management);
  });

  // Not in the example app (which runs under Control Tower), so its snapshots live here.
  test.each([['Sec2-LogArchive'], ['Sec2-Management'], ['Sec2-SecurityAdmin']])('snapshot of %s without Control Tower', (name) => {
    const stack = Object.values(stacks).find((s?: Stack) => s?.stackName === name)!;
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});

describe('SEC-2 refusals', () => {
  const stack = () => new Stack(checkedApp(), 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
  const base = { rule: ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY, documentName: 'AWSConfigRemediation-RestrictBucketSSLRequestsOnly', resourceIdParameter: 'BucketName' };

  test('refuses automatic remediation without a role', () => {
    expect(() => new ConfigCompliance(stack(), 'Config', { remediations: [{ ...base, automatic: true }] }))
      .toThrow(/^Sec\/Config: invalid ConfigCompliance props \(1 problem\):\n {2}- remediations\[0\] \(s3-bucket-ssl-requests-only, AWSConfigRemediation-RestrictBucketSSLRequestsOnly\): automatic remediation needs assumeRole/);
  });

  test.each([[0], [26]])('refuses a retry count of %d (outside 1-25)', (attempts) => {
    const s = stack();
    const role = new iam.Role(s, 'R', { assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com') });
    expect(() => new ConfigCompliance(s, 'Config', { remediations: [{ ...base, automatic: true, assumeRole: role, maximumAutomaticAttempts: attempts }] }))
      .toThrow(`maximumAutomaticAttempts must be between 1 and 25, got ${attempts}`);
  });

  test('lists every problem at once', () => {
    expect(() => new ConfigCompliance(stack(), 'Config', {
      rules: [ComplianceRule.CLOUDTRAIL_ENABLED],
      remediations: [{ ...base, automatic: true, maximumAutomaticAttempts: 30, retryInterval: Duration.seconds(0) }],
    })).toThrow(/\(4 problems\)[\s\S]*not one of this construct's rules[\s\S]*needs assumeRole[\s\S]*between 1 and 25[\s\S]*retryInterval/);
  });

  test('refuses a delegated Config administrator equal to the management account', () => {
    const s = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new ConfigDelegatedAdmin(s, 'Admin', { adminAccount: MANAGEMENT }))
      .toThrow(/^Mgmt\/Admin: invalid ConfigDelegatedAdmin props \(1 problem\):\n {2}- adminAccount 111111111111 is the management account/);
  });

  test('refuses reserved concurrency for the registration functions that is not a positive whole number', () => {
    const s = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new ConfigDelegatedAdmin(s, 'Admin', { adminAccount: SECURITY, reservedConcurrentExecutions: 0 }))
      .toThrow('Mgmt/Admin: invalid ConfigDelegatedAdmin props (1 problem):\n  - reservedConcurrentExecutions must be a positive whole number, got 0');
  });

  test('refuses an excluded account that is not a 12-digit account id', () => {
    expect(() => new ConfigCompliance(stack(), 'Config', { organizationConformancePackName: 'baseline', conformancePackExcludedAccounts: ['1111-2222-3333'] }))
      .toThrow(/^Sec\/Config: invalid ConfigCompliance props \(1 problem\):\n {2}- conformancePackExcludedAccounts\[0\] must be a 12-digit account id, got "1111-2222-3333"$/);
  });

  test('refuses more excluded accounts than AWS Config takes (1000)', () => {
    const accounts = Array.from({ length: 1001 }, (_, i) => String(100000000000 + i));
    expect(() => new ConfigCompliance(stack(), 'Config', { organizationConformancePackName: 'baseline', conformancePackExcludedAccounts: accounts }))
      .toThrow(/^Sec\/Config: invalid ConfigCompliance props \(1 problem\):\n {2}- conformancePackExcludedAccounts: AWS Config takes at most 1000 excluded accounts, got 1001$/);
  });

  test('refuses member recorder targets that are neither an OU nor the root', () => {
    const s = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new ConfigDelegatedAdmin(s, 'Admin', {
      adminAccount: SECURITY,
      memberRecorders: { organizationalUnitIds: ['r-ab12', 'workloads'], regions: ['eu-west-1'], deliveryBucketName: 'central' },
    })).toThrow('Mgmt/Admin: invalid ConfigDelegatedAdmin props (1 problem):\n  - memberRecorders.organizationalUnitIds[1] must be an organizational unit id (ou-...) or a root id (r-...), got "workloads"');
  });

  test('compliance changes go to the notificationTopic passed in, and no topic of its own is created', () => {
    const s = stack();
    const topic = sns.Topic.fromTopicArn(s, 'Team', `arn:aws:sns:eu-west-1:${SECURITY}:compliance-team`);
    const compliance = new ConfigCompliance(s, 'Config', { useExistingRecorder: true, notificationTopic: topic });
    const t = Template.fromStack(s);
    expect(compliance.notificationTopic).toBe(topic);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: topic.topicArn })] });
  });

  test('refuses excluded accounts without a conformance pack', () => {
    expect(() => new ConfigCompliance(stack(), 'Config', { conformancePackExcludedAccounts: [MANAGEMENT] }))
      .toThrow(/^Sec\/Config: invalid ConfigCompliance props \(1 problem\):\n {2}- conformancePackExcludedAccounts needs organizationConformancePackName: there is no conformance pack to exclude them from$/);
  });

  test('refuses recorder settings together with an existing recorder', () => {
    const s = stack();
    const bucket = s3.Bucket.fromBucketName(s, 'B', 'config-bucket');
    expect(() => new ConfigCompliance(s, 'Config', { useExistingRecorder: true, deliveryBucket: bucket, includeGlobalResourceTypes: false }))
      .toThrow(/^Sec\/Config: invalid ConfigCompliance props \(2 problems\):\n {2}- deliveryBucket is for the recorder this construct creates; with useExistingRecorder the existing delivery channel decides where Config delivers\n {2}- includeGlobalResourceTypes is for the recorder this construct creates; with useExistingRecorder the existing recorder decides what is recorded$/);
  });

  test('with an existing recorder, the rules are created without a recorder, delivery channel or recorder role', () => {
    const s = stack();
    const compliance = new ConfigCompliance(s, 'Config', { useExistingRecorder: true });
    synthWithChecks(s.node.root as never);
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Config::ConfigurationRecorder', 0);
    t.resourceCountIs('AWS::Config::DeliveryChannel', 0);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.resourceCountIs('AWS::Config::ConfigRule', 5);
    expect(compliance.recorder).toBeUndefined();
    for (const rule of Object.values(t.findResources('AWS::Config::ConfigRule')) as { DependsOn?: string[] }[]) {
      expect(rule.DependsOn ?? []).toEqual([]);
    }
  });

  test('a manual remediation without a role omits AutomationAssumeRole', () => {
    const s = stack();
    new ConfigCompliance(s, 'Config', { rules: [ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY], remediations: [base] });
    synthWithChecks(s.node.root as never);
    Template.fromStack(s).hasResourceProperties('AWS::Config::RemediationConfiguration', {
      Automatic: false, MaximumAutomaticAttempts: Match.absent(), Parameters: { BucketName: Match.anyValue(), AutomationAssumeRole: Match.absent() },
    });
  });
});

describe('SEC-2 sandbox mode', () => {
  test('-c sandbox=true leaves no retained resource', () => {
    const stacks = [...Object.values(examples({ sandbox: 'true' })), ...Object.values(examples({ sandbox: 'true', controlTower: 'false' }))].filter((x): x is Stack => x !== undefined);
    for (const stack of stacks) {
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
      expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => `${stack.stackName}/${id}`)).toEqual([]);
    }
  });
});

describe('SEC-2 ConfigDeliveryBucket', () => {
  test('for an organization, each account\'s recorder role writes only under its own AWSLogs/<account>/Config/ prefix, and nobody in the organization may list the bucket', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'LogArchive', { env: { account: '333333333333', region: 'eu-west-1' } });
    new ConfigDeliveryBucket(stack, 'Central', { organizationId: 'o-a1b2c3d4e5', bucketName: 'config-central-333333333333-eu-west-1' });
    synthWithChecks(app);
    const t = Template.fromStack(stack);
    const recorderRoles = { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/config-recorder/*' } };
    t.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'config-central-333333333333-eu-west-1', VersioningConfiguration: { Status: 'Enabled' } });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'OrganizationConfigBucketCheck', Action: 's3:GetBucketAcl',
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' }, ...recorderRoles },
        }),
        Match.objectLike({
          Sid: 'OrganizationConfigDelivery', Action: ['s3:PutObject', 's3:PutObjectAcl'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^CentralBucket'), 'Arn'] }, '/AWSLogs/${aws:PrincipalAccount}/Config/*']] },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 's3:x-amz-acl': 'bucket-owner-full-control' }, ...recorderRoles },
        }),
      ]) },
    });
    const statements = Object.values(t.findResources('AWS::S3::BucketPolicy'))
      .flatMap((r) => (r as { Properties: { PolicyDocument: { Statement: { Effect: string; Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement);
    const orgAllows = statements.filter((st) => st.Effect === 'Allow' && JSON.stringify(st).includes('PrincipalOrgID'));
    expect(orgAllows.flatMap((st) => [st.Action].flat()).sort()).toEqual(['s3:GetBucketAcl', 's3:PutObject', 's3:PutObjectAcl']);
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'OrganizationConfigDelivery',
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'kms:ViaService': 's3.eu-west-1.amazonaws.com' }, ...recorderRoles },
      })]) },
    });
  });

  test('member recorder roles are the ones the bucket admits: under /config-recorder/, writing with bucket-owner-full-control under their own prefix, using the key through S3', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    const admin = new ConfigDelegatedAdmin(stack, 'Admin', {
      adminAccount: SECURITY,
      memberRecorders: { organizationalUnitIds: ['ou-a1b2-c3d4e5f6'], regions: ['eu-west-1'], deliveryBucketName: 'central', deliveryKeyArn: 'arn:aws:kms:eu-west-1:333333333333:key/*' },
    });
    const body = JSON.parse(admin.memberStackSet!.stackSet.templateBody!);
    expect(body.Resources.RecorderRole.Properties.Path).toBe('/config-recorder/');
    expect(body.Resources.DeliveryPolicy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectAcl'],
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::central/AWSLogs/${AWS::AccountId}/Config/*' },
        Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
      { Effect: 'Allow', Action: 's3:GetBucketAcl', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::central' } },
      {
        Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: 'arn:aws:kms:eu-west-1:333333333333:key/*',
        Condition: { StringLike: { 'kms:ViaService': 's3.*.amazonaws.com' } },
      },
    ]);
  });

  test('the recorder role of ConfigCompliance is one the central bucket admits, and may deliver to its own bucket in the same account', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    new ConfigCompliance(stack, 'Config', { rules: [ComplianceRule.CLOUDTRAIL_ENABLED] });
    synthWithChecks(app);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Role', { Path: '/config-recorder/', ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/service-role/AWS_ConfigRole'])] })]) });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['s3:PutObject', 's3:PutObjectAcl'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('DeliveryBucket'), 'Arn'] }, `/AWSLogs/${SECURITY}/Config/*`]] },
          Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
        }),
        Match.objectLike({ Action: ['s3:GetBucketAcl', 's3:ListBucket'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeliveryBucket'), 'Arn'] } }),
        Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeliveryBucketKey'), 'Arn'] } }),
      ]) },
    });
  });

  test('without an organization, the bucket policy admits nobody beyond the TLS-only defaults', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    new ConfigDeliveryBucket(stack, 'Own');
    synthWithChecks(app);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::S3::BucketPolicy'))
      .flatMap((r) => (r as { Properties: { PolicyDocument: { Statement: { Effect: string }[] } } }).Properties.PolicyDocument.Statement);
    expect(statements.filter((st) => st.Effect === 'Allow' && JSON.stringify(st).includes('PrincipalOrgID'))).toEqual([]);
  });

  test('refuses an organization id that is not one', () => {
    const stack = new Stack(checkedApp(), 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    expect(() => new ConfigDeliveryBucket(stack, 'Central', { organizationId: 'my-org' }))
      .toThrow(/^Sec\/Central: invalid ConfigDeliveryBucket props \(1 problem\):\n {2}- organizationId must be an organization id such as o-a1b2c3d4e5, got "my-org"/);
  });
});
