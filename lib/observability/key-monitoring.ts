/**
 * OBS-7 KeyMonitoring: a person hears about it when a KMS key is disabled or scheduled for deletion.
 *
 * Data encrypted with a disabled key cannot be read, and a key deleted after its waiting period
 * is gone for good with every piece of data it protected. Both start with one API call:
 * `DisableKey` or `ScheduleKeyDeletion`. CloudTrail records both as management events; this
 * construct catches them in two ways:
 * - an EventBridge rule on the CloudTrail events of the monitored keys, which sends a readable
 *   message to the notification topic within seconds (EventBridge receives "AWS API Call via
 *   CloudTrail" events only in accounts and regions where a trail records management events);
 * - where a trail also delivers to CloudWatch Logs, metric filters on that log group with alarms,
 *   so the calls are counted and alarmed on like any other metric.
 *
 * The key it creates (when no keys are passed) has yearly rotation on.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { createEncryptionKey } from '../core/encryption-key';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';

/** Props for {@link KeyMonitoring}. */
export interface KeyMonitoringProps {
  /**
   * The keys to watch.
   * @default - one new customer managed key with rotation on, exposed as `keys[0]`
   */
  readonly keys?: kms.IKey[];

  /**
   * The log group a CloudTrail trail of this account and region delivers to. With it, metric
   * filters count `DisableKey` and `ScheduleKeyDeletion` calls on the watched keys and alarms
   * notify; without it, only the EventBridge rule does.
   * @default - no metric filters or alarms
   */
  readonly cloudTrailLogGroup?: logs.ILogGroup;

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** How many key ARN conditions fit in one metric filter pattern with room to spare. */
const MAX_FILTERED_KEYS = 8;

/** The two calls that put encrypted data at risk. */
const WATCHED_CALLS = ['DisableKey', 'ScheduleKeyDeletion'] as const;

/**
 * OBS-7: alerts when a KMS key is disabled or scheduled for deletion, through EventBridge and,
 * with a trail's log group, metric filters and alarms.
 *
 * ```ts
 * const monitoring = new KeyMonitoring(this, 'Keys', { cloudTrailLogGroup: trailLogs });
 * // monitoring.keys[0]: a key with rotation on, for the application's data
 * ```
 */
export class KeyMonitoring extends Construct {
  /** The watched keys. */
  public readonly keys: kms.IKey[];
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** The EventBridge rule on the CloudTrail events of the watched keys. */
  public readonly rule: events.Rule;
  /** The alarms on the trail's log group, by API call, when a log group was given. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: KeyMonitoringProps = {}) {
    super(scope, id);
    const check = new PropsCheck(this, 'KeyMonitoring');
    check.require(props.keys === undefined || props.keys.length > 0, 'keys must name at least one key (leave it out to create one)');
    // A metric filter pattern holds at most 1,024 characters
    // (docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html);
    // each key's ARN condition takes about 100.
    check.require(!props.cloudTrailLogGroup || (props.keys?.length ?? 1) <= MAX_FILTERED_KEYS,
      `with cloudTrailLogGroup, at most ${MAX_FILTERED_KEYS} keys fit in one metric filter pattern (1,024 characters), got ${props.keys?.length}: use one KeyMonitoring per group of keys`);
    check.throwIfAny();

    this.keys = props.keys ?? [createEncryptionKey(this, 'Key', { description: `Application data key watched by ${this.node.path}` })];
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'KMS key alerts',
    }).topic;

    const field = (path: string) => events.EventField.fromPath(path);
    // CloudTrail management events of these keys (docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html);
    // a key event's resources list carries the key's ARN.
    this.rule = new events.Rule(this, 'KeyStateChanges', {
      description: `DisableKey and ScheduleKeyDeletion on the keys watched by ${this.node.path}`,
      eventPattern: {
        source: ['aws.kms'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: [...WATCHED_CALLS],
          resources: { ARN: this.keys.map((k) => k.keyArn) },
        },
      },
    });
    addEventNotification(this.rule, this.notificationTopic,
      `${field('$.detail.userIdentity.arn')} called ${field('$.detail.eventName')} on KMS key ${field('$.detail.requestParameters.keyId')} `
      + `in ${field('$.account')} ${field('$.region')} at ${field('$.detail.eventTime')}. Data encrypted with a disabled key cannot be read; `
      + 'a key scheduled for deletion can be kept with CancelKeyDeletion until its waiting period ends.');

    if (props.cloudTrailLogGroup) {
      const keyIds = this.keys.map((k) => k.keyArn);
      for (const call of WATCHED_CALLS) {
        // One filter per call, on the watched keys' ARNs as CloudTrail logs them.
        const filter = new logs.MetricFilter(this, `${call}Filter`, {
          logGroup: props.cloudTrailLogGroup,
          metricNamespace: 'DevOpsPatterns/KMS',
          metricName: `${call}Calls`,
          filterPattern: logs.FilterPattern.all(
            logs.FilterPattern.stringValue('$.eventSource', '=', 'kms.amazonaws.com'),
            logs.FilterPattern.stringValue('$.eventName', '=', call),
            logs.FilterPattern.any(...keyIds.map((arn) => logs.FilterPattern.stringValue('$.resources[0].ARN', '=', arn))),
          ),
          metricValue: '1',
          defaultValue: 0,
        });
        const alarm = filter.metric({ period: Duration.minutes(5), statistic: 'Sum' }).createAlarm(this, `${call}Alarm`, {
          alarmDescription: `${call} was called on a KMS key watched by ${this.node.path}.`,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        addAlarmNotification(alarm, this.notificationTopic);
        this.alarms.push(alarm);
      }
    }
  }
}
