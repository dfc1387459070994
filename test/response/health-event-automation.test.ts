import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { HealthEventAutomation, Sandbox } from '../../lib';
import { memberBaseline } from '../../examples/response/member-baseline';
import { checkedApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';
import { allStates, stateMachineDefinition } from '../support/state-machine-definition';

describe('RSP-1 HealthEventAutomation', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(member.stack);
  });
  const member = memberBaseline(checkedApp());
  const template = Template.fromStack(member.stack);
  const definition = stateMachineDefinition(template, 'HealthEvents');
  const states = allStates(definition);

  test('AWS_RISK_CREDENTIALS_EXPOSED Health events start the workflow', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.health'],
        'detail-type': ['AWS Health Event'],
        detail: { service: ['RISK'], eventTypeCode: ['AWS_RISK_CREDENTIALS_EXPOSED'] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('DeactivateExposedKeys') } })],
    });
  });

  test('each exposed key is found and set to Inactive with IAM SDK integrations, never deleted', () => {
    expect(definition.States[definition.StartAt]).toMatchObject({ Type: 'Map', ItemsPath: '$.detail.affectedEntities' });
    expect(states.FindKeyOwner).toMatchObject({
      Resource: 'arn:TOKEN:states:::aws-sdk:iam:getAccessKeyLastUsed',
      Parameters: { 'AccessKeyId.$': '$.accessKeyId' },
      Next: 'DeactivateKey',
    });
    expect(states.DeactivateKey).toMatchObject({
      Resource: 'arn:TOKEN:states:::aws-sdk:iam:updateAccessKey',
      Parameters: { 'UserName.$': '$.owner.userName', 'AccessKeyId.$': '$.accessKeyId', Status: 'Inactive' },
      Next: 'NotifyDeactivated',
    });
    const resources = Object.values(states).map((s) => s.Resource ?? '');
    expect(resources.filter((r) => /deleteAccessKey|lambda/i.test(r))).toEqual([]);
    template.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('a failed deactivation notifies a person to act', () => {
    expect(states.DeactivateKey.Catch).toEqual([expect.objectContaining({ Next: 'NotifyDeactivationFailed' })]);
    expect(states.FindKeyOwner.Catch).toEqual([expect.objectContaining({ Next: 'NotifyDeactivationFailed' })]);
  });

  test('the role may only look up and update access keys of the account users', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['iam:getAccessKeyLastUsed', 'iam:updateAccessKey'],
        Resource: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':user/\\*$')])] },
      })]) },
    });
  });

  test('the workflow may use the notification topic key, so its SnsPublish tasks reach the encrypted topic', () => {
    // SnsPublish grants only sns:Publish; without the key, SNS refuses every message to the encrypted topic.
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^HealthEventsDeactivateExposedKeysRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecurityNotificationsKey'), 'Arn'] },
      })]) },
    });
  });

  test('scheduled changes (maintenance, instance retirement) are notified as a sentence a person can read', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.health'], 'detail-type': ['AWS Health Event'], detail: { eventTypeCategory: ['scheduledChange'] } },
      Targets: [Match.objectLike({
        InputTransformer: {
          InputPathsMap: Match.objectLike({ 'detail-eventTypeCode': '$.detail.eventTypeCode', 'detail-startTime': '$.detail.startTime' }),
          InputTemplate: Match.stringLikeRegexp('AWS Health scheduled change <detail-eventTypeCode> for <detail-service> in account <account>'),
        },
      })],
    });
  });

  test('without deactivation the exposed key is only notified, and services narrow the scheduled changes', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'NotifyOnly', { env: { account: '444444444444', region: 'us-east-1' } });
    new HealthEventAutomation(stack, 'Health', { deactivateExposedKeys: false, scheduledChangeServices: ['EC2', 'RDS'] });
    synthWithChecks(app);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { eventTypeCategory: ['scheduledChange'], service: ['EC2', 'RDS'] } },
    });
  });

  test('a topic of the user encrypted with its own key: EventBridge may publish and use the key for the notifications', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'OwnTopic', { env: { account: '444444444444', region: 'us-east-1' } });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }), enforceSSL: true });
    new HealthEventAutomation(stack, 'Health', { notificationTopic: topic, deactivateExposedKeys: false });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    t.resourceCountIs('AWS::Events::Rule', 2);
  });

  test('Sandbox.enable on the stack: the workflow log group and the topic key can be destroyed', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Sandboxed', { env: { account: '444444444444', region: 'us-east-1' } });
    Sandbox.enable(stack);
    new HealthEventAutomation(stack, 'Health');
    const t = Template.fromStack(stack);
    t.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    t.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('snapshot of the member baseline (deployed by the IAC-7 StackSet)', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
