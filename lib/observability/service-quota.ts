/**
 * The quotas OBS-8 {@link ServiceLimitMonitoring} watches: a Service Quotas usage metric
 * (`AWS/Usage`, compared with `SERVICE_QUOTA()`), or a Trusted Advisor service limit
 * (`AWS/TrustedAdvisor` `ServiceLimitUsage`).
 */

/**
 * A quota whose usage CloudWatch publishes in the `AWS/Usage` namespace, identified by the four
 * dimensions of that metric. `aws service-quotas get-service-quota` (or `list-service-quotas`)
 * prints them as the quota's `UsageMetric.MetricDimensions`; a quota without a `UsageMetric`
 * cannot be watched this way.
 * (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Service-Quota-Integration.html)
 */
export interface ServiceQuota {
  /** A name a person reads in the alarm, e.g. `EC2 running On-Demand Standard instances (vCPUs)`. */
  readonly name: string;
  /** The `Service` dimension, e.g. `EC2`. */
  readonly service: string;
  /** The `Type` dimension: `Resource` for resource counts, `API` for call rates. */
  readonly usageType: string;
  /** The `Resource` dimension, e.g. `vCPU`. */
  readonly resource: string;
  /** The `Class` dimension, e.g. `Standard/OnDemand`; `None` where the quota has no class. */
  readonly resourceClass: string;
  /**
   * The usage metric's name: `ResourceCount` for resources, `CallCount` for API calls.
   * @default 'ResourceCount'
   */
  readonly metricName?: string;
  /**
   * The statistic, as the quota's `UsageMetric.MetricStatisticRecommendation` says.
   * @default 'Maximum'
   */
  readonly statistic?: string;
}

/**
 * A Trusted Advisor service limit, identified by the dimensions of its `ServiceLimitUsage`
 * metric (docs.aws.amazon.com/awssupport/latest/user/cloudwatch-metrics-ta.html, "Dimensions for
 * service quota metrics"). The values are the ones Trusted Advisor's Service Limits checks show,
 * e.g. `CloudFormation` / `Stacks` or `EBS` / `Provisioned IOPS`.
 */
export interface TrustedAdvisorLimit {
  /** The `ServiceName` dimension, e.g. `CloudFormation`. */
  readonly serviceName: string;
  /** The `ServiceLimit` dimension, e.g. `Stacks`. */
  readonly serviceLimit: string;
  /**
   * The `Region` dimension: the region the limit applies to (Trusted Advisor reports every
   * region's limits from us-east-1); `-` for global limits such as IAM's.
   */
  readonly region: string;
}

/**
 * Quotas whose `AWS/Usage` dimensions are documented by AWS, ready to pass to
 * {@link ServiceLimitMonitoringProps.quotas}. For any other quota, write a {@link ServiceQuota}
 * with the dimensions `aws service-quotas get-service-quota` prints.
 */
export class ServiceQuotas {
  /**
   * EC2 "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" (quota L-1216C47A),
   * counted in vCPUs: `Service=EC2, Type=Resource, Resource=vCPU, Class=Standard/OnDemand`, as
   * `get-service-quota` shows it (docs.aws.amazon.com/cli/latest/reference/service-quotas/get-service-quota.html).
   */
  public static ec2OnDemandStandardVcpus(): ServiceQuota {
    return { name: 'EC2 running On-Demand Standard instances (vCPUs)', service: 'EC2', usageType: 'Resource', resource: 'vCPU', resourceClass: 'Standard/OnDemand' };
  }

  /**
   * Fargate On-Demand vCPUs: `Service=Fargate, Type=Resource, Resource=vCPU,
   * Class=Standard/OnDemand` (docs.aws.amazon.com/AmazonECS/latest/developerguide/monitoring-fargate-usage.html).
   */
  public static fargateOnDemandVcpus(): ServiceQuota {
    return { name: 'Fargate On-Demand vCPUs', service: 'Fargate', usageType: 'Resource', resource: 'vCPU', resourceClass: 'Standard/OnDemand' };
  }

  /**
   * Fargate Spot vCPUs: `Service=Fargate, Type=Resource, Resource=vCPU, Class=Standard/Spot`
   * (docs.aws.amazon.com/AmazonECS/latest/developerguide/monitoring-fargate-usage.html).
   */
  public static fargateSpotVcpus(): ServiceQuota {
    return { name: 'Fargate Spot vCPUs', service: 'Fargate', usageType: 'Resource', resource: 'vCPU', resourceClass: 'Standard/Spot' };
  }

  private constructor() {}
}
