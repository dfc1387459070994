/**
 * SEC-1: a trusted IP list or threat list of {@link GuardDutyOrganization}, a file in S3.
 */
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GuardDutyListFormat } from './guardduty-list-format';

/** A trusted IP list or threat list: a file in S3. */
export interface GuardDutyIpList {
  /** A name for the list, shown in the GuardDuty console. */
  readonly name: string;
  /**
   * The bucket that holds the file. GuardDuty reads it with its service-linked role: a bucket
   * created in this app gets the bucket policy statement that lets that role read the file; the
   * policy of an imported bucket must already allow it.
   */
  readonly bucket: s3.IBucket;
  /** The object key of the file. */
  readonly key: string;
  /**
   * The file format.
   * @default GuardDutyListFormat.TXT
   */
  readonly format?: GuardDutyListFormat;
  /**
   * The account that must own the bucket (GuardDuty checks it before reading).
   * @default - the bucket's account, when known
   */
  readonly expectedBucketOwner?: string;
}
