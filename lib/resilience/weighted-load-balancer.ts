/**
 * RES-6 WeightedLoadBalancer: a dual-stack Application Load Balancer that splits traffic between
 * a blue and a green target group by weight, so a release is cut over by moving weight.
 *
 * A blue/green release needs two fleets behind one entry point and a way to move users from one
 * to the other without a DNS change (whose caches hold on to the old answer). The listener's
 * weighted forward action does that: `greenTrafficPercent` of new requests go to the green target
 * group, the rest to blue, and a deployment with another value moves them. The load balancer
 * answers over IPv4 and IPv6 (dual stack), only on HTTPS with the recommended TLS policy, drops
 * invalid header fields, writes access logs to an SSE-S3 bucket (the only encryption ALB log
 * delivery accepts), keeps deletion protection on outside sandbox mode, and sits behind a web
 * ACL (the AWS managed common rule set by default, with logs).
 */
import { Names } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { acknowledgeNotReplicated } from '../core/not-replicated';
import { isSandbox } from '../core/sandbox';
import { SecureBucket, SecureBucketEncryption } from '../core/secure-bucket';
import { PropsCheck } from '../core/validation';
import { createManagedWebAcl } from './managed-web-acl';

/** Props for {@link WeightedLoadBalancer}. */
export interface WeightedLoadBalancerProps {
  /**
   * A dual-stack VPC: its public subnets need IPv6 ranges (`ResilientNetwork` with
   * `dualStack: true` gives them).
   */
  readonly vpc: ec2.IVpc;

  /** The certificate of the HTTPS listener, in the load balancer's region. */
  readonly certificate: acm.ICertificate;

  /**
   * The share of new requests, in percent (0 to 100), forwarded to the green target group; the
   * rest go to blue. A cut-over deploys a new value: 0 (all blue), a canary share, then 100.
   * @default 0
   */
  readonly greenTrafficPercent?: number;

  /**
   * How targets are registered: by instance id or by IP address (containers, on-premises hosts).
   * @default elbv2.TargetType.IP
   */
  readonly targetType?: elbv2.TargetType;

  /**
   * The port targets listen on.
   * @default 80
   */
  readonly targetPort?: number;

  /**
   * The protocol to the targets, inside the VPC.
   * @default elbv2.ApplicationProtocol.HTTP
   */
  readonly targetProtocol?: elbv2.ApplicationProtocol;

  /**
   * The path of the target groups' health checks.
   * @default '/'
   */
  readonly healthCheckPath?: string;

  /**
   * Where access logs go: a bucket encrypted with SSE-S3 (ALB log delivery accepts no other).
   * @default - a new SSE-S3 bucket
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * The ARN of a regional web ACL to associate.
   * @default - a new web ACL with the AWS managed common rule set, logging to an encrypted log group
   */
  readonly webAclArn?: string;
}

/**
 * RES-6: a dual-stack, HTTPS-only Application Load Balancer whose listener forwards to a blue and
 * a green target group by weight.
 *
 * ```ts
 * const lb = new WeightedLoadBalancer(this, 'Web', { vpc, certificate, greenTrafficPercent: 10 });
 * lb.greenTargetGroup.addTarget(newFleet);
 * ```
 */
export class WeightedLoadBalancer extends Construct {
  /** The load balancer. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The HTTPS listener. */
  public readonly listener: elbv2.ApplicationListener;
  /** The blue target group, which takes `100 - greenTrafficPercent` percent. */
  public readonly blueTargetGroup: elbv2.ApplicationTargetGroup;
  /** The green target group, which takes `greenTrafficPercent` percent. */
  public readonly greenTargetGroup: elbv2.ApplicationTargetGroup;
  /** The bucket access logs go to. */
  public readonly accessLogsBucket: s3.IBucket;
  /** The web ACL's ARN. */
  public readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: WeightedLoadBalancerProps) {
    super(scope, id);
    const green = props.greenTrafficPercent ?? 0;
    const check = new PropsCheck(this, 'WeightedLoadBalancer');
    check.require(Number.isInteger(green) && green >= 0 && green <= 100, `greenTrafficPercent must be a whole number from 0 to 100, got ${green}`);
    check.inRange('targetPort', props.targetPort, 1, 65535);
    check.require(props.healthCheckPath === undefined || props.healthCheckPath.startsWith('/'), `healthCheckPath must start with /, got "${props.healthCheckPath}"`);
    check.throwIfAny();

    const sandbox = isSandbox(this);
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      // Dual stack: IPv4 and IPv6 addresses, which needs subnets with IPv6 ranges
      // (docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#ip-address-type).
      ipAddressType: elbv2.IpAddressType.DUAL_STACK,
      dropInvalidHeaderFields: true,
      deletionProtection: !sandbox,
    });
    if (sandbox) {
      acknowledge(this.loadBalancer.node.defaultChild!, 'NIST.800.53.R5-ELBDeletionProtectionEnabled',
        'In sandbox mode every resource must be destroyable by cdk destroy, so deletion protection is off; outside sandbox mode it is on.');
    }

    this.accessLogsBucket = props.accessLogsBucket ?? this.logBucket();
    // ALB access logs go to SSE-S3 buckets only
    // (docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
    this.loadBalancer.logAccessLogs(this.accessLogsBucket, Names.uniqueResourceName(this, { maxLength: 100, separator: '-' }));

    this.webAclArn = props.webAclArn ?? createManagedWebAcl(this, 'REGIONAL');
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.loadBalancer.loadBalancerArn, webAclArn: this.webAclArn });

    const targetGroup = (name: string) => new elbv2.ApplicationTargetGroup(this, name, {
      vpc: props.vpc,
      targetType: props.targetType ?? elbv2.TargetType.IP,
      port: props.targetPort ?? 80,
      protocol: props.targetProtocol ?? elbv2.ApplicationProtocol.HTTP,
      healthCheck: { path: props.healthCheckPath ?? '/', healthyThresholdCount: 2 },
    });
    this.blueTargetGroup = targetGroup('Blue');
    this.greenTargetGroup = targetGroup('Green');

    this.listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      certificates: [props.certificate],
      open: true,
      // Weights 0 to 999 per target group; new requests are split by weight
      // (docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions).
      defaultAction: elbv2.ListenerAction.weightedForward([
        { targetGroup: this.blueTargetGroup, weight: 100 - green },
        { targetGroup: this.greenTargetGroup, weight: green },
      ]),
    });
    for (const sg of this.loadBalancer.connections.securityGroups) {
      acknowledge(sg.node.defaultChild!, 'AwsSolutions-EC23',
        'This is the security group of an internet-facing load balancer, which serves the public over IPv4 and IPv6 on its HTTPS listener (port 443) only, behind a web ACL.');
    }
  }

  private logBucket(): s3.IBucket {
    const logs = new SecureBucket(this, 'AccessLogs', { encryption: SecureBucketEncryption.S3_MANAGED });
    acknowledge(logs.bucket.node.defaultChild!, 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'Elastic Load Balancing delivers access logs only to buckets encrypted with SSE-S3, so this log bucket cannot use a KMS key.');
    acknowledgeNotReplicated(logs.bucket,
      'Load balancer access logs are operational records; replicating them to a second region is not worth its cost for this log bucket.');
    return logs.bucket;
  }
}
