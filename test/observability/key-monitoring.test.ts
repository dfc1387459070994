import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { KeyMonitoring } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addAuditTrailExamples } from '../../examples/observability/audit-trail';
import { addKeyMonitoringExamples } from '../../examples/observability/key-monitoring';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Keys', { env: ENV });
}

describe('OBS-7 KeyMonitoring', () => {
  const app = exampleTestApp();
  const trails = addAuditTrailExamples(app, exampleConfig(app));
  const { keyMonitoring } = addKeyMonitoringExamples(app, exampleConfig(app), trails);
  app.synth();
  const example = Template.fromStack(keyMonitoring);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold([keyMonitoring]);
  });

  test('an EventBridge rule catches DisableKey and ScheduleKeyDeletion on the watched key and tells a person in words', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.kms'],
        'detail-type': ['AWS API Call via CloudTrail'],
        'detail': { eventSource: ['kms.amazonaws.com'], eventName: ['DisableKey', 'ScheduleKeyDeletion'], resources: { ARN: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysKey'), 'Arn'] }] } },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^KeysNotificationsTopic') },
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('called <detail-eventName> on KMS key <detail-requestParameters-keyId>') }),
      })],
    });
  });

  test('the key it creates rotates yearly', () => {
    example.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('watched by') });
  });

  test('on the trail\'s log group: a metric filter per call on the watched key, and an alarm on each that notifies', () => {
    for (const call of ['DisableKey', 'ScheduleKeyDeletion']) {
      example.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: { 'Fn::Join': ['', [`{ ($.eventSource = "kms.amazonaws.com") && ($.eventName = "${call}") && ($.resources[0].ARN = "`, { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysKey'), 'Arn'] }, '") }']] },
        MetricTransformations: [{ MetricNamespace: 'DevOpsPatterns/KMS', MetricName: `${call}Calls`, MetricValue: '1', DefaultValue: 0 }],
      });
      example.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: `${call}Calls`, Namespace: 'DevOpsPatterns/KMS', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^KeysNotificationsTopic') }],
      });
    }
  });

  test('without a trail log group, only the rule: no metric filter, no alarm', () => {
    const s = stack();
    new KeyMonitoring(s, 'Keys', { keys: [new kms.Key(s, 'Data', { enableKeyRotation: true })] });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Logs::MetricFilter', 0);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.resourceCountIs('AWS::Events::Rule', 1);
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a);
    new KeyMonitoring(s, 'Keys', { cloudTrailLogGroup: logs.LogGroup.fromLogGroupName(s, 'Trail', 'organization-trail') });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(2);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(1);
  });
});

describe('OBS-7 KeyMonitoring refusals', () => {
  test('refuses an empty list of keys', () => {
    expect(() => new KeyMonitoring(stack(), 'Keys', { keys: [] }))
      .toThrow('Keys/Keys: invalid KeyMonitoring props (1 problem):\n  - keys must name at least one key (leave it out to create one)');
  });

  test('refuses more keys than one metric filter pattern holds', () => {
    const s = stack();
    const keys = Array.from({ length: 9 }, (_, i) => kms.Key.fromKeyArn(s, `K${i}`, `arn:aws:kms:eu-west-1:111111111111:key/0000000${i}-0000-0000-0000-000000000000`));
    expect(() => new KeyMonitoring(s, 'Keys', { keys, cloudTrailLogGroup: logs.LogGroup.fromLogGroupName(s, 'Trail', 'trail') }))
      .toThrow('Keys/Keys: invalid KeyMonitoring props (1 problem):\n  - with cloudTrailLogGroup, at most 8 keys fit in one metric filter pattern (1,024 characters), got 9: use one KeyMonitoring per group of keys');
  });
});
