/**
 * OBS-8 ServiceLimitMonitoring: a person hears about it before a service quota stops a
 * deployment or a scale-out.
 *
 * Two sources, because neither covers everything:
 * - Service Quotas usage metrics, in every region: CloudWatch publishes the usage of many quotas
 *   in the `AWS/Usage` namespace, and the metric math function `SERVICE_QUOTA()` returns the
 *   applied quota of such a metric, so `m1 / SERVICE_QUOTA(m1) * 100` is the usage in percent.
 *   One alarm per quota, in the stack's region (usage metrics are regional).
 * - Trusted Advisor, in us-east-1 only: its `ServiceLimitUsage` metrics (one per service limit
 *   and region) and its "Check Item Refresh Notification" events are published in US East
 *   (N. Virginia), whatever region the limit is in. Trusted Advisor covers few limits and its
 *   checks need a Business support plan or higher for most of them, hence the quota alarms.
 *
 * Every alarm notifies through `addAlarmNotification`; service-limit checks that turn WARN or
 * ERROR reach the same topic as a sentence, through an EventBridge rule.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';
import { ServiceQuota, ServiceQuotas, TrustedAdvisorLimit } from './service-quota';

/** Props for {@link ServiceLimitMonitoring}. */
export interface ServiceLimitMonitoringProps {
  /**
   * The usage, in percent of the quota or limit, at which an alarm goes off: more than 0, at most
   * 100.
   * @default 80
   */
  readonly thresholdPercent?: number;

  /**
   * Quotas to alarm on in this stack's region, through their `AWS/Usage` metric and
   * `SERVICE_QUOTA()`. {@link ServiceQuotas} has a few whose dimensions AWS documents.
   * @default - EC2 running On-Demand Standard instances (vCPUs): `[ServiceQuotas.ec2OnDemandStandardVcpus()]`
   */
  readonly quotas?: ServiceQuota[];

  /**
   * Whether to watch Trusted Advisor: the EventBridge rule on service-limit checks and the
   * alarms on `trustedAdvisorLimits`. Trusted Advisor publishes both only in us-east-1, so this
   * needs a stack in us-east-1; `true` in a stack of another region is refused.
   * @default - true when the stack's region is us-east-1, false otherwise
   */
  readonly trustedAdvisor?: boolean;

  /**
   * Trusted Advisor service limits to alarm on (`ServiceLimitUsage`); they may be limits of any
   * region, the alarms live in us-east-1. Needs the Trusted Advisor part (`trustedAdvisor`).
   * @default - no Trusted Advisor alarms; the rule on service-limit check status changes still runs
   */
  readonly trustedAdvisorLimits?: TrustedAdvisorLimit[];

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** The only region where Trusted Advisor publishes its metrics and events. */
const TRUSTED_ADVISOR_REGION = 'us-east-1';

/** An alarm description holds at most 1,024 characters (CloudWatch PutMetricAlarm API reference). */
const MAX_DESCRIPTION = 1024;

/**
 * OBS-8: alarms when a service quota or a Trusted Advisor service limit nears its maximum, and
 * notifies Trusted Advisor service-limit checks that turn yellow or red.
 *
 * ```ts
 * // in a stack in us-east-1: Trusted Advisor and this region's quotas
 * new ServiceLimitMonitoring(this, 'Limits', {
 *   quotas: [ServiceQuotas.ec2OnDemandStandardVcpus(), ServiceQuotas.fargateOnDemandVcpus()],
 *   trustedAdvisorLimits: [{ serviceName: 'CloudFormation', serviceLimit: 'Stacks', region: 'eu-west-1' }],
 * });
 * ```
 */
export class ServiceLimitMonitoring extends Construct {
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** The usage, in percent, at which the alarms go off. */
  public readonly thresholdPercent: number;
  /** Whether the Trusted Advisor part is deployed (a us-east-1 stack). */
  public readonly watchesTrustedAdvisor: boolean;
  /** One alarm per quota, in the order of `quotas`. */
  public readonly quotaAlarms: cloudwatch.Alarm[] = [];
  /** One alarm per Trusted Advisor limit, in the order of `trustedAdvisorLimits`. */
  public readonly trustedAdvisorAlarms: cloudwatch.Alarm[] = [];
  /** The rule on Trusted Advisor service-limit check status changes, when Trusted Advisor is watched. */
  public readonly trustedAdvisorRule?: events.Rule;

  constructor(scope: Construct, id: string, props: ServiceLimitMonitoringProps = {}) {
    super(scope, id);
    const region = Stack.of(this).region;
    const regionKnown = !Token.isUnresolved(region);
    const quotas = props.quotas ?? [ServiceQuotas.ec2OnDemandStandardVcpus()];
    const taLimits = props.trustedAdvisorLimits ?? [];
    this.watchesTrustedAdvisor = props.trustedAdvisor ?? (regionKnown && region === TRUSTED_ADVISOR_REGION);

    const check = new PropsCheck(this, 'ServiceLimitMonitoring');
    const threshold: unknown = props.thresholdPercent;
    if (threshold !== undefined && !Token.isUnresolved(threshold)) {
      check.require(typeof threshold === 'number' && Number.isFinite(threshold) && threshold > 0 && threshold <= 100,
        `thresholdPercent must be a number greater than 0 and at most 100 (a percentage of the quota), got ${describe(threshold)}`);
    }
    // Trusted Advisor publishes ServiceLimitUsage and its EventBridge events in US East
    // (N. Virginia) only (docs.aws.amazon.com/awssupport/latest/user/cloudwatch-metrics-ta.html,
    // docs.aws.amazon.com/awssupport/latest/user/cloudwatch-events-ta.html): elsewhere the
    // alarms would stay without data and the rule would never fire.
    check.require(!(props.trustedAdvisor === true && regionKnown && region !== TRUSTED_ADVISOR_REGION),
      `trustedAdvisor needs a stack in ${TRUSTED_ADVISOR_REGION} (Trusted Advisor publishes its metrics and events only there), this stack is in ${region}: add a ServiceLimitMonitoring to a ${TRUSTED_ADVISOR_REGION} stack for Trusted Advisor and keep this one for the quotas of ${region}`);
    check.require(taLimits.length === 0 || this.watchesTrustedAdvisor,
      `trustedAdvisorLimits need the Trusted Advisor part, which runs only in a ${TRUSTED_ADVISOR_REGION} stack (this stack: ${region}${props.trustedAdvisor === false ? ', trustedAdvisor: false' : ''}): pass them to a ServiceLimitMonitoring in ${TRUSTED_ADVISOR_REGION}`);
    check.require(quotas.length > 0 || this.watchesTrustedAdvisor,
      'nothing to watch: quotas is empty and Trusted Advisor is not watched (it needs a us-east-1 stack)');
    quotas.forEach((q, i) => {
      const missing = (['name', 'service', 'usageType', 'resource', 'resourceClass'] as const).filter((k) => typeof q[k] !== 'string' || q[k].trim() === '');
      check.require(missing.length === 0, `quotas[${i}] must name its ${missing.join(', ')} (the AWS/Usage dimensions and a readable name)`);
    });
    taLimits.forEach((l, i) => {
      const missing = (['serviceName', 'serviceLimit', 'region'] as const).filter((k) => typeof l[k] !== 'string' || l[k].trim() === '');
      check.require(missing.length === 0, `trustedAdvisorLimits[${i}] must name its ${missing.join(', ')}`);
    });
    for (const name of duplicates(quotas.map((q) => q.name))) check.add(`quotas must have distinct names, "${name}" appears more than once`);
    for (const key of duplicates(taLimits.map(limitKey))) check.add(`trustedAdvisorLimits must be distinct, ${key} appears more than once`);
    check.throwIfAny();

    this.thresholdPercent = props.thresholdPercent ?? 80;
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'Service limit alerts',
    }).topic;
    if (this.watchesTrustedAdvisor && !regionKnown) {
      Annotations.of(this).addWarningV2('@devops-patterns/trusted-advisor-region',
        `The stack has no region at synth: the Trusted Advisor rule and alarms of ${this.node.path} work only when it is deployed to ${TRUSTED_ADVISOR_REGION}.`);
    }

    quotas.forEach((quota, index) => {
      // Usage in percent of the applied quota: m1 / SERVICE_QUOTA(m1) * 100, as the CloudWatch
      // guide writes it (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Quotas-Visualize-Alarms.html).
      const usage = new cloudwatch.MathExpression({
        expression: 'm1 / SERVICE_QUOTA(m1) * 100',
        usingMetrics: {
          m1: new cloudwatch.Metric({
            namespace: 'AWS/Usage',
            metricName: quota.metricName ?? 'ResourceCount',
            dimensionsMap: { Service: quota.service, Type: quota.usageType, Resource: quota.resource, Class: quota.resourceClass },
            statistic: quota.statistic ?? 'Maximum',
            period: Duration.minutes(5),
          }),
        },
        label: `${quota.name} (% of quota)`,
        period: Duration.minutes(5),
      });
      const alarm = usage.createAlarm(this, constructId('Quota', quota.name, index), {
        alarmDescription: clip(`${quota.name} in ${region} is at ${this.thresholdPercent}% or more of its service quota. `
          + 'Request an increase in the Service Quotas console, or lower the usage, before the quota stops new resources.'),
        threshold: this.thresholdPercent,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No usage is published while nothing is used: that is not a breach.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      addAlarmNotification(alarm, this.notificationTopic);
      this.quotaAlarms.push(alarm);
    });

    if (!this.watchesTrustedAdvisor) return;

    taLimits.forEach((limit, index) => {
      // ServiceLimitUsage: "the percentage of resource usage against a service quota", published
      // when Trusted Advisor refreshes its checks (docs.aws.amazon.com/awssupport/latest/user/cloudwatch-metrics-ta.html).
      // The threshold is compared with it as a percentage, as that page documents it.
      const metric = new cloudwatch.Metric({
        namespace: 'AWS/TrustedAdvisor',
        metricName: 'ServiceLimitUsage',
        dimensionsMap: { ServiceName: limit.serviceName, ServiceLimit: limit.serviceLimit, Region: limit.region },
        statistic: 'Maximum',
        period: Duration.hours(1),
      });
      const alarm = metric.createAlarm(this, constructId('TrustedAdvisor', limitKey(limit), index), {
        alarmDescription: clip(`Trusted Advisor: ${limit.serviceName} "${limit.serviceLimit}" in ${limit.region} is at ${this.thresholdPercent}% or more of its limit. `
          + 'Request an increase in the Service Quotas console before the limit stops new resources.'),
        threshold: this.thresholdPercent,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // Trusted Advisor publishes only when it refreshes a check: between refreshes the alarm
        // keeps the state of the last value instead of turning OK.
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      });
      addAlarmNotification(alarm, this.notificationTopic);
      this.trustedAdvisorAlarms.push(alarm);
    });

    // "Trusted Advisor Check Item Refresh Notification" events, statuses OK, WARN, ERROR, INFO
    // (docs.aws.amazon.com/eventbridge/latest/ref/events-ref-trustedadvisor.html,
    // docs.aws.amazon.com/awssupport/latest/user/cloudwatch-events-ta.html). An item of a Service
    // Limits check carries "Service", "Region", "Limit Name", "Limit Amount" and "Current Usage" in
    // its check-item-detail; matching on "Limit Name" keeps the rule to service limits without
    // listing every check by name.
    this.trustedAdvisorRule = new events.Rule(this, 'TrustedAdvisorLimitChecks', {
      description: `Trusted Advisor service-limit checks that turn WARN or ERROR, watched by ${this.node.path}`,
      eventPattern: {
        source: ['aws.trustedadvisor'],
        detailType: ['Trusted Advisor Check Item Refresh Notification'],
        detail: {
          'status': ['WARN', 'ERROR'],
          'check-item-detail': { 'Limit Name': events.Match.exists() },
        },
      },
    });
    const field = (path: string) => events.EventField.fromPath(path);
    addEventNotification(this.trustedAdvisorRule, this.notificationTopic,
      `Trusted Advisor service limit check "${field('$.detail.check-name')}" is ${field('$.detail.status')} for ${field('$.detail.check-item-detail.Service')} `
      + `in ${field('$.detail.check-item-detail.Region')}, account ${field('$.account')}, at ${field('$.time')} `
      // Alert criteria of every Service Limits check (docs.aws.amazon.com/awssupport/latest/user/service-limits.html).
      + '(WARN: 80% of the limit reached, ERROR: the limit reached). See the Service Limits checks in the Trusted Advisor console and request an increase in Service Quotas.');
  }
}

function limitKey(limit: TrustedAdvisorLimit): string {
  return `${limit.serviceName} "${limit.serviceLimit}" in ${limit.region}`;
}

/**
 * A construct id from a readable name (`/` separates path segments, so it is replaced); a name
 * that is a token falls back to the position in the list.
 */
function constructId(prefix: string, name: string, index: number): string {
  return `${prefix} ${Token.isUnresolved(name) ? `#${index}` : name.replace(/\//g, '-')}`;
}

function clip(text: string): string {
  return text.length <= MAX_DESCRIPTION ? text : `${text.slice(0, MAX_DESCRIPTION - 1)}…`;
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
