/**
 * RSP-1 HealthEventAutomation: acts on AWS Health events through EventBridge.
 *
 * When AWS finds an IAM access key of the account in a public place (a public GitHub repository,
 * for example) AWS Health emits `AWS_RISK_CREDENTIALS_EXPOSED`. An EventBridge rule starts a Step
 * Functions workflow that, for every exposed key, looks up its user (`iam:GetAccessKeyLastUsed`)
 * and deactivates the key (`iam:UpdateAccessKey`, `Status: Inactive`) through SDK service
 * integrations, then notifies. Deactivating is reversible and keeps the key for the
 * investigation; the key is never deleted. Scheduled changes (maintenance, instance retirement)
 * go to the same SNS topic through a second rule whose input transformer writes a sentence a
 * person can read.
 *
 * IAM is a global service: AWS Health sends its events, `AWS_RISK_CREDENTIALS_EXPOSED` included,
 * to EventBridge in US East (N. Virginia), with US West (Oregon) as the backup region. Deploy the
 * construct in us-east-1 (and us-west-2 for resilience) to receive them; in other regions the
 * credentials rule never fires, and the scheduled-change rule covers that region's events.
 */
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { LoggedStateMachine } from '../core/logged-state-machine';
import { NotificationTopic } from '../core/notification-topic';
import { addEventNotification } from '../core/event-notification';

/**
 * Props for {@link HealthEventAutomation}.
 */
export interface HealthEventAutomationProps {
  /**
   * Where the automation notifies.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * Deactivate exposed access keys (`AWS_RISK_CREDENTIALS_EXPOSED`). When false, the event is
   * only notified.
   * @default true
   */
  readonly deactivateExposedKeys?: boolean;

  /**
   * The AWS Health services whose scheduled changes are notified (`EC2`, `RDS`, ...).
   * @default - every service
   */
  readonly scheduledChangeServices?: string[];
}

/** The AWS Health event type of an exposed access key. */
export const CREDENTIALS_EXPOSED_EVENT_TYPE = 'AWS_RISK_CREDENTIALS_EXPOSED';

/**
 * RSP-1: deactivates exposed IAM access keys and notifies scheduled maintenance and instance
 * retirement, from AWS Health events.
 *
 * ```ts
 * new HealthEventAutomation(stack, 'Health', { notificationTopic: topic });
 * ```
 */
export class HealthEventAutomation extends Construct {
  /** The rule on `AWS_RISK_CREDENTIALS_EXPOSED`. */
  public readonly credentialsExposedRule: events.Rule;
  /** The rule on scheduled changes (maintenance, instance retirement). */
  public readonly scheduledChangeRule: events.Rule;
  /** The workflow that deactivates exposed keys, when deactivation is on. */
  public readonly stateMachine?: LoggedStateMachine;
  /** The topic the automation notifies. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: HealthEventAutomationProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    // Sandbox mode (removal of the log group and keys) comes from the `sandbox` context.
    this.notificationTopic = props.notificationTopic
      ?? new NotificationTopic(this, 'Notifications', { displayName: 'AWS Health automation' }).topic;
    const topic = this.notificationTopic;

    this.credentialsExposedRule = new events.Rule(this, 'CredentialsExposedRule', {
      description: 'AWS Health: an IAM access key of this account was found exposed in public',
      eventPattern: {
        source: ['aws.health'],
        detailType: ['AWS Health Event'],
        detail: { service: ['RISK'], eventTypeCode: [CREDENTIALS_EXPOSED_EVENT_TYPE] },
      },
    });

    if (props.deactivateExposedKeys ?? true) {
      const userArns = stack.formatArn({ service: 'iam', region: '', resource: 'user', resourceName: '*' });
      const findUser = new tasks.CallAwsService(this, 'FindKeyOwner', {
        service: 'iam',
        action: 'getAccessKeyLastUsed',
        parameters: { AccessKeyId: sfn.JsonPath.stringAt('$.accessKeyId') },
        iamResources: [userArns],
        resultSelector: { userName: sfn.JsonPath.stringAt('$.UserName') },
        resultPath: '$.owner',
      });
      const deactivate = new tasks.CallAwsService(this, 'DeactivateKey', {
        service: 'iam',
        action: 'updateAccessKey',
        parameters: {
          UserName: sfn.JsonPath.stringAt('$.owner.userName'),
          AccessKeyId: sfn.JsonPath.stringAt('$.accessKeyId'),
          Status: 'Inactive',
        },
        iamResources: [userArns],
        resultPath: sfn.JsonPath.DISCARD,
      });
      const deactivated = new tasks.SnsPublish(this, 'NotifyDeactivated', {
        topic,
        subject: 'Exposed IAM access key deactivated',
        message: sfn.TaskInput.fromJsonPathAt(
          "States.Format('AWS Health reported access key {} of IAM user {} in account {} as exposed in public. The key was set to Inactive (not deleted). Rotate the credentials of that user, review CloudTrail for its use, then delete the key. Event: {}', $.accessKeyId, $.owner.userName, $.account, $.eventArn)"),
        resultPath: sfn.JsonPath.DISCARD,
      });
      const failed = new tasks.SnsPublish(this, 'NotifyDeactivationFailed', {
        topic,
        subject: 'Exposed IAM access key could NOT be deactivated',
        message: sfn.TaskInput.fromJsonPathAt(
          "States.Format('AWS Health reported access key {} in account {} as exposed in public, and deactivating it failed: {}. Deactivate or delete it by hand now. Event: {}', $.accessKeyId, $.account, $.error.Cause, $.eventArn)"),
        resultPath: sfn.JsonPath.DISCARD,
      });
      findUser.addCatch(failed, { resultPath: '$.error' });
      deactivate.addCatch(failed, { resultPath: '$.error' });
      deactivate.addRetry({ errors: ['Iam.ServiceFailureException', 'Iam.LimitExceededException'], maxAttempts: 3 });

      const eachKey = new sfn.Map(this, 'EachExposedKey', {
        itemsPath: '$.detail.affectedEntities',
        itemSelector: {
          'accessKeyId.$': '$$.Map.Item.Value.entityValue',
          'account.$': '$.account',
          'eventArn.$': '$.detail.eventArn',
        },
        maxConcurrency: 5,
        resultPath: sfn.JsonPath.DISCARD,
      });
      eachKey.itemProcessor(findUser.next(deactivate).next(deactivated));

      this.stateMachine = new LoggedStateMachine(this, 'DeactivateExposedKeys', {
        definition: eachKey,
        description: `Deactivates exposed IAM access keys and notifies (${this.node.path})`,
      });
      this.stateMachine.grantPublish(topic);
      this.stateMachine.role.acknowledgeWildcardResource(userArns,
        'The exposed key can belong to any IAM user of the account and is known only from the event, so GetAccessKeyLastUsed and UpdateAccessKey are granted on the users of this account; the workflow only ever sets a key to Inactive.');
      this.credentialsExposedRule.addTarget(this.stateMachine.eventTarget());
    } else {
      addEventNotification(this.credentialsExposedRule, topic,
        `AWS Health reported IAM access keys of account ${events.EventField.account} as exposed in public: ${events.EventField.fromPath('$.detail.affectedEntities')}. Deactivate them now. Event: ${events.EventField.fromPath('$.detail.eventArn')}`);
    }

    const scheduledDetail: Record<string, unknown> = { eventTypeCategory: ['scheduledChange'] };
    if (props.scheduledChangeServices && props.scheduledChangeServices.length > 0) {
      scheduledDetail.service = props.scheduledChangeServices;
    }
    this.scheduledChangeRule = new events.Rule(this, 'ScheduledChangeRule', {
      description: 'AWS Health scheduled changes (maintenance, instance retirement): notify',
      eventPattern: { source: ['aws.health'], detailType: ['AWS Health Event'], detail: scheduledDetail },
    });
    addEventNotification(this.scheduledChangeRule, topic, [
      `AWS Health scheduled change ${events.EventField.fromPath('$.detail.eventTypeCode')}`,
      `for ${events.EventField.fromPath('$.detail.service')} in account ${events.EventField.account} (${events.EventField.region}),`,
      `from ${events.EventField.fromPath('$.detail.startTime')} to ${events.EventField.fromPath('$.detail.endTime')}.`,
      `Affected: ${events.EventField.fromPath('$.detail.affectedEntities')}.`,
      `Details: ${events.EventField.fromPath('$.detail.eventDescription')}`,
    ].join(' '));
  }
}
