/**
 * CICD-1, internal: how a {@link ReleasePipeline} reaches a bucket of another region, and its key.
 *
 * A KMS key of another region cannot be named by ARN from the pipeline's stack (its ARN holds a
 * key id known only after deployment), so aws-cdk's KMS construct grants such a key on `*`. The
 * pipeline instead hands the CodePipeline constructs a view of the bucket whose key grants name
 * the keys of the bucket's region and account that carry the bucket key's alias
 * (`kms:ResourceAliases`, https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html;
 * an alias cannot be the `Resource` of a key permission). Everything else is the bucket's own.
 */
import { Arn, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The key actions of aws-cdk's `IKey.grantEncrypt()` and `grantDecrypt()`. */
const ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];
const DECRYPT_ACTIONS = ['kms:Decrypt'];

/** What a key of another region is granted on: a key ARN, with conditions when it is a pattern. */
export interface RemoteKeyGrantTarget {
  /** The resource of the key statements. */
  readonly resource: string;
  /** Conditions of the key statements. */
  readonly conditions?: Record<string, Record<string, unknown>>;
}

/**
 * How the key of `bucket` (in another region) can be granted from the pipeline's stack, or
 * undefined when it cannot: a key reached through an alias is granted on the keys of its region
 * and account that carry the alias; a key whose ARN is known at synth, on that ARN.
 */
export function remoteKeyGrantTarget(scope: Construct, bucket: s3.IBucket): RemoteKeyGrantTarget | undefined {
  const key = bucket.encryptionKey;
  if (!key) return undefined;
  const region = bucket.env.region;
  const account = bucket.env.account;
  const aliasName = (key as Partial<kms.IAlias>).aliasName;
  if (aliasName !== undefined && (key as Partial<kms.IAlias>).aliasTargetKey !== undefined) {
    const name = Stack.of(scope).resolve(aliasName);
    if (typeof name !== 'string' || Token.isUnresolved(region) || Token.isUnresolved(account)) return undefined;
    return {
      resource: Arn.format({ partition: Stack.of(scope).partition, service: 'kms', region, account, resource: 'key', resourceName: '*' }),
      conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': [name] } },
    };
  }
  const arn = Stack.of(scope).resolve(key.keyArn);
  return typeof arn === 'string' && arn.startsWith('arn:') && arn.split(':')[5]?.startsWith('key/') ? { resource: arn } : undefined;
}

/**
 * A key of another region as the pipeline's constructs see it: its ARN (an alias ARN for an alias,
 * what CodePipeline's artifact store accepts) and grants on {@link RemoteKeyGrantTarget}.
 */
class RemoteKey extends Resource implements kms.IKey {
  public readonly keyArn: string;
  public readonly keyId: string;

  constructor(scope: Construct, id: string, private readonly key: kms.IKey, private readonly target: RemoteKeyGrantTarget) {
    super(scope, id, { account: key.env.account, region: key.env.region });
    this.keyArn = key.keyArn;
    this.keyId = key.keyId;
  }

  public get keyRef(): kms.KeyReference {
    return this.key.keyRef;
  }

  public addAlias(alias: string): kms.Alias {
    return this.key.addAlias(alias);
  }

  public addToResourcePolicy(statement: iam.PolicyStatement, allowNoOp?: boolean): iam.AddToResourcePolicyResult {
    return this.key.addToResourcePolicy(statement, allowNoOp);
  }

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.target.resource], conditions: this.target.conditions });
  }

  public grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...DECRYPT_ACTIONS);
  }

  public grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...ENCRYPT_ACTIONS);
  }

  public grantEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...DECRYPT_ACTIONS, ...ENCRYPT_ACTIONS);
  }

  public grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'kms:Sign');
  }

  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'kms:Verify');
  }

  public grantSignVerify(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'kms:Sign', 'kms:Verify');
  }

  public grantGenerateMac(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'kms:GenerateMac');
  }

  public grantVerifyMac(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, 'kms:VerifyMac');
  }
}

/**
 * `bucket` (of another region) as the pipeline's constructs should use it: the same bucket, name
 * and region, with its key granted on `target` instead of `*`.
 */
export function remoteArtifactBucket(scope: Construct, id: string, bucket: s3.IBucket, target: RemoteKeyGrantTarget): s3.IBucket {
  const key = new RemoteKey(scope, `${id}Key`, bucket.encryptionKey!, target);
  return s3.Bucket.fromBucketAttributes(scope, id, {
    bucketArn: bucket.bucketArn,
    bucketName: bucket.bucketName,
    region: bucket.env.region,
    account: bucket.env.account,
    encryptionKey: key,
  });
}
