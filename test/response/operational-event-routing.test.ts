import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ChatChannel, CodeBuildBuildStatus, EcsStopCode, OperationalEvent, OperationalEventRouting, RdsEventType,
} from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addOperationalEventRoutingExamples } from '../../examples/response/operational-event-routing';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Ops', { env: ENV });
}

const ALL_ROUTES = (): OperationalEvent[] => [
  OperationalEvent.autoScaling(), OperationalEvent.codeBuild(), OperationalEvent.codeDeploy(), OperationalEvent.codePipeline(),
  OperationalEvent.ecs(), OperationalEvent.rds(), OperationalEvent.configCompliance(), OperationalEvent.guardDuty(), OperationalEvent.health(),
];

const SLACK = { workspaceId: 'T0123ABCD', channelId: 'C0123ABCDEF' };

/** The parts of a synthesized rule the tests read. */
interface RuleProperties {
  readonly EventPattern: Record<string, unknown> & { detail?: unknown; source: string[] };
  readonly Targets: Array<{ Input?: string; InputTransformer: { InputPathsMap: Record<string, string> } }>;
}

/** The properties of the rule that `route` alone makes. */
function ruleOf(route: OperationalEvent): RuleProperties {
  const s = stack();
  new OperationalEventRouting(s, 'Ops', { routes: [route] });
  const rules = Template.fromStack(s).findResources('AWS::Events::Rule');
  return Object.values(rules)[0].Properties;
}

/** The event fields a rule's message reads, as JSON paths. */
function pathsOf(rule: RuleProperties): string[] {
  return Object.values(rule.Targets[0].InputTransformer.InputPathsMap);
}

describe('RSP-4 OperationalEventRouting', () => {
  const app = exampleTestApp();
  const { operationalEvents } = addOperationalEventRoutingExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(operationalEvents);

  test('every service-to-service edge of the example stack is allowed by its policies (permission test)', async () => {
    const report = await expectPermissionsHold([operationalEvents]);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(18);
    expect(report.edgeKinds['chatbot assumes its role']).toBe(1);
  });

  test('one rule per route, each for the events of its own service', () => {
    example.resourceCountIs('AWS::Events::Rule', 9);
    const sources = Object.values(example.findResources('AWS::Events::Rule')).map((r) => (r.Properties as RuleProperties).EventPattern.source[0]).sort();
    expect(sources).toEqual(['aws.autoscaling', 'aws.codebuild', 'aws.codedeploy', 'aws.codepipeline', 'aws.config', 'aws.ecs', 'aws.guardduty', 'aws.health', 'aws.rds']);
  });

  test('each rule tells the topic in words and posts the same words to the chat channel as a custom notification', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.codebuild'], 'detail-type': ['CodeBuild Build State Change'], 'detail': { 'build-status': ['FAILED'] } },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^OperationsTopic[0-9A-F]{8}$') },
          InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('^"CodeBuild project <detail-project-name>: build <detail-build-id> is <detail-build-status>') }),
        }),
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^OperationsChatNotificationsTopic') },
          InputTransformer: Match.objectLike({
            InputTemplate: Match.stringLikeRegexp('^\\{"version":"1.0","source":"custom","content":\\{"title":"CodeBuild","description":"CodeBuild project <detail-project-name>: build <detail-build-id>'),
          }),
        }),
      ],
    });
  });

  test('both topics are encrypted with keys that let EventBridge publish', () => {
    example.resourceCountIs('AWS::SNS::Topic', 2);
    for (const topic of Object.values(example.findResources('AWS::SNS::Topic'))) {
      expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    }
    example.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  test('the Slack channel: the chat topic, a role only Amazon Q Developer assumes with no permission, and a guardrail that denies every action', () => {
    example.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      ConfigurationName: 'workload-operations',
      SlackWorkspaceId: 'T00000000',
      SlackChannelId: 'C0000000000',
      LoggingLevel: 'NONE',
      SnsTopicArns: [{ Ref: Match.stringLikeRegexp('^OperationsChatNotificationsTopic') }],
      IamRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OperationsChatRole'), 'Arn'] },
      GuardrailPolicies: [{ Ref: Match.stringLikeRegexp('^OperationsChatGuardrail') }],
    });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' }, Action: 'sts:AssumeRole' })] },
    });
    const roleId = Object.keys(example.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('chat channel') } }))[0];
    const attached = Object.values(example.findResources('AWS::IAM::ManagedPolicy')).filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(roleId));
    expect(attached).toHaveLength(0);
    expect(example.findResources('AWS::IAM::Policy')).toEqual({});
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] },
    });
  });

  test('default filters: failed launches and terminations, failed and stopped builds, failed and stopped deployments, failed executions', () => {
    expect(ruleOf(OperationalEvent.autoScaling()).EventPattern).toEqual({
      'source': ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Unsuccessful', 'EC2 Instance Terminate Unsuccessful'],
    });
    expect(ruleOf(OperationalEvent.codeBuild()).EventPattern.detail).toEqual({ 'build-status': ['FAILED', 'STOPPED'] });
    expect(ruleOf(OperationalEvent.codeDeploy()).EventPattern).toEqual({
      'source': ['aws.codedeploy'], 'detail-type': ['CodeDeploy Deployment State-change Notification'], 'detail': { state: ['FAILURE', 'STOP'] },
    });
    expect(ruleOf(OperationalEvent.codePipeline()).EventPattern).toEqual({
      'source': ['aws.codepipeline'], 'detail-type': ['CodePipeline Pipeline Execution State Change'], 'detail': { state: ['FAILED'] },
    });
  });

  test('default filters: stopped ECS tasks whose essential container exited or that failed to start, RDS failover and failure, non-compliant resources, Health issues and scheduled changes', () => {
    expect(ruleOf(OperationalEvent.ecs()).EventPattern).toEqual({
      'source': ['aws.ecs'], 'detail-type': ['ECS Task State Change'],
      'detail': { lastStatus: ['STOPPED'], stopCode: ['EssentialContainerExited', 'TaskFailedToStart'] },
    });
    expect(ruleOf(OperationalEvent.rds()).EventPattern).toEqual({
      'source': ['aws.rds'], 'detail-type': ['RDS DB Instance Event', 'RDS DB Cluster Event'], 'detail': { EventCategories: ['failover', 'failure'] },
    });
    expect(ruleOf(OperationalEvent.configCompliance()).EventPattern.detail).toEqual({ newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } });
    expect(ruleOf(OperationalEvent.health()).EventPattern).toEqual({
      'source': ['aws.health'], 'detail-type': ['AWS Health Event'], 'detail': { eventTypeCategory: ['issue', 'scheduledChange'] },
    });
  });

  test('GuardDuty findings are matched numerically at or above the severity', () => {
    expect(ruleOf(OperationalEvent.guardDuty()).EventPattern.detail).toEqual({ severity: [{ numeric: ['>=', 7] }] });
    expect(ruleOf(OperationalEvent.guardDuty({ minSeverity: 4 })).EventPattern.detail).toEqual({ severity: [{ numeric: ['>=', 4] }] });
  });

  test('filters given are the filters in the pattern', () => {
    expect(ruleOf(OperationalEvent.codeBuild({ projectNames: ['api'], states: [CodeBuildBuildStatus.SUCCEEDED] })).EventPattern.detail)
      .toEqual({ 'project-name': ['api'], 'build-status': ['SUCCEEDED'] });
    expect(ruleOf(OperationalEvent.ecs({ clusterArns: ['arn:aws:ecs:eu-west-1:111111111111:cluster/web'], stopCodes: [EcsStopCode.SPOT_INTERRUPTION] })).EventPattern.detail)
      .toEqual({ clusterArn: ['arn:aws:ecs:eu-west-1:111111111111:cluster/web'], lastStatus: ['STOPPED'], stopCode: ['SpotInterruption'] });
    expect(ruleOf(OperationalEvent.rds({ detailTypes: [RdsEventType.DB_CLUSTER], sourceIdentifiers: ['orders'] })).EventPattern)
      .toEqual({ 'source': ['aws.rds'], 'detail-type': ['RDS DB Cluster Event'], 'detail': { EventCategories: ['failover', 'failure'], SourceIdentifier: ['orders'] } });
  });

  test('each message reads fields the service puts in its event (per its documented detail schema)', () => {
    const expected: Array<[OperationalEvent, string[]]> = [
      [OperationalEvent.autoScaling(), ['$.detail.AutoScalingGroupName', '$.detail.EC2InstanceId', '$.detail.StatusCode', '$.detail.Cause', '$.detail.StatusMessage']],
      [OperationalEvent.codeBuild(), ['$.detail.project-name', '$.detail.build-id', '$.detail.build-status']],
      [OperationalEvent.codeDeploy(), ['$.detail.application', '$.detail.deploymentGroup', '$.detail.deploymentId', '$.detail.state']],
      [OperationalEvent.codePipeline(), ['$.detail.pipeline', '$.detail.execution-id', '$.detail.state']],
      [OperationalEvent.ecs(), ['$.detail.taskArn', '$.detail.group', '$.detail.clusterArn', '$.detail.stopCode', '$.detail.stoppedReason']],
      [OperationalEvent.rds(), ['$.detail.SourceType', '$.detail.SourceIdentifier', '$.detail.Message', '$.detail.EventID', '$.detail.Date']],
      [OperationalEvent.configCompliance(), ['$.detail.configRuleName', '$.detail.resourceType', '$.detail.resourceId', '$.detail.newEvaluationResult.complianceType', '$.detail.awsAccountId', '$.detail.awsRegion']],
      [OperationalEvent.guardDuty(), ['$.detail.type', '$.detail.severity', '$.detail.accountId', '$.detail.region', '$.detail.title', '$.detail.id']],
      [OperationalEvent.health(), ['$.detail.eventTypeCategory', '$.detail.service', '$.detail.eventTypeCode', '$.detail.startTime', '$.detail.eventDescription[0].latestDescription', '$.detail.eventArn']],
    ];
    for (const [route, paths] of expected) {
      const detailPaths = pathsOf(ruleOf(route)).filter((p) => p.startsWith('$.detail.'));
      expect(detailPaths.sort()).toEqual([...paths].sort());
    }
  });

  test('a custom route keeps its own pattern and message', () => {
    const rule = ruleOf(OperationalEvent.custom({
      name: 'Backup', description: 'Failed AWS Backup jobs',
      eventPattern: { source: ['aws.backup'], detailType: ['Backup Job State Change'], detail: { state: ['FAILED'] } },
      message: 'Backup job failed.',
    }));
    expect(rule.EventPattern).toEqual({ 'source': ['aws.backup'], 'detail-type': ['Backup Job State Change'], 'detail': { state: ['FAILED'] } });
    expect(rule.Targets[0].Input).toBe('"Backup job failed."');
  });

  test('two routes of the same service get two rules', () => {
    const s = stack();
    const routing = new OperationalEventRouting(s, 'Ops', { routes: [OperationalEvent.codeBuild({ projectNames: ['a'] }), OperationalEvent.codeBuild({ projectNames: ['b'] })] });
    expect(routing.rules.map((r) => r.node.id)).toEqual(['CodeBuild', 'CodeBuild2']);
  });

  test('without a chat channel: one topic, one target per rule, no chat configuration', () => {
    const s = stack();
    new OperationalEventRouting(s, 'Ops', { routes: [OperationalEvent.codePipeline()] });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::Chatbot::SlackChannelConfiguration', 0);
    expect(Object.values(t.findResources('AWS::Events::Rule'))[0].Properties.Targets).toHaveLength(1);
  });

  test('a Microsoft Teams channel, with guardrails and logging of your own', () => {
    const s = stack();
    const readOnly = iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess');
    new OperationalEventRouting(s, 'Ops', {
      routes: [OperationalEvent.health()],
      chatChannel: ChatChannel.microsoftTeams({
        teamId: '01234567-89ab-cdef-0123-456789abcdef', tenantId: 'fedcba98-7654-3210-fedc-ba9876543210', channelId: '19%3aops%40thread.tacv2',
        guardrailPolicies: [readOnly], loggingLevel: chatbot.LoggingLevel.ERROR,
      }),
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      ConfigurationName: Match.stringLikeRegexp('^Ops-[A-Za-z0-9-]+$'),
      TeamId: '01234567-89ab-cdef-0123-456789abcdef',
      TeamsTenantId: 'fedcba98-7654-3210-fedc-ba9876543210',
      TeamsChannelId: '19%3aops%40thread.tacv2',
      LoggingLevel: 'ERROR',
      GuardrailPolicies: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/CloudWatchReadOnlyAccess']] }],
      SnsTopicArns: [{ Ref: Match.stringLikeRegexp('^OpsChatNotificationsTopic') }],
    });
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  test('the generated configuration name stays within 128 characters for a deep construct path', () => {
    const s = new Stack(new App({ context: cdkJsonContext() }), 'A'.repeat(120), { env: ENV });
    new OperationalEventRouting(s, 'B'.repeat(200), { routes: [OperationalEvent.ecs()], chatChannel: ChatChannel.slack(SLACK) });
    const name = Object.values(Template.fromStack(s).findResources('AWS::Chatbot::SlackChannelConfiguration'))[0].Properties.ConfigurationName as string;
    expect(name.length).toBeLessThanOrEqual(128);
    expect(name).toMatch(/^[A-Za-z0-9-_]+$/);
  });

  test('passes the checks and the permission test on its own, every route with a Slack channel', async () => {
    const a = checkedApp();
    const s = stack(a);
    new OperationalEventRouting(s, 'Ops', { routes: ALL_ROUTES(), chatChannel: ChatChannel.slack(SLACK) });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(18);
    expect(report.edgeKinds['chatbot assumes its role']).toBe(1);
  });
});

describe('RSP-4 OperationalEventRouting refusals', () => {
  const refused = (props: ConstructorParameters<typeof OperationalEventRouting>[2]) => () => new OperationalEventRouting(stack(), 'Ops', props);

  test('refuses an empty list of routes', () => {
    expect(refused({ routes: [] }))
      .toThrow('Ops/Ops: invalid OperationalEventRouting props (1 problem):\n  - routes must list at least one route: an empty list routes no event to anyone');
  });

  test('refuses an empty filter list (an empty event pattern field)', () => {
    expect(refused({ routes: [OperationalEvent.codeBuild({ states: [] })] }))
      .toThrow('  - codeBuild: states must list at least one value: an empty list is an empty event pattern field (leave it out for the default)');
    expect(refused({ routes: [OperationalEvent.autoScaling({ groupNames: [] })] }))
      .toThrow('  - autoScaling: groupNames must list at least one value');
  });

  test('refuses a custom route without a source or a detail type', () => {
    expect(refused({ routes: [OperationalEvent.custom({ description: 'Everything', eventPattern: {}, message: 'Something happened.' })] }))
      .toThrow('Ops/Ops: invalid OperationalEventRouting props (2 problems):\n'
        + '  - custom route Custom: eventPattern.source must list at least one value: an empty list is an empty event pattern field (leave it out for the default)\n'
        + '  - custom route Custom: eventPattern.detailType must list at least one value: an empty list is an empty event pattern field (leave it out for the default)');
  });

  test('refuses a custom route with an empty message', () => {
    expect(refused({ routes: [OperationalEvent.custom({ description: 'Backups', eventPattern: { source: ['aws.backup'], detailType: ['Backup Job State Change'] }, message: ' ' })] }))
      .toThrow('  - custom route Custom: message must not be empty');
  });

  test('refuses a GuardDuty severity outside GuardDuty\'s scale', () => {
    expect(refused({ routes: [OperationalEvent.guardDuty({ minSeverity: 11 })] }))
      .toThrow('  - guardDuty: minSeverity must be between 1 and 10 (GuardDuty\'s severity scale), got 11');
  });

  test('refuses Slack ids CloudFormation would refuse', () => {
    expect(refused({ routes: [OperationalEvent.ecs()], chatChannel: ChatChannel.slack({ workspaceId: 'my-workspace', channelId: '#ops' }) }))
      .toThrow('Ops/Ops: invalid OperationalEventRouting props (2 problems):\n'
        + '  - chatChannel.workspaceId must be a Slack workspace id (upper-case letters and digits, from the Amazon Q Developer console), got "my-workspace"\n'
        + '  - chatChannel.channelId must be a Slack channel id (letters and digits), got "#ops"');
  });

  test('refuses Teams ids CloudFormation would refuse', () => {
    expect(refused({ routes: [OperationalEvent.ecs()], chatChannel: ChatChannel.microsoftTeams({ teamId: 'ops', tenantId: 'contoso', channelId: 'General' }) }))
      .toThrow('(3 problems):\n'
        + '  - chatChannel.teamId must be a Microsoft Teams team id (a UUID, from the Amazon Q Developer console), got "ops"\n'
        + '  - chatChannel.tenantId must be a Microsoft Entra tenant id (a UUID), got "contoso"\n'
        + '  - chatChannel.channelId must be a URL-encoded Teams channel id such as 19%3a...%40thread.tacv2, got "General"');
  });

  test('refuses a configuration name CloudFormation would refuse', () => {
    expect(refused({ routes: [OperationalEvent.ecs()], chatChannel: ChatChannel.slack({ ...SLACK, configurationName: 'ops alerts' }) }))
      .toThrow('  - chatChannel.configurationName must be letters, digits, - and _ (at most 128), got "ops alerts"');
  });

  test('lists every problem of every route at once', () => {
    expect(refused({ routes: [OperationalEvent.codeBuild({ states: [] }), OperationalEvent.guardDuty({ minSeverity: 0 }), OperationalEvent.health({ services: [] })] }))
      .toThrow(/\(3 problems\)/);
  });
});
