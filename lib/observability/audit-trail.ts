/**
 * OBS-2 AuditTrail: the CloudTrail trail an auditor asks for.
 *
 * One multi-region trail (for the account, or for the whole organization from the management
 * account) with log file integrity validation on, log files encrypted with a customer managed KMS
 * key, delivered to a versioned, TLS-only bucket and to an encrypted CloudWatch Logs log group
 * (for metric filters and alarms). By default CloudTrail records only management (control-plane)
 * events; data (data-plane) events are added with advanced event selectors: S3 object-level
 * activity for the buckets named, and Lambda invocations for all or some functions.
 *
 * An organization trail can only be created in the management account (or a CloudTrail delegated
 * administrator, which this construct does not model): the construct refuses one in a stack of
 * any other account.
 */
import { Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { createEncryptionKey } from '../core/encryption-key';
import { EncryptedLogGroup } from '../core/log-group';
import { SecureBucket } from '../core/secure-bucket';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { ReplicatedBucket } from '../resilience/replicated-bucket';
import { IReplicationDestination } from '../resilience/replication-destination';

/**
 * Props for {@link AuditTrail}.
 */
export interface AuditTrailProps {
  /**
   * Log every account of the organization (an organization trail). Only possible in the
   * management account's stack: set `managementAccount` and `organizationId`.
   * @default false
   */
  readonly organizationTrail?: boolean;

  /**
   * The organization's management account id. Required for an organization trail; the stack's
   * account must be this account.
   * @default - none
   */
  readonly managementAccount?: string;

  /**
   * The organization id (`o-...`): member accounts' log files are written under
   * `AWSLogs/<organizationId>/`, which the bucket policy allows. Required for an organization
   * trail.
   * @default - none
   */
  readonly organizationId?: string;

  /**
   * The trail's name.
   * @default - generated from the construct path
   */
  readonly trailName?: string;

  /**
   * Record events of every region (and global services such as IAM) in this one trail.
   * @default true
   */
  readonly multiRegion?: boolean;

  /**
   * Where log files go. A bucket created outside this construct must already allow CloudTrail
   * (`s3:GetBucketAcl` and `s3:PutObject` under `AWSLogs/`); a bucket of the same stack gets
   * those statements added.
   * @default - a new {@link SecureBucket} encrypted with the trail's key (a {@link ReplicatedBucket}
   * when `replicationDestination` is set)
   */
  readonly bucket?: s3.IBucket;

  /**
   * Replicate the log files to this destination (RES-7 {@link ReplicatedBucket}): usually a
   * bucket of the log archive account in another region, so the audit record survives the loss
   * of this account or region. Ignored when `bucket` is passed.
   * @default - no replication
   */
  readonly replicationDestination?: IReplicationDestination;

  /**
   * The key that encrypts log files. A key passed in must let CloudTrail use it.
   * @default - a new customer managed key whose policy lets this trail encrypt
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Record S3 object-level API activity (GetObject, PutObject, DeleteObject...) for these buckets.
   * @default - no S3 data events
   */
  readonly dataEventBuckets?: s3.IBucket[];

  /**
   * Record Lambda invocations (data events) of every function of the account (or organization).
   * @default false
   */
  readonly allLambdaDataEvents?: boolean;

  /**
   * Record Lambda invocations of these functions only. Ignored when `allLambdaDataEvents` is on.
   * @default - none
   */
  readonly dataEventFunctions?: lambda.IFunction[];

  /**
   * Deliver the events to CloudWatch Logs too, for metric filters and alarms.
   * @default true
   */
  readonly cloudWatchLogs?: boolean;

  /**
   * How long CloudWatch Logs keeps the events (the bucket keeps log files until you expire them).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * OBS-2: a multi-region CloudTrail trail with integrity validation, KMS, S3 and Lambda data
 * events and CloudWatch Logs delivery, for one account or the organization.
 *
 * ```ts
 * new AuditTrail(managementStack, 'OrgTrail', {
 *   organizationTrail: true,
 *   managementAccount: '111111111111',
 *   organizationId: 'o-a1b2c3d4e5',
 *   dataEventBuckets: [sensitiveBucket],
 * });
 * ```
 */
export class AuditTrail extends Construct {
  /** The trail. */
  public readonly trail: cloudtrail.CfnTrail;
  /** The trail's ARN. */
  public readonly trailArn: string;
  /** The trail's name. */
  public readonly trailName: string;
  /** The bucket log files go to. */
  public readonly bucket: s3.IBucket;
  /** The key that encrypts log files. */
  public readonly encryptionKey: kms.IKey;
  /** The CloudWatch Logs log group, when delivery to CloudWatch Logs is on. */
  public readonly logGroup?: logs.ILogGroup;
  /** The role CloudTrail assumes to write to the log group, when delivery is on. */
  public readonly logsRole?: ServiceRole;
  /** The replication of the log files, when `replicationDestination` is set. */
  public readonly replication?: ReplicatedBucket;

  constructor(scope: Construct, id: string, props: AuditTrailProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const organizationTrail = props.organizationTrail ?? false;

    const check = new PropsCheck(this, 'AuditTrail');
    const managementAccountValid = check.accountId('managementAccount', props.managementAccount).count === 0;
    check.organizationId('organizationId', props.organizationId);
    if (organizationTrail) {
      if (!props.managementAccount) {
        check.add('an organization trail needs managementAccount: it can only be created in the management account');
      } else if (!managementAccountValid) {
        // Already refused as not an account id: comparing it with the stack's account says nothing more.
      } else if (Token.isUnresolved(stack.account)) {
        check.add(`an organization trail needs an explicit account on its stack (set env.account to the management account ${props.managementAccount})`);
      } else {
        check.require(stack.account === props.managementAccount,
          `an organization trail can only be created in the management account (${props.managementAccount}), but this stack deploys to ${stack.account}`);
      }
      check.require(props.bucket !== undefined || props.organizationId !== undefined,
        'an organization trail needs organizationId (o-...) for the bucket policy');
    }
    if (props.trailName !== undefined) {
      check.require(/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/.test(props.trailName),
        `trailName "${props.trailName}" must be 3-128 letters, digits, periods, underscores or dashes, starting with a letter or digit`);
    }
    check.throwIfAny();

    // Sandbox mode (removal of the bucket, key and log group) comes from the `sandbox` context.
    // Known before deployment, so the key and bucket policies can name this trail (aws:SourceArn).
    this.trailName = props.trailName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    this.trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: this.trailName });
    const sourceArn = { 'aws:SourceArn': this.trailArn };
    const cloudtrailPrincipal = new iam.ServicePrincipal('cloudtrail.amazonaws.com');

    if (props.encryptionKey) {
      this.encryptionKey = props.encryptionKey;
    } else {
      const key = createEncryptionKey(this, 'Key', { description: `Encrypts the log files of CloudTrail trail ${this.trailName}` });
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowCloudTrailEncrypt',
        principals: [cloudtrailPrincipal],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: sourceArn,
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': stack.formatArn({ service: 'cloudtrail', region: '*', resource: 'trail', resourceName: '*' }) },
        },
      }));
      key.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowCloudTrailDescribeKey',
        principals: [cloudtrailPrincipal],
        actions: ['kms:DescribeKey'],
        resources: ['*'],
        conditions: { StringEquals: sourceArn },
      }));
      this.encryptionKey = key;
    }

    if (props.bucket) {
      this.bucket = props.bucket;
    } else if (props.replicationDestination) {
      this.replication = new ReplicatedBucket(this, 'ReplicatedLogs', {
        destination: props.replicationDestination,
        encryptionKey: this.encryptionKey,
      });
      this.bucket = this.replication.bucket;
    } else {
      this.bucket = new SecureBucket(this, 'Logs', { encryptionKey: this.encryptionKey }).bucket;
    }
    const prefixes = [stack.account, ...(organizationTrail && props.organizationId ? [props.organizationId] : [])];
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudTrailAclCheck',
      principals: [cloudtrailPrincipal],
      actions: ['s3:GetBucketAcl'],
      resources: [this.bucket.bucketArn],
      conditions: { StringEquals: sourceArn },
    }));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudTrailWrite',
      principals: [cloudtrailPrincipal],
      actions: ['s3:PutObject'],
      resources: prefixes.map((p) => this.bucket.arnForObjects(`AWSLogs/${p}/*`)),
      conditions: { StringEquals: { ...sourceArn, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));

    let logsRoleArn: string | undefined;
    if (props.cloudWatchLogs ?? true) {
      const logGroup = new EncryptedLogGroup(this, 'CloudWatchLogs', { retention: props.logRetention }).logGroup;
      const role = new ServiceRole(this, 'LogsRole', {
        assumedBy: cloudtrailPrincipal.withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
        description: `CloudTrail trail ${this.trailName} writes to CloudWatch Logs`,
      });
      logGroup.grantWrite(role);
      this.logGroup = logGroup;
      this.logsRole = role;
      logsRoleArn = role.roleArn;
    }

    this.trail = new cloudtrail.CfnTrail(this, 'Trail', {
      trailName: this.trailName,
      isLogging: true,
      isMultiRegionTrail: props.multiRegion ?? true,
      includeGlobalServiceEvents: true,
      isOrganizationTrail: organizationTrail,
      enableLogFileValidation: true,
      kmsKeyId: this.encryptionKey.keyArn,
      s3BucketName: this.bucket.bucketName,
      cloudWatchLogsLogGroupArn: this.logGroup?.logGroupArn,
      cloudWatchLogsRoleArn: logsRoleArn,
      advancedEventSelectors: eventSelectors(props),
    });
    // CloudTrail checks the bucket policy and the logs role when the trail is created: every
    // policy of the role, also one a later grant starts.
    if (this.bucket.policy) this.trail.node.addDependency(this.bucket.policy);
    if (this.logsRole) this.trail.node.addDependency(this.logsRole.grantsDependable);
  }
}

/** Management events always; S3 and Lambda data events as asked. */
function eventSelectors(props: AuditTrailProps): cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] {
  const selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] = [{
    name: 'Management events',
    fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }],
  }];
  const buckets = props.dataEventBuckets ?? [];
  if (buckets.length > 0) {
    selectors.push({
      name: 'S3 object-level events of the named buckets',
      fieldSelectors: [
        { field: 'eventCategory', equalTo: ['Data'] },
        { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
        { field: 'resources.ARN', startsWith: buckets.map((b) => `${b.bucketArn}/`) },
      ],
    });
  }
  const functions = props.dataEventFunctions ?? [];
  if (props.allLambdaDataEvents || functions.length > 0) {
    selectors.push({
      name: props.allLambdaDataEvents ? 'Lambda invocations of every function' : 'Lambda invocations of the named functions',
      fieldSelectors: [
        { field: 'eventCategory', equalTo: ['Data'] },
        { field: 'resources.type', equalTo: ['AWS::Lambda::Function'] },
        ...(props.allLambdaDataEvents ? [] : [{ field: 'resources.ARN', equalTo: functions.map((f) => f.functionArn) }]),
      ],
    });
  }
  return selectors;
}
