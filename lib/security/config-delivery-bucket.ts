/**
 * SEC-2 ConfigDeliveryBucket: the bucket AWS Config delivers configuration snapshots and history
 * to, for one account or, with an organization id, for the recorders of every member account.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SecureBucket } from '../core/secure-bucket';
import { PropsCheck } from '../core/validation';
import { acknowledgeNotReplicated } from '../core/not-replicated';

/**
 * The IAM path of the AWS Config recorder roles this library creates (in {@link ConfigCompliance}
 * and in the member accounts of {@link ConfigDelegatedAdmin}): a {@link ConfigDeliveryBucket} for
 * an organization admits only roles under it. A recorder role of your own that delivers to that
 * bucket needs this path too.
 */
export const CONFIG_RECORDER_ROLE_PATH = '/config-recorder/';

/**
 * Props for {@link ConfigDeliveryBucket}.
 */
export interface ConfigDeliveryBucketProps {
  /**
   * Admit the AWS Config recorder roles (IAM path {@link CONFIG_RECORDER_ROLE_PATH}) of every
   * account of this organization (`o-...`), each under its own `AWSLogs/<account>/Config/`
   * prefix: the central bucket member recorders deliver to.
   * @default - only roles of this account, through their IAM policies
   */
  readonly organizationId?: string;
  /**
   * The bucket name. Set it for a central bucket, so member recorders can name it before it exists.
   * @default - generated
   */
  readonly bucketName?: string;
}

/**
 * SEC-2: the bucket AWS Config delivers to: versioned, KMS-encrypted, TLS-only (a
 * {@link SecureBucket}); for an organization, it admits the Config recorder roles of every member
 * account, each only under its own `AWSLogs/<account>/Config/` prefix (the `aws:PrincipalAccount`
 * policy variable), with the bucket owner owning the objects, and the key only through S3. No
 * one in the organization may list the bucket.
 */
export class ConfigDeliveryBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;
  /** The key that encrypts the bucket. */
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: ConfigDeliveryBucketProps = {}) {
    super(scope, id);
    const check = new PropsCheck(this, 'ConfigDeliveryBucket');
    check.organizationId('organizationId', props.organizationId);
    check.throwIfAny();
    const secure = new SecureBucket(this, 'Bucket', { bucketProps: { bucketName: props.bucketName } });
    this.bucket = secure.bucket;
    this.encryptionKey = secure.encryptionKey!;
    acknowledgeNotReplicated(this.bucket,
      'AWS Config delivery files are versioned, retained and KMS-protected here, and the configuration items they record stay queryable in AWS Config itself for its retention period; a user who needs a second-region copy passes a ReplicatedBucket (RES-7) as the delivery bucket instead.');
    if (!props.organizationId) return;

    // What AWS Config calls with a member's recorder role on cross-account delivery: GetBucketAcl,
    // then PutObject with the bucket-owner-full-control ACL (which needs s3:PutObjectAcl too) and
    // the key through S3. Its HeadBucket location check (s3:ListBucket) may fail without
    // stopping delivery, so nobody in the organization gets to list every account's files.
    // https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
    // https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html
    // Only recorder roles (by path) of the organization's accounts; each writes only under its
    // own account's prefix, through the aws:PrincipalAccount policy variable:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
    const recorderRoles = { ArnLike: { 'aws:PrincipalArn': `arn:${Stack.of(this).partition}:iam::*:role${CONFIG_RECORDER_ROLE_PATH}*` } };
    const orgId = { 'aws:PrincipalOrgID': props.organizationId };
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OrganizationConfigBucketCheck',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetBucketAcl'],
      resources: [this.bucket.bucketArn],
      conditions: { StringEquals: orgId, ...recorderRoles },
    }));
    this.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OrganizationConfigDelivery',
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject', 's3:PutObjectAcl'],
      resources: [this.bucket.arnForObjects('AWSLogs/${aws:PrincipalAccount}/Config/*')],
      conditions: { StringEquals: { ...orgId, 's3:x-amz-acl': 'bucket-owner-full-control' }, ...recorderRoles },
    }));
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OrganizationConfigDelivery',
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { ...orgId, 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` }, ...recorderRoles },
    }));
  }
}
