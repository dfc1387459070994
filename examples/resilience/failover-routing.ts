/**
 * RES-6 example: in the workload account, in us-east-1 (where CloudFront takes certificates and
 * web ACLs, and where Route 53 publishes health check metrics), a public hosted zone whose `www`
 * name fails over from a dual-stack load balancer (blue/green target groups, 10 % to green) to a
 * CloudFront distribution over two buckets in an origin group, with an alarm on the primary's
 * health check.
 *
 * Idle cost, roughly (us-east-1 list prices): the two NAT gateways of the RES-8 network (about
 * $66 a month), the load balancer (about $16 a month plus LCUs), public IPv4 addresses (about
 * $3.65 a month each), two web ACLs ($5 each plus $1 per rule), the HTTPS health check (about
 * $1.50 a month for an AWS endpoint), the hosted zone ($0.50 a month), KMS keys ($1 a month each).
 * The target groups are empty: register the blue and green fleets, or the health check fails and
 * `www` is answered by CloudFront.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import {
  acknowledge, acknowledgeNotReplicated, FailoverDistribution, FailoverRouting, ResilientNetwork, RoutingPolicy, SecureBucket, WeightedLoadBalancer,
} from '../../lib';
import { env, ExampleConfig } from '../config';

/** Props for {@link FailoverRoutingStack}. */
export interface FailoverRoutingStackProps extends StackProps {
  /** The public zone's domain name. */
  readonly domainName: string;
}

/** The RES-6 example stack. */
export class FailoverRoutingStack extends Stack {
  public readonly zone: route53.PublicHostedZone;
  public readonly network: ResilientNetwork;
  public readonly loadBalancer: WeightedLoadBalancer;
  public readonly site: FailoverDistribution;
  public readonly www: FailoverRouting;

  constructor(scope: Construct, id: string, props: FailoverRoutingStackProps) {
    super(scope, id, props);
    const zones = ['a', 'b'].map((z) => `${this.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials (see the RES-8 example).
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.zone = new route53.PublicHostedZone(this, 'Zone', { zoneName: props.domainName });
    const www = `www.${props.domainName}`;
    // One certificate for the load balancer and the distribution: both are in us-east-1, and
    // both answer for www (the load balancer while it is healthy, CloudFront after failover).
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: www,
      validation: acm.CertificateValidation.fromDns(this.zone),
    });

    this.network = new ResilientNetwork(this, 'Network', { availabilityZones: zones, dualStack: true });
    this.loadBalancer = new WeightedLoadBalancer(this, 'Web', {
      vpc: this.network.vpc,
      certificate,
      healthCheckPath: '/health',
      greenTrafficPercent: 10,
    });

    const [primary, fallback] = ['SitePrimary', 'SiteFallback'].map((name) => {
      const secure = new SecureBucket(this, name);
      const bucket = secure.bucket;
      // aws-cdk-lib's OAC origin lets CloudFront decrypt with the bucket's key for any distribution
      // of this account: naming this distribution would make the key, the bucket and the
      // distribution depend on each other.
      acknowledge(secure, 'Annotation::@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac',
        'The key policy admits cloudfront.amazonaws.com only for distributions of this account (AWS:SourceArn distribution/*), and only to decrypt; naming the one distribution would create a dependency cycle between the key, the bucket and the distribution, while the bucket policy still admits only this distribution.');
      acknowledgeNotReplicated(bucket, 'The static site is published to both buckets of the CloudFront origin group, which are each other\'s copy; replicating either would add a third.');
      return bucket;
    });
    this.site = new FailoverDistribution(this, 'Site', {
      origins: [primary, fallback],
      domainNames: [www],
      certificate,
    });

    this.www = new FailoverRouting(this, 'Www', {
      zone: this.zone,
      recordName: 'www',
      endpoints: [
        {
          id: 'load-balancer',
          target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancer.loadBalancer, { evaluateTargetHealth: true })),
          routing: RoutingPolicy.failoverPrimary(),
          // The load balancer itself, not www: after failover www points at CloudFront.
          healthCheck: { fqdn: this.loadBalancer.loadBalancer.loadBalancerDnsName, path: '/health' },
          ipv6: true,
        },
        {
          id: 'static-site',
          target: route53.RecordTarget.fromAlias(new targets.CloudFrontTarget(this.site.distribution)),
          routing: RoutingPolicy.failoverSecondary(),
          ipv6: true,
        },
      ],
    });
  }
}

/** The RES-6 example stacks. */
export interface FailoverRoutingExamples {
  readonly failover: FailoverRoutingStack;
}

/** Adds the RES-6 example stack to `app`. The zone's name comes from the `res6DomainName` context. */
export function addFailoverRoutingExamples(app: App, config: ExampleConfig): FailoverRoutingExamples {
  return {
    failover: new FailoverRoutingStack(app, 'Res6-FailoverRouting', {
      env: env(config.workloadAccount, 'us-east-1'),
      description: 'RES-6 FailoverRouting: Route 53 failover from a dual-stack blue/green load balancer to a CloudFront origin group over two buckets, with a health check alarm (us-east-1)',
      domainName: (app.node.tryGetContext('res6DomainName') as string | undefined) ?? 'failover.example.com',
    }),
  };
}
