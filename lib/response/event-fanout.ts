/**
 * RSP-3 EventFanout: S3 object events to several consumers through one encrypted SNS topic.
 *
 * One bucket can send a given event type to only one destination, so "tell three consumers that
 * an object arrived" is done by fanning out: the bucket notifies an SNS topic, and each consumer
 * subscribes to the topic with its own filter. This construct creates the bucket (a
 * {@link SecureBucket}) with its `NotificationConfiguration` for object creation and deletion, the
 * topic (SSE-KMS), and per subscriber either an encrypted SQS queue (with its own redrive
 * dead-letter queue) or an HTTPS endpoint subscription that may carry a delivery policy. Every
 * subscription has a dead-letter queue of its own, for what SNS could not deliver once its
 * delivery policy was exhausted, and every dead-letter queue has an alarm that tells a person.
 * The topic policy, queue policies and key policy allow exactly these deliveries: S3 for this
 * bucket of this account, SNS for this topic.
 */
import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { addAlarmNotification } from '../core/alarm-notification';
import { createEncryptionKey } from '../core/encryption-key';
import { allowServiceOnTopicKey, NotificationTopic } from '../core/notification-topic';
import { acknowledgeNotReplicated } from '../core/not-replicated';
import { dataRemovalPolicy } from '../core/sandbox';
import { SecureBucket } from '../core/secure-bucket';
import { PropsCheck } from '../core/validation';

/**
 * One consumer of the fan-out: an SQS queue the construct creates, or an HTTPS endpoint.
 */
export interface EventFanoutSubscriber {
  /**
   * The subscriber's name, unique within the fan-out: letters, digits and hyphens, at most 40.
   * It names the subscriber's constructs (`Queue<id>`, `SubscriptionDlq<id>`, ...).
   */
  readonly id: string;

  /**
   * An HTTPS endpoint to deliver to. Without it, the construct creates an encrypted SQS queue for
   * the subscriber. The endpoint must confirm the subscription (SNS sends it a
   * `SubscriptionConfirmation` message with a `SubscribeURL` to visit) before it receives events.
   * @default - an SQS queue
   */
  readonly url?: string;

  /**
   * A filter policy on message attributes. S3 event notifications carry no message attributes,
   * so for S3 events filter on the body with `filterPolicyWithMessageBody`; this one is for
   * messages other publishers send to the topic with attributes.
   * @default - no attribute filter
   */
  readonly filterPolicy?: { [attribute: string]: sns.SubscriptionFilter };

  /**
   * A filter policy on the message body (`FilterPolicyScope: MessageBody`), for example on
   * `Records` -> `eventName` of the S3 event.
   * @default - no body filter
   */
  readonly filterPolicyWithMessageBody?: { [attribute: string]: sns.FilterOrPolicy };

  /**
   * Deliver the S3 event JSON as it is, without SNS's envelope (`Type`, `MessageId`, `Message`...).
   * @default true
   */
  readonly rawMessageDelivery?: boolean;

  /**
   * Give the subscription a dead-letter queue, where SNS puts what it could not deliver once the
   * delivery policy is exhausted (without one, SNS discards those messages). Turning it off is
   * refused while the fan-out's `requireDeadLetterQueues` is on.
   * @default true
   */
  readonly deadLetterQueue?: boolean;

  /**
   * How SNS retries, throttles and formats deliveries to the HTTPS endpoint. Only HTTP/S
   * subscriptions take a delivery policy; a queue subscriber with one is refused.
   * @default - SNS's HTTP/S default: 3 retries, 20 seconds apart
   */
  readonly deliveryPolicy?: sns.DeliveryPolicy;

  /**
   * Queue subscribers: how many times a message may be received before SQS moves it to the
   * queue's own dead-letter queue (1 to 1,000).
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * Queue subscribers: the queue's visibility timeout, at least the time a consumer needs for one
   * message.
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
}

/** Props for {@link EventFanout}. */
export interface EventFanoutProps {
  /** The consumers of the bucket's events. At least one. */
  readonly subscribers: EventFanoutSubscriber[];

  /**
   * The S3 event types that notify. They must not overlap (`s3:ObjectCreated:*` and
   * `s3:ObjectCreated:Put` together are refused by S3).
   * @default [s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_REMOVED]
   */
  readonly events?: s3.EventType[];

  /**
   * Only objects whose key starts with this prefix notify.
   * @default - every object
   */
  readonly objectKeyPrefix?: string;

  /**
   * Only objects whose key ends with this suffix notify.
   * @default - every object
   */
  readonly objectKeySuffix?: string;

  /**
   * Refuse a subscriber whose subscription has no dead-letter queue.
   * @default true
   */
  readonly requireDeadLetterQueues?: boolean;

  /**
   * The bucket's name. It is known before the bucket exists, so the topic policy can name the
   * bucket without waiting for it (S3 checks the topic policy when the notification configuration
   * is written).
   * @default - `<id>-<hash>-<account>-<region>`, within S3's 63 characters
   */
  readonly bucketName?: string;

  /**
   * Where a person is told that a dead-letter queue holds messages.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** The S3 events a bucket notifies by default: every creation and every deletion. */
const DEFAULT_EVENTS = [s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_REMOVED];

/** Subscriber ids: they become parts of construct ids. */
const SUBSCRIBER_ID = /^[A-Za-z0-9-]{1,40}$/;

/**
 * SQS RedrivePolicy maxReceiveCount: 1 to 1,000
 * (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html).
 */
const MAX_RECEIVE_COUNT = 1000;

/**
 * SNS HTTP/S delivery policy: at most 100 retries (aws-cdk-lib's limit, which SNS enforces), and
 * the whole retry time of a policy may not exceed 3,600 seconds
 * (docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html#creating-delivery-policy).
 */
const MAX_HTTP_RETRIES = 100;

/** Dead-letter queues keep messages for the SQS maximum, 14 days, to give a person time to look. */
const DLQ_RETENTION = Duration.days(14);

/**
 * RSP-3: S3 object creation and deletion events fanned out through an encrypted SNS topic to
 * encrypted SQS queues and HTTPS endpoints, each subscription with its own dead-letter queue.
 *
 * ```ts
 * const fanout = new EventFanout(this, 'Uploads', {
 *   subscribers: [
 *     { id: 'Thumbnails', filterPolicyWithMessageBody: { Records: sns.FilterOrPolicy.policy({ eventName: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ matchPrefixes: ['ObjectCreated:'] })) }) } },
 *     { id: 'Audit' },
 *   ],
 * });
 * // fanout.queues.Thumbnails: the queue a consumer reads
 * ```
 */
export class EventFanout extends Construct {
  /** The bucket whose object events fan out. */
  public readonly bucket: s3.IBucket;
  /** The topic S3 notifies; every subscriber subscribes to it. */
  public readonly topic: sns.ITopic;
  /** The key that encrypts the topic's messages at rest; S3 may use it to publish. */
  public readonly topicEncryptionKey: kms.IKey;
  /**
   * The key that encrypts every queue and dead-letter queue of the fan-out; SNS may use it to
   * deliver for this topic only. A consumer needs `kms:Decrypt` on it (`queue.grantConsumeMessages()` adds it).
   */
  public readonly queueEncryptionKey: kms.IKey;
  /** The queue of each queue subscriber, by subscriber id. */
  public readonly queues: { [id: string]: sqs.IQueue } = {};
  /** The dead-letter queue of each subscription, by subscriber id. */
  public readonly subscriptionDeadLetterQueues: { [id: string]: sqs.IQueue } = {};
  /** The redrive dead-letter queue of each queue subscriber's queue, by subscriber id. */
  public readonly queueDeadLetterQueues: { [id: string]: sqs.IQueue } = {};
  /** One alarm per dead-letter queue: messages are waiting in it. */
  public readonly alarms: cloudwatch.IAlarm[] = [];
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: EventFanoutProps) {
    super(scope, id);
    const events = props.events ?? DEFAULT_EVENTS;
    this.check(props, events);

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'Event fan-out dead-letter queues',
    }).topic;

    // Two keys: the queue key's policy names the topic, and the topic names its key, so one key
    // for both would be a circular dependency.
    const topicKey = createEncryptionKey(this, 'TopicKey', { description: `Encrypts the event topic of ${this.node.path}` });
    this.topicEncryptionKey = topicKey;
    const queueKey = createEncryptionKey(this, 'QueueKey', { description: `Encrypts the queues and dead-letter queues of ${this.node.path}` });
    this.queueEncryptionKey = queueKey;

    // The bucket's name is fixed before the bucket exists, so the topic policy names the bucket
    // without referencing it: the bucket then depends on the topic policy, not the other way round.
    const bucketName = props.bucketName ?? generatedBucketName(this);
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;

    const topic = new sns.Topic(this, 'Topic', { masterKey: topicKey, enforceSSL: true });
    this.topic = topic;
    // S3 publishes as s3.amazonaws.com with the bucket as aws:SourceArn and its owner as
    // aws:SourceAccount (docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html).
    const topicPolicy = topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowS3EventNotifications',
      principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        ArnLike: { 'aws:SourceArn': bucketArn },
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      },
    }));
    // S3 must be able to encrypt for the SSE-KMS topic (kms:GenerateDataKey*, kms:Decrypt:
    // docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
    allowServiceOnTopicKey(topic, 's3.amazonaws.com');
    // SNS encrypts what it delivers to the SSE-KMS queues and dead-letter queues with the queue key,
    // for this topic only (the condition aws-cdk-lib's SqsSubscription also puts on it, with the
    // feature flag @aws-cdk/aws-sns-subscriptions:restrictSqsDescryption). Dead-letter queues of
    // HTTPS subscriptions have no SqsSubscription, so the statement is written here once for all.
    queueKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowSnsDeliveryToQueues',
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
    }));

    const secure = new SecureBucket(this, 'Bucket', { bucketProps: { bucketName } });
    this.bucket = secure.bucket;
    acknowledgeNotReplicated(secure.bucket, 'This bucket is the intake of an event fan-out: each object is handed to the consumers through the topic when it arrives, '
      + 'and a replica in another region would notify no one, so replication would keep a copy nothing processes; data that must survive a regional outage is kept downstream in a RES-7 ReplicatedBucket.');
    // The bucket's own NotificationConfiguration (no BucketNotificationsHandler Lambda, as
    // bucket.addEventNotification would add). S3 sends a test message to the topic when the
    // configuration is written, so the topic policy must exist first
    // (docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html).
    const cfnBucket = secure.bucket.node.defaultChild as s3.CfnBucket;
    const filter = notificationFilter(props.objectKeyPrefix, props.objectKeySuffix);
    cfnBucket.notificationConfiguration = {
      topicConfigurations: events.map((event) => ({ event, topic: topic.topicArn, filter })),
    };
    cfnBucket.node.addDependency(topicPolicy.policyDependable!);

    for (const subscriber of props.subscribers) this.subscribe(topic, subscriber);
  }

  private check(props: EventFanoutProps, events: s3.EventType[]): void {
    const check = new PropsCheck(this, 'EventFanout');
    const requireDlq = props.requireDeadLetterQueues ?? true;
    check.require(props.subscribers.length > 0, 'subscribers must name at least one subscriber');
    const seen = new Set<string>();
    for (const s of props.subscribers) {
      const name = `subscriber "${s.id}"`;
      check.require(SUBSCRIBER_ID.test(s.id), `${name}: id must be 1 to 40 letters, digits or hyphens`);
      check.require(!seen.has(s.id), `${name}: ids must be unique within the fan-out`);
      seen.add(s.id);
      if (requireDlq && s.deadLetterQueue === false) {
        check.add(`${name} has no dead-letter queue (deadLetterQueue: false) while requireDeadLetterQueues is on: without one SNS discards what it cannot deliver`);
      }
      check.require(!(s.filterPolicy && s.filterPolicyWithMessageBody),
        `${name}: filterPolicy and filterPolicyWithMessageBody cannot both be set (a subscription has one filter policy and one scope)`);
      const isUrl = s.url !== undefined;
      if (isUrl && !Token.isUnresolved(s.url)) {
        check.require(/^https:\/\/[^\s/]+/.test(s.url!), `${name}: url must be an https:// endpoint, got "${s.url}" (over http SNS would send the events in cleartext)`);
      }
      if (!isUrl && s.deliveryPolicy) {
        // docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html: "With the exception of HTTP/S, you can't change Amazon SNS-defined delivery policies."
        check.add(`${name} has a deliveryPolicy, but only HTTP/S subscriptions take one (SNS's delivery policy for SQS cannot be changed): give it a url or remove the deliveryPolicy`);
      }
      if (isUrl && s.maxReceiveCount !== undefined) check.add(`${name}: maxReceiveCount is for queue subscribers, and this one delivers to a url`);
      if (isUrl && s.visibilityTimeout !== undefined) check.add(`${name}: visibilityTimeout is for queue subscribers, and this one delivers to a url`);
      const receives = s.maxReceiveCount;
      if (receives !== undefined && !Token.isUnresolved(receives)) {
        check.require(Number.isInteger(receives) && receives >= 1 && receives <= MAX_RECEIVE_COUNT,
          `${name}: maxReceiveCount must be a whole number from 1 to ${MAX_RECEIVE_COUNT}, got ${receives}`);
      }
      const retries = s.deliveryPolicy?.healthyRetryPolicy?.numRetries;
      if (retries !== undefined && !Token.isUnresolved(retries)) {
        check.require(Number.isInteger(retries) && retries >= 0 && retries <= MAX_HTTP_RETRIES,
          `${name}: deliveryPolicy.healthyRetryPolicy.numRetries must be a whole number from 0 to ${MAX_HTTP_RETRIES}, got ${retries}`);
      }
    }
    // docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    check.matches('bucketName', props.bucketName, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens');
    check.require(events.length > 0, 'events must name at least one S3 event type (leave it out for creation and deletion)');
    for (const [i, a] of events.entries()) {
      for (const b of events.slice(i + 1)) {
        if (overlaps(a, b)) check.add(`events ${a} and ${b} overlap: S3 refuses two notification configurations for the same event and key`);
      }
    }
    check.throwIfAny();
  }

  private subscribe(topic: sns.Topic, s: EventFanoutSubscriber): void {
    const subscriptionDlq = s.deadLetterQueue === false ? undefined : this.deadLetterQueue(`SubscriptionDlq${s.id}`,
      `Messages SNS could not deliver to subscriber ${s.id} of ${this.node.path}`);
    if (subscriptionDlq) {
      this.subscriptionDeadLetterQueues[s.id] = subscriptionDlq;
      // cdk-nag's SQS3 asks every queue that is not a queue's redrive target for a DLQ of its own;
      // this queue is a dead-letter queue, of an SNS subscription (RedrivePolicy on the subscription).
      acknowledge(subscriptionDlq.node.defaultChild!, 'AwsSolutions-SQS3',
        'This queue is the dead-letter queue of an SNS subscription (the subscription\'s RedrivePolicy names it), so it is itself the place undeliverable messages end up.');
    }
    const common = {
      rawMessageDelivery: s.rawMessageDelivery ?? true,
      filterPolicy: s.filterPolicy,
      filterPolicyWithMessageBody: s.filterPolicyWithMessageBody,
      deadLetterQueue: subscriptionDlq,
    };
    if (s.url !== undefined) {
      topic.addSubscription(new subscriptions.UrlSubscription(s.url, {
        ...common,
        protocol: sns.SubscriptionProtocol.HTTPS,
        deliveryPolicy: s.deliveryPolicy,
      }));
      return;
    }
    const queueDlq = this.deadLetterQueue(`QueueDlq${s.id}`, `Messages subscriber ${s.id} of ${this.node.path} failed to process`);
    this.queueDeadLetterQueues[s.id] = queueDlq;
    const queue = new sqs.Queue(this, `Queue${s.id}`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.queueEncryptionKey,
      enforceSSL: true,
      visibilityTimeout: s.visibilityTimeout,
      deadLetterQueue: { queue: queueDlq, maxReceiveCount: s.maxReceiveCount ?? 5 },
      removalPolicy: dataRemovalPolicy(this),
    });
    this.queues[s.id] = queue;
    // SqsSubscription adds the queue policy for this topic (aws:SourceArn) and the key statement.
    topic.addSubscription(new subscriptions.SqsSubscription(queue, common));
  }

  /** An encrypted dead-letter queue with 14 days' retention and an alarm when it holds messages. */
  private deadLetterQueue(id: string, what: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.queueEncryptionKey,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
      removalPolicy: dataRemovalPolicy(this),
    });
    const alarm = queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, `${id}Alarm`, {
        alarmDescription: `${what}: messages are waiting in dead-letter queue ${id}. Look at them, fix the cause, then redrive them.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    addAlarmNotification(alarm, this.notificationTopic);
    this.alarms.push(alarm);
    return queue;
  }
}

/**
 * `<id>-<hash>-<account>-<region>`: at most 16 + 1 + 8 + 1 + 12 + 1 + 15 = 54 characters, lower
 * case letters, digits and hyphens, within S3's 63
 * (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */
function generatedBucketName(scope: Construct): string {
  const slug = scope.node.id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 16) || 'fanout';
  return `${slug}-${scope.node.addr.slice(0, 8)}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
}

function notificationFilter(prefix?: string, suffix?: string): s3.CfnBucket.NotificationFilterProperty | undefined {
  const rules = [
    ...(prefix ? [{ name: 'prefix', value: prefix }] : []),
    ...(suffix ? [{ name: 'suffix', value: suffix }] : []),
  ];
  return rules.length > 0 ? { s3Key: { rules } } : undefined;
}

/** Whether two S3 event types match some event in common (`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`). */
function overlaps(a: string, b: string): boolean {
  if (a === b) return true;
  const covers = (wide: string, narrow: string) => wide.endsWith(':*') && narrow.startsWith(wide.slice(0, -1));
  return covers(a, b) || covers(b, a);
}
