/**
 * RES-7 ReplicatedBucket: S3 cross-region (and optionally cross-account) replication.
 *
 * Replication is push-based. The source bucket carries the replication rule and the IAM role
 * S3 assumes; the destination ({@link ReplicationDestination}) carries the bucket policy and key
 * policy that let that role in. Both buckets are versioned and KMS-encrypted: the source key is
 * readable by the role, and replicas are written with the destination's replica key. Replication
 * Time Control (15-minute SLA) is on by default and replication metrics always, delete markers are
 * replicated on request, and across accounts ownership of replicas passes to the destination.
 * A CloudWatch alarm on failed replications tells a person when an object did not make it.
 */
import * as crypto from 'crypto';
import { Arn, ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { NotificationTopic } from '../core/notification-topic';
import { SecureBucket } from '../core/secure-bucket';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { IReplicationDestination } from './replication-destination';

/**
 * Props for {@link ReplicatedBucket}.
 */
export interface ReplicatedBucketProps {
  /** Where objects are replicated to: a {@link ReplicationDestination} or an imported one. */
  readonly destination: IReplicationDestination;

  /**
   * Require the destination to be in another region (cross-region replication). Set to false for
   * same-region replication, for example into another account in the same region.
   * @default true
   */
  readonly crossRegion?: boolean;

  /**
   * The key that encrypts the source bucket.
   * @default - a new customer managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * S3 Replication Time Control: 99.99 % of objects replicated within 15 minutes, and the
   * 15-minute threshold for the `OperationMissedThreshold` event. Replication metrics are on
   * whether or not RTC is: the failed-replication alarm watches `OperationsFailedReplication`,
   * which S3 publishes only for rules with replication metrics enabled.
   * @default true
   */
  readonly replicationTimeControl?: boolean;

  /**
   * Replicate delete markers, so a delete in the source hides the object in the destination too.
   * Off by default: a replica that survives an accidental or malicious delete is often the point.
   * @default false
   */
  readonly deleteMarkerReplication?: boolean;

  /**
   * Hand ownership of replicas to the destination account (`AccessControlTranslation`).
   * Only possible across accounts.
   * @default - true when the destination is in another account
   */
  readonly ownershipToDestination?: boolean;

  /**
   * Replicate only keys with this prefix.
   * @default - every object
   */
  readonly prefix?: string;

  /**
   * The storage class of replicas.
   * @default - the source object's storage class
   */
  readonly replicaStorageClass?: s3.StorageClass;

  /**
   * Where a person is told that objects failed to replicate (the alarm's topic).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * The source bucket's name.
   * @default - generated
   */
  readonly bucketName?: string;

  /**
   * Where the source bucket's server access logs go.
   * @default - the stack's access-log bucket
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
}

/** The id of the single replication rule, used in the metrics' `RuleId` dimension. */
const RULE_ID = 'replicate-to-destination';

/**
 * RES-7: a source bucket that replicates every new object version to a destination bucket in
 * another region (and optionally another account).
 *
 * ```ts
 * const destination = new ReplicationDestination(drStack, 'Replicas');
 * new ReplicatedBucket(appStack, 'Data', { destination });
 * ```
 *
 * Replication applies to objects written after it is enabled; use S3 Batch Replication for
 * objects that existed before.
 */
export class ReplicatedBucket extends Construct {
  /** The source bucket. */
  public readonly bucket: s3.Bucket;
  /** The key that encrypts the source bucket. */
  public readonly encryptionKey: kms.IKey;
  /** The role S3 assumes to replicate. */
  public readonly replicationRole: ServiceRole;
  /** The alarm on `OperationsFailedReplication`. */
  public readonly failedReplicationAlarm: cloudwatch.Alarm;
  /** The topic the alarm notifies. */
  public readonly notificationTopic: sns.ITopic;
  /** Whether the destination is in another account. */
  public readonly crossAccount: boolean;

  constructor(scope: Construct, id: string, props: ReplicatedBucketProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const destination = props.destination;
    const destinationAccount = destination.bucket.env.account;
    const destinationRegion = destination.bucket.env.region;
    const crossRegion = props.crossRegion ?? true;
    const rtc = props.replicationTimeControl ?? true;

    const check = new PropsCheck(this, 'ReplicatedBucket');
    check.require(destination.versioned,
      `destination bucket ${destination.node.path} is not versioned: S3 replicates only into versioned buckets`);
    if (crossRegion) {
      if (Token.isUnresolved(stack.region) || Token.isUnresolved(destinationRegion)) {
        check.add('cross-region replication needs explicit regions on the source and destination stacks (set env.region)');
      } else {
        check.require(stack.region !== destinationRegion,
          `source and destination are both in ${stack.region}: cross-region replication needs the destination in another region (or set crossRegion: false)`);
      }
    }
    const accountsKnown = !Token.isUnresolved(stack.account) && !Token.isUnresolved(destinationAccount);
    this.crossAccount = accountsKnown && stack.account !== destinationAccount;
    if (!accountsKnown && props.ownershipToDestination) {
      check.add('ownershipToDestination needs explicit accounts on the source and destination stacks (set env.account)');
    }
    if (accountsKnown && !this.crossAccount && props.ownershipToDestination) {
      check.add('ownershipToDestination is only possible when the destination is in another account');
    }
    check.throwIfAny();

    // A name known before deployment lets the destination's policies name this role without a
    // cross-stack reference (which would be a cycle: the rule also names the destination). The
    // destination does not compute it again: it admits exactly the ARN built here.
    const roleName = replicationRoleName(this);
    const roleArn = Arn.format({ partition: stack.partition, service: 'iam', region: '', account: stack.account, resource: 'role', resourceName: roleName }, stack);
    this.replicationRole = new ServiceRole(this, 'ReplicationRole', {
      roleName,
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      description: `S3 replication from ${this.node.path}`,
    });

    // The destination by name, not by reference: a reference across stacks would be a cycle
    // (the destination's policies name this role) and across environments is not possible.
    const destinationBucket = s3.Bucket.fromBucketAttributes(this, 'DestinationBucket', {
      bucketName: destination.bucketName,
      account: destinationAccount,
      region: destinationRegion,
    });
    const replicaKey = kms.Key.fromKeyArn(this, 'ReplicaKey', destination.replicaKeyArn);
    // Sandbox mode (removal of the bucket, its objects and key) comes from the `sandbox` context.
    const secure = new SecureBucket(this, 'Source', {
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      bucketProps: {
        bucketName: props.bucketName,
        replicationRole: this.replicationRole,
        replicationRules: [{
          id: RULE_ID,
          destination: destinationBucket,
          kmsKey: replicaKey,
          sseKmsEncryptedObjects: true,
          replicationTimeControl: rtc ? s3.ReplicationTimeValue.FIFTEEN_MINUTES : undefined,
          // Always on: S3 publishes OperationsFailedReplication (the alarm below) only for rules with
          // replication metrics, which do not need RTC. Without RTC, aws-cdk-lib renders
          // `Metrics: { Status: Enabled }` without the EventThreshold that belongs to RTC.
          // https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html
          // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html
          // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-metrics.html
          metrics: s3.ReplicationTimeValue.FIFTEEN_MINUTES,
          deleteMarkerReplication: props.deleteMarkerReplication ?? false,
          accessControlTransition: (props.ownershipToDestination ?? this.crossAccount) || undefined,
          storageClass: props.replicaStorageClass,
          filter: props.prefix ? { prefix: props.prefix } : undefined,
        }],
      },
    });
    this.bucket = secure.bucket;
    this.encryptionKey = secure.encryptionKey!;

    // The role reads the source (and decrypts it), writes replicas to the destination.
    this.bucket.grantReplicationPermission(this.replicationRole, {
      sourceDecryptionKey: this.encryptionKey,
      destinations: [{ bucket: destinationBucket }],
    });
    const keyStatement = replicaKeyStatement(destination.replicaKeyArn);
    this.replicationRole.addToPolicy(keyStatement);
    destination.grantReplicationFrom(roleArn, stack.account);
    // Deploy order: the destination's stack first, so S3 finds the destination when the rule is
    // created. A destination of this app (created or imported in another stack) names that stack;
    // one imported into the source's own stack is deployed elsewhere, outside this app.
    const destinationStack = Stack.of(destination);
    if (destinationStack !== stack) stack.addStackDependency(destinationStack, 'S3 replication needs its destination bucket first');
    const role = this.replicationRole;
    role.acknowledgeWildcardResource(this.bucket.arnForObjects('*'),
      'S3 replication reads every object version of the source bucket, so the role needs that bucket\'s object ARN wildcard and nothing wider.');
    role.acknowledgeWildcardResource(destinationBucket.arnForObjects('*'),
      'S3 replication writes every replicated object version into the destination bucket, so the role needs that bucket\'s object ARN wildcard and nothing wider.');
    if (keyStatement.resources.some((r) => r.endsWith(':key/*'))) {
      role.acknowledgeWildcardResource(keyStatement.resources[0],
        'The replica key lives in the destination account and is known here only by its alias; the kms:ResourceAliases condition narrows this statement to that one key.');
    }
    // aws-cdk-lib adds an info note asking for the destination's bucket policy: grantReplicationFrom above added it.

    const failed = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'OperationsFailedReplication',
      dimensionsMap: {
        SourceBucket: this.bucket.bucketName,
        DestinationBucket: destination.bucketName,
        RuleId: RULE_ID,
      },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    this.failedReplicationAlarm = failed.createAlarm(this, 'FailedReplicationAlarm', {
      alarmDescription: `Objects of ${this.node.path} failed to replicate to the destination bucket.`,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Alarms', { displayName: alarmTopicDisplayName(this.node.path) }).topic;
    addAlarmNotification(this.failedReplicationAlarm, this.notificationTopic);
  }
}

/** IAM role names: at most 64 characters. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html */
const ROLE_NAME_MAX = 64;
const ROLE_NAME_INFIX = '-replication-';
/** The unique part's length before role names were bounded: names that fitted keep it. */
const ROLE_NAME_UNIQUE_MAX = 40;
/**
 * The longest region code today is 15 characters (`us-isof-south-1`; aws-cdk-lib's region table
 * and the AWS SDK's partition data agree). A region that is a token (environment-agnostic stack)
 * is budgeted at this length.
 */
const LONGEST_REGION_LENGTH = 15;
/** Fewer characters than this left for the unique part: the region is spelled by its hash. */
const ROLE_NAME_UNIQUE_MIN = 16;

/**
 * The name of the role S3 assumes for `scope`: `<unique id>-replication-<region>`, at most 64
 * characters for any stack name, construct path and region. IAM names are global to the account,
 * so the region is part of it (the same stack in two regions must not collide).
 *
 * The unique part is `Names.uniqueResourceName` cut to what the region leaves, never more than
 * 40 characters, so every name that fitted before keeps exactly its old value (no role
 * replacement). A region that is a token is budgeted at {@link LONGEST_REGION_LENGTH}; a concrete
 * region code too long to leave 16 characters (none exists) is replaced by its hash.
 */
function replicationRoleName(scope: Construct): string {
  const region = Stack.of(scope).region;
  const regionLength = Token.isUnresolved(region) ? LONGEST_REGION_LENGTH : region.length;
  const room = ROLE_NAME_MAX - ROLE_NAME_INFIX.length - regionLength;
  if (room >= ROLE_NAME_UNIQUE_MIN) {
    const unique = Names.uniqueResourceName(scope, { maxLength: Math.min(ROLE_NAME_UNIQUE_MAX, room), separator: '-' });
    return `${unique}${ROLE_NAME_INFIX}${region}`;
  }
  const regionHash = crypto.createHash('sha256').update(region).digest('hex').slice(0, 8);
  return `${Names.uniqueResourceName(scope, { maxLength: ROLE_NAME_UNIQUE_MAX, separator: '-' })}${ROLE_NAME_INFIX}${regionHash}`;
}

/**
 * SNS topic display names: at most 100 characters.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html#cfn-sns-topic-displayname
 * A long construct path keeps its end, the part that tells which bucket it is.
 */
function alarmTopicDisplayName(path: string): string {
  const prefix = 'Replication alarms of ';
  const room = 100 - prefix.length;
  return prefix + (path.length <= room ? path : `...${path.slice(-(room - 3))}`);
}

/**
 * kms:Encrypt on the replica key. A key ARN is granted as it is; an alias ARN cannot be a policy
 * resource for KMS operations, so the grant covers the keys of the destination account and region
 * that carry that alias (`kms:ResourceAliases`).
 */
function replicaKeyStatement(replicaKeyArn: string): iam.PolicyStatement {
  const actions = ['kms:Encrypt', 'kms:GenerateDataKey'];
  const arn = !Token.isUnresolved(replicaKeyArn) && replicaKeyArn.split(':').length >= 6
    ? Arn.split(replicaKeyArn, ArnFormat.SLASH_RESOURCE_NAME)
    : undefined;
  if (!arn || arn.service !== 'kms' || arn.resource !== 'alias' || !arn.resourceName) {
    return new iam.PolicyStatement({ actions, resources: [replicaKeyArn] });
  }
  return new iam.PolicyStatement({
    actions,
    resources: [`arn:${arn.partition}:kms:${arn.region}:${arn.account}:key/*`],
    conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': `alias/${arn.resourceName}` } },
  });
}
