/**
 * RES-4 GlobalTableRegion: what a {@link GlobalTable} needs in each replica region, deployed
 * there before the table.
 *
 * A global table's replicas live in other regions, and so must their customer managed keys and
 * the Kinesis data streams they capture changes to: KMS keys and streams are regional. CloudFormation
 * cannot reference a resource of another region's stack without a custom resource (CDK's
 * `crossRegionReferences`), so this construct gives both fixed names, a key alias and a stream
 * name derived from its construct path, and the table names them by ARN: `replicaKeyArn` is the
 * alias ARN (DynamoDB accepts one for a replica's KMSMasterKeyId), `changeStreamArn` the stream's.
 * The stream's one consumer, an EventBridge pipe, fans the region's changes out to a topic or an
 * event bus in the same region, so change delivery does not depend on the table's region.
 */
import { Arn, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { createEncryptionKey } from '../core/encryption-key';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';
import { ChangeFanoutOptions } from './change-fanout';
import { addChangeFanout, checkFanoutOptions, createChangeStream } from './private/change-capture';

/** A replica region of a {@link GlobalTable}: where its key and change stream are. */
export interface IGlobalTableRegion extends IConstruct {
  /** The account of the replica region's resources (a global table's replicas share its account). */
  readonly account: string;
  /** The replica's region. */
  readonly region: string;
  /** The alias ARN (or key ARN) of the customer managed key of the replica, in `region`. */
  readonly replicaKeyArn: string;
  /** The ARN of the Kinesis data stream the replica writes its item changes to, in `region`. */
  readonly changeStreamArn: string;
}

/** Attributes of a replica region whose key and stream are managed elsewhere. */
export interface GlobalTableRegionAttributes {
  /** The account of the key and stream. */
  readonly account: string;
  /** The region of the key and stream. */
  readonly region: string;
  /** The key ARN or alias ARN of the replica's customer managed key. */
  readonly replicaKeyArn: string;
  /** The ARN of the Kinesis data stream the replica writes its changes to. */
  readonly changeStreamArn: string;
}

/** Props for {@link GlobalTableRegion}. */
export interface GlobalTableRegionProps extends ChangeFanoutOptions {
  /**
   * The alias of the replica's key (`alias/...`, not `alias/aws/...`).
   * @default - `alias/global-table/<unique id of this construct>`
   */
  readonly replicaKeyAlias?: string;

  /**
   * The name of the change stream (1-128 letters, digits, `_`, `.` and `-`).
   * @default - `<unique id of this construct>-changes`
   */
  readonly changeStreamName?: string;

  /**
   * Where a person is told that changes could not be delivered (the dead-letter queue's alarm).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** Kinesis stream names: 1-128 of `[a-zA-Z0-9_.-]` (docs.aws.amazon.com/kinesis/latest/APIReference/API_CreateStream.html). */
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
/** KMS alias names: `alias/` and up to 256 characters of `[a-zA-Z0-9/_-]` in all (docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html). */
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;
const STREAM_SUFFIX = '-changes';

/**
 * RES-4: a replica region of a {@link GlobalTable}: the replica's customer managed key (rotation
 * on) under a fixed alias, the encrypted change stream under a fixed name, and the stream's one
 * consumer, a pipe that fans changes out in this region.
 *
 * ```ts
 * const replica = new GlobalTableRegion(replicaRegionStack, 'Orders');
 * new GlobalTable(tableStack, 'Orders', { partitionKey, replicaRegions: [replica] });
 * ```
 */
export class GlobalTableRegion extends Construct implements IGlobalTableRegion {
  /**
   * A replica region whose key and stream exist already, managed outside this app. Its key policy
   * must let DynamoDB use the key, and the stream's key must let DynamoDB's service-linked role
   * `AWSServiceRoleForDynamoDBKinesisDataStreamsReplication` generate data keys.
   */
  public static fromAttributes(scope: Construct, id: string, attrs: GlobalTableRegionAttributes): IGlobalTableRegion {
    class Imported extends Construct implements IGlobalTableRegion {
      public readonly account = attrs.account;
      public readonly region = attrs.region;
      public readonly replicaKeyArn = attrs.replicaKeyArn;
      public readonly changeStreamArn = attrs.changeStreamArn;
    }
    return new Imported(scope, id);
  }

  /** The account of this stack. */
  public readonly account: string;
  /** The region of this stack: the replica's region. */
  public readonly region: string;
  /** The alias ARN of the replica's key, known before deployment. */
  public readonly replicaKeyArn: string;
  /** The ARN of the change stream, known before deployment. */
  public readonly changeStreamArn: string;
  /** The key of the replica, its change stream and the pipe's dead-letter queue. */
  public readonly key: kms.Key;
  /** The replica key's alias. */
  public readonly replicaKeyAlias: string;
  /** The Kinesis data stream the replica writes its item changes to. */
  public readonly changeStream: kinesis.Stream;
  /** The stream's one consumer. */
  public readonly pipe: pipes.CfnPipe;
  /** Where the pipe records batches it could not deliver. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The alarm on the dead-letter queue. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The topic changes are published to, unless they go to an event bus. */
  public readonly changeTopic?: sns.ITopic;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: GlobalTableRegionProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.account = stack.account;
    this.region = stack.region;
    this.replicaKeyAlias = props.replicaKeyAlias ?? `alias/global-table/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    const streamName = props.changeStreamName
      ?? `${Names.uniqueResourceName(this, { maxLength: 128 - STREAM_SUFFIX.length, separator: '-' })}${STREAM_SUFFIX}`;

    const check = new PropsCheck(this, 'GlobalTableRegion');
    check.require(!Token.isUnresolved(stack.region),
      'the stack has no region: a replica region\'s key and stream are regional (set env.region on the stack)');
    check.matches('replicaKeyAlias', this.replicaKeyAlias, ALIAS_NAME, 'an alias name such as alias/orders (letters, digits, /, _ and -, at most 256 characters)');
    check.require(!this.replicaKeyAlias.startsWith('alias/aws/'), `replicaKeyAlias must not start with "alias/aws/" (reserved for AWS managed keys), got "${this.replicaKeyAlias}"`);
    check.matches('changeStreamName', streamName, STREAM_NAME, '1-128 letters, digits, _, . or -');
    checkFanoutOptions(check, props);
    check.throwIfAny();

    this.key = createEncryptionKey(this, 'Key', {
      description: `Encrypts a global table replica, its change stream and failed batches in ${this.node.path}`,
      alias: this.replicaKeyAlias,
    });
    this.replicaKeyArn = Arn.format({ service: 'kms', resource: this.replicaKeyAlias, account: stack.account, region: stack.region }, stack);
    this.changeStream = createChangeStream(this, 'ChangeStream', this.key, streamName);
    this.changeStreamArn = Arn.format({ service: 'kinesis', resource: 'stream', resourceName: streamName, account: stack.account, region: stack.region }, stack);

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Alarms', { displayName: 'Global table change delivery alarms' }).topic;
    const fanout = addChangeFanout(this, this.changeStream, this.key, props, this.notificationTopic);
    this.pipe = fanout.pipe;
    this.deadLetterQueue = fanout.deadLetterQueue;
    this.deadLetterAlarm = fanout.deadLetterAlarm;
    this.changeTopic = fanout.changeTopic;
  }
}
