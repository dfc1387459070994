import { Lazy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AccountBaseline, SCP_MAX_CHARACTERS, StackSetTemplate } from '../../lib';
import { addAccountBaselineExamples } from '../../examples/iac/account-baseline';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';
import { allStates, stateMachineDefinition } from '../support/state-machine-definition';

const MANAGEMENT = '111111111111';

describe('IAC-7 AccountBaseline', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const app = exampleTestApp();
  const stacks = addAccountBaselineExamples(app, exampleConfig(app));
  app.synth();
  const template = Template.fromStack(stacks.management);
  const definition = stateMachineDefinition(template);
  const states = allStates(definition);
  const scps = template.findResources('AWS::Organizations::Policy');
  const guardrail = Object.values(scps).find((r) => JSON.stringify(r).includes('DenyLeaveOrganization')) as { Properties: { Content: { Statement: Array<{ Sid: string; Action: string[] | string; Condition?: unknown }> }; TargetIds: string[] } };

  test('the example stack deploys to the management account', () => {
    expect(stacks.management.account).toBe(MANAGEMENT);
  });

  test('Control Tower CreateManagedAccount / UpdateManagedAccount events that succeeded start the workflow', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.controltower'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: {
          eventName: ['CreateManagedAccount', 'UpdateManagedAccount'],
          serviceEventDetails: { $or: [
            { createManagedAccountStatus: { state: ['SUCCEEDED'] } },
            { updateManagedAccountStatus: { state: ['SUCCEEDED'] } },
          ] },
        },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('BaselineDeploy') } })],
    });
  });

  test('the workflow deploys the StackSet to exactly the new account with createStackInstances', () => {
    expect(states.ReadcreateManagedAccountStatus.Parameters).toMatchObject({
      'accountId.$': '$.detail.serviceEventDetails.createManagedAccountStatus.account.accountId',
      'ouId.$': '$.detail.serviceEventDetails.createManagedAccountStatus.organizationalUnit.organizationalUnitId',
    });
    expect(states.CreateStackInstances).toMatchObject({
      Resource: 'arn:TOKEN:states:::aws-sdk:cloudformation:createStackInstances',
      Parameters: {
        StackSetName: 'member-baseline',
        CallAs: 'SELF',
        DeploymentTargets: { 'OrganizationalUnitIds.$': 'States.Array($.ouId)', 'Accounts.$': 'States.Array($.accountId)', AccountFilterType: 'INTERSECTION' },
        Regions: ['eu-west-1', 'eu-central-1', 'us-east-1'],
      },
      Next: 'WaitForOperation',
    });
    expect(states.CreateStackInstances.Retry).toEqual([expect.objectContaining({ ErrorEquals: ['CloudFormation.OperationInProgressException'] })]);
  });

  test('an updated account gets updateStackInstances, falling back to createStackInstances when it has no instance yet', () => {
    expect(states.UpdateStackInstances.Resource).toBe('arn:TOKEN:states:::aws-sdk:cloudformation:updateStackInstances');
    expect(states.UpdateStackInstances.Catch).toEqual([
      expect.objectContaining({ ErrorEquals: ['CloudFormation.StackInstanceNotFoundException'], Next: 'CreateStackInstances' }),
      expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'NotifyFailed' }),
    ]);
  });

  test('the workflow waits for the StackSet operation and notifies its result', () => {
    expect(states.DescribeOperation.Resource).toBe('arn:TOKEN:states:::aws-sdk:cloudformation:describeStackSetOperation');
    expect(JSON.stringify(states['OperationDone?'].Choices)).toContain('SUCCEEDED');
    expect(states.NotifyDeployed.Resource).toBe('arn:TOKEN:states:::sns:publish');
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('the baseline is a service-managed StackSet carrying the member baseline template, without auto-deployment', () => {
    template.hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'member-baseline',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: false },
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['ou-a1b2-c3d4e5f6'] }, Regions: ['eu-west-1', 'eu-central-1', 'us-east-1'] }],
      TemplateBody: Match.stringLikeRegexp('AWS_RISK_CREDENTIALS_EXPOSED'),
    });
    expect(stacks.memberBaseline.templateOptions.description).toMatch(/RSP-1.*RSP-2/);
  });

  test('the guardrail SCP on the workload OU denies leaving the organization and disabling CloudTrail, GuardDuty and Config; leaving is also denied on the root, for every account', () => {
    // Not on the root: there it would also bind the security and log archive accounts, whose
    // deployment roles administer GuardDuty, Config and trails.
    expect(guardrail.Properties.TargetIds).toEqual(['ou-a1b2-c3d4e5f6']);
    template.hasResourceProperties('AWS::Organizations::Policy', {
      Type: 'SERVICE_CONTROL_POLICY', Name: 'deny-leave-organization', TargetIds: ['r-ab12'],
      Content: { Statement: [Match.objectLike({ Effect: 'Deny', Action: 'organizations:LeaveOrganization' })] },
    });
    const bySid = Object.fromEntries(guardrail.Properties.Content.Statement.map((s) => [s.Sid, s]));
    expect(bySid.DenyLeaveOrganization.Action).toBe('organizations:LeaveOrganization');
    expect(bySid.DenyLeaveOrganization.Condition).toBeUndefined();
    expect(bySid.DenyCloudTrailTampering.Action).toEqual(expect.arrayContaining(['cloudtrail:StopLogging', 'cloudtrail:DeleteTrail']));
    expect(bySid.DenyGuardDutyDisabling.Action).toEqual(expect.arrayContaining(['guardduty:DeleteDetector', 'guardduty:DisassociateFromAdministratorAccount']));
    expect(bySid.DenyConfigDisabling.Action).toEqual(expect.arrayContaining(['config:StopConfigurationRecorder', 'config:DeleteConfigurationRecorder', 'config:DeleteDeliveryChannel']));
    expect(bySid.DenyCloudTrailTampering.Condition).toEqual({
      ArnNotLike: { 'aws:PrincipalArn': ['arn:*:iam::*:role/AWSControlTowerExecution', 'arn:*:iam::*:role/stacksets-exec-*'] },
    });
    template.hasResourceProperties('AWS::Organizations::Policy', { Type: 'SERVICE_CONTROL_POLICY', Name: 'deny-unapproved-regions-for-workloads', TargetIds: ['ou-a1b2-c3d4e5f6'] });
  });

  test('every SCP of the example is within the 5,120-character limit', () => {
    for (const scp of Object.values(scps) as Array<{ Properties: { Content: unknown } }>) {
      expect(JSON.stringify(scp.Properties.Content).length).toBeLessThanOrEqual(SCP_MAX_CHARACTERS);
    }
  });

  test('the workflow role is limited to the one StackSet', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['cloudformation:createStackInstances', 'cloudformation:describeStackSetOperation', 'cloudformation:updateStackInstances'],
        Resource: [
          `arn:aws:cloudformation:eu-west-1:${MANAGEMENT}:stackset-target/member-baseline:*`,
          `arn:aws:cloudformation:eu-west-1:${MANAGEMENT}:stackset/member-baseline:*`,
        ],
      })]) },
    });
  });

  test('the workflow may use the notification topic key, so its SnsPublish tasks reach the encrypted topic', () => {
    // SnsPublish grants only sns:Publish; without the key, SNS refuses every message to the encrypted topic.
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^BaselineDeployRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BaselineNotificationsKey'), 'Arn'] },
      })]) },
    });
  });
});

describe('sandbox mode', () => {
  test('-c sandbox=true leaves no retained resource in the management stack or in the member baseline template', () => {
    const app = checkedApp({ sandbox: 'true' });
    const stacks = addAccountBaselineExamples(app, exampleConfig(app));
    synthWithChecks(app);
    const management = Template.fromStack(stacks.management).toJSON();
    const stackSet = Object.values(management.Resources as Record<string, { Type: string; Properties: { TemplateBody: string } }>)
      .find((r) => r.Type === 'AWS::CloudFormation::StackSet')!;
    for (const template of [management, JSON.parse(stackSet.Properties.TemplateBody)]) {
      const retained = Object.entries(template.Resources as Record<string, { DeletionPolicy?: string }>)
        .filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate');
      expect(retained.map(([id]) => id)).toEqual([]);
    }
  });
});

describe('IAC-7 AccountBaseline refusals', () => {
  function stack(): Stack {
    return new Stack(checkedApp(), 'Mgmt', { env: { account: MANAGEMENT, region: 'eu-west-1' } });
  }

  test('refuses an SCP document over the 5,120-character limit, measured as minified JSON', () => {
    const big = new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: Array.from({ length: 300 }, (_, i) => `ec2:DescribeSomething${i}`),
        resources: ['*'],
      })],
    });
    const s = stack();
    const size = AccountBaseline.minifiedSize(s, big);
    expect(size).toBeGreaterThan(SCP_MAX_CHARACTERS);
    expect(() => new AccountBaseline(s, 'Baseline', {
      stackSetName: 'member-baseline', regions: ['eu-west-1'], guardrailTargetIds: ['r-ab12'],
      serviceControlPolicies: [{ name: 'too-big', document: big, targetIds: ['ou-a1b2-c3d4e5f6'] }],
    })).toThrow(new RegExp(`^Mgmt/Baseline: invalid AccountBaseline props \\(1 problem\\):\\n {2}- SCP "too-big" is ${size} characters as minified JSON, over the 5120-character limit`));
  });

  test('lists every problem at once', () => {
    expect(() => new AccountBaseline(stack(), 'Baseline', {
      regions: [], guardrailTargetIds: ['root'], organizationalUnitIds: ['ou-a1b2-c3d4e5f6'],
    })).toThrow(/\(4 problems\)[\s\S]*regions is empty[\s\S]*baselineTemplate \(a new StackSet\) or stackSetName[\s\S]*organizationalUnitIds needs baselineTemplate[\s\S]*guardrailTargetIds\[0\] must be a root id \(r-\.\.\.\), an organizational unit id \(ou-\.\.\.\) or a 12-digit account id, got "root"/);
  });

  test('refuses an account id among organizationalUnitIds: StackSet deployment targets are OUs or the root', () => {
    expect(() => new AccountBaseline(stack(), 'Baseline', {
      baselineTemplate: StackSetTemplate.fromObject({}), regions: ['eu-west-1'], guardrailTargetIds: ['123456789012'], organizationalUnitIds: ['123456789012'],
    })).toThrow('Mgmt/Baseline: invalid AccountBaseline props (1 problem):\n  - organizationalUnitIds[0] must be an organizational unit id (ou-...) or a root id (r-...), got "123456789012"');
  });

  test('refuses an SCP target that is no root, OU or account id, naming the policy', () => {
    expect(() => new AccountBaseline(stack(), 'Baseline', {
      stackSetName: 'member-baseline', regions: ['eu-west-1'], guardrailTargetIds: [],
      serviceControlPolicies: [{ name: 'p', document: AccountBaseline.guardrailDocument(), targetIds: ['r-ab12', 'ou-1'] }],
    })).toThrow('Mgmt/Baseline: invalid AccountBaseline props (1 problem):\n  - serviceControlPolicies[0].targetIds[1] must be a root id (r-...), an organizational unit id (ou-...) or a 12-digit account id, got "ou-1"');
  });

  test('ids that are tokens are accepted (checked by Organizations at deployment)', () => {
    const s = stack();
    const ou = Lazy.string({ produce: () => 'ou-a1b2-c3d4e5f6' });
    expect(() => new AccountBaseline(s, 'Baseline', { baselineTemplate: StackSetTemplate.fromObject({}), regions: ['eu-west-1'], guardrailTargetIds: [ou], organizationalUnitIds: [ou] })).not.toThrow();
  });

  test('a statement added to an SCP document after the constructor is in the deployed policy', () => {
    const s = stack();
    const document = new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ sid: 'First', effect: iam.Effect.DENY, actions: ['ec2:DeleteVpc'], resources: ['*'] })] });
    new AccountBaseline(s, 'Baseline', {
      stackSetName: 'member-baseline', regions: ['eu-west-1'], guardrailTargetIds: [],
      serviceControlPolicies: [{ name: 'late', document, targetIds: ['ou-a1b2-c3d4e5f6'] }],
    });
    document.addStatements(new iam.PolicyStatement({ sid: 'AddedLater', effect: iam.Effect.DENY, actions: ['ec2:DeleteSubnet'], resources: ['*'] }));
    Template.fromStack(s).hasResourceProperties('AWS::Organizations::Policy', {
      Name: 'late',
      Content: { Statement: [Match.objectLike({ Sid: 'First' }), Match.objectLike({ Sid: 'AddedLater', Action: 'ec2:DeleteSubnet' })] },
    });
  });

  test('an SCP document whose size is known only at synthesis (tokens) is measured then, and refused if too big', () => {
    const s = stack();
    const actions = Lazy.list({ produce: () => Array.from({ length: 300 }, (_, i) => `ec2:DescribeSomething${i}`) });
    const document = new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions, resources: ['*'] })] });
    expect(() => new AccountBaseline(s, 'Baseline', {
      stackSetName: 'member-baseline', regions: ['eu-west-1'], guardrailTargetIds: [],
      serviceControlPolicies: [{ name: 'lazy', document, targetIds: ['ou-a1b2-c3d4e5f6'] }],
    })).not.toThrow();
    expect(() => synthWithChecks(s.node.root as never)).toThrow(/Mgmt\/Baseline[\s\S]*SCP "lazy" is \d+ characters as minified JSON, over the 5120-character limit of AWS Organizations/);
  });

  test('refuses a baseline template over the StackSet TemplateBody limit', () => {
    expect(() => new AccountBaseline(stack(), 'Baseline', {
      baselineTemplate: StackSetTemplate.fromObject({ Description: 'x'.repeat(52000) }), regions: ['eu-west-1'], guardrailTargetIds: [],
    })).toThrow(/^Mgmt\/Baseline\/StackSet: invalid OrganizationStackSet props[\s\S]*the template is \d+ bytes, over the 51200-byte TemplateBody limit/);
  });

  test('an existing StackSet can be deployed without guardrails', () => {
    const s = stack();
    new AccountBaseline(s, 'Baseline', { stackSetName: 'org-baseline', regions: ['eu-west-1'], guardrailTargetIds: [] });
    synthWithChecks(s.node.root as never);
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Organizations::Policy', 0);
    t.resourceCountIs('AWS::CloudFormation::StackSet', 0);
  });
});
