/**
 * OBS-8 example: in the workload account, Trusted Advisor and the quotas of us-east-1 in a stack in
 * us-east-1 (Trusted Advisor publishes only there, also for the limits of other regions), and the
 * quotas of the primary region in a stack there.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ServiceLimitMonitoring, ServiceLimitMonitoringProps, ServiceQuotas } from '../../lib';
import { env, ExampleConfig } from '../config';

/** Props for {@link ServiceLimitMonitoringStack}. */
export interface ServiceLimitMonitoringStackProps extends StackProps {
  /** What the stack watches. */
  readonly monitoring: ServiceLimitMonitoringProps;
}

/** A service limit monitoring stack. */
export class ServiceLimitMonitoringStack extends Stack {
  public readonly monitoring: ServiceLimitMonitoring;

  constructor(scope: Construct, id: string, props: ServiceLimitMonitoringStackProps) {
    super(scope, id, props);
    this.monitoring = new ServiceLimitMonitoring(this, 'Limits', props.monitoring);
  }
}

/** The OBS-8 example stacks. */
export interface ServiceLimitMonitoringExamples {
  /** us-east-1: Trusted Advisor (rule and alarms) and the quotas of us-east-1. */
  readonly trustedAdvisor: ServiceLimitMonitoringStack;
  /** The primary region: its quotas only. */
  readonly regional: ServiceLimitMonitoringStack;
}

/** Adds the OBS-8 example stacks to `app`. */
export function addServiceLimitMonitoringExamples(app: App, config: ExampleConfig): ServiceLimitMonitoringExamples {
  const quotas = [ServiceQuotas.ec2OnDemandStandardVcpus(), ServiceQuotas.fargateOnDemandVcpus()];
  const trustedAdvisor = new ServiceLimitMonitoringStack(app, 'Obs8-Workload-ServiceLimits-UsEast1', {
    env: env(config.workloadAccount, 'us-east-1'),
    description: 'OBS-8 ServiceLimitMonitoring: Trusted Advisor service-limit alarms and check status changes, and the Service Quotas alarms of us-east-1 (workload account)',
    monitoring: {
      quotas,
      // Limits of the primary region, as Trusted Advisor names them
      // (docs.aws.amazon.com/awssupport/latest/user/cloudwatch-metrics-ta.html).
      trustedAdvisorLimits: [
        { serviceName: 'CloudFormation', serviceLimit: 'Stacks', region: config.primaryRegion },
        { serviceName: 'EBS', serviceLimit: 'Provisioned IOPS', region: config.primaryRegion },
      ],
    },
  });
  const regional = new ServiceLimitMonitoringStack(app, 'Obs8-Workload-ServiceLimits', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: `OBS-8 ServiceLimitMonitoring: the Service Quotas alarms of ${config.primaryRegion} (workload account)`,
    monitoring: { quotas, thresholdPercent: 75 },
  });
  return { trustedAdvisor, regional };
}
