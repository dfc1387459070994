/**
 * RES-2 example: in the workload account, a RES-8 network across two Availability Zones with
 * both kinds of self-healing instance: a stateless worker replaced by a single-instance Auto
 * Scaling group, and a license server (a pet) recovered by a StatusCheckFailed_System alarm, both
 * telling the same encrypted topic.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { NotificationTopic, ResilientNetwork, SelfHealingInstance, SelfHealingMode } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The self-healing instances stack. */
export class SelfHealingInstanceStack extends Stack {
  public readonly network: ResilientNetwork;
  public readonly worker: SelfHealingInstance;
  public readonly licenseServer: SelfHealingInstance;

  constructor(scope: Construct, id: string, props: StackProps & { region: string }) {
    super(scope, id, props);
    const zones = ['a', 'b'].map((z) => `${props.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials (see the RES-8 example).
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.network = new ResilientNetwork(this, 'Network', { availabilityZones: zones });
    const alerts = new NotificationTopic(this, 'Alerts', { displayName: 'Self-healing instances' }).topic;
    const image = ec2.MachineImage.latestAmazonLinux2023();

    this.worker = new SelfHealingInstance(this, 'Worker', {
      vpc: this.network.vpc,
      instanceType: new ec2.InstanceType('t4g.small'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      mode: SelfHealingMode.REPLACE,
      notificationTopic: alerts,
    });

    this.licenseServer = new SelfHealingInstance(this, 'LicenseServer', {
      vpc: this.network.vpc,
      instanceType: new ec2.InstanceType('m6i.large'),
      machineImage: image,
      mode: SelfHealingMode.RECOVER,
      notificationTopic: alerts,
    });
  }
}

/** The RES-2 example stacks. */
export interface SelfHealingInstanceExamples {
  readonly selfHealing: SelfHealingInstanceStack;
}

/** Adds the RES-2 example stack to `app`. */
export function addSelfHealingInstanceExamples(app: App, config: ExampleConfig): SelfHealingInstanceExamples {
  return {
    selfHealing: new SelfHealingInstanceStack(app, 'Res2-SelfHealing', {
      env: env(config.workloadAccount, config.primaryRegion),
      region: config.primaryRegion,
      description: 'RES-2 SelfHealingInstance: a single-instance Auto Scaling group that replaces, and an instance recovered by a StatusCheckFailed_System alarm, with AWS Health and Auto Scaling events to SNS',
    }),
  };
}
