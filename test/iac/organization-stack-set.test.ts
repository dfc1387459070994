import { App, Aws, BootstraplessSynthesizer, DefaultStackSynthesizer, Fn, Lazy, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  OrganizationStackSet, OrganizationStackSetProps, RegionConcurrency, StackSetCallAs, StackSetCapability,
  StackSetConcurrencyMode, StackSetTemplate,
} from '../../lib';
import { addOrganizationStackSetExamples } from '../../examples/iac/organization-stack-set';
import { exampleConfig } from '../../examples/config';
import { checkedApp, cdkJsonContext, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const SECURITY = '222222222222';
const OU = 'ou-a1b2-c3d4e5f6';

describe('IAC-2 OrganizationStackSet', () => {
  test('every service-to-service edge of the example stacks, StackSet instances included, is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    // The member template's rule -> encrypted topic edge is evaluated in each instance's region.
    expect(report.edges.some((e) => e.from.stack.stackName.startsWith('Iac2-SecurityAdmin-OrganizationStackSet.') && e.from.stack.region === 'eu-central-1')).toBe(true);
  });
  const app = exampleTestApp();
  const examples = addOrganizationStackSetExamples(app, exampleConfig(app));
  const template = Template.fromStack(examples.admin);
  const stackSet = Object.values(template.findResources('AWS::CloudFormation::StackSet'))[0] as { Properties: Record<string, unknown> };
  const body = JSON.parse(stackSet.Properties.TemplateBody as string);

  test('the example deploys from the security account, the delegated administrator', () => {
    expect(examples.admin.account).toBe(SECURITY);
    template.hasResourceProperties('AWS::CloudFormation::StackSet', { CallAs: 'DELEGATED_ADMIN', PermissionModel: 'SERVICE_MANAGED' });
  });

  test('the StackSet targets the workload OU in two regions and follows it (auto-deployment, stacks removed from accounts that leave)', () => {
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'security-alerts',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [OU] }, Regions: ['eu-west-1', 'eu-central-1'] }],
      ManagedExecution: { Active: true },
    });
  });

  test('operations roll out one region after the other, in the order given, with bounded failure tolerance and concurrency', () => {
    expect(stackSet.Properties.OperationPreferences).toEqual({
      FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25, RegionConcurrencyType: 'SEQUENTIAL', RegionOrder: ['eu-west-1', 'eu-central-1'],
    });
  });

  test('the template is the member stack, synthesized inline without the bootstrap version check', () => {
    const member = Template.fromStack(examples.member).toJSON();
    expect(body).toEqual(member);
    expect(body.Parameters?.BootstrapVersion).toBeUndefined();
    expect(body.Rules).toBeUndefined();
    Template.fromJSON(body).hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    Template.fromJSON(body).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.guardduty'], detail: { severity: [{ numeric: ['>=', 7] }] } },
    });
  });

  test('no capabilities are asked for a template without IAM resources', () => {
    expect(stackSet.Properties.Capabilities).toBeUndefined();
  });
});

describe('OrganizationStackSet', () => {
  function admin(app = new App({ context: cdkJsonContext() })): Stack {
    return new Stack(app, 'Admin', { env: { account: SECURITY, region: 'eu-west-1' } });
  }
  function memberStack(build: (s: Stack) => void = () => undefined): Stack {
    const s = new Stack(new App({ context: cdkJsonContext() }), 'Member', { synthesizer: new BootstraplessSynthesizer() });
    build(s);
    return s;
  }
  const topicTemplate = StackSetTemplate.fromObject({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });
  function props(overrides: Partial<OrganizationStackSetProps> = {}): OrganizationStackSetProps {
    return { template: topicTemplate, organizationalUnitIds: [OU], regions: ['eu-west-1', 'eu-central-1'], ...overrides };
  }
  function refusal(overrides: Partial<OrganizationStackSetProps>): () => void {
    return () => new OrganizationStackSet(admin(), 'Set', props(overrides));
  }
  const PREFIX = 'Admin/Set: invalid OrganizationStackSet props (1 problem):\n  - ';

  test('defaults: service-managed, auto-deployment without retaining stacks, managed execution, the management account, 10 % tolerance, 25 % concurrency, regions in parallel', () => {
    const s = admin();
    new OrganizationStackSet(s, 'Set', props());
    Template.fromStack(s).hasResourceProperties('AWS::CloudFormation::StackSet', {
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      ManagedExecution: { Active: true },
      CallAs: 'SELF',
      OperationPreferences: { FailureTolerancePercentage: 10, MaxConcurrentPercentage: 25, RegionConcurrencyType: 'PARALLEL' },
      StackSetName: Match.stringLikeRegexp('^Admin-Set-'),
      TemplateBody: '{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}',
    });
  });

  test('counts, concurrency mode, parameters and retained stacks are passed through', () => {
    const s = admin();
    new OrganizationStackSet(s, 'Set', props({
      template: StackSetTemplate.fromObject({ Parameters: { Level: { Type: 'String' } }, Resources: {} }),
      parameters: { Level: 'high' },
      failureToleranceCount: 2, maxConcurrentCount: 3, concurrencyMode: StackSetConcurrencyMode.SOFT_FAILURE_TOLERANCE,
      retainStacksOnAccountRemoval: true,
    }));
    Template.fromStack(s).hasResourceProperties('AWS::CloudFormation::StackSet', {
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      OperationPreferences: { FailureToleranceCount: 2, MaxConcurrentCount: 3, ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE', RegionConcurrencyType: 'PARALLEL' },
      Parameters: [{ ParameterKey: 'Level', ParameterValue: 'high' }],
    });
  });

  test('the capabilities the template needs are asked for: IAM for roles, NAMED_IAM for IAM names', () => {
    const s = admin();
    const member = memberStack((m) => {
      new iam.Role(m, 'Generated', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      new iam.Role(m, 'Named', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), roleName: `reader-${Aws.ACCOUNT_ID}-${Aws.REGION}` });
    });
    new OrganizationStackSet(s, 'Set', props({ template: StackSetTemplate.fromStack(member) }));
    Template.fromStack(s).hasResourceProperties('AWS::CloudFormation::StackSet', { Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'] });
  });

  test('a global name that embeds the account and the region is accepted (CDK renders it as Fn::Join), and so is one from Fn::Sub or the stack id', () => {
    const member = memberStack((m) => {
      new s3.CfnBucket(m, 'Joined', { bucketName: `evidence-${Aws.ACCOUNT_ID}-${Aws.REGION}` });
      new s3.CfnBucket(m, 'Subbed', { bucketName: Fn.sub('evidence-${AWS::AccountId}-${AWS::Region}-sub') });
      new iam.CfnManagedPolicy(m, 'ByStackId', { managedPolicyName: `p-${Aws.STACK_ID}`, policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } });
    });
    expect(() => new OrganizationStackSet(admin(), 'Set', props({ template: StackSetTemplate.fromStack(member), capabilities: [StackSetCapability.IAM, StackSetCapability.NAMED_IAM] }))).not.toThrow();
  });

  test('autoDeployment false with no OU creates the StackSet without instances (IAC-7 deploys them per account)', () => {
    const s = admin();
    new OrganizationStackSet(s, 'Set', props({ organizationalUnitIds: [], autoDeployment: false }));
    const set = Object.values(Template.fromStack(s).findResources('AWS::CloudFormation::StackSet'))[0] as { Properties: Record<string, unknown> };
    expect(set.Properties.AutoDeployment).toEqual({ Enabled: false });
    expect(set.Properties.StackInstancesGroup).toBeUndefined();
  });

  test('OU ids and regions that are tokens are accepted', () => {
    const ou = Lazy.string({ produce: () => OU });
    const region = Lazy.string({ produce: () => 'eu-west-1' });
    expect(refusal({ organizationalUnitIds: [ou], regions: [region, region] })).not.toThrow();
  });

  test('refuses no OU', () => {
    expect(refusal({ organizationalUnitIds: [] })).toThrow(`${PREFIX}organizationalUnitIds is empty: a service-managed StackSet deploys to OUs (or the root), and auto-deployment follows them`);
  });

  test('refuses a target that is no OU or root', () => {
    expect(refusal({ organizationalUnitIds: ['123456789012'] })).toThrow(`${PREFIX}organizationalUnitIds[0] must be an organizational unit id (ou-...) or a root id (r-...), got "123456789012"`);
  });

  test('refuses no region', () => {
    expect(refusal({ regions: [] })).toThrow(`${PREFIX}regions is empty: the StackSet would deploy nowhere`);
  });

  test('refuses a region twice', () => {
    expect(refusal({ regions: ['eu-west-1', 'us-east-1', 'eu-west-1'] })).toThrow(`${PREFIX}regions lists eu-west-1 more than once`);
  });

  test('refuses a region that is no region name', () => {
    expect(refusal({ regions: ['Ireland'] })).toThrow(`${PREFIX}regions[0] must be a region name such as eu-west-1, got "Ireland"`);
  });

  test('refuses both kinds of failure tolerance', () => {
    expect(refusal({ failureTolerancePercentage: 10, failureToleranceCount: 1 })).toThrow(`${PREFIX}set failureTolerancePercentage or failureToleranceCount, not both`);
  });

  test('refuses both kinds of maximum concurrency', () => {
    expect(refusal({ maxConcurrentPercentage: 10, maxConcurrentCount: 1 })).toThrow(`${PREFIX}set maxConcurrentPercentage or maxConcurrentCount, not both`);
  });

  test('refuses concurrency and failure tolerance beyond their limits', () => {
    expect(refusal({ maxConcurrentPercentage: 0, failureTolerancePercentage: 101 })).toThrow(
      'Admin/Set: invalid OrganizationStackSet props (2 problems):\n  - failureTolerancePercentage must be a whole number from 0 to 100, got 101\n  - maxConcurrentPercentage must be a whole number from 1 to 100, got 0');
    expect(refusal({ maxConcurrentCount: 0 })).toThrow(`${PREFIX}maxConcurrentCount must be a whole number of at least 1, got 0`);
    expect(refusal({ failureToleranceCount: 1.5 })).toThrow(`${PREFIX}failureToleranceCount must be a whole number of at least 0, got 1.5`);
  });

  test('refuses retainStacksOnAccountRemoval without auto-deployment', () => {
    expect(refusal({ autoDeployment: false, retainStacksOnAccountRemoval: true })).toThrow(`${PREFIX}retainStacksOnAccountRemoval is about auto-deployment, which is off`);
  });

  test('refuses a stackSetName CloudFormation does not take', () => {
    expect(refusal({ stackSetName: '1-baseline' })).toThrow(`${PREFIX}stackSetName must be a name of letters, digits and hyphens that starts with a letter (at most 128), got "1-baseline"`);
  });

  test('refuses a template over the 51,200-byte TemplateBody limit', () => {
    expect(refusal({ template: StackSetTemplate.fromObject({ Description: 'x'.repeat(52000), Resources: {} }) }))
      .toThrow(/^Admin\/Set: invalid OrganizationStackSet props \(1 problem\):\n {2}- the template is 52\d\d\d bytes, over the 51200-byte TemplateBody limit of CloudFormation \(it must be inline/);
  });

  test('refuses a fixed bucket name, naming the resource and its construct path', () => {
    const member = memberStack((m) => new s3.Bucket(m, 'Evidence', { bucketName: 'org-evidence' }));
    expect(refusal({ template: StackSetTemplate.fromStack(member) })).toThrow(
      `${PREFIX}AWS::S3::Bucket Evidence4CC26D68 (Member/Evidence/Resource) has the fixed BucketName "org-evidence": the StackSet creates it in every account and region it deploys to, where the name must be unique (S3 across all accounts, IAM across the regions of an account); embed \${AWS::AccountId} and \${AWS::Region} (Aws.ACCOUNT_ID, Aws.REGION) or leave the name out`);
  });

  test('refuses an IAM role name that embeds the account but not the region, and a managed policy name that embeds neither', () => {
    const member = memberStack((m) => {
      new iam.Role(m, 'Reader', { assumedBy: new iam.AccountRootPrincipal(), roleName: `reader-${Aws.ACCOUNT_ID}` });
      new iam.ManagedPolicy(m, 'Policy', { managedPolicyName: `policy-${Aws.STACK_NAME}`, statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    });
    const error = (() => { try { refusal({ template: StackSetTemplate.fromStack(member) })(); } catch (e) { return (e as Error).message; } return ''; })();
    expect(error).toMatch(/\(2 problems\)/);
    expect(error).toMatch(/AWS::IAM::Role Reader\w+ \(Member\/Reader\/Resource\) has a RoleName without \$\{AWS::Region\}: /);
    expect(error).toMatch(/AWS::IAM::ManagedPolicy Policy\w+ \(Member\/Policy\/Resource\) has a ManagedPolicyName without \$\{AWS::AccountId\} and \$\{AWS::Region\}: /);
  });

  test('refuses a fixed name in an Fn::Sub without the region, in an object template', () => {
    expect(refusal({ template: StackSetTemplate.fromObject({ Resources: { Group: { Type: 'AWS::IAM::Group', Properties: { GroupName: { 'Fn::Sub': 'ops-${AWS::AccountId}' } } } } }), capabilities: [StackSetCapability.IAM, StackSetCapability.NAMED_IAM] }))
      .toThrow(/^Admin\/Set: invalid OrganizationStackSet props \(1 problem\):\n {2}- AWS::IAM::Group Group has a GroupName without \$\{AWS::Region\}/);
  });

  test('refuses a template stack of the StackSet\'s own app, which would be deployed as a stack too', () => {
    const s = admin();
    const member = new Stack(s.node.root, 'Member', { synthesizer: new BootstraplessSynthesizer() });
    expect(() => new OrganizationStackSet(s, 'Set', props({ template: StackSetTemplate.fromStack(member) }))).toThrow(
      `${PREFIX}the template stack Member is in the app or Stage of this StackSet, where it would be deployed as a stack of its own too: define it in a Stage or App of its own`);
  });

  test('a template stack in a Stage of its own inside the app is accepted', () => {
    const s = admin();
    const member = new Stack(new Stage(s.node.root, 'Members'), 'Member', { synthesizer: new BootstraplessSynthesizer() });
    new sns.Topic(member, 'Topic');
    new OrganizationStackSet(s, 'Set', props({ template: StackSetTemplate.fromStack(member) }));
    const set = Object.values(Template.fromStack(s).findResources('AWS::CloudFormation::StackSet'))[0];
    Template.fromJSON(JSON.parse(set.Properties.TemplateBody)).resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('refuses a template stack with a fixed environment', () => {
    const member = new Stack(new App(), 'Member', { synthesizer: new BootstraplessSynthesizer(), env: { account: '333333333333', region: 'eu-west-1' } });
    expect(refusal({ template: StackSetTemplate.fromStack(member) })).toThrow(
      `${PREFIX}the template stack Member has a fixed environment (333333333333/eu-west-1): a StackSet deploys the same template to every account and region, so define the stack without env`);
  });

  test('refuses a template stack that checks the CDK bootstrap version, which member accounts lack', () => {
    const member = new Stack(new App(), 'Member');
    new sns.Topic(member, 'Topic');
    expect(refusal({ template: StackSetTemplate.fromStack(member) })).toThrow(
      `${PREFIX}the template stack Member checks the CDK bootstrap version, which member accounts do not have: give it synthesizer: new BootstraplessSynthesizer()`);
  });

  test('refuses a template stack with assets: member accounts have no CDK asset bucket', () => {
    const member = new Stack(new App(), 'Member', { synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }) });
    new s3assets.Asset(member, 'Code', { path: __dirname });
    expect(refusal({ template: StackSetTemplate.fromStack(member) })).toThrow(
      `${PREFIX}the template stack Member has assets (Member/Code/Stage): a StackSet deploys an inline template to member accounts, which have no CDK asset bucket to read them from; use inline code (lambda.Code.fromInline) or move them to a stack of the administrator account`);
  });

  test('refuses a template parameter without a value, and a value for no parameter', () => {
    expect(refusal({ template: StackSetTemplate.fromObject({ Parameters: { Level: { Type: 'String' } }, Resources: {} }), parameters: { Lvl: 'x' } })).toThrow(
      'Admin/Set: invalid OrganizationStackSet props (2 problems):\n  - the template\'s parameter Level has no default: give it a value in parameters\n  - parameters sets Lvl, which the template does not declare');
  });

  test('refuses capabilities that lack what the template needs', () => {
    const member = memberStack((m) => new iam.Role(m, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    expect(refusal({ template: StackSetTemplate.fromStack(member), capabilities: [StackSetCapability.AUTO_EXPAND] })).toThrow(
      `${PREFIX}capabilities lacks CAPABILITY_IAM, which the template needs`);
  });

  test('refuses at synthesis a template stack changed after the StackSet took its template', () => {
    const s = admin();
    const member = memberStack((m) => new sns.Topic(m, 'Topic'));
    new OrganizationStackSet(s, 'Set', props({ template: StackSetTemplate.fromStack(member) }));
    new sns.Topic(member, 'Late');
    expect(() => (s.node.root as App).synth()).toThrow(
      /Admin\/Set[\s\S]*the template stack Member changed after the StackSet took its template \(\d+ constructs then, \d+ now\): create the OrganizationStackSet once the stack is complete/);
  });

  test('passes the checks (cdk-nag AwsSolutions, NIST 800-53 R5, CloudFormation validation)', () => {
    const app = checkedApp();
    const s = new Stack(app, 'Admin', { env: { account: SECURITY, region: 'eu-west-1' } });
    new OrganizationStackSet(s, 'Set', props({
      template: StackSetTemplate.fromStack(memberStack((m) => new sns.Topic(m, 'Topic', { enforceSSL: true }))),
      callAs: StackSetCallAs.DELEGATED_ADMIN,
      regionConcurrency: RegionConcurrency.SEQUENTIAL,
    }));
    expect(() => synthWithChecks(app)).not.toThrow();
  });
});
