/**
 * IAC-8 example: in the workload account, what an OpsWorks layer of web servers with time-based
 * and load-based instances did, on EC2 Auto Scaling. A RES-8 network across two Availability
 * Zones, a group of 2 to 8 instances (launch template: IMDSv2 only, encrypted gp3 root volume, a
 * security group without ingress, no public address), raised to 4 on weekday mornings in Paris
 * time and lowered again in the evening, target tracking on CPU (50 %) and on memory (70 %,
 * from the CloudWatch agent that OBS-5 sets up on the group's instances), and predictive scaling
 * in forecast-only mode.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, PredictiveScalingMode, ResilientNetwork, ScheduledAndLoadScaling } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The scaling stack. */
export class ScheduledAndLoadScalingStack extends Stack {
  public readonly network: ResilientNetwork;
  public readonly instanceRole: iam.Role;
  public readonly group: autoscaling.AutoScalingGroup;
  public readonly scaling: ScheduledAndLoadScaling;

  constructor(scope: Construct, id: string, props: StackProps & { region: string }) {
    super(scope, id, props);
    const zones = ['a', 'b'].map((z) => `${props.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials (see the RES-8 example).
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.network = new ResilientNetwork(this, 'Network', { availabilityZones: zones });

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Instance role of the web servers (IAC-8 example)',
    });
    const securityGroup = new ec2.SecurityGroup(this, 'WebServersSecurityGroup', {
      vpc: this.network.vpc,
      description: 'Web servers: no ingress until a load balancer is added',
      allowAllOutbound: true,
    });
    const launchTemplate = new ec2.LaunchTemplate(this, 'WebServersTemplate', {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      role: this.instanceRole,
      securityGroup,
      requireImdsv2: true,
      // One-minute CPU metrics: target tracking reacts on one-minute data.
      detailedMonitoring: true,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      }],
    });
    this.group = new autoscaling.AutoScalingGroup(this, 'WebServers', {
      vpc: this.network.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: 2,
      maxCapacity: 8,
      // Instances count toward the group's metrics after three minutes; every policy uses it.
      defaultInstanceWarmup: Duration.minutes(3),
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
    });

    this.scaling = new ScheduledAndLoadScaling(this, 'Scaling', {
      autoScalingGroup: this.group,
      scheduledActions: [
        { name: 'WorkdayMorning', schedule: autoscaling.Schedule.cron({ minute: '0', hour: '8', weekDay: '1-5' }), timeZone: 'Europe/Paris', minCapacity: 4 },
        { name: 'WorkdayEvening', schedule: autoscaling.Schedule.cron({ minute: '0', hour: '20', weekDay: '1-5' }), timeZone: 'Europe/Paris', minCapacity: 2 },
      ],
      cpuTargetUtilizationPercent: 50,
      memoryTargetUtilizationPercent: 70,
      predictiveScaling: { mode: PredictiveScalingMode.FORECAST_ONLY },
    });

    acknowledge(this.instanceRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AmazonSSMManagedInstanceCore is the AWS-maintained set of permissions the SSM Agent needs to register and run the State Manager associations that install and configure the CloudWatch agent; AWS updates it as the agent changes.');
    acknowledge(this.group.node.defaultChild!, 'AwsSolutions-AS3',
      'Failed launches, the scaling events a person must act on, reach the encrypted notification topic through the EventBridge rule of ScheduledAndLoadScaling with a readable message; successful launches and terminations are the routine work of scaling and are in the group\'s activity history. Auto Scaling notification configurations would also need the Auto Scaling service-linked role on the topic\'s key.');
  }
}

/** The IAC-8 example stacks. */
export interface ScheduledAndLoadScalingExamples {
  readonly scaling: ScheduledAndLoadScalingStack;
}

/** Adds the IAC-8 example stack to `app`. */
export function addScheduledAndLoadScalingExamples(app: App, config: ExampleConfig): ScheduledAndLoadScalingExamples {
  return {
    scaling: new ScheduledAndLoadScalingStack(app, 'Iac8-ScheduledAndLoadScaling', {
      env: env(config.workloadAccount, config.primaryRegion),
      region: config.primaryRegion,
      description: 'IAC-8 ScheduledAndLoadScaling: OpsWorks time-based and load-based instances on EC2 Auto Scaling: scheduled actions with time zones, target tracking on CPU and on the CloudWatch agent memory metric, predictive scaling (forecast only)',
    }),
  };
}
