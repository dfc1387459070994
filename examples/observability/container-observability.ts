/**
 * OBS-4 example: in the workload account, a RES-8 network, a cluster with Container Insights and
 * a busybox job that runs every night at 03:00 UTC on Fargate with an X-Ray daemon sidecar; a
 * task that fails tells a person, and a role for EC2 container instances is ready for EC2
 * capacity.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { ContainerObservability, ResilientNetwork } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The container observability stack. */
export class ContainerObservabilityStack extends Stack {
  public readonly network: ResilientNetwork;
  public readonly observability: ContainerObservability;

  constructor(scope: Construct, id: string, props: StackProps & { region: string }) {
    super(scope, id, props);
    const zones = ['a', 'b'].map((z) => `${props.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials (see examples/resilience/resilient-network.ts).
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.network = new ResilientNetwork(this, 'Network', { availabilityZones: zones, cidr: '10.40.0.0/16' });
    this.observability = new ContainerObservability(this, 'Jobs', {
      vpc: this.network.vpc,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
      command: ['sh', '-c', 'echo "nightly job started"; sleep 5; echo "nightly job done"'],
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '3' }),
      xrayDaemon: true,
      containerInstanceRole: true,
    });
  }
}

/** The OBS-4 example stacks. */
export interface ContainerObservabilityExamples {
  readonly containers: ContainerObservabilityStack;
}

/** Adds the OBS-4 example stack to `app`. */
export function addContainerObservabilityExamples(app: App, config: ExampleConfig): ContainerObservabilityExamples {
  return {
    containers: new ContainerObservabilityStack(app, 'Obs4-ContainerObservability', {
      env: env(config.workloadAccount, config.primaryRegion),
      region: config.primaryRegion,
      description: 'OBS-4 ContainerObservability: Container Insights, awslogs to an encrypted log group, failed task stops to SNS, a nightly Fargate task with an X-Ray sidecar',
    }),
  };
}
