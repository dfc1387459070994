/**
 * OBS-5 example: in the workload account, the CloudWatch agent on every instance tagged
 * `cwagent=enabled`, with the application's log file, and a launch template whose instances
 * carry that tag and the instance role that gets the agent's permissions. No instance is
 * launched: the launch template costs nothing until something launches from it.
 */
import { App, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, InstanceMetrics, InstanceTargets } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The instance metrics stack. */
export class InstanceMetricsStack extends Stack {
  public readonly metrics: InstanceMetrics;
  public readonly instanceRole: iam.Role;
  public readonly launchTemplate: ec2.LaunchTemplate;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Instance role of the application servers (OBS-5 example)',
    });
    this.metrics = new InstanceMetrics(this, 'Metrics', {
      targets: InstanceTargets.tag('cwagent', 'enabled'),
      instanceRoles: [this.instanceRole],
      logFiles: [
        { filePath: '/var/log/app/app.log', retention: logs.RetentionDays.THREE_MONTHS },
        { filePath: '/var/log/messages' },
      ],
      memoryAlarmThreshold: 85,
    });
    acknowledge(this.instanceRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AmazonSSMManagedInstanceCore is the AWS-maintained set of permissions the SSM Agent needs to register and run State Manager associations; AWS updates it as the agent changes.');

    // Instances launched from this template get the tag, so State Manager configures them.
    this.launchTemplate = new ec2.LaunchTemplate(this, 'AppServers', {
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      role: this.instanceRole,
      requireImdsv2: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true }) }],
    });
    Tags.of(this.launchTemplate).add('cwagent', 'enabled');
  }
}

/** The OBS-5 example stacks. */
export interface InstanceMetricsExamples {
  readonly instanceMetrics: InstanceMetricsStack;
}

/** Adds the OBS-5 example stack to `app`. */
export function addInstanceMetricsExamples(app: App, config: ExampleConfig): InstanceMetricsExamples {
  return {
    instanceMetrics: new InstanceMetricsStack(app, 'Obs5-InstanceMetrics', {
      env: env(config.workloadAccount, config.primaryRegion),
      description: 'OBS-5 InstanceMetrics: the CloudWatch agent installed and configured by State Manager from Parameter Store, memory and disk metrics, log files, a memory alarm',
    }),
  };
}
