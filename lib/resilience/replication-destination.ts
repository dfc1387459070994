/**
 * RES-7 (destination side): the bucket that S3 replication writes into.
 *
 * S3 replication is push-based: the source bucket carries the rule and the role S3 assumes, and
 * the destination only has to let that role in. This construct is that destination: a versioned,
 * KMS-encrypted bucket (the replica key has a fixed alias, so a source in another account or
 * region can name it without a cross-stack reference), ACLs disabled so the destination account
 * owns every replica, and a bucket policy and key policy that admit one source role at a time.
 * The policies name the source account and match the role by `aws:PrincipalArn`, so the
 * destination can be deployed before the source role exists.
 */
import * as crypto from 'crypto';
import { Arn, Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { createEncryptionKey } from '../core/encryption-key';
import { SecureBucket } from '../core/secure-bucket';
import { PropsCheck } from '../core/validation';
import { acknowledgeNotReplicated } from '../core/not-replicated';

/**
 * A bucket that S3 replication can write to. Implemented by {@link ReplicationDestination}, and by
 * {@link ReplicationDestination.fromAttributes} for a destination managed elsewhere.
 */
export interface IReplicationDestination extends IConstruct {
  /** The destination bucket. Its `env` says which account and region it is in. */
  readonly bucket: s3.IBucket;
  /**
   * The destination bucket's name as a value known before deployment (a literal, or built from
   * pseudo parameters), so a source can name it without a cross-stack reference.
   */
  readonly bucketName: string;
  /**
   * The ARN of the KMS key that encrypts replicas: a key ARN, or a fully qualified alias ARN
   * (`arn:aws:kms:REGION:ACCOUNT:alias/NAME`), which S3 resolves in the destination account.
   */
  readonly replicaKeyArn: string;
  /** Whether the destination bucket is versioned. S3 refuses replication into an unversioned bucket. */
  readonly versioned: boolean;
  /**
   * Lets a source's replication role write replicas: bucket policy and key policy for a
   * destination this app owns; for one managed elsewhere, an info annotation saying what the
   * destination account has to allow.
   *
   * @param roleArn the ARN of the role S3 assumes for the source bucket
   * @param sourceAccount the account the source bucket is in
   */
  grantReplicationFrom(roleArn: string, sourceAccount: string): void;
}

/**
 * Props for {@link ReplicationDestination}.
 */
export interface ReplicationDestinationProps {
  /**
   * The bucket name.
   * @default - `<unique id of this construct>-<account>-<region>`, known before deployment so
   * sources in other stacks, accounts or regions name it without a cross-stack reference; the
   * unique id is cut so the name is a valid S3 bucket name for any construct path and region
   */
  readonly bucketName?: string;

  /**
   * The alias of the replica key. Sources name the key by this alias.
   * @default - `alias/s3-replica/<unique id of this construct>`
   */
  readonly replicaKeyAlias?: string;

  /**
   * Where the destination bucket's server access logs go.
   * @default - the stack's access-log bucket
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
}

/**
 * Attributes of a replication destination that another app or team manages.
 */
export interface ReplicationDestinationAttributes {
  /** The destination bucket's name. */
  readonly bucketName: string;
  /** The account that owns the destination bucket. */
  readonly account: string;
  /** The destination bucket's region. */
  readonly region: string;
  /** The key ARN or fully qualified alias ARN of the replica key. */
  readonly replicaKeyArn: string;
  /** Whether the destination bucket is versioned (S3 refuses replication into one that is not). */
  readonly versioned: boolean;
}

/**
 * RES-7: a versioned, KMS-encrypted bucket that accepts replicas from named source roles.
 */
export class ReplicationDestination extends Construct implements IReplicationDestination {
  /**
   * A destination managed outside this app. Its bucket and key policies must already admit the
   * source role; `grantReplicationFrom` only records what they must allow.
   */
  public static fromAttributes(scope: Construct, id: string, attrs: ReplicationDestinationAttributes): IReplicationDestination {
    class Imported extends Construct implements IReplicationDestination {
      public readonly bucket = s3.Bucket.fromBucketAttributes(this, 'Bucket', {
        bucketName: attrs.bucketName,
        account: attrs.account,
        region: attrs.region,
      });
      public readonly bucketName = attrs.bucketName;
      public readonly replicaKeyArn = attrs.replicaKeyArn;
      public readonly versioned = attrs.versioned;

      public grantReplicationFrom(roleArn: string, sourceAccount: string): void {
        this.node.addMetadata('aws:cdk:info',
          `Destination ${attrs.bucketName} is managed elsewhere: its bucket policy must allow s3:ReplicateObject, `
          + `s3:ReplicateDelete, s3:ReplicateTags and s3:ObjectOwnerOverrideToBucketOwner, and its key policy kms:Encrypt and `
          + `kms:GenerateDataKey, to ${JSON.stringify(Stack.of(this).resolve(roleArn))} of account ${sourceAccount}.`);
      }
    }
    return new Imported(scope, id);
  }

  /** The destination bucket. */
  public readonly bucket: s3.IBucket;
  /** The destination bucket's name, known before deployment. */
  public readonly bucketName: string;
  /** The customer managed key that encrypts replicas. */
  public readonly replicaKey: kms.Key;
  /** The replica key's alias. */
  public readonly replicaKeyAlias: string;
  /** The fully qualified alias ARN of the replica key, as sources name it. */
  public readonly replicaKeyArn: string;
  /** Always true: the destination bucket is versioned. */
  public readonly versioned = true;
  private sourceCount = 0;

  constructor(scope: Construct, id: string, props: ReplicationDestinationProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.replicaKeyAlias = props.replicaKeyAlias ?? `alias/s3-replica/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    new PropsCheck(this, 'ReplicationDestination')
      .require(this.replicaKeyAlias.startsWith('alias/') && !this.replicaKeyAlias.startsWith('alias/aws/'),
        `replicaKeyAlias must start with "alias/" and not "alias/aws/", got "${this.replicaKeyAlias}"`)
      .throwIfAny();
    // Sandbox mode (removal of the bucket, its replicas and the key) comes from the `sandbox` context.
    this.replicaKey = createEncryptionKey(this, 'ReplicaKey', {
      description: `Encrypts S3 replicas in ${this.node.path}`,
      alias: this.replicaKeyAlias,
    });
    this.replicaKeyArn = Arn.format({
      service: 'kms',
      resource: this.replicaKeyAlias,
      account: stack.account,
      region: stack.region,
    }, stack);

    this.bucketName = props.bucketName ?? destinationBucketName(this);
    const secure = new SecureBucket(this, 'Replicas', {
      encryptionKey: this.replicaKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      bucketProps: { bucketName: this.bucketName },
    });
    this.bucket = secure.bucket;
    acknowledgeNotReplicated(secure.bucket,
      'This bucket is itself the replica of a source bucket in another region or account; replicating the replica again would add cost without adding a failure domain.');
  }

  /**
   * Admits a source's replication role: it may write, delete-mark, tag and hand over ownership
   * of replicas, read and keep versioning on, and encrypt with the replica key.
   *
   * The policies name the source account as principal and match the role with
   * `aws:PrincipalArn`, so this destination deploys before the role exists.
   */
  public grantReplicationFrom(roleArn: string, sourceAccount: string): void {
    const index = this.sourceCount++;
    const principal = new iam.AccountPrincipal(sourceAccount).withConditions({
      ArnEquals: { 'aws:PrincipalArn': roleArn },
    });
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: `ReplicateObjects${index}`,
      principals: [principal],
      actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags', 's3:ObjectOwnerOverrideToBucketOwner'],
      resources: [this.bucket.arnForObjects('*')],
    }));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: `ReplicationBucketVersioning${index}`,
      principals: [principal],
      actions: ['s3:GetBucketVersioning', 's3:PutBucketVersioning'],
      resources: [this.bucket.bucketArn],
    }));
    this.replicaKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: `EncryptReplicas${index}`,
      principals: [principal],
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
    }));
    if (Token.isUnresolved(sourceAccount)) {
      this.node.addMetadata('aws:cdk:info', 'The source account is a token: make sure it resolves to the account of the source bucket.');
    }
  }
}

/**
 * S3 bucket names: 3 to 63 characters of lowercase letters, digits, periods and hyphens, beginning
 * and ending with a letter or digit, not starting with `xn--`, `sthree-` or `amzn-s3-demo-`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
/** 24 + `-` + 12 (account) + `-` + 25 (region) = 63. */
const BUCKET_UNIQUE_MAX = 24;
const ACCOUNT_MAX = 12;
const REGION_MAX = 25;

/**
 * `<unique id>-<account>-<region>`, a valid S3 bucket name for any construct path, account and
 * region.
 *
 * The unique part is at most 24 characters of lowercase letters, digits and hyphens, beginning
 * with the stack name's first letter; when it would start with a prefix S3 reserves, it is
 * prefixed with `r` (such a name never deployed, so no existing bucket is renamed). An account id
 * has 12 digits, and a region code up to 25 characters is kept as it is (the longest today,
 * `us-isof-south-1`, has 15, which also bounds a region that is a token); a longer concrete value
 * is spelled by its hash, so the name never exceeds 63 characters.
 */
function destinationBucketName(scope: Construct): string {
  const stack = Stack.of(scope);
  let unique = Names.uniqueResourceName(scope, { maxLength: BUCKET_UNIQUE_MAX, separator: '-' }).toLowerCase();
  if (RESERVED_BUCKET_PREFIXES.some((prefix) => unique.startsWith(prefix)) || !/^[a-z0-9]/.test(unique)) {
    unique = `r${Names.uniqueResourceName(scope, { maxLength: BUCKET_UNIQUE_MAX - 1, separator: '-' }).toLowerCase()}`;
  }
  const fit = (part: string, max: number) => (Token.isUnresolved(part) || part.length <= max
    ? part
    : crypto.createHash('sha256').update(part).digest('hex').slice(0, 8));
  return `${unique}-${fit(stack.account, ACCOUNT_MAX)}-${fit(stack.region, REGION_MAX)}`;
}
