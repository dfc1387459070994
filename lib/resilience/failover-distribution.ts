/**
 * RES-6 FailoverDistribution: a CloudFront distribution that serves from a second S3 bucket when
 * the first fails.
 *
 * An origin group holds two origins; on a cache miss CloudFront asks the primary, and when it
 * cannot connect, times out, or gets one of the status codes chosen for failover, it sends the same
 * request to the second origin. This construct builds that over two S3 buckets reached through
 * origin access control (the buckets stay private: their policies admit CloudFront for this
 * distribution only, and their KMS keys let CloudFront decrypt), with viewers on HTTPS with at
 * least TLS 1.2 (2021 policy) on your domain names, standard logs, a web ACL and an optional geo
 * restriction. It refuses status codes CloudFront does not fail over on and an origin group with
 * anything but two origins.
 */
import { Names, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { acknowledgeNotReplicated } from '../core/not-replicated';
import { SecureBucket, SecureBucketEncryption } from '../core/secure-bucket';
import { PropsCheck } from '../core/validation';
import { createManagedWebAcl } from './managed-web-acl';

/** Props for {@link FailoverDistribution}. */
export interface FailoverDistributionProps {
  /**
   * The two buckets of the origin group: the primary first, then the one to fail over to. Their
   * policies get a statement for CloudFront (this distribution only) and, where the key is in this
   * app, their keys one for CloudFront to decrypt.
   */
  readonly origins: s3.IBucket[];

  /**
   * The status codes from the primary that send the request to the second origin: any of 400,
   * 403, 404, 416, 500, 502, 503, 504. A failed connection or a timeout fails over in any case.
   * @default [500, 502, 503, 504]
   */
  readonly fallbackStatusCodes?: number[];

  /** The domain names viewers use (alternate domain names), at least one. */
  readonly domainNames: string[];

  /**
   * The certificate for `domainNames`, in us-east-1 (CloudFront takes certificates from there only).
   */
  readonly certificate: acm.ICertificate;

  /**
   * The ARN of a web ACL with scope CLOUDFRONT (created in us-east-1).
   * @default - a new web ACL with the AWS managed common rule set; the stack must then be in us-east-1
   */
  readonly webAclArn?: string;

  /**
   * Countries to allow or deny.
   * @default - no geo restriction
   */
  readonly geoRestriction?: cloudfront.GeoRestriction;

  /**
   * Where standard logs go: a bucket with ACLs enabled (CloudFront standard logging writes through
   * the bucket ACL).
   * @default - a new SSE-S3 bucket with ACLs enabled for the log delivery
   */
  readonly logBucket?: s3.IBucket;

  /**
   * The object returned for the root URL.
   * @default 'index.html'
   */
  readonly defaultRootObject?: string;
}

/**
 * The status codes CloudFront can fail over on
 * (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html).
 */
export const FAILOVER_STATUS_CODES = [400, 403, 404, 416, 500, 502, 503, 504];

/** Where CloudFront takes certificates and CLOUDFRONT-scope web ACLs from. */
const GLOBAL_REGION = 'us-east-1';

/**
 * RES-6: a CloudFront distribution over an origin group of two private S3 buckets (origin access
 * control), failing over on the status codes you choose.
 *
 * ```ts
 * new FailoverDistribution(this, 'Site', {
 *   origins: [primaryBucket, fallbackBucket],
 *   domainNames: ['www.example.com'],
 *   certificate,                     // in us-east-1
 *   fallbackStatusCodes: [500, 502, 503, 504, 403],
 * });
 * ```
 */
export class FailoverDistribution extends Construct {
  /** The distribution. */
  public readonly distribution: cloudfront.Distribution;
  /** The bucket standard logs go to. */
  public readonly logBucket: s3.IBucket;
  /** The web ACL's ARN. */
  public readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: FailoverDistributionProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const codes = props.fallbackStatusCodes ?? [500, 502, 503, 504];
    const check = new PropsCheck(this, 'FailoverDistribution');
    check.require(props.origins.length === 2, `origins must name exactly two buckets, the primary and the one to fail over to (an origin group holds two origins), got ${props.origins.length}`);
    check.require(props.origins.length !== 2 || props.origins[0] !== props.origins[1], 'origins must be two different buckets: failing over to the same bucket protects nothing');
    check.require(codes.length > 0, 'fallbackStatusCodes must name at least one status code');
    const invalid = codes.filter((c) => !FAILOVER_STATUS_CODES.includes(c));
    check.require(invalid.length === 0, `fallbackStatusCodes must be among ${FAILOVER_STATUS_CODES.join(', ')} (the codes CloudFront fails over on), got ${invalid.join(', ')}`);
    check.require(props.domainNames.length > 0, 'domainNames must name at least one domain: the minimum TLS version only applies with your own certificate');
    const certRegion = props.certificate.env.region;
    check.require(Token.isUnresolved(certRegion) || certRegion === GLOBAL_REGION, `the certificate must be in ${GLOBAL_REGION} (CloudFront uses certificates from there only), it is in ${certRegion}`);
    check.require(props.webAclArn !== undefined || region === GLOBAL_REGION,
      `without webAclArn this construct creates a CLOUDFRONT web ACL, which exists only in ${GLOBAL_REGION}: put the stack in ${GLOBAL_REGION} or pass the ARN of a web ACL made there`);
    check.throwIfAny();

    this.logBucket = props.logBucket ?? this.createLogBucket();
    this.webAclArn = props.webAclArn ?? createManagedWebAcl(this, 'CLOUDFRONT');

    // OAC: the bucket policy admits cloudfront.amazonaws.com with AWS:SourceArn = this
    // distribution; for SSE-KMS the key policy must let CloudFront decrypt
    // (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html).
    const [primary, fallback] = props.origins.map((b) => origins.S3BucketOrigin.withOriginAccessControl(b));
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `Origin failover of ${this.node.path}`.slice(0, 128),
      defaultBehavior: {
        origin: new origins.OriginGroup({ primaryOrigin: primary, fallbackOrigin: fallback, fallbackStatusCodes: codes }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        // Origin groups serve GET, HEAD and OPTIONS only: failover does not apply to other methods.
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      domainNames: props.domainNames,
      certificate: props.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      defaultRootObject: props.defaultRootObject ?? 'index.html',
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: `${Names.uniqueResourceName(this, { maxLength: 100, separator: '-' })}/`,
      webAclId: this.webAclArn,
      geoRestriction: props.geoRestriction,
    });
    if (!props.geoRestriction) {
      acknowledge(this.distribution.node.defaultChild!, 'AwsSolutions-CFR1',
        'No geo restriction is set because none was asked for: whether a country may be served is a business and legal decision this construct cannot make; pass geoRestriction to set one.');
    }
  }

  private createLogBucket(): s3.IBucket {
    const logs = new SecureBucket(this, 'Logs', {
      encryption: SecureBucketEncryption.S3_MANAGED,
      // CloudFront standard logging writes through the bucket ACL, so ACLs must be enabled
      // (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html).
      bucketProps: { objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED },
    });
    acknowledge(logs.bucket.node.defaultChild!, 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'CloudFront standard logs are written through the bucket ACL by the awslogsdelivery account, which a customer managed key policy would have to trust; SSE-S3 keeps the log target free of that grant.');
    acknowledgeNotReplicated(logs.bucket,
      'CloudFront standard logs are operational records; replicating them to a second region is not worth its cost for this log bucket.');
    return logs.bucket;
  }
}
