import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { createEncryptionKey } from './encryption-key';

/**
 * Props for {@link NotificationTopic}.
 */
export interface NotificationTopicProps {
  /**
   * The topic's display name (the sender name of e-mail notifications).
   * @default - none
   */
  readonly displayName?: string;

  /**
   * The KMS key that encrypts messages at rest. A key passed in must already let the publishing
   * services use it; the construct can only add key policy statements to a key it created.
   * @default - a new customer managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * AWS service principals that publish to the topic (EventBridge rules, CloudWatch alarms, ...).
   * Each is allowed to use the key to publish.
   * @default ['events.amazonaws.com', 'cloudwatch.amazonaws.com']
   */
  readonly publishingServices?: string[];

  /**
   * E-mail addresses to subscribe. Each must confirm the subscription.
   * @default - no subscriptions
   */
  readonly emailAddresses?: string[];

}

/**
 * The topic through which every pattern tells a person what happened: SSE-KMS with a customer
 * managed key (the AWS managed `alias/aws/sns` key cannot be used by EventBridge or CloudWatch),
 * publishing only over TLS, and a key policy that lets the publishing services encrypt.
 *
 * The TLS-only rule is a topic policy, which replaces SNS's default policy: from then on only
 * the principals a statement names may publish. EventBridge targets add their statement; alarms
 * must be wired with {@link addAlarmNotification}, which adds CloudWatch's.
 */
export class NotificationTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.ITopic;
  /** The key that encrypts the topic's messages. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: NotificationTopicProps = {}) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey ?? createEncryptionKey(this, 'Key', {
      description: `Encrypts notifications of ${this.node.path}`,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: props.displayName,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    for (const service of props.publishingServices ?? ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      this.allowService(service);
    }
    for (const address of props.emailAddresses ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(address));
    }
  }

  /**
   * Lets an AWS service (for example `codestar-notifications.amazonaws.com`) use the topic's key
   * to publish. This is only the KMS half: the topic policy must also let the service publish.
   * EventBridge targets (`targets.SnsTopic`) add that statement themselves; an alarm action does
   * not, so wire alarms with {@link addAlarmNotification}, which adds it. Any other service needs
   * a statement added with `topic.addToResourcePolicy()`.
   */
  public allowService(servicePrincipal: string): void {
    this.encryptionKey.addToResourcePolicy(publisherKeyStatement(servicePrincipal), false);
  }
}

/**
 * The key policy statement that lets an AWS service encrypt messages for an SSE-KMS topic
 * (kms:GenerateDataKey*, kms:Decrypt: docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
function publisherKeyStatement(servicePrincipal: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: `AllowPublishFrom${servicePrincipal.split('.')[0].replace(/[^A-Za-z0-9]/g, '')}`,
    principals: [new iam.ServicePrincipal(servicePrincipal)],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
  });
}

/**
 * Lets an AWS service use the key of `topic` to publish, when the topic is encrypted with a key
 * this app owns (a topic of `NotificationTopic` or any `sns.Topic` with its own `kms.Key`). An
 * imported topic or key is left alone: its owner must allow the service. Used by
 * `addAlarmNotification` and `addEventNotification`.
 */
export function allowServiceOnTopicKey(topic: sns.ITopic, servicePrincipal: string): void {
  const key = (topic as sns.Topic).masterKey;
  if (key && key instanceof kms.Key) key.addToResourcePolicy(publisherKeyStatement(servicePrincipal), false);
}
