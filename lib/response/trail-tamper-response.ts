/**
 * RSP-2 TrailTamperResponse: turns CloudTrail logging back on when someone turns it off.
 *
 * AWS Config does not remediate a stopped trail by itself, and its `cloudtrail-enabled` managed
 * rule only runs periodically (it has no configuration-change trigger). So an EventBridge rule
 * matches the CloudTrail API calls `StopLogging`, `DeleteTrail` and `UpdateTrail` as they happen
 * and starts a Step Functions workflow that calls `cloudtrail:StartLogging` on the trail through an
 * SDK service integration (no Lambda) and notifies an SNS topic. A deleted trail cannot be turned
 * back on by `StartLogging`: the workflow says so in its notification, and a person recreates it
 * (from its stack). The preventive control beside this detective one is the service control
 * policy of IAC-7 `AccountBaseline`, which denies `cloudtrail:StopLogging` and
 * `cloudtrail:DeleteTrail` to everyone but the landing zone's own roles. The `cloudtrail-enabled`
 * rule runs every 24 hours (configurable) as the periodic backstop.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { LoggedStateMachine } from '../core/logged-state-machine';
import { NotificationTopic } from '../core/notification-topic';
import { addEventNotification } from '../core/event-notification';

/**
 * Props for {@link TrailTamperResponse}.
 */
export interface TrailTamperResponseProps {
  /**
   * Where the response notifies (trail restarted, trail deleted, restart failed, Config rule
   * non-compliant).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * Also create the AWS Config managed rule `cloudtrail-enabled` (periodic). Needs an AWS Config
   * configuration recorder in the account and region (SEC-2 `ConfigCompliance` or Control Tower).
   * @default true
   */
  readonly configRule?: boolean;

  /**
   * How often the `cloudtrail-enabled` rule is evaluated.
   * @default config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS
   */
  readonly configRuleFrequency?: config.MaximumExecutionFrequency;
}

/** The CloudTrail API calls that stop, remove or change a trail. */
export const TRAIL_TAMPER_EVENT_NAMES = ['StopLogging', 'DeleteTrail', 'UpdateTrail'];

/**
 * RSP-2: restarts CloudTrail logging after `StopLogging` / `UpdateTrail`, reports `DeleteTrail`,
 * and checks `cloudtrail-enabled` periodically.
 *
 * ```ts
 * new TrailTamperResponse(stack, 'TrailTamper', { notificationTopic: topic });
 * ```
 *
 * Deploy it in every region that is the home region of a trail (CloudTrail sends the API call
 * event to EventBridge in the region where the call was made, which is the trail's home region).
 */
export class TrailTamperResponse extends Construct {
  /** The rule that matches the tampering API calls. */
  public readonly rule: events.Rule;
  /** The workflow that restarts logging and notifies. */
  public readonly stateMachine: LoggedStateMachine;
  /** The topic the response notifies. */
  public readonly notificationTopic: sns.ITopic;
  /** The periodic `cloudtrail-enabled` rule, when created. */
  public readonly configRule?: config.ManagedRule;

  constructor(scope: Construct, id: string, props: TrailTamperResponseProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    // Sandbox mode (removal of the log group and keys) comes from the `sandbox` context.
    this.notificationTopic = props.notificationTopic
      ?? new NotificationTopic(this, 'Notifications', { displayName: 'CloudTrail tamper response' }).topic;
    const topic = this.notificationTopic;

    const publish = (stateId: string, subject: string, message: string): tasks.SnsPublish => new tasks.SnsPublish(this, stateId, {
      topic,
      subject,
      message: sfn.TaskInput.fromJsonPathAt(message),
      resultPath: sfn.JsonPath.DISCARD,
    });

    const trailArnPattern = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: '*' });
    const startLogging = new tasks.CallAwsService(this, 'StartLogging', {
      service: 'cloudtrail',
      action: 'startLogging',
      parameters: { Name: sfn.JsonPath.stringAt('$.detail.requestParameters.name') },
      iamResources: [trailArnPattern],
      resultPath: sfn.JsonPath.DISCARD,
    });
    // Throttling or a transient failure: try again before telling a person to act.
    startLogging.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 2 });
    const restarted = publish('NotifyRestarted', 'CloudTrail logging was turned back on',
      "States.Format('{} called {} on trail {} in account {} ({}). Logging was turned back on with StartLogging. Check who made the call and why.', $.detail.userIdentity.arn, $.detail.eventName, $.detail.requestParameters.name, $.account, $.region)");
    const restartFailed = publish('NotifyRestartFailed', 'CloudTrail logging could NOT be turned back on',
      "States.Format('{} called {} on trail {} in account {} ({}). StartLogging failed: {}. Turn logging on by hand now.', $.detail.userIdentity.arn, $.detail.eventName, $.detail.requestParameters.name, $.account, $.region, $.error.Cause)");
    startLogging.addCatch(restartFailed, { resultPath: '$.error' });
    const deleted = publish('NotifyDeleted', 'CloudTrail trail was DELETED',
      "States.Format('{} deleted trail {} in account {} ({}). A deleted trail cannot be turned back on by StartLogging: recreate it from its stack now, and check who made the call and why.', $.detail.userIdentity.arn, $.detail.requestParameters.name, $.account, $.region)");

    const definition = new sfn.Choice(this, 'TrailDeleted?')
      .when(sfn.Condition.stringEquals('$.detail.eventName', 'DeleteTrail'), deleted)
      .otherwise(startLogging.next(restarted));

    this.stateMachine = new LoggedStateMachine(this, 'Response', {
      definition,
      description: `Turns CloudTrail logging back on and notifies (${this.node.path})`,
    });
    this.stateMachine.grantPublish(topic);
    this.stateMachine.role.acknowledgeWildcardResource(trailArnPattern,
      'Any trail of this account and region may be the one stopped, and its name is known only from the event, so StartLogging is granted on the trails of this account and region and on nothing else.');

    this.rule = new events.Rule(this, 'TamperRule', {
      description: 'CloudTrail StopLogging, DeleteTrail or UpdateTrail: turn logging back on and notify',
      eventPattern: {
        source: ['aws.cloudtrail'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['cloudtrail.amazonaws.com'],
          eventName: TRAIL_TAMPER_EVENT_NAMES,
          // Calls that failed (AccessDenied from the SCP, for example) changed nothing.
          errorCode: events.Match.doesNotExist(),
        },
      },
      targets: [this.stateMachine.eventTarget()],
    });

    if (props.configRule ?? true) {
      this.configRule = new config.ManagedRule(this, 'CloudTrailEnabled', {
        identifier: config.ManagedRuleIdentifiers.CLOUD_TRAIL_ENABLED,
        description: 'Checks that a CloudTrail trail is enabled in this account (periodic: the rule has no configuration-change trigger).',
        maximumExecutionFrequency: props.configRuleFrequency ?? config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS,
      });
      const nonCompliant = this.configRule.onComplianceChange('NonCompliant', {
        description: 'cloudtrail-enabled became NON_COMPLIANT',
        eventPattern: { detail: { newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } } },
      });
      addEventNotification(nonCompliant, topic,
        `AWS Config rule ${events.EventField.fromPath('$.detail.configRuleName')} found no enabled CloudTrail trail in account ${events.EventField.account} (${events.EventField.region}) at ${events.EventField.time}. Turn logging on or recreate the trail.`);
    }
  }
}
