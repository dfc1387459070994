import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ServiceLimitMonitoring, ServiceQuota, ServiceQuotas } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addServiceLimitMonitoringExamples } from '../../examples/observability/service-limit-monitoring';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ACCOUNT = '111111111111';

function stack(region = 'eu-west-1', app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Limits', { env: { account: ACCOUNT, region } });
}

const PREFIX = 'Limits/Limits: invalid ServiceLimitMonitoring props (1 problem):\n  - ';

describe('OBS-8 ServiceLimitMonitoring', () => {
  const app = exampleTestApp();
  const examples = addServiceLimitMonitoringExamples(app, exampleConfig(app));
  app.synth();
  const usEast1 = Template.fromStack(examples.trustedAdvisor);
  const regional = Template.fromStack(examples.regional);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(examples));
  });

  test('a quota alarm compares the AWS/Usage metric with SERVICE_QUOTA() in percent and notifies', () => {
    regional.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 75,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^LimitsNotificationsTopic') }],
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'm1 / SERVICE_QUOTA(m1) * 100', ReturnData: true }),
        Match.objectLike({
          Id: 'm1',
          ReturnData: false,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Usage',
              MetricName: 'ResourceCount',
              Dimensions: [
                { Name: 'Class', Value: 'Standard/OnDemand' }, { Name: 'Resource', Value: 'vCPU' },
                { Name: 'Service', Value: 'EC2' }, { Name: 'Type', Value: 'Resource' },
              ],
            },
            Period: 300,
            Stat: 'Maximum',
          },
        }),
      ]),
    });
  });

  test('one quota alarm per quota, in each region\'s stack', () => {
    for (const t of [usEast1, regional]) {
      const alarms = t.findResources('AWS::CloudWatch::Alarm', { Properties: { Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('SERVICE_QUOTA') })]) } });
      expect(Object.keys(alarms)).toHaveLength(2);
    }
    regional.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: Match.arrayWith([{ Name: 'Service', Value: 'Fargate' }]) }) }) })]),
    });
  });

  test('outside us-east-1 there is no Trusted Advisor rule or alarm', () => {
    regional.resourceCountIs('AWS::Events::Rule', 0);
    expect(JSON.stringify(regional.toJSON())).not.toContain('AWS/TrustedAdvisor');
    expect(examples.regional.monitoring.watchesTrustedAdvisor).toBe(false);
  });

  test('in us-east-1, a ServiceLimitUsage alarm per Trusted Advisor limit, keeping its state between refreshes, notifies', () => {
    usEast1.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/TrustedAdvisor',
      MetricName: 'ServiceLimitUsage',
      Dimensions: [
        { Name: 'Region', Value: 'eu-west-1' }, { Name: 'ServiceLimit', Value: 'Stacks' }, { Name: 'ServiceName', Value: 'CloudFormation' },
      ],
      Statistic: 'Maximum',
      Threshold: 80,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^LimitsNotificationsTopic') }],
    });
    expect(examples.trustedAdvisor.monitoring.trustedAdvisorAlarms).toHaveLength(2);
  });

  test('in us-east-1, service-limit checks that turn WARN or ERROR reach the topic as a sentence', () => {
    usEast1.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.trustedadvisor'],
        'detail-type': ['Trusted Advisor Check Item Refresh Notification'],
        'detail': { 'status': ['WARN', 'ERROR'], 'check-item-detail': { 'Limit Name': [{ exists: true }] } },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^LimitsNotificationsTopic') },
        InputTransformer: Match.objectLike({
          InputTemplate: Match.stringLikeRegexp('Trusted Advisor service limit check \\\\"<detail-check-name>\\\\" is <detail-status> for <detail-check-item-detail-Service> in <detail-check-item-detail-Region>'),
        }),
      })],
    });
  });

  test('the alarms and the rule publish to one encrypted topic whose key lets CloudWatch and EventBridge use it', () => {
    usEast1.resourceCountIs('AWS::SNS::Topic', 1);
    usEast1.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    usEast1.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
  });

  test('the default watches EC2 On-Demand Standard vCPUs at 80 %', () => {
    const s = stack();
    const m = new ServiceLimitMonitoring(s, 'Limits');
    expect(m.thresholdPercent).toBe(80);
    expect(m.quotaAlarms).toHaveLength(1);
    Template.fromStack(s).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 80,
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: Match.arrayWith([{ Name: 'Class', Value: 'Standard/OnDemand' }]) }) }) })]),
    });
  });

  test('a quota of API calls uses its own metric name and statistic', () => {
    const s = stack();
    const calls: ServiceQuota = { name: 'CloudWatch PutMetricData calls', service: 'CloudWatch', usageType: 'API', resource: 'PutMetricData', resourceClass: 'None', metricName: 'CallCount', statistic: 'Sum' };
    new ServiceLimitMonitoring(s, 'Limits', { quotas: [calls] });
    Template.fromStack(s).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'CallCount' }), Stat: 'Sum' }) })]),
    });
  });

  test('in a stack without a region, Trusted Advisor is only watched when asked, with a warning that it needs us-east-1', () => {
    // A plain App: with cdk.json's context, warnings are errors at synth.
    const a = new App();
    const agnostic = new Stack(a, 'Agnostic');
    expect(new ServiceLimitMonitoring(agnostic, 'Default').watchesTrustedAdvisor).toBe(false);
    new ServiceLimitMonitoring(agnostic, 'Asked', { trustedAdvisor: true });
    Annotations.fromStack(agnostic).hasWarning('/Agnostic/Asked', Match.stringLikeRegexp('work only when it is deployed to us-east-1'));
  });

  test('passes the checks and the permission test on its own, in us-east-1', async () => {
    const a = checkedApp();
    const s = stack('us-east-1', a);
    new ServiceLimitMonitoring(s, 'Limits', {
      quotas: [ServiceQuotas.fargateSpotVcpus()],
      trustedAdvisorLimits: [{ serviceName: 'AutoScaling', serviceLimit: 'Launch configurations', region: 'us-east-1' }],
    });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(2);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(1);
  });
});

describe('OBS-8 ServiceLimitMonitoring refusals', () => {
  test.each([0, -5, 100.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses thresholdPercent %p', (value) => {
    expect(() => new ServiceLimitMonitoring(stack(), 'Limits', { thresholdPercent: value }))
      .toThrow(`${PREFIX}thresholdPercent must be a number greater than 0 and at most 100 (a percentage of the quota), got ${value}`);
  });

  test('refuses a thresholdPercent that is not a number', () => {
    expect(() => new ServiceLimitMonitoring(stack(), 'Limits', { thresholdPercent: '80' as unknown as number }))
      .toThrow(`${PREFIX}thresholdPercent must be a number greater than 0 and at most 100 (a percentage of the quota), got "80"`);
  });

  test('accepts 100 %', () => {
    expect(new ServiceLimitMonitoring(stack(), 'Limits', { thresholdPercent: 100 }).thresholdPercent).toBe(100);
  });

  test('refuses Trusted Advisor in a stack outside us-east-1', () => {
    expect(() => new ServiceLimitMonitoring(stack('eu-west-1'), 'Limits', { trustedAdvisor: true }))
      .toThrow(`${PREFIX}trustedAdvisor needs a stack in us-east-1 (Trusted Advisor publishes its metrics and events only there), this stack is in eu-west-1: add a ServiceLimitMonitoring to a us-east-1 stack for Trusted Advisor and keep this one for the quotas of eu-west-1`);
  });

  test('refuses Trusted Advisor limits where Trusted Advisor is not watched, instead of dropping them', () => {
    expect(() => new ServiceLimitMonitoring(stack('eu-west-1'), 'Limits', { trustedAdvisorLimits: [{ serviceName: 'CloudFormation', serviceLimit: 'Stacks', region: 'eu-west-1' }] }))
      .toThrow(`${PREFIX}trustedAdvisorLimits need the Trusted Advisor part, which runs only in a us-east-1 stack (this stack: eu-west-1): pass them to a ServiceLimitMonitoring in us-east-1`);
    expect(() => new ServiceLimitMonitoring(stack('us-east-1'), 'Limits', { trustedAdvisor: false, trustedAdvisorLimits: [{ serviceName: 'CloudFormation', serviceLimit: 'Stacks', region: 'eu-west-1' }] }))
      .toThrow(`${PREFIX}trustedAdvisorLimits need the Trusted Advisor part, which runs only in a us-east-1 stack (this stack: us-east-1, trustedAdvisor: false): pass them to a ServiceLimitMonitoring in us-east-1`);
  });

  test('refuses nothing to watch', () => {
    expect(() => new ServiceLimitMonitoring(stack('eu-west-1'), 'Limits', { quotas: [] }))
      .toThrow(`${PREFIX}nothing to watch: quotas is empty and Trusted Advisor is not watched (it needs a us-east-1 stack)`);
  });

  test('refuses a quota without its dimensions', () => {
    const incomplete = { name: 'Half a quota', service: 'EC2', usageType: '', resource: 'vCPU' } as unknown as ServiceQuota;
    expect(() => new ServiceLimitMonitoring(stack(), 'Limits', { quotas: [incomplete] }))
      .toThrow(`${PREFIX}quotas[0] must name its usageType, resourceClass (the AWS/Usage dimensions and a readable name)`);
  });

  test('refuses a Trusted Advisor limit without its dimensions', () => {
    expect(() => new ServiceLimitMonitoring(stack('us-east-1'), 'Limits', { trustedAdvisorLimits: [{ serviceName: 'EBS', serviceLimit: ' ', region: 'eu-west-1' }] }))
      .toThrow(`${PREFIX}trustedAdvisorLimits[0] must name its serviceLimit`);
  });

  test('refuses two quotas with the same name', () => {
    const q = ServiceQuotas.fargateOnDemandVcpus();
    expect(() => new ServiceLimitMonitoring(stack(), 'Limits', { quotas: [q, { ...q, resourceClass: 'Standard/Spot' }] }))
      .toThrow(`${PREFIX}quotas must have distinct names, "Fargate On-Demand vCPUs" appears more than once`);
  });

  test('refuses the same Trusted Advisor limit twice', () => {
    const l = { serviceName: 'EBS', serviceLimit: 'Provisioned IOPS', region: 'eu-west-1' };
    expect(() => new ServiceLimitMonitoring(stack('us-east-1'), 'Limits', { trustedAdvisorLimits: [l, { ...l }] }))
      .toThrow(`${PREFIX}trustedAdvisorLimits must be distinct, EBS "Provisioned IOPS" in eu-west-1 appears more than once`);
  });

  test('lists every problem at once', () => {
    expect(() => new ServiceLimitMonitoring(stack('eu-west-1'), 'Limits', { thresholdPercent: 0, trustedAdvisor: true }))
      .toThrow('Limits/Limits: invalid ServiceLimitMonitoring props (2 problems)');
  });
});
