/**
 * CICD-1 ReleaseReplicationBucket: the artifact bucket a {@link ReleasePipeline} uses for its
 * actions in another region.
 *
 * CodePipeline copies artifacts into a bucket in each region where an action runs. The bucket
 * lives in a stack of that region, so the pipeline stack names it, and its key, by names known
 * before deployment: the bucket has a generated physical name and the key is referenced through
 * an alias. Versioned, SSE-KMS, TLS-only, access-logged, as the primary artifact bucket.
 */
import { Names, PhysicalName } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { createEncryptionKey } from '../core/encryption-key';
import { SecureBucket } from '../core/secure-bucket';
import { acknowledgeNotReplicated } from '../core/not-replicated';

/**
 * CICD-1: a pipeline artifact bucket for one region other than the pipeline's; pass its `bucket`
 * in `ReleasePipeline`'s `replicationBuckets` under the region of its stack. In sandbox mode (the
 * `sandbox` context) `cdk destroy` empties and deletes the bucket and schedules the key's deletion.
 */
export class ReleaseReplicationBucket extends Construct {
  /** The bucket; its `encryptionKey` is the key's alias, whose ARN is known before deployment. */
  public readonly bucket: s3.Bucket;
  /** The key behind the alias. */
  public readonly key: kms.Key;
  /** The alias the bucket and the pipeline use. */
  public readonly alias: kms.Alias;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = createEncryptionKey(this, 'Key', { description: `Encrypts pipeline artifacts in ${Names.uniqueId(this)}` });
    this.alias = new kms.Alias(this, 'Alias', {
      aliasName: `alias/release-artifacts/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      targetKey: this.key,
    });
    this.bucket = new SecureBucket(this, 'Artifacts', {
      encryptionKey: this.alias,
      bucketProps: { bucketName: PhysicalName.GENERATE_IF_NEEDED },
    }).bucket;
    acknowledgeNotReplicated(this.bucket,
      'This bucket holds copies of pipeline artifacts that CodePipeline re-creates on every run from the source revision, so replicating it to another region would protect nothing that is not already kept at the source.');
  }
}
