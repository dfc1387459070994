/**
 * RES-1 example: in the workload account, a RES-8 network across two Availability Zones with two
 * managed Auto Scaling groups telling one encrypted topic: a web tier replaced by rolling updates
 * that wait for each new instance's signal, and a worker tier with a warm pool of stopped
 * instances, replaced by a replacing update.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { ManagedAutoScalingGroup, ManagedUpdatePolicy, NotificationTopic, ResilientNetwork } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The managed Auto Scaling groups stack. */
export class ManagedAutoScalingGroupStack extends Stack {
  public readonly network: ResilientNetwork;
  public readonly web: ManagedAutoScalingGroup;
  public readonly workers: ManagedAutoScalingGroup;

  constructor(scope: Construct, id: string, props: StackProps & { region: string }) {
    super(scope, id, props);
    const zones = ['a', 'b'].map((z) => `${props.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials (see the RES-8 example).
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.network = new ResilientNetwork(this, 'Network', { availabilityZones: zones });
    const alerts = new NotificationTopic(this, 'Alerts', { displayName: 'Managed Auto Scaling groups' }).topic;

    this.web = new ManagedAutoScalingGroup(this, 'Web', {
      vpc: this.network.vpc,
      instanceType: new ec2.InstanceType('t3.small'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      minCapacity: 2,
      maxCapacity: 6,
      prepareCommands: ['dnf -y upgrade --security', 'dnf -y install nginx', 'systemctl enable --now nginx'],
      logPaths: ['/var/log/nginx', '/var/log/messages'],
      updatePolicy: ManagedUpdatePolicy.rolling({
        maxBatchSize: 2,
        minInstancesInService: 2,
        minSuccessPercentage: 100,
        pauseTime: Duration.minutes(30),
        suspendProcesses: [autoscaling.ScalingProcess.HEALTH_CHECK, autoscaling.ScalingProcess.REPLACE_UNHEALTHY,
          autoscaling.ScalingProcess.AZ_REBALANCE, autoscaling.ScalingProcess.ALARM_NOTIFICATION, autoscaling.ScalingProcess.SCHEDULED_ACTIONS],
        waitOnResourceSignals: true,
      }),
      resourceSignals: { timeout: Duration.minutes(30) },
      notificationTopic: alerts,
    });

    this.workers = new ManagedAutoScalingGroup(this, 'Workers', {
      vpc: this.network.vpc,
      instanceType: new ec2.InstanceType('m5.large'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      minCapacity: 1,
      maxCapacity: 4,
      warmPool: { poolState: autoscaling.PoolState.STOPPED, minSize: 1, reuseOnScaleIn: true },
      updatePolicy: ManagedUpdatePolicy.replacing(),
      notificationTopic: alerts,
    });
  }
}

/** The RES-1 example stacks. */
export interface ManagedAutoScalingGroupExamples {
  readonly managedGroups: ManagedAutoScalingGroupStack;
}

/** Adds the RES-1 example stack to `app`. */
export function addManagedAutoScalingGroupExamples(app: App, config: ExampleConfig): ManagedAutoScalingGroupExamples {
  return {
    managedGroups: new ManagedAutoScalingGroupStack(app, 'Res1-ManagedGroups', {
      env: env(config.workloadAccount, config.primaryRegion),
      region: config.primaryRegion,
      description: 'RES-1 ManagedAutoScalingGroup: lifecycle hooks completed by Step Functions (prepare before service, logs to S3 before termination), rolling and replacing updates, a warm pool, failed launches to SNS',
    }),
  };
}
