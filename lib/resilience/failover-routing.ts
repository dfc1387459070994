/**
 * RES-6 FailoverRouting: DNS that sends users to the endpoints that are up.
 *
 * Route 53 answers a name from several records, one per endpoint, by a routing policy: failover
 * (the primary while its health check passes, then the secondary), weighted (a share of the
 * answers each, which is how a blue/green cut-over moves traffic between two stacks), latency,
 * geolocation or multivalue answer. This construct makes those records for one name from typed
 * endpoints, creates a Route 53 HTTPS health check for each endpoint that asks for one, and
 * refuses what would silently never fail over or never answer: a failover primary without a
 * health check (Route 53 would consider it always healthy), weights that are all zero, and limits
 * Route 53 only reports at deployment. Health check metrics exist only in us-east-1, so alarms on
 * them are made only in a us-east-1 stack. It is one of three RES-6 constructs, with
 * {@link WeightedLoadBalancer} (a dual-stack ALB with blue/green target groups) and
 * {@link FailoverDistribution} (a CloudFront origin group over two S3 buckets).
 */
import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';
import { RoutingPolicy, RoutingPolicyKind } from './routing-policy';

/** An HTTPS health check of one endpoint, made by {@link FailoverRouting}. */
export interface EndpointHealthCheck {
  /**
   * The host name Route 53 checks, sent as SNI and Host header. Check the endpoint itself (for
   * example a load balancer's DNS name), not the routed name: once failed over, the routed name
   * points at the secondary. Set this or `ipAddress`.
   * @default - none: `ipAddress` is checked
   */
  readonly fqdn?: string;

  /**
   * The IPv4 or IPv6 address Route 53 checks. Set this or `fqdn`.
   * @default - none: `fqdn` is checked
   */
  readonly ipAddress?: string;

  /**
   * The HTTPS port.
   * @default 443
   */
  readonly port?: number;

  /**
   * The path requested; a 2xx or 3xx answer within 4 seconds passes.
   * @default '/'
   */
  readonly path?: string;

  /**
   * Consecutive checks that must fail (or pass) to change the endpoint's status, 1 to 10.
   * @default 3
   */
  readonly failureThreshold?: number;

  /**
   * Seconds between two checks of one checker: 10 (fast, billed extra) or 30.
   * @default Duration.seconds(30)
   */
  readonly requestInterval?: Duration;

  /**
   * The Route 53 checker regions, at least 3 of `us-east-1`, `us-west-1`, `us-west-2`,
   * `eu-west-1`, `ap-southeast-1`, `ap-southeast-2`, `ap-northeast-1`, `sa-east-1`.
   * @default - all of them
   */
  readonly regions?: string[];
}

/** One endpoint of a {@link FailoverRouting}: one record (two with `ipv6`). */
export interface RoutedEndpoint {
  /** The set identifier that tells the name's records apart, 1 to 128 characters, unique per name. */
  readonly id: string;

  /** Where the record points: an alias (load balancer, distribution) or IP addresses. */
  readonly target: route53.RecordTarget;

  /** How Route 53 chooses this record among the name's records. */
  readonly routing: RoutingPolicy;

  /**
   * An HTTPS health check for this endpoint: Route 53 answers with the record only while it
   * passes. Required for a failover primary.
   * @default - no health check: Route 53 considers the endpoint always healthy
   */
  readonly healthCheck?: EndpointHealthCheck;

  /**
   * Also an AAAA record with the same target, for dual-stack alias targets (a dual-stack load
   * balancer, a CloudFront distribution with IPv6). Alias targets only.
   * @default false
   */
  readonly ipv6?: boolean;
}

/** Props for {@link FailoverRouting}. */
export interface FailoverRoutingProps {
  /** The hosted zone the records go in. */
  readonly zone: route53.IHostedZone;

  /**
   * The name routed, relative to the zone (`www`) or fully qualified with a final dot.
   * @default - the zone apex
   */
  readonly recordName?: string;

  /** The endpoints, one record each, all with routing policies of one kind. */
  readonly endpoints: RoutedEndpoint[];

  /**
   * The TTL of records that are not aliases (alias records take the target's).
   * @default Duration.seconds(60)
   */
  readonly ttl?: Duration;

  /**
   * An alarm per health check on `HealthCheckStatus`, to `notificationTopic`. Route 53 publishes
   * health check metrics only in us-east-1, so an alarm in a stack of another region would never
   * fire: this construct refuses `true` there.
   * @default - true in a us-east-1 stack, false elsewhere
   */
  readonly healthCheckAlarms?: boolean;

  /**
   * Where a person is told that an endpoint is unhealthy (with `healthCheckAlarms`).
   * @default - a new KMS-encrypted {@link NotificationTopic}, when there are alarms
   */
  readonly notificationTopic?: sns.ITopic;
}

/** The regions Route 53 health checkers run from (API reference, HealthCheckConfig.Regions). */
export const HEALTH_CHECKER_REGIONS = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'];

/** The region where Route 53 publishes health check metrics. */
const METRICS_REGION = 'us-east-1';

/**
 * RES-6: the Route 53 records of one name over several endpoints, with a typed routing policy
 * each, HTTPS health checks, and alarms on them in us-east-1.
 *
 * ```ts
 * new FailoverRouting(this, 'Www', {
 *   zone,
 *   recordName: 'www',
 *   endpoints: [
 *     { id: 'primary', target: albTarget, routing: RoutingPolicy.failoverPrimary(),
 *       healthCheck: { fqdn: alb.loadBalancerDnsName, path: '/health' } },
 *     { id: 'secondary', target: cdnTarget, routing: RoutingPolicy.failoverSecondary() },
 *   ],
 * });
 * ```
 */
export class FailoverRouting extends Construct {
  /** The records, A (and AAAA for `ipv6` endpoints), by endpoint id. */
  public readonly records: Record<string, route53.RecordSet[]> = {};
  /** The health checks, by endpoint id. */
  public readonly healthChecks: Record<string, route53.HealthCheck> = {};
  /** The alarms on the health checks, by endpoint id, when `healthCheckAlarms` is on. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** Where a person is told, when there are alarms. */
  public readonly notificationTopic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: FailoverRoutingProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const regionKnown = !Token.isUnresolved(region);
    const alarmsOn = props.healthCheckAlarms ?? (regionKnown && region === METRICS_REGION);
    checkProps(this, props, regionKnown ? region : undefined);

    if (alarmsOn && props.endpoints.some((e) => e.healthCheck)) {
      this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
        displayName: 'Route 53 health checks',
      }).topic;
    }

    for (const endpoint of props.endpoints) {
      const cid = endpoint.id.replace(/\//g, '-');
      const healthCheck = endpoint.healthCheck ? this.healthCheck(cid, endpoint.healthCheck) : undefined;
      if (healthCheck) this.healthChecks[endpoint.id] = healthCheck;
      const policy = endpoint.routing;
      const options: route53.RecordSetOptions = {
        zone: props.zone,
        recordName: props.recordName,
        setIdentifier: endpoint.id,
        healthCheck,
        ttl: endpoint.target.aliasTarget ? undefined : props.ttl ?? Duration.seconds(60),
        comment: `${policy.kind} endpoint ${endpoint.id} of ${this.node.path}`.slice(0, 255),
        failover: policy.kind === RoutingPolicyKind.FAILOVER_PRIMARY ? route53.Failover.PRIMARY
          : policy.kind === RoutingPolicyKind.FAILOVER_SECONDARY ? route53.Failover.SECONDARY : undefined,
        weight: policy.weight,
        region: policy.region,
        geoLocation: policy.geoLocation,
        multiValueAnswer: policy.kind === RoutingPolicyKind.MULTIVALUE ? true : undefined,
      };
      const failover = options.failover !== undefined && endpoint.target.aliasTarget !== undefined;
      const target = failover ? route53.RecordTarget.fromAlias(new FailoverAliasTarget(endpoint.target.aliasTarget!)) : endpoint.target;
      const records: route53.RecordSet[] = [new route53.ARecord(this, `${cid}A`, { ...options, target })];
      if (endpoint.ipv6) records.push(new route53.AaaaRecord(this, `${cid}Aaaa`, { ...options, target }));
      this.records[endpoint.id] = records;

      if (healthCheck && this.notificationTopic) {
        // HealthCheckStatus is 1 while healthy and 0 while unhealthy, published in us-east-1 only
        // (docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-checks.html).
        const alarm = new cloudwatch.Metric({
          namespace: 'AWS/Route53',
          metricName: 'HealthCheckStatus',
          dimensionsMap: { HealthCheckId: healthCheck.healthCheckId },
          statistic: 'Minimum',
          period: Duration.minutes(1),
        }).createAlarm(this, `${cid}Unhealthy`, {
          alarmDescription: `Endpoint ${endpoint.id} of ${this.node.path} is unhealthy: Route 53 no longer answers with it.`.slice(0, 1024),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        });
        addAlarmNotification(alarm, this.notificationTopic);
        this.alarms[endpoint.id] = alarm;
      }
    }
  }

  private healthCheck(cid: string, options: EndpointHealthCheck): route53.HealthCheck {
    return new route53.HealthCheck(this, `${cid}HealthCheck`, {
      type: route53.HealthCheckType.HTTPS,
      fqdn: options.fqdn,
      ipAddress: options.ipAddress,
      port: options.port ?? 443,
      resourcePath: options.path ?? '/',
      enableSNI: true,
      failureThreshold: options.failureThreshold ?? 3,
      requestInterval: options.requestInterval ?? Duration.seconds(30),
      regions: options.regions,
    });
  }
}

/**
 * A failover alias target as the wrapped target binds it, except that an EvaluateTargetHealth it
 * leaves out (or sets to false) is passed as an unresolved `false`. aws-cdk-lib refuses failover
 * alias records without EvaluateTargetHealth true, but Route 53 refuses true for a CloudFront
 * distribution (docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html), so a
 * distribution could never be a failover secondary; the record's own health check (required for
 * the primary) is what fails over.
 */
class FailoverAliasTarget implements route53.IAliasRecordTarget {
  constructor(private readonly inner: route53.IAliasRecordTarget) {}

  public bind(record: route53.IRecordSet, zone?: route53.IHostedZone): route53.AliasRecordTargetConfig {
    const config = this.inner.bind(record, zone);
    return config.evaluateTargetHealth === true ? config : { ...config, evaluateTargetHealth: Lazy.any({ produce: () => false }) as unknown as boolean };
  }
}

function checkProps(scope: Construct, props: FailoverRoutingProps, region: string | undefined): void {
  const check = new PropsCheck(scope, 'FailoverRouting');
  const endpoints = props.endpoints;
  check.require(endpoints.length > 0, 'endpoints must name at least one endpoint');

  const ids = endpoints.map((e) => e.id);
  const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  check.require(repeated.length === 0, `endpoint ids must be unique (they are the records' set identifiers), repeated: ${repeated.join(', ')}`);
  for (const e of endpoints) {
    check.require(Token.isUnresolved(e.id) || (e.id.length >= 1 && e.id.length <= 128), `endpoint id "${e.id}" must have 1 to 128 characters (a set identifier)`);
  }

  // Route 53 refuses records of one name and type with different routing policies
  // (docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy.html).
  const family = (k: RoutingPolicyKind) => (k === RoutingPolicyKind.FAILOVER_SECONDARY ? RoutingPolicyKind.FAILOVER_PRIMARY : k);
  const kinds = [...new Set(endpoints.map((e) => family(e.routing.kind)))];
  check.require(kinds.length <= 1, `all endpoints of one name must use one kind of routing policy (failover primary and secondary count as one), got ${kinds.join(', ')}`);

  const primaries = endpoints.filter((e) => e.routing.kind === RoutingPolicyKind.FAILOVER_PRIMARY);
  const secondaries = endpoints.filter((e) => e.routing.kind === RoutingPolicyKind.FAILOVER_SECONDARY);
  if (primaries.length + secondaries.length > 0) {
    check.require(primaries.length === 1 && secondaries.length <= 1, `failover takes exactly one primary and at most one secondary, got ${primaries.length} primary and ${secondaries.length} secondary`);
  }
  for (const p of primaries) {
    // Without a health check Route 53 considers the primary healthy and never answers with the
    // secondary (docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-configuring.html).
    check.require(p.healthCheck !== undefined, `the failover primary "${p.id}" needs a healthCheck: without one Route 53 considers it always healthy and never fails over`);
  }

  const weighted = endpoints.filter((e) => e.routing.kind === RoutingPolicyKind.WEIGHTED);
  for (const e of weighted) {
    const w = e.routing.weight!;
    // docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-weighted.html: 0 to 255.
    check.require(Token.isUnresolved(w) || (Number.isInteger(w) && w >= 0 && w <= 255), `the weight of "${e.id}" must be a whole number from 0 to 255, got ${w}`);
  }
  const weights = weighted.map((e) => e.routing.weight!);
  if (weights.length > 0 && weights.every((w) => !Token.isUnresolved(w) && w === 0)) {
    check.add(`the weights are all zero (${weighted.map((e) => e.id).join(', ')}): give the endpoint that should take traffic a weight above 0 (with all weights 0 Route 53 answers with every record equally, which is no choice at all)`);
  }

  const locations = endpoints.filter((e) => e.routing.geoLocation).map((e) => JSON.stringify(e.routing.geoLocation));
  check.require(new Set(locations).size === locations.length, 'geolocation endpoints must each name a different location');

  for (const e of endpoints) {
    if (e.routing.kind === RoutingPolicyKind.MULTIVALUE) {
      // docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-multivalue.html: no alias records.
      check.require(!e.target.aliasTarget, `the multivalue endpoint "${e.id}" must point at IP addresses: multivalue answer records cannot be aliases`);
    }
    if (e.ipv6) check.require(e.target.aliasTarget !== undefined, `ipv6 on "${e.id}" needs an alias target (an AAAA record with IPv4 addresses would be refused)`);
    if (e.healthCheck) checkHealthCheck(check, e.id, e.healthCheck);
  }

  if (props.healthCheckAlarms === true && region !== undefined && region !== METRICS_REGION) {
    check.add(`healthCheckAlarms needs a stack in ${METRICS_REGION}: Route 53 publishes health check metrics only there, so an alarm in ${region} would never fire (put the FailoverRouting, or a second one for the alarms, in a ${METRICS_REGION} stack)`);
  }
  check.throwIfAny();
}

function checkHealthCheck(check: PropsCheck, id: string, h: EndpointHealthCheck): void {
  // Limits: docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
  check.require((h.fqdn === undefined) !== (h.ipAddress === undefined), `the health check of "${id}" needs exactly one of fqdn and ipAddress`);
  if (h.failureThreshold !== undefined && !Token.isUnresolved(h.failureThreshold)) {
    check.require(Number.isInteger(h.failureThreshold) && h.failureThreshold >= 1 && h.failureThreshold <= 10, `the health check failureThreshold of "${id}" must be a whole number from 1 to 10, got ${h.failureThreshold}`);
  }
  if (h.requestInterval !== undefined && !h.requestInterval.isUnresolved()) {
    const seconds = h.requestInterval.toSeconds();
    check.require(seconds === 10 || seconds === 30, `the health check requestInterval of "${id}" must be 10 or 30 seconds, got ${seconds}`);
  }
  if (h.port !== undefined && !Token.isUnresolved(h.port)) check.inRange(`the health check port of "${id}"`, h.port, 1, 65535);
  if (h.path !== undefined && !Token.isUnresolved(h.path)) {
    check.require(h.path.startsWith('/') && h.path.length <= 255, `the health check path of "${id}" must start with / and have at most 255 characters, got "${h.path}"`);
  }
  if (h.regions !== undefined) {
    check.require(h.regions.length >= 3, `the health check of "${id}" must run from at least 3 regions (or leave regions out for all), got ${h.regions.length}`);
    const unknown = h.regions.filter((r) => !Token.isUnresolved(r) && !HEALTH_CHECKER_REGIONS.includes(r));
    check.require(unknown.length === 0, `the health check regions of "${id}" must be among ${HEALTH_CHECKER_REGIONS.join(', ')}, got ${unknown.join(', ')}`);
  }
}
