/**
 * SEC-2: the AWS Config managed rules {@link ConfigCompliance} deploys, by their Config identifiers.
 */

/** The AWS Config managed rules the notes name. */
export enum ComplianceRule {
  /** `ec2-volume-inuse-check` (EC2_VOLUME_INUSE_CHECK): EBS volumes attached to an instance. It cannot say how long a volume was unused. */
  EC2_VOLUME_INUSE = 'EC2_VOLUME_INUSE_CHECK',
  /** `s3-bucket-ssl-requests-only` (S3_BUCKET_SSL_REQUESTS_ONLY): bucket policies that refuse requests without TLS. */
  S3_BUCKET_SSL_REQUESTS_ONLY = 'S3_BUCKET_SSL_REQUESTS_ONLY',
  /** `ec2-instance-managed-by-systems-manager` (EC2_INSTANCE_MANAGED_BY_SSM): every instance is a Systems Manager managed instance. */
  EC2_INSTANCE_MANAGED_BY_SSM = 'EC2_INSTANCE_MANAGED_BY_SSM',
  /** `cloudformation-stack-drift-detection-check` (CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK): stacks have not drifted; needs `cloudformationRoleArn`. */
  CLOUDFORMATION_STACK_DRIFT = 'CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK',
  /** `cloudtrail-enabled` (CLOUD_TRAIL_ENABLED): a trail is logging. Periodic only. */
  CLOUDTRAIL_ENABLED = 'CLOUD_TRAIL_ENABLED',
}
