/**
 * OBS-1 LogSubscriptionPipeline: CloudWatch Logs events, as they arrive, to one destination for
 * near-real-time processing, plus metric filters with alarms on the same log groups.
 *
 * A subscription filter hands every matching log event to a Lambda function, a Kinesis data
 * stream or a Firehose delivery stream (which writes to S3 or to an OpenSearch domain) within
 * seconds to minutes of ingestion, so logs can be processed, indexed or archived without polling.
 * What makes that work and is easy to get wrong: the role CloudWatch Logs assumes for Kinesis and
 * Firehose (trusted by `logs.amazonaws.com` of this account and region only, allowed to put
 * records into this destination only, and to encrypt for the stream's key), the Lambda
 * permission for the log groups, Firehose's own role (trusted with this account as external id,
 * allowed only into its prefixes of the bucket and its key) and its error log group. An
 * account-level subscription policy (every log group of the account and region, present and
 * future) is an opt-in that excludes the pipeline's own log groups, so a delivery error cannot
 * feed itself. Metric filters count patterns across the log groups, and their alarms tell a person.
 */
import { Annotations, ArnFormat, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { createEncryptionKey } from '../core/encryption-key';
import { EncryptedLogGroup } from '../core/log-group';
import { acknowledgeNotReplicated } from '../core/not-replicated';
import { NotificationTopic } from '../core/notification-topic';
import { dataRemovalPolicy } from '../core/sandbox';
import { SecureBucket } from '../core/secure-bucket';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** A Kinesis data stream as the destination of a {@link LogSubscriptionPipeline}. */
export interface KinesisLogDestinationProps {
  /**
   * The stream. One passed in must let a role of this account put records (no stream policy
   * refusing it); when it is encrypted with a customer managed key, pass it as `kinesis.Stream`
   * or with `encryptionKey` set, so the delivery role is allowed to encrypt for it.
   * @default - a new provisioned stream of one shard, encrypted with the AWS managed `aws/kinesis` KMS key, 24-hour retention
   */
  readonly stream?: kinesis.IStream;

  /**
   * How CloudWatch Logs spreads log events over the stream's shards.
   * @default logs.Distribution.BY_LOG_STREAM
   */
  readonly distribution?: logs.Distribution;
}

/** A Firehose delivery stream writing to S3 as the destination of a {@link LogSubscriptionPipeline}. */
export interface FirehoseS3LogDestinationProps {
  /**
   * The bucket Firehose writes to. One passed in that is encrypted with a KMS key must expose it
   * as `encryptionKey` (a `s3.Bucket`, or `fromBucketAttributes` with `encryptionKey`), so the
   * Firehose role is allowed to use it.
   * @default - a new {@link SecureBucket} (SSE-KMS, versioned, TLS only, access logs)
   */
  readonly bucket?: s3.IBucket;

  /**
   * The key prefix of delivered objects. Firehose appends `YYYY/MM/DD/HH/`.
   * @default 'logs/'
   */
  readonly prefix?: string;

  /**
   * How long Firehose buffers before it writes an object (0 to 900 seconds).
   * @default Duration.minutes(5)
   */
  readonly bufferingInterval?: Duration;
}

/** How often Firehose starts a new OpenSearch index. */
export enum OpenSearchIndexRotation {
  /** One index, never rotated. */
  NO_ROTATION = 'NoRotation',
  /** A new index every hour. */
  ONE_HOUR = 'OneHour',
  /** A new index every day. */
  ONE_DAY = 'OneDay',
  /** A new index every week. */
  ONE_WEEK = 'OneWeek',
  /** A new index every month. */
  ONE_MONTH = 'OneMonth',
}

/** A Firehose delivery stream writing to an OpenSearch Service domain as the destination of a {@link LogSubscriptionPipeline}. */
export interface FirehoseOpenSearchLogDestinationProps {
  /**
   * The domain, with a public endpoint. Its access policy (and, with fine-grained access control,
   * its role mapping) must admit the construct's `firehoseRole`; this construct cannot change a
   * domain it did not create. A domain in a VPC needs Firehose's VPC configuration, which this
   * construct does not build.
   */
  readonly domain: opensearch.IDomain;

  /** The index (or index prefix, with rotation) Firehose writes to. */
  readonly indexName: string;

  /**
   * When Firehose starts a new index.
   * @default OpenSearchIndexRotation.ONE_DAY
   */
  readonly indexRotation?: OpenSearchIndexRotation;

  /**
   * Where Firehose writes documents the domain refused, so none is lost.
   * @default - a new {@link SecureBucket}
   */
  readonly backupBucket?: s3.IBucket;
}

/** The account-level subscription filter policy of a {@link LogSubscriptionPipeline}. */
export interface AccountSubscriptionPolicyProps {
  /**
   * Which log events of every log group go to the destination.
   * @default - the pipeline's `filterPattern`
   */
  readonly filterPattern?: logs.IFilterPattern;

  /**
   * Log groups the policy leaves out, besides the pipeline's own (the Firehose error log group,
   * the Lambda function's `/aws/lambda/<name>` group), which are always left out so a delivery
   * cannot feed itself. Add the log groups of whatever reads the Kinesis stream.
   * @default - only the pipeline's own log groups
   */
  readonly excludedLogGroupNames?: string[];
}

/** A metric filter over the pipeline's log groups and an alarm on its metric. */
export interface LogMetricAlarm {
  /** The metric's name (1 to 255 characters, no `:`, `*` or `$`), also the alarm's subject. */
  readonly metricName: string;

  /** Which log events count: each match adds 1 to the metric. */
  readonly filterPattern: logs.IFilterPattern;

  /** The alarm fires when the sum over one period reaches this value. */
  readonly threshold: number;

  /**
   * The metric namespace.
   * @default 'DevOpsPatterns/Logs'
   */
  readonly metricNamespace?: string;

  /**
   * The period the matches are summed over.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * How many periods in a row must reach the threshold.
   * @default 1
   */
  readonly evaluationPeriods?: number;

  /**
   * The alarm description, part of the notification.
   * @default - says which pattern of which log groups reached the threshold
   */
  readonly description?: string;
}

/** Props for {@link LogSubscriptionPipeline}. Exactly one destination: `lambdaDestination`, `kinesisDestination`, `s3Destination` or `openSearchDestination`. */
export interface LogSubscriptionPipelineProps {
  /**
   * The log groups to subscribe (one subscription filter each, and the metric filters).
   * @default - none: only the account-level policy (then `accountPolicy` is required)
   */
  readonly logGroups?: logs.ILogGroup[];

  /**
   * Which log events go to the destination.
   * @default logs.FilterPattern.allEvents()
   */
  readonly filterPattern?: logs.IFilterPattern;

  /**
   * Deliver to this Lambda function (same account and region). It is allowed to be invoked by
   * CloudWatch Logs for the subscribed log groups only.
   * @default - not a Lambda destination
   */
  readonly lambdaDestination?: lambda.IFunction;

  /**
   * Deliver to a Kinesis data stream, through a role CloudWatch Logs assumes.
   * @default - not a Kinesis destination
   */
  readonly kinesisDestination?: KinesisLogDestinationProps;

  /**
   * Deliver to S3 through a Firehose delivery stream (encrypted, with its own error log group).
   * @default - not an S3 destination
   */
  readonly s3Destination?: FirehoseS3LogDestinationProps;

  /**
   * Deliver to an OpenSearch Service domain through a Firehose delivery stream, refused documents
   * to a backup bucket.
   * @default - not an OpenSearch destination
   */
  readonly openSearchDestination?: FirehoseOpenSearchLogDestinationProps;

  /**
   * Also subscribe every log group of the account and region (present and future) with an
   * account-level subscription filter policy (`AWS::Logs::AccountPolicy`). An account and region
   * can have one.
   * @default - no account-level policy
   */
  readonly accountPolicy?: AccountSubscriptionPolicyProps;

  /**
   * Metric filters on the log groups, each with an alarm that notifies `notificationTopic`.
   * @default - none
   */
  readonly metricAlarms?: LogMetricAlarm[];

  /**
   * Where a person is told when a metric alarm fires. Created only when there are metric alarms.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** Subscription filters per log group (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-subscriptionfilter.html). */
export const MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP = 2;
/** A filter pattern's length (docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html). */
const MAX_FILTER_PATTERN = 1024;
/** SelectionCriteria length in UTF-8 bytes (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-accountpolicy.html). */
const MAX_SELECTION_CRITERIA = 25 * 1024;
/** A metric filter's metric name: 1-255 characters without `:`, `*`, `$` (API_MetricTransformation). */
const METRIC_NAME = /^[^:*$]{1,255}$/;
const ACCOUNT_POLICY_TYPE = 'SUBSCRIPTION_FILTER_POLICY';
const DATA_PREFIX = 'logs/';
const ERROR_PREFIX = 'errors/';
/** Firehose decompresses the gzip payloads CloudWatch Logs sends, so objects and documents are plain JSON (docs.aws.amazon.com/firehose/latest/dev/writing-with-cloudwatch-logs-decompression.html). */
const DECOMPRESS = { enabled: true, processors: [{ type: 'Decompression', parameters: [{ parameterName: 'CompressionFormat', parameterValue: 'GZIP' }] }] };

/**
 * OBS-1: a subscription filter from log groups (and, as an option, an account-level policy) to
 * one destination (Lambda, Kinesis Data Streams, Firehose to S3 or to OpenSearch) with the
 * destination's permissions, and metric filters with alarms.
 *
 * ```ts
 * new LogSubscriptionPipeline(this, 'AppLogs', {
 *   logGroups: [appLogs],
 *   s3Destination: {},
 *   metricAlarms: [{ metricName: 'Errors', filterPattern: logs.FilterPattern.anyTerm('ERROR'), threshold: 5 }],
 * });
 * ```
 */
export class LogSubscriptionPipeline extends Construct {
  /** The subscription filters, one per log group. */
  public readonly subscriptionFilters: logs.SubscriptionFilter[] = [];
  /** The ARN of the destination CloudWatch Logs delivers to. */
  public readonly destinationArn: string;
  /** The role CloudWatch Logs assumes to put records into a Kinesis or Firehose destination. */
  public readonly deliveryRole?: ServiceRole;
  /** The Kinesis data stream, with a Kinesis destination. */
  public readonly stream?: kinesis.IStream;
  /** The Firehose delivery stream, with an S3 or OpenSearch destination. */
  public readonly deliveryStream?: firehose.CfnDeliveryStream;
  /** The role Firehose assumes to write, with an S3 or OpenSearch destination. */
  public readonly firehoseRole?: ServiceRole;
  /** The bucket Firehose writes to (the S3 destination, or OpenSearch's backup of refused documents). */
  public readonly bucket?: s3.IBucket;
  /** Firehose's error log group. */
  public readonly firehoseLogGroup?: logs.ILogGroup;
  /** The account-level subscription filter policy, when asked for. */
  public readonly accountPolicy?: logs.CfnAccountPolicy;
  /** The metric filters, per metric alarm and log group. */
  public readonly metricFilters: logs.MetricFilter[] = [];
  /** The alarms, one per metric alarm. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** Where a person is told, when there are metric alarms. */
  public readonly notificationTopic?: sns.ITopic;

  private readonly logGroups: logs.ILogGroup[];

  constructor(scope: Construct, id: string, props: LogSubscriptionPipelineProps) {
    super(scope, id);
    this.logGroups = props.logGroups ?? [];
    const filterPattern = props.filterPattern ?? logs.FilterPattern.allEvents();
    check(this, props, this.logGroups, filterPattern);

    const stack = Stack.of(this);
    let destination: logs.ILogSubscriptionDestination;
    const ownLogGroups: string[] = [];
    if (props.lambdaDestination) {
      const fn = props.lambdaDestination;
      destination = new logsDestinations.LambdaDestination(fn);
      this.destinationArn = fn.functionArn;
      ownLogGroups.push(`/aws/lambda/${fn.functionName}`);
    } else {
      // CloudWatch Logs assumes this role to put records. Trusted by CloudWatch Logs acting for
      // this account and region only: the aws:SourceArn condition of "Using CloudWatch Logs
      // subscription filters" (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html),
      // which prevents the confused deputy problem; the role can be passed only by a principal
      // with iam:PassRole on it.
      this.deliveryRole = new ServiceRole(this, 'DeliveryRole', {
        assumedBy: new iam.ServicePrincipal('logs.amazonaws.com', {
          conditions: { StringLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*' }) } },
        }),
        description: `CloudWatch Logs puts subscribed log events into the destination of ${this.node.path}`.slice(0, 1000),
      });
      if (props.kinesisDestination) {
        this.stream = props.kinesisDestination.stream ?? new kinesis.Stream(this, 'Stream', {
          streamMode: kinesis.StreamMode.PROVISIONED,
          shardCount: 1,
          retentionPeriod: Duration.hours(24),
          // KMS with the AWS managed aws/kinesis key: producers in the account may use it through
          // Kinesis, and it costs nothing per request; a stream passed in may use a customer
          // managed key (docs.aws.amazon.com/streams/latest/dev/costs-performance.html).
          encryption: kinesis.StreamEncryption.MANAGED,
        });
        this.destinationArn = this.stream.streamArn;
        // CloudWatch Logs calls PutRecord; a producer to a KMS-encrypted stream needs
        // kms:GenerateDataKey on its key (docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
        this.deliveryRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecord', 'kinesis:PutRecords'], resources: [this.stream.streamArn] }));
        if (this.stream.encryptionKey) {
          this.deliveryRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [this.stream.encryptionKey.keyArn] }));
        }
      } else {
        const built = this.firehose(props);
        this.deliveryStream = built.deliveryStream;
        this.firehoseRole = built.role;
        this.firehoseLogGroup = built.logGroup;
        this.bucket = built.bucket;
        const deliveryStream = built.deliveryStream;
        this.destinationArn = deliveryStream.attrArn;
        ownLogGroups.push(built.logGroup.logGroupName);
        this.deliveryRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [deliveryStream.attrArn] }));
      }
      destination = roleDestination(this.destinationArn, this.deliveryRole);
    }

    this.logGroups.forEach((logGroup, i) => {
      const filter = new logs.SubscriptionFilter(this, `Subscription${i}`, { logGroup, destination, filterPattern });
      // The L2 takes a distribution only with its own KinesisDestination, whose grants are wider
      // than CloudWatch Logs needs (kms:ReEncrypt*, iam:PassRole): set it on the resource.
      if (props.kinesisDestination?.distribution) {
        (filter.node.defaultChild as logs.CfnSubscriptionFilter).distribution = props.kinesisDestination.distribution;
      }
      // CloudWatch Logs tests delivery when the filter is created: the role's grants come first.
      if (this.deliveryRole) filter.node.addDependency(this.deliveryRole.grantsDependable);
      this.subscriptionFilters.push(filter);
    });
    this.node.addValidation({ validate: () => this.tooManyFilters() });

    if (props.accountPolicy) {
      this.accountPolicy = this.createAccountPolicy(props, props.accountPolicy.filterPattern ?? filterPattern, ownLogGroups);
    }

    if (props.metricAlarms && props.metricAlarms.length > 0) {
      this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', { displayName: 'Log metric alarms' }).topic;
      props.metricAlarms.forEach((spec, i) => this.metricAlarm(spec, i));
    }
  }

  private firehose(props: LogSubscriptionPipelineProps): { deliveryStream: firehose.CfnDeliveryStream; role: ServiceRole; logGroup: logs.ILogGroup; bucket: s3.IBucket } {
    const stack = Stack.of(this);
    const openSearch = props.openSearchDestination;
    // Firehose assumes its role with this account as external id (docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#firehose-assume-role).
    const role = new ServiceRole(this, 'FirehoseRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': stack.account } } }),
      description: `Firehose writes the subscribed log events of ${this.node.path}`.slice(0, 1000),
    });

    const logGroup = new EncryptedLogGroup(this, 'FirehoseErrors').logGroup;
    const logStream = new logs.LogStream(this, 'FirehoseErrorStream', { logGroup, removalPolicy: dataRemovalPolicy(this) });
    // Firehose writes its delivery errors to this stream (controlling-access.html#using-iam-s3).
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:PutLogEvents'],
      resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${logGroup.logGroupName}:log-stream:${logStream.logStreamName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }));
    const logging = { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: logStream.logStreamName };

    const bucketIsOurs = !(openSearch ? openSearch.backupBucket : props.s3Destination?.bucket);
    const bucket = (openSearch ? openSearch.backupBucket : props.s3Destination?.bucket) ?? this.newBucket(openSearch !== undefined);
    const prefix = openSearch ? 'failed/' : props.s3Destination?.prefix ?? DATA_PREFIX;
    const s3Config = this.grantBucket(role, bucket, prefix, bucketIsOurs);

    const streamKey = createEncryptionKey(this, 'DeliveryStreamKey', { description: `Encrypts the delivery stream of ${this.node.path}` });
    const common = {
      deliveryStreamType: 'DirectPut',
      // SSE with a customer managed key; Firehose creates a grant on it with the deploying principal's permissions
      // (docs.aws.amazon.com/firehose/latest/dev/encryption.html).
      deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: streamKey.keyArn },
    };
    let deliveryStream: firehose.CfnDeliveryStream;
    if (openSearch) {
      const domainArn = openSearch.domain.domainArn;
      // The permissions of "Grant Firehose access to a public OpenSearch Service destination"
      // (docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-es).
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['es:DescribeDomain', 'es:DescribeDomains', 'es:DescribeDomainConfig', 'es:ESHttpPost', 'es:ESHttpPut'], resources: [domainArn, `${domainArn}/*`] }));
      const index = openSearch.indexName;
      const reads = ['_all/_settings', '_cluster/stats', `${index}*/_mapping/*`, '_nodes', '_nodes/stats', '_nodes/*/stats', '_stats', `${index}*/_stats`].map((p) => `${domainArn}/${p}`);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['es:ESHttpGet'], resources: reads }));
      role.acknowledgeWildcardResource(`${domainArn}/*`, 'Firehose indexes documents through the domain\'s HTTP API (bulk requests on the index it rotates), which IAM names only as paths under the domain; the grant is on this one domain.');
      for (const read of reads.filter((r) => r.includes('*'))) {
        role.acknowledgeWildcardResource(read, 'Firehose reads index mappings and node statistics of this domain, at the paths AWS documents for an OpenSearch destination.');
      }
      Annotations.of(this).addInfoV2('@devops-patterns/opensearch-access',
        'The OpenSearch domain\'s access policy (and, with fine-grained access control, its role mapping) must admit the Firehose role (firehoseRole) for es:ESHttpPost, es:ESHttpPut and es:ESHttpGet; this construct cannot change a domain it did not create.');
      deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
        ...common,
        amazonopensearchserviceDestinationConfiguration: {
          domainArn, indexName: index, indexRotationPeriod: openSearch.indexRotation ?? OpenSearchIndexRotation.ONE_DAY,
          roleArn: role.roleArn, s3BackupMode: 'FailedDocumentsOnly', s3Configuration: { ...s3Config, cloudWatchLoggingOptions: logging },
          cloudWatchLoggingOptions: logging, processingConfiguration: DECOMPRESS, retryOptions: { durationInSeconds: 300 },
        },
      });
    } else {
      const interval = props.s3Destination?.bufferingInterval?.toSeconds() ?? 300;
      deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
        ...common,
        extendedS3DestinationConfiguration: {
          ...s3Config, errorOutputPrefix: ERROR_PREFIX, compressionFormat: 'GZIP',
          bufferingHints: { intervalInSeconds: interval, sizeInMBs: 5 },
          cloudWatchLoggingOptions: logging, processingConfiguration: DECOMPRESS,
        },
      });
    }
    deliveryStream.node.addDependency(role.grantsDependable);
    return { deliveryStream, role, logGroup, bucket };
  }

  private newBucket(backup: boolean): s3.IBucket {
    const secure = new SecureBucket(this, backup ? 'BackupBucket' : 'Bucket');
    acknowledgeNotReplicated(secure.bucket, backup
      ? 'This bucket keeps the documents an OpenSearch domain refused, for replay; the originals stay in their CloudWatch Logs log groups, so a second-region copy adds nothing a restore needs.'
      : 'This bucket holds a copy of log events that stay in their CloudWatch Logs log groups for their retention; pass a RES-7 ReplicatedBucket as the bucket where a second-region copy is required.');
    return secure.bucket;
  }

  /** The S3 permissions of "Grant Firehose access to an Amazon S3 destination", on this prefix and the error prefix only. */
  private grantBucket(role: ServiceRole, bucket: s3.IBucket, prefix: string, ours: boolean) {
    const stack = Stack.of(this);
    const objects = [bucket.arnForObjects(`${prefix}*`), bucket.arnForObjects(`${ERROR_PREFIX}*`)];
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], resources: [bucket.bucketArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], resources: objects }));
    for (const o of objects) {
      role.acknowledgeWildcardResource(o, 'Firehose names each object it writes after the delivery time; the grant covers only the delivery and error prefixes of this bucket.');
    }
    const key = bucket.encryptionKey;
    if (key) {
      // SSE-KMS through S3: the encryption context is the bucket's ARN with an S3 Bucket Key, the object's without
      // (docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucket.bucketArn, ...objects] },
        },
      }));
    } else if (!ours) {
      Annotations.of(this).addWarningV2('@devops-patterns/firehose-bucket-key',
        'The bucket passed in exposes no encryption key: if it is encrypted with SSE-KMS, its key must let the Firehose role (firehoseRole) use kms:GenerateDataKey and kms:Decrypt, or pass the bucket with its encryptionKey.');
    }
    return {
      bucketArn: bucket.bucketArn, roleArn: role.roleArn, prefix,
      encryptionConfiguration: key ? { kmsEncryptionConfig: { awskmsKeyArn: key.keyArn } } : undefined,
    };
  }

  private createAccountPolicy(props: LogSubscriptionPipelineProps, pattern: logs.IFilterPattern, ownLogGroups: string[]): logs.CfnAccountPolicy {
    const stack = Stack.of(this);
    const excluded = [...ownLogGroups, ...props.accountPolicy?.excludedLogGroupNames ?? []];
    const document: Record<string, unknown> = { DestinationArn: this.destinationArn, FilterPattern: pattern.logPatternString };
    if (this.deliveryRole) document.RoleArn = this.deliveryRole.roleArn;
    if (props.kinesisDestination) document.Distribution = props.kinesisDestination.distribution ?? logs.Distribution.BY_LOG_STREAM;
    // PolicyDocument and SelectionCriteria as in "Account-level subscription filters"
    // (docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters-AccountLevel.html); NOT IN is
    // the only operator, and it keeps the pipeline's own log groups out (log recursion prevention).
    const policy = new logs.CfnAccountPolicy(this, 'AccountPolicy', {
      policyName: Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }),
      policyType: ACCOUNT_POLICY_TYPE,
      policyDocument: stack.toJsonString(document),
      scope: 'ALL',
      selectionCriteria: excluded.length > 0 ? `LogGroupName NOT IN ${stack.toJsonString(excluded)}` : undefined,
    });
    if (props.lambdaDestination) {
      // Any log group of the account and region may invoke it (lambda add-permission with --source-arn and --source-account).
      props.lambdaDestination.addPermission('AccountPolicyInvoke', {
        principal: new iam.ServicePrincipal('logs.amazonaws.com'),
        sourceArn: stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        sourceAccount: stack.account,
        scope: this,
      });
      const permission = this.node.tryFindChild('AccountPolicyInvoke');
      if (permission) policy.node.addDependency(permission);
    }
    if (this.deliveryRole) policy.node.addDependency(this.deliveryRole.grantsDependable);
    this.node.addValidation({ validate: () => oneAccountPolicy(this, policy) });
    return policy;
  }

  private metricAlarm(spec: LogMetricAlarm, i: number): void {
    const namespace = spec.metricNamespace ?? 'DevOpsPatterns/Logs';
    this.logGroups.forEach((logGroup, g) => {
      this.metricFilters.push(new logs.MetricFilter(this, `Metric${i}Filter${g}`, {
        logGroup, metricNamespace: namespace, metricName: spec.metricName, filterPattern: spec.filterPattern, metricValue: '1', defaultValue: 0,
      }));
    });
    const alarm = new cloudwatch.Metric({ namespace, metricName: spec.metricName, period: spec.period ?? Duration.minutes(5), statistic: 'Sum' })
      .createAlarm(this, `Metric${i}Alarm`, {
        alarmDescription: spec.description ?? `${spec.metricName} (log events matching ${spec.filterPattern.logPatternString || 'any event'} in the log groups of ${this.node.path}) reached ${spec.threshold}.`.slice(0, 1024),
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    addAlarmNotification(alarm, this.notificationTopic!);
    this.alarms.push(alarm);
  }

  /** More than two subscription filters on one of this pipeline's log groups, anywhere in the stack. */
  private tooManyFilters(): string[] {
    const stack = Stack.of(this);
    const counts = new Map<string, number>();
    for (const c of stack.node.findAll()) {
      if (c instanceof logs.CfnSubscriptionFilter) {
        const key = JSON.stringify(stack.resolve(c.logGroupName));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const problems: string[] = [];
    for (const group of this.logGroups) {
      const key = JSON.stringify(stack.resolve(group.logGroupName));
      const n = counts.get(key) ?? 0;
      if (n > MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP) {
        problems.push(`the log group ${Token.isUnresolved(group.logGroupName) ? group.node.path : group.logGroupName} has ${n} subscription filters in this stack; CloudWatch Logs allows at most ${MAX_SUBSCRIPTION_FILTERS_PER_LOG_GROUP} per log group`);
      }
    }
    return problems;
  }
}

/** A Kinesis or Firehose destination delivered to through `role` (the L2 destinations would create their own role). */
function roleDestination(arn: string, role: iam.IRole): logs.ILogSubscriptionDestination {
  return { bind: () => ({ arn, role }) };
}

/** The props' refusals, all at once. */
function check(scope: IConstruct, props: LogSubscriptionPipelineProps, logGroups: logs.ILogGroup[], filterPattern: logs.IFilterPattern): void {
  const c = new PropsCheck(scope, 'LogSubscriptionPipeline');
  const kinds = [
    props.lambdaDestination && 'lambdaDestination',
    props.kinesisDestination && 'kinesisDestination',
    props.s3Destination && 's3Destination',
    props.openSearchDestination && 'openSearchDestination',
  ].filter((k): k is string => typeof k === 'string');
  c.require(kinds.length <= 1, `a destination of two kinds at once (${kinds.join(', ')}): a subscription delivers to one destination; use one LogSubscriptionPipeline per destination`);
  c.require(kinds.length >= 1, 'name one destination: lambdaDestination, kinesisDestination, s3Destination or openSearchDestination');
  c.require(logGroups.length > 0 || props.accountPolicy !== undefined, 'logGroups must name at least one log group, or accountPolicy must be set');
  const stack = Stack.of(scope);
  const names = logGroups.map((g) => JSON.stringify(stack.resolve(g.logGroupName)));
  c.require(new Set(names).size === names.length, 'logGroups names the same log group twice');
  for (const [name, pattern] of [['filterPattern', filterPattern], ['accountPolicy.filterPattern', props.accountPolicy?.filterPattern]] as const) {
    const text = pattern?.logPatternString;
    if (text !== undefined && !Token.isUnresolved(text)) {
      c.require(text.length <= MAX_FILTER_PATTERN, `${name} must be at most ${MAX_FILTER_PATTERN} characters, got ${text.length}`);
    }
  }
  const excluded = props.accountPolicy?.excludedLogGroupNames ?? [];
  if (!excluded.some((n) => Token.isUnresolved(n))) {
    const size = Buffer.byteLength(`LogGroupName NOT IN ${JSON.stringify(excluded)}`, 'utf8');
    c.require(size <= MAX_SELECTION_CRITERIA - 2048, `accountPolicy.excludedLogGroupNames must fit the 25 KB selection criteria with room for the pipeline's own log groups, got ${size} bytes`);
  }
  if (props.openSearchDestination) {
    const index = props.openSearchDestination.indexName;
    // OpenSearch index names: lowercase, no spaces or \ / * ? " < > | , #, not starting with - _ +; Firehose allows 80 characters.
    c.matches('openSearchDestination.indexName', index, /^[a-z0-9][a-z0-9._-]{0,79}$/, 'a lowercase OpenSearch index name of at most 80 characters');
  }
  if (props.s3Destination?.prefix !== undefined && !Token.isUnresolved(props.s3Destination.prefix)) {
    c.require(!props.s3Destination.prefix.includes('!{') && props.s3Destination.prefix !== ERROR_PREFIX && !props.s3Destination.prefix.startsWith(ERROR_PREFIX),
      `s3Destination.prefix must be a plain prefix other than "${ERROR_PREFIX}" (where Firehose writes errors), got "${props.s3Destination.prefix}"`);
  }
  const interval = props.s3Destination?.bufferingInterval?.toSeconds();
  c.inRange('s3Destination.bufferingInterval (seconds)', interval !== undefined && !Token.isUnresolved(interval) ? interval : undefined, 0, 900);
  const metricNames = new Set<string>();
  for (const [i, alarm] of (props.metricAlarms ?? []).entries()) {
    c.matches(`metricAlarms[${i}].metricName`, alarm.metricName, METRIC_NAME, '1 to 255 characters without ":", "*" or "$"');
    const key = `${alarm.metricNamespace ?? ''}/${alarm.metricName}`;
    c.require(!metricNames.has(key), `metricAlarms[${i}].metricName "${alarm.metricName}" is used twice in one namespace`);
    metricNames.add(key);
    c.require(Token.isUnresolved(alarm.threshold) || Number.isFinite(alarm.threshold), `metricAlarms[${i}].threshold must be a number, got ${alarm.threshold}`);
    c.positiveWholeNumber(`metricAlarms[${i}].evaluationPeriods`, alarm.evaluationPeriods);
  }
  c.require(!(props.metricAlarms?.length) || logGroups.length > 0, 'metricAlarms need logGroups: metric filters belong to log groups, not to the account policy');
  c.throwIfAny();
}

/** One account-level subscription filter policy per account and region (SubscriptionFilters-AccountLevel.html). */
function oneAccountPolicy(scope: IConstruct, mine: logs.CfnAccountPolicy): string[] {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) return [];
  const others = scope.node.root.node.findAll().filter((c): c is logs.CfnAccountPolicy => c instanceof logs.CfnAccountPolicy && c !== mine
    && c.policyType === ACCOUNT_POLICY_TYPE && Stack.of(c).account === stack.account && Stack.of(c).region === stack.region);
  return others.length > 0
    ? [`an account and region can have one account-level subscription filter policy; ${others.map((o) => o.node.path).join(', ')} is another for ${stack.account} ${stack.region}`]
    : [];
}
