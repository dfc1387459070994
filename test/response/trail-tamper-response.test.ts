import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Sandbox, TrailTamperResponse } from '../../lib';
import { memberBaseline } from '../../examples/response/member-baseline';
import { checkedApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';
import { allStates, stateMachineDefinition } from '../support/state-machine-definition';

describe('RSP-2 TrailTamperResponse', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(member.stack);
  });
  const member = memberBaseline(checkedApp());
  const template = Template.fromStack(member.stack);
  const definition = stateMachineDefinition(template, 'TrailTamper');
  const states = allStates(definition);

  test('the rule matches successful StopLogging, DeleteTrail and UpdateTrail calls on CloudTrail', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudtrail'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['cloudtrail.amazonaws.com'],
          eventName: ['StopLogging', 'DeleteTrail', 'UpdateTrail'],
          errorCode: [{ exists: false }],
        },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('TrailTamperResponse') }, RoleArn: Match.anyValue() })],
    });
  });

  test('the workflow turns logging back on with the StartLogging SDK integration, on the trail named in the event', () => {
    expect(states.StartLogging).toMatchObject({
      Type: 'Task',
      Resource: 'arn:TOKEN:states:::aws-sdk:cloudtrail:startLogging',
      Parameters: { 'Name.$': '$.detail.requestParameters.name' },
      Next: 'NotifyRestarted',
    });
    expect(states.StartLogging.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'NotifyRestartFailed' })]);
  });

  test('a deleted trail is not restarted: the workflow says so and notifies', () => {
    const choice = states[definition.StartAt];
    expect(choice.Type).toBe('Choice');
    expect(choice.Choices).toEqual([{ Variable: '$.detail.eventName', StringEquals: 'DeleteTrail', Next: 'NotifyDeleted' }]);
    expect(choice.Default).toBe('StartLogging');
    expect(states.NotifyDeleted.Resource).toBe('arn:TOKEN:states:::sns:publish');
    expect(JSON.stringify(states.NotifyDeleted.Parameters)).toContain('A deleted trail cannot be turned back on by StartLogging');
  });

  test('the role may call StartLogging only on the trails of its account and region, and starts no Lambda', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'cloudtrail:startLogging',
        Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':trail/\\*$')])] },
      })]) },
    });
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('the workflow may use the notification topic key, so its SnsPublish tasks reach the encrypted topic', () => {
    // SnsPublish grants only sns:Publish; without the key, SNS refuses every message to the encrypted topic.
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^TrailTamperResponseRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecurityNotificationsKey'), 'Arn'] },
      })]) },
    });
  });

  test('cloudtrail-enabled runs as a periodic Config rule, and non-compliance notifies', () => {
    template.hasResourceProperties('AWS::Config::ConfigRule', {
      Source: { Owner: 'AWS', SourceIdentifier: 'CLOUD_TRAIL_ENABLED' },
      MaximumExecutionFrequency: 'TwentyFour_Hours',
      Scope: Match.absent(),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.config'],
        detail: Match.objectLike({ newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } }),
      }),
    });
  });

  test('executions are logged to an encrypted log group with tracing on', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('non-compliance is notified as a sentence, and a topic of the user encrypted with its own key lets EventBridge use the key', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'OwnTopic', { env: { account: '444444444444', region: 'eu-west-1' } });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }), enforceSSL: true });
    new TrailTamperResponse(stack, 'Tamper', { notificationTopic: topic });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.config'] }),
      Targets: [Match.objectLike({
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('AWS Config rule <detail-configRuleName> found no enabled CloudTrail trail') }),
      })],
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  test('Sandbox.enable on the stack: the workflow log group and the topic key can be destroyed', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Sandboxed', { env: { account: '444444444444', region: 'eu-west-1' } });
    Sandbox.enable(stack);
    new TrailTamperResponse(stack, 'Tamper');
    const t = Template.fromStack(stack);
    t.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    t.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('the Config rule is optional, and the construct creates its own encrypted topic', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Plain', { env: { account: '444444444444', region: 'eu-west-1' } });
    new TrailTamperResponse(stack, 'Tamper', { configRule: false });
    synthWithChecks(app);
    const plain = Template.fromStack(stack);
    plain.resourceCountIs('AWS::Config::ConfigRule', 0);
    plain.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });
});
