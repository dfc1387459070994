import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { allowServiceOnTopicKey } from './notification-topic';

/**
 * Sends what `rule` matches to `topic` as a message a person can read: `message` is text with
 * `events.EventField` placeholders (`Build ${EventField.fromPath('$.detail.build-id')} failed.`),
 * rendered by an input transformer, instead of the raw event JSON.
 *
 * The `SnsTopic` target adds the topic policy statement that lets EventBridge publish (for this
 * rule). When the topic is encrypted with a key this app owns, the key policy also lets
 * EventBridge use it (kms:GenerateDataKey*, kms:Decrypt), as SNS requires for AWS service
 * publishers (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
 * an imported key must already allow it.
 */
export function addEventNotification(rule: events.Rule, topic: sns.ITopic, message: string): void {
  rule.addTarget(new targets.SnsTopic(topic, { message: events.RuleTargetInput.fromText(message) }));
  allowServiceOnTopicKey(topic, 'events.amazonaws.com');
}
