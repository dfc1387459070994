import { Duration, Names, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from './acknowledge';
import { createEncryptionKey } from './encryption-key';
import { dataRemovalPolicy, isSandbox } from './sandbox';
import { acknowledgeNotReplicated } from './not-replicated';

/** How a {@link SecureBucket} encrypts objects at rest. */
export enum SecureBucketEncryption {
  /** SSE-KMS with a customer managed key (the default): access to data is also access to the key. */
  KMS = 'KMS',
  /** SSE-S3. Only for destinations that cannot use KMS, such as server access log targets. */
  S3_MANAGED = 'S3_MANAGED',
}

/**
 * Props for {@link SecureBucket}.
 */
export interface SecureBucketProps {
  /**
   * Encryption at rest.
   * @default SecureBucketEncryption.KMS
   */
  readonly encryption?: SecureBucketEncryption;

  /**
   * The KMS key for SSE-KMS. Ignored with `S3_MANAGED`.
   * @default - a new customer managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Keep every version of every object.
   * @default true
   */
  readonly versioned?: boolean;

  /**
   * Where server access logs go. Pass a bucket to share one across stacks.
   * @default - one access-log bucket per stack, created on first use
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Turn server access logging off. Only for buckets that are themselves log targets.
   * @default false
   */
  readonly disableServerAccessLogs?: boolean;

  /**
   * Any `s3.BucketProps` to set or override. Applied over the secure defaults, so a value here
   * always wins; `replicationRules`, `lifecycleRules` and `bucketName` are the usual ones.
   * @default - the secure defaults only
   */
  readonly bucketProps?: s3.BucketProps;
}

const ACCESS_LOGS_ID = 'DevOpsPatternsAccessLogs';

/**
 * A bucket with the library's secure defaults: versioning, SSE-KMS with a customer managed key
 * (bucket key on), all public access blocked, ACLs disabled, a policy that refuses requests
 * without TLS, and server access logs to the stack's access-log bucket.
 *
 * Data is kept on stack deletion; in sandbox mode the bucket is emptied and deleted.
 */
export class SecureBucket extends Construct {
  /**
   * The stack's shared server access log bucket (SSE-S3, as S3 log delivery requires), created on
   * first use. Its logs expire after 365 days.
   */
  public static accessLogsBucket(scope: IConstruct): s3.IBucket {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(ACCESS_LOGS_ID) as SecureBucket | undefined;
    if (existing) return existing.bucket;
    const logs = new SecureBucket(stack, ACCESS_LOGS_ID, {
      encryption: SecureBucketEncryption.S3_MANAGED,
      disableServerAccessLogs: true,
      bucketProps: {
        lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      },
    });
    const resource = logs.bucket.node.defaultChild!;
    acknowledge(resource, 'AwsSolutions-S1', 'This bucket is the server access log target; logging it to itself would create a log loop, so its own access is audited through CloudTrail instead.');
    acknowledge(resource, 'NIST.800.53.R5-S3BucketLoggingEnabled', 'This bucket is the server access log target; logging it to itself would create a log loop, so its own access is audited through CloudTrail instead.');
    acknowledge(resource, 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'S3 server access log delivery only writes to buckets encrypted with SSE-S3, so this log target cannot use a KMS key.');
    acknowledgeNotReplicated(logs.bucket, 'Server access logs are operational records with a 365-day expiry; replicating them to a second region is not worth its cost for a log target.');
    return logs.bucket;
  }

  /** The bucket. */
  public readonly bucket: s3.Bucket;
  /** The KMS key that encrypts the bucket, when SSE-KMS is used. */
  public readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    // Log delivery by bucket policy, whatever the app's feature flags: the ACL alternative
    // cannot coexist with ACLs disabled (BucketOwnerEnforced).
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const sandbox = isSandbox(this);
    const kmsEncryption = (props.encryption ?? SecureBucketEncryption.KMS) === SecureBucketEncryption.KMS;
    this.encryptionKey = kmsEncryption
      ? props.encryptionKey ?? createEncryptionKey(this, 'Key', { description: `Encrypts objects in ${Names.uniqueId(this)}` })
      : undefined;

    const logging: Partial<s3.BucketProps> = props.disableServerAccessLogs
      ? {}
      : {
        serverAccessLogsBucket: props.serverAccessLogsBucket ?? SecureBucket.accessLogsBucket(this),
        serverAccessLogsPrefix: `${Names.uniqueId(this)}/`,
      };

    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: props.versioned ?? true,
      encryption: kmsEncryption ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: kmsEncryption ? true : undefined,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      removalPolicy: dataRemovalPolicy(this),
      autoDeleteObjects: sandbox,
      ...logging,
      ...props.bucketProps,
    });
  }
}
