import { Annotations, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { allowServiceOnTopicKey } from './notification-topic';

/** The service principal CloudWatch alarms publish as. */
const CLOUDWATCH = 'cloudwatch.amazonaws.com';

/**
 * Makes `alarm` notify `topic` when it goes into ALARM, and makes that notification possible:
 * an `SnsAction` alone adds no permission, and a topic with any topic policy (every topic with
 * `enforceSSL`, so every {@link NotificationTopic}) refuses CloudWatch unless the policy names it.
 *
 * The topic policy gets a statement for `cloudwatch.amazonaws.com` to `sns:Publish`, only for this
 * alarm (`aws:SourceArn`) of this account (`aws:SourceAccount`), the keys CloudWatch sends
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html, "Amazon SNS
 * topic policy"). When the topic is encrypted with a key this app owns, the key policy lets
 * CloudWatch use it (kms:GenerateDataKey*, kms:Decrypt), as SNS requires for AWS service publishers
 * (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 *
 * An imported topic or key cannot be changed from here: the construct then adds a warning that
 * names the statement the topic's owner must add, instead of failing silently.
 *
 * @returns the topic policy statement added, or undefined for an imported topic
 */
export function addAlarmNotification(alarm: cloudwatch.Alarm, topic: sns.ITopic): iam.PolicyStatement | undefined {
  alarm.addAlarmAction(new cwActions.SnsAction(topic));
  const stack = Stack.of(alarm);
  const statement = new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(CLOUDWATCH)],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': alarm.alarmArn },
    },
  });
  const added = topic.addToResourcePolicy(statement);
  if (!added.statementAdded) {
    Annotations.of(alarm).addWarningV2('@devops-patterns/alarm-topic-policy',
      `The alarm publishes to the imported topic ${Token.isUnresolved(topic.topicArn) ? 'passed in' : topic.topicArn}: its topic policy must allow ${CLOUDWATCH} to sns:Publish (condition aws:SourceAccount ${stack.account}), and its KMS key, if any, must let ${CLOUDWATCH} use kms:GenerateDataKey* and kms:Decrypt; this construct cannot add either to an imported topic.`);
    return undefined;
  }
  allowServiceOnTopicKey(topic, CLOUDWATCH);
  return statement;
}
