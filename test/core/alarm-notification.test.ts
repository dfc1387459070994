import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { addAlarmNotification, NotificationTopic } from '../../lib';
import { checkedApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function alarm(stack: Stack): cloudwatch.Alarm {
  return new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors', period: Duration.minutes(5) })
    .createAlarm(stack, 'Alarm', { threshold: 1, evaluationPeriods: 1 });
}

describe('addAlarmNotification', () => {
  test('the alarm action names the topic, and the topic policy admits CloudWatch for this alarm of this account only', async () => {
    const stack = new Stack(checkedApp(), 'Alarms', { env: ENV });
    const topic = new NotificationTopic(stack, 'Alerts');
    const a = alarm(stack);
    addAlarmNotification(a, topic.topic);
    synthWithChecks(stack.node.root as App);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertsTopic') }] });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '111111111111' },
          ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^Alarm'), 'Arn'] } },
        },
      })]) },
    });
    await expectPermissionsHold(stack);
  });

  test('a topic of the app encrypted with its own key: the key policy lets CloudWatch encrypt', async () => {
    const app = new App();
    const stack = new Stack(app, 'Alarms', { env: ENV });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key') });
    addAlarmNotification(alarm(stack), topic);
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      })]) },
    });
    await expectPermissionsHold(stack);
  });

  test('an imported topic is not skipped silently: the alarm carries a warning naming what its owner must allow', () => {
    const stack = new Stack(new App(), 'Alarms', { env: ENV });
    const a = alarm(stack);
    expect(addAlarmNotification(a, sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:eu-west-1:111111111111:ops'))).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('/Alarms/Alarm', Match.stringLikeRegexp('imported topic arn:aws:sns:eu-west-1:111111111111:ops: its topic policy must allow cloudwatch.amazonaws.com to sns:Publish'));
  });
});
