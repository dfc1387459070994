import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';

/**
 * How the item changes a table writes to its Kinesis data stream reach their readers: one
 * EventBridge pipe per stream (the stream's only consumer) hands every batch to one fan-out
 * target, an SNS topic or an EventBridge event bus, where any number of subscribers or rules
 * read them. Used by {@link GlobalTable} and {@link GlobalTableRegion}.
 */
export interface ChangeFanoutOptions {
  /**
   * The SNS topic the pipe publishes item changes to. Subscribers (SQS queues, functions, ...)
   * each get every change. A topic passed in must let the pipe's role publish (the construct
   * grants it; a topic of another account also needs its topic policy and key policy to admit it).
   * @default - a new KMS-encrypted topic, unless `changeEventBus` is set
   */
  readonly changeTopic?: sns.ITopic;

  /**
   * The EventBridge event bus the pipe puts item changes on instead of a topic (source
   * `devops-patterns.dynamodb`, detail type `DynamoDB item change`), for rules to route them.
   * @default - none: changes go to the topic
   */
  readonly changeEventBus?: events.IEventBus;

  /**
   * Records per batch the pipe reads from the stream (1-10,000).
   * @default 100
   */
  readonly batchSize?: number;

  /**
   * How many times the pipe retries a failed batch (halving it each time) before it records the
   * batch in the dead-letter queue (0-10,000).
   * @default 10
   */
  readonly maximumRetryAttempts?: number;
}
