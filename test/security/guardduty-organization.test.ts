import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GuardDutyDelegatedAdmin, GuardDutyFeature, GuardDutyOrganization, GuardDutyRuntimeAgent, SecureBucket } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addGuardDutyOrganizationExamples, GuardDutyOrganizationExamples } from '../../examples/security/guardduty-organization';
import { acknowledge } from '../../lib/core/acknowledge';
import { timing } from '../../lib/security/handlers/organization-admin/retry';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const MANAGEMENT = '111111111111';
const SECURITY = '222222222222';

function examples(context: Record<string, unknown> = {}): GuardDutyOrganizationExamples {
  const app = exampleTestApp(context);
  const stacks = addGuardDutyOrganizationExamples(app, exampleConfig(app));
  app.synth();
  return stacks;
}

describe('SEC-1 GuardDutyOrganization', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const stacks = examples();
  const management = Template.fromStack(stacks.management);
  const admin = Template.fromStack(stacks.adminPrimary);

  test('the management account delegates GuardDuty to the security account in both regions', () => {
    management.hasResourceProperties('Custom::GuardDutyDelegatedAdmin', {
      Kind: 'GuardDutyDelegatedAdmin', AdminAccountId: SECURITY, Regions: ['eu-west-1', 'eu-central-1'],
    });
  });

  test('the delegation handler may only delegate, in the delegation regions, and change Organizations only for GuardDuty', () => {
    management.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({
          Sid: 'GuardDutyDelegation',
          Action: ['guardduty:DisableOrganizationAdminAccount', 'guardduty:EnableOrganizationAdminAccount', 'guardduty:ListOrganizationAdminAccounts'],
          Condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1', 'eu-central-1'] } },
        }),
        Match.objectLike({
          Sid: 'OrganizationsForGuardDutyDelegation',
          Condition: { StringEquals: { 'organizations:ServicePrincipal': ['guardduty.amazonaws.com', 'malware-protection.guardduty.amazonaws.com'] } },
        }),
      ]) },
    });
  });

  test('the administrator declares no detector: it uses the one delegation created, found by the custom resource', () => {
    admin.resourceCountIs('AWS::GuardDuty::Detector', 0);
    admin.hasResourceProperties('Custom::GuardDutyOrganizationConfiguration', {
      AutoEnable: 'ALL',
      Features: ['S3_DATA_EVENTS', 'EKS_AUDIT_LOGS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS', 'LAMBDA_NETWORK_LOGS', 'RUNTIME_MONITORING'],
    });
  });

  test('Runtime Monitoring comes with GuardDuty-managed agents for EKS, ECS Fargate and EC2, so runtime events actually arrive', () => {
    admin.hasResourceProperties('Custom::GuardDutyOrganizationConfiguration', {
      Features: Match.arrayWith(['RUNTIME_MONITORING']),
      RuntimeAgents: ['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'],
    });
  });

  test('the handler may retry for its whole budget and still report before its timeout, which ends before the Provider framework\'s', () => {
    const functions = admin.findResources('AWS::Lambda::Function');
    const handler = Object.entries(functions).find(([id]) => id.startsWith('DevOpsPatternsGuardDutyOrganizationConfigurationProviderHandler'))![1] as { Properties: { Timeout: number } };
    const framework = Object.entries(functions).find(([id]) => id.includes('frameworkonEvent'))![1] as { Properties: { Timeout: number } };
    // The last delay can start just before the deadline; two minutes are left for the last call and the report.
    expect(timing.budgetMs + timing.maxDelayMs + 2 * 60 * 1000).toBeLessThanOrEqual(handler.Properties.Timeout * 1000);
    expect(handler.Properties.Timeout).toBeLessThan(framework.Properties.Timeout);
  });

  test('trusted IP and threat lists are native resources on the delegated detector, in the administrator account', () => {
    const detector = { 'Fn::GetAtt': [Match.stringLikeRegexp('^GuardDuty'), 'DetectorId'] };
    admin.hasResourceProperties('AWS::GuardDuty::IPSet', {
      Name: 'corporate-egress', Activate: true, Format: 'TXT', DetectorId: detector, ExpectedBucketOwner: SECURITY,
      Location: { 'Fn::Join': ['', ['https://s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }, `/guardduty-lists-${SECURITY}-eu-west-1/trusted/corporate-egress.txt`]] },
    });
    admin.hasResourceProperties('AWS::GuardDuty::ThreatIntelSet', { Name: 'known-bad', Activate: true, DetectorId: detector });
  });

  test('findings of severity 7 and above go through EventBridge to the encrypted topic, readable', () => {
    admin.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'], 'detail': { severity: [{ numeric: ['>=', 7] }] } },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputPathsMap: Match.objectLike({ 'detail-type': '$.detail.type' }) }) })],
    });
    admin.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('each administrator stack deploys after the delegation', () => {
    expect(stacks.adminPrimary.dependencies).toContain(stacks.management);
    expect(stacks.adminSecondary.dependencies).toContain(stacks.management);
  });

  test('the custom resource functions reserve no concurrency unless asked, so the stacks deploy in accounts with a low concurrency quota', () => {
    for (const template of [management, admin]) {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions).toHaveLength(2);
      expect(functions.map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([undefined, undefined]);
    }
  });

  test('reservedConcurrentExecutions reserves concurrency for the handler and the provider framework, and passes the checks', () => {
    const app = checkedApp();
    const mgmt = new Stack(app, 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    new GuardDutyDelegatedAdmin(mgmt, 'Admin', { adminAccount: SECURITY, reservedConcurrentExecutions: 4 });
    const sec = new Stack(app, 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    new GuardDutyOrganization(sec, 'GD', { adminAccount: SECURITY, managementAccount: MANAGEMENT, reservedConcurrentExecutions: 3 });
    synthWithChecks(app);
    const reserved = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map((f) => f.Properties.ReservedConcurrentExecutions);
    expect(reserved(mgmt)).toEqual([4, 4]);
    expect(reserved(sec)).toEqual([3, 3]);
  });

  test('the custom resource handler and the provider framework log to encrypted log groups with retention', () => {
    for (const t of [management, admin]) {
      t.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
      t.resourceCountIs('AWS::IAM::Policy', 0);
    }
  });

  test('two delegations in one stack share its one GuardDutyDelegatedAdmin provider, and their region statements keep unique Sids', () => {
    const app = checkedApp();
    const mgmt = new Stack(app, 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    new GuardDutyDelegatedAdmin(mgmt, 'Europe', { adminAccount: SECURITY, regions: ['eu-west-1'] });
    new GuardDutyDelegatedAdmin(mgmt, 'America', { adminAccount: SECURITY, regions: ['us-east-1'] });
    synthWithChecks(app);
    const t = Template.fromStack(mgmt);
    t.resourceCountIs('Custom::GuardDutyDelegatedAdmin', 2);
    t.resourceCountIs('AWS::Lambda::Function', 2);
    const statements = Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
      .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: { Sid?: string; Condition?: unknown }[] } } }).Properties.PolicyDocument.Statement);
    const delegation = statements.filter((st) => st.Sid?.startsWith('GuardDutyDelegation'));
    expect(delegation.map((st) => [st.Sid, st.Condition])).toEqual([
      ['GuardDutyDelegation', { StringEquals: { 'aws:RequestedRegion': ['eu-west-1'] } }],
      ['GuardDutyDelegation2', { StringEquals: { 'aws:RequestedRegion': ['us-east-1'] } }],
    ]);
  });

  test('findings go to the notificationTopic passed in, and no topic of its own is created', () => {
    const app = checkedApp();
    const sec = new Stack(app, 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    const topic = sns.Topic.fromTopicArn(sec, 'Team', `arn:aws:sns:eu-west-1:${SECURITY}:security-team`);
    const gd = new GuardDutyOrganization(sec, 'GD', { adminAccount: SECURITY, managementAccount: MANAGEMENT, notificationTopic: topic });
    const t = Template.fromStack(sec);
    expect(gd.notificationTopic).toBe(topic);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: topic.topicArn })] });
  });

  test.each([['Sec1-Management'], ['Sec1-SecurityAdmin-Primary'], ['Sec1-SecurityAdmin-Secondary']])('snapshot of %s', (name) => {
    const stack = Object.values(stacks).find((s: Stack) => s.stackName === name)!;
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });
});

describe('SEC-1 refusals', () => {
  test('refuses a delegated administrator equal to the management account', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new GuardDutyDelegatedAdmin(stack, 'Admin', { adminAccount: MANAGEMENT }))
      .toThrow(/^Mgmt\/Admin: invalid GuardDutyDelegatedAdmin props \(1 problem\):\n {2}- adminAccount 111111111111 is the management account/);
  });

  test('refuses reserved concurrency for the delegation functions that is not a positive whole number', () => {
    const stack = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new GuardDutyDelegatedAdmin(stack, 'Admin', { adminAccount: SECURITY, reservedConcurrentExecutions: 1.5 }))
      .toThrow('Mgmt/Admin: invalid GuardDutyDelegatedAdmin props (1 problem):\n  - reservedConcurrentExecutions must be a positive whole number, got 1.5');
  });

  test('refuses reserved concurrency for the organization configuration functions that is not a positive whole number', () => {
    const stack = new Stack(checkedApp(), 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    expect(() => new GuardDutyOrganization(stack, 'GD', { adminAccount: SECURITY, managementAccount: MANAGEMENT, reservedConcurrentExecutions: -2 }))
      .toThrow('Sec/GD: invalid GuardDutyOrganization props (1 problem):\n  - reservedConcurrentExecutions must be a positive whole number, got -2');
  });

  test('refuses an administrator-side configuration whose administrator is the management account', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Sec', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new GuardDutyOrganization(stack, 'GD', { adminAccount: MANAGEMENT, managementAccount: MANAGEMENT }))
      .toThrow(/^Sec\/GD: invalid GuardDutyOrganization props \(1 problem\):\n {2}- adminAccount and managementAccount are both 111111111111/);
  });

  test('refuses administrator and management accounts that are not 12-digit account ids', () => {
    const stack = new Stack(checkedApp(), 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    expect(() => new GuardDutyOrganization(stack, 'GD', { adminAccount: SECURITY, managementAccount: '1111-1111-1111' }))
      .toThrow('Sec/GD: invalid GuardDutyOrganization props (1 problem):\n  - managementAccount must be a 12-digit account id, got "1111-1111-1111"');
  });

  test('refuses a delegated administrator that is not a 12-digit account id', () => {
    const stack = new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
    expect(() => new GuardDutyDelegatedAdmin(stack, 'Admin', { adminAccount: '2222' }))
      .toThrow('Mgmt/Admin: invalid GuardDutyDelegatedAdmin props (1 problem):\n  - adminAccount must be a 12-digit account id, got "2222"');
  });

  test('refuses lists outside the administrator account', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Member', { env: { account: '444444444444', region: 'eu-west-1' } });
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'lists');
    expect(() => new GuardDutyOrganization(stack, 'GD', {
      adminAccount: SECURITY, managementAccount: MANAGEMENT, threatIpLists: [{ name: 'bad', bucket, key: 'bad.txt' }],
    })).toThrow(/this stack deploys to account 444444444444, not the delegated administrator 222222222222: the organization configuration and the trusted IP and threat lists only work in the administrator account/);
  });

  test('refuses Runtime Monitoring agents without the Runtime Monitoring feature', () => {
    const stack = new Stack(checkedApp(), 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    expect(() => new GuardDutyOrganization(stack, 'GD', {
      adminAccount: SECURITY, managementAccount: MANAGEMENT, features: [GuardDutyFeature.S3_DATA_EVENTS],
      runtimeMonitoringAgents: [GuardDutyRuntimeAgent.EC2_AGENT_MANAGEMENT],
    })).toThrow(/^Sec\/GD: invalid GuardDutyOrganization props \(1 problem\):\n {2}- runtimeMonitoringAgents need the RUNTIME_MONITORING feature, which features leaves out/);
  });

  test('lists every problem at once', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'lists');
    expect(() => new GuardDutyOrganization(stack, 'GD', {
      adminAccount: SECURITY, managementAccount: MANAGEMENT, minimumSeverity: 11, features: [],
      trustedIpLists: [{ name: 'a', bucket, key: 'a' }, { name: 'b', bucket, key: 'b' }],
    })).toThrow(/\(3 problems\)[\s\S]*at least one protection feature[\s\S]*one trusted IP list[\s\S]*minimumSeverity must be between 1 and 10/);
  });

  test('a list bucket of the stack lets the GuardDuty service-linked role read the list', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Sec', { env: { account: SECURITY, region: 'eu-west-1' } });
    const bucket = new SecureBucket(stack, 'Lists').bucket;
    acknowledge(bucket.node.defaultChild!, 'NIST.800.53.R5-S3BucketReplicationEnabled', 'A test fixture bucket that holds one list file; it is never deployed, so a replica would prove nothing.');
    new GuardDutyOrganization(stack, 'GD', { adminAccount: SECURITY, managementAccount: MANAGEMENT, threatIpLists: [{ name: 'bad', bucket, key: 'bad.txt' }] });
    synthWithChecks(app);
    Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 's3:GetObject',
        Condition: { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${SECURITY}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty` } },
      })]) },
    });
  });
});

describe('SEC-1 sandbox mode', () => {
  test('-c sandbox=true leaves no retained resource', () => {
    const stacks = examples({ sandbox: 'true' });
    for (const stack of Object.values(stacks) as Stack[]) {
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
      expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => `${stack.stackName}/${id}`)).toEqual([]);
    }
  });
});
