/**
 * RES-4's change capture, shared by the table's region and each replica region: the encrypted
 * Kinesis data stream DynamoDB writes item changes to, and its single consumer, an EventBridge
 * pipe that fans every batch out to a topic or an event bus, with a dead-letter queue for
 * batches it could not deliver and an alarm on that queue. Not part of the public API.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../../core/acknowledge';
import { addAlarmNotification } from '../../core/alarm-notification';
import { NotificationTopic } from '../../core/notification-topic';
import { dataRemovalPolicy } from '../../core/sandbox';
import { ServiceRole } from '../../core/service-role';
import { PropsCheck } from '../../core/validation';
import { ChangeFanoutOptions } from '../change-fanout';

/** The event source and detail type of changes put on an event bus. */
export const CHANGE_EVENT_SOURCE = 'devops-patterns.dynamodb';
export const CHANGE_DETAIL_TYPE = 'DynamoDB item change';

/** Default batch size and retries of the pipe. */
const DEFAULT_BATCH_SIZE = 100;
const DEFAULT_RETRIES = 10;
/**
 * A record older than a day is sent to the dead-letter queue instead of being retried: the
 * stream keeps records 24 hours. Pipes accepts -1 (forever) or 60-604,800 seconds
 * (docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceKinesisStreamParameters.html).
 */
const MAXIMUM_RECORD_AGE_SECONDS = 86_400;
/** How long the stream keeps records: 24 hours is the Kinesis default and the cheapest. */
const STREAM_RETENTION = Duration.hours(24);
/** How long the dead-letter queue keeps what the pipe could not deliver (the SQS maximum). */
const DLQ_RETENTION = Duration.days(14);

/** Refuses fan-out options the service refuses. */
export function checkFanoutOptions(check: PropsCheck, options: ChangeFanoutOptions): void {
  check.require(!(options.changeTopic && options.changeEventBus),
    'changeTopic and changeEventBus are both set: the pipe has one target (subscribe to the topic, or add rules on the bus)');
  // docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceKinesisStreamParameters.html
  wholeNumberInRange(check, 'batchSize', options.batchSize, 1, 10_000);
  wholeNumberInRange(check, 'maximumRetryAttempts', options.maximumRetryAttempts, 0, 10_000);
}

/** One problem at most for a number that must be whole and within [min, max]. Undefined and tokens are accepted. */
export function wholeNumberInRange(check: PropsCheck, name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value)) check.add(`${name} must be a whole number, got ${value}`);
  else check.inRange(name, value, min, max);
}

/**
 * An on-demand Kinesis data stream encrypted with `key`, kept 24 hours. DynamoDB writes to it as
 * its service-linked role, whose policy allows kinesis:PutRecords and kms:GenerateDataKey through
 * Kinesis (docs.aws.amazon.com/aws-managed-policy/latest/reference/DynamoDBKinesisReplicationServiceRolePolicy.html);
 * the key's default policy delegates to IAM, which admits it.
 */
export function createChangeStream(scope: Construct, id: string, key: kms.IKey, streamName?: string): kinesis.Stream {
  const stream = new kinesis.Stream(scope, id, {
    streamName,
    streamMode: kinesis.StreamMode.ON_DEMAND,
    encryption: kinesis.StreamEncryption.KMS,
    encryptionKey: key,
    retentionPeriod: STREAM_RETENTION,
    removalPolicy: dataRemovalPolicy(scope),
  });
  acknowledge(stream.node.defaultChild!, 'AwsSolutions-KDS3',
    'The change stream carries every item the table writes, so it is encrypted with the same customer managed key as the table replica in its region, whose use is audited and can be revoked; the AWS managed aws/kinesis key would give neither.');
  return stream;
}

/** What {@link addChangeFanout} creates. */
export interface ChangeFanout {
  readonly pipe: pipes.CfnPipe;
  readonly pipeRole: ServiceRole;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  readonly changeTopic?: sns.ITopic;
}

/**
 * The stream's one consumer: an EventBridge pipe that reads `stream` from its oldest record
 * (TRIM_HORIZON) and hands each batch to the topic or the bus. A batch that fails is split in
 * two and retried (AUTOMATIC_BISECT); what still fails after the retries, or is older than a
 * day, is recorded in the dead-letter queue (the pipe records the batch's shard and sequence
 * numbers, not the records), and an alarm tells `notificationTopic`.
 */
export function addChangeFanout(scope: Construct, stream: kinesis.IStream, key: kms.IKey, options: ChangeFanoutOptions, notificationTopic: sns.ITopic): ChangeFanout {
  const stack = Stack.of(scope);
  const pipeRole = new ServiceRole(scope, 'PipeRole', {
    // EventBridge Pipes assumes the role with aws:SourceAccount
    // (docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
    assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
    description: `EventBridge Pipes fans out the item changes of ${scope.node.path}`.slice(0, 1000),
  });

  const deadLetterQueue = new sqs.Queue(scope, 'PipeDeadLetterQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: key,
    enforceSSL: true,
    retentionPeriod: DLQ_RETENTION,
    removalPolicy: dataRemovalPolicy(scope),
  });
  acknowledge(deadLetterQueue.node.defaultChild!, 'AwsSolutions-SQS3',
    'This queue is the dead-letter queue of the change pipe; a dead-letter queue of its own would only move the same failed batch records again.');

  // The Kinesis source: read the stream and decrypt its records
  // (docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html#pipes-perms-ak).
  stream.grantRead(pipeRole);
  // Failed batches to the dead-letter queue: SendMessage, and the queue key to encrypt
  // (docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
  pipeRole.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }));
  pipeRole.addToPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }));

  let changeTopic: sns.ITopic | undefined;
  let target: string;
  let targetParameters: pipes.CfnPipe.PipeTargetParametersProperty | undefined;
  if (options.changeEventBus) {
    options.changeEventBus.grantPutEventsTo(pipeRole);
    target = options.changeEventBus.eventBusArn;
    targetParameters = { eventBridgeEventBusParameters: { source: CHANGE_EVENT_SOURCE, detailType: CHANGE_DETAIL_TYPE } };
  } else {
    changeTopic = options.changeTopic ?? new NotificationTopic(scope, 'Changes', {
      displayName: 'DynamoDB item changes',
      // Only the pipe's role publishes, through its identity policy; no AWS service needs the key.
      publishingServices: [],
    }).topic;
    // sns:Publish, and for an SSE-KMS topic its key (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
    changeTopic.grantPublish(pipeRole);
    pipeRole.acknowledgeWildcardAction('kms:GenerateDataKey*',
      'aws-cdk-lib\'s grantPublish asks for the GenerateDataKey variants on the change topic\'s own key only, which SNS uses to encrypt what the pipe publishes.');
    target = changeTopic.topicArn;
  }

  const pipe = new pipes.CfnPipe(scope, 'Pipe', {
    description: `The one consumer of the change stream of ${scope.node.path}: fans item changes out`.slice(0, 512),
    roleArn: pipeRole.roleArn,
    source: stream.streamArn,
    sourceParameters: {
      kinesisStreamParameters: {
        // docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_PipeSourceKinesisStreamParameters.html
        startingPosition: 'TRIM_HORIZON',
        batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
        maximumRetryAttempts: options.maximumRetryAttempts ?? DEFAULT_RETRIES,
        maximumRecordAgeInSeconds: MAXIMUM_RECORD_AGE_SECONDS,
        onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
        deadLetterConfig: { arn: deadLetterQueue.queueArn },
      },
    },
    target,
    targetParameters,
  });
  pipe.node.addDependency(pipeRole.grantsDependable);

  const deadLetterAlarm = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
    .createAlarm(scope, 'PipeDeadLetterAlarm', {
      alarmDescription: `Item changes of ${scope.node.path} could not be delivered: the dead-letter queue holds the shard and sequence numbers of the failed batches. Read them from the stream (24 hours) and replay, then fix the target.`.slice(0, 1024),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  addAlarmNotification(deadLetterAlarm, notificationTopic);
  return { pipe, pipeRole, deadLetterQueue, deadLetterAlarm, changeTopic };
}
