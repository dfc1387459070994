import * as route53 from 'aws-cdk-lib/aws-route53';

/** The Route 53 routing policies a {@link RoutingPolicy} can be. */
export enum RoutingPolicyKind {
  /** Failover: the record answers while its health check passes. */
  FAILOVER_PRIMARY = 'FAILOVER_PRIMARY',
  /** Failover: the record answers when the primary is unhealthy. */
  FAILOVER_SECONDARY = 'FAILOVER_SECONDARY',
  /** Weighted: answers in proportion to the record's weight among the name's records. */
  WEIGHTED = 'WEIGHTED',
  /** Latency: answers with the record of the AWS Region closest (in latency) to the resolver. */
  LATENCY = 'LATENCY',
  /** Geolocation: answers by the continent, country or subdivision the query comes from. */
  GEOLOCATION = 'GEOLOCATION',
  /** Multivalue answer: up to eight healthy records, chosen at random, in one answer. */
  MULTIVALUE = 'MULTIVALUE',
}

/**
 * How Route 53 chooses among the records of one name: one policy per endpoint of a
 * {@link FailoverRouting}, all endpoints of one name with the same kind (failover primary and
 * secondary count as one), because Route 53 refuses records of one name and type with different
 * routing policies (docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy.html).
 */
export class RoutingPolicy {
  /**
   * The primary of a failover pair: it needs a health check, or Route 53 considers it always
   * healthy and never fails over
   * (docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-configuring.html).
   */
  public static failoverPrimary(): RoutingPolicy {
    return new RoutingPolicy(RoutingPolicyKind.FAILOVER_PRIMARY);
  }

  /** The secondary of a failover pair, answered while the primary is unhealthy. */
  public static failoverSecondary(): RoutingPolicy {
    return new RoutingPolicy(RoutingPolicyKind.FAILOVER_SECONDARY);
  }

  /**
   * A share of the answers: `weight` out of the sum of the name's weights, a whole number from 0
   * to 255 (docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-values-weighted.html).
   * Weight 0 takes the endpoint out of rotation; a blue/green cut-over moves weight from one
   * endpoint to the other.
   */
  public static weighted(weight: number): RoutingPolicy {
    return new RoutingPolicy(RoutingPolicyKind.WEIGHTED, { weight });
  }

  /** The endpoint in `region` (an AWS Region name), answered to resolvers closest to it in latency. */
  public static latency(region: string): RoutingPolicy {
    return new RoutingPolicy(RoutingPolicyKind.LATENCY, { region });
  }

  /**
   * The endpoint for queries from `location` (`route53.GeoLocation.continent(...)`,
   * `.country(...)`, `.subdivision(...)` or `.default()` for every other location).
   */
  public static geolocation(location: route53.GeoLocation): RoutingPolicy {
    return new RoutingPolicy(RoutingPolicyKind.GEOLOCATION, { geoLocation: location });
  }

  /**
   * One of several values answered together: Route 53 returns up to eight healthy records at
   * random (docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-multivalue.html).
   * Not for alias targets.
   */
  public static multivalue(): RoutingPolicy {
    return new RoutingPolicy(RoutingPolicyKind.MULTIVALUE);
  }

  /** The kind of policy. */
  public readonly kind: RoutingPolicyKind;
  /** The weight of a weighted record, undefined for other kinds. */
  public readonly weight?: number;
  /** The AWS Region of a latency record, undefined for other kinds. */
  public readonly region?: string;
  /** The location of a geolocation record, undefined for other kinds. */
  public readonly geoLocation?: route53.GeoLocation;

  private constructor(kind: RoutingPolicyKind, options: { weight?: number; region?: string; geoLocation?: route53.GeoLocation } = {}) {
    this.kind = kind;
    this.weight = options.weight;
    this.region = options.region;
    this.geoLocation = options.geoLocation;
  }
}
