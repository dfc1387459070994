/**
 * A bucket that is deliberately not replicated (the other side of RES-7).
 *
 * NIST 800-53 R5 (`NIST.800.53.R5-S3BucketReplicationEnabled`) asks every bucket to replicate
 * to a second region; `ReplicatedBucket` (RES-7) is how a bucket of this library does. Some
 * buckets a construct creates must not: a server access log target, a bucket that is itself a
 * replica, artifacts every run re-creates from a versioned source. This is the one place that
 * acknowledges that finding, so every such bucket says why in the same way.
 */
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from './acknowledge';
import { PropsCheck } from './validation';

/** The check finding a bucket without a replication rule raises. */
export const S3_REPLICATION_FINDING = 'NIST.800.53.R5-S3BucketReplicationEnabled';

/**
 * Acknowledges {@link S3_REPLICATION_FINDING} on `bucket`, a bucket the calling construct
 * created (never a user's), with `reason`: why a second-region copy of this bucket protects
 * nothing, in a sentence a security reviewer accepts. A bucket that holds data worth keeping
 * replicates with `ReplicatedBucket` (RES-7) instead.
 */
export function acknowledgeNotReplicated(bucket: s3.IBucket, reason: string): void {
  const resource = bucket.node.defaultChild;
  new PropsCheck(bucket, 'acknowledgeNotReplicated')
    .require(resource !== undefined, 'acknowledgeNotReplicated is for a bucket the calling construct created, and this one is imported')
    .throwIfAny();
  acknowledge(resource!, S3_REPLICATION_FINDING, reason);
}
