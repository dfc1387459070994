/**
 * RES-2 SelfHealingInstance: one EC2 instance that comes back on its own when its host fails.
 *
 * Two ways, as the notes put them. `SelfHealingMode.REPLACE` (the default): an Auto Scaling group
 * of exactly one instance (min = max = 1) from a launch template, spread over the VPC's private
 * subnets; when EC2 (or, optionally, a load balancer) reports the instance unhealthy, the group
 * terminates it and launches a new one, in another Availability Zone if its zone is gone. The
 * instance is cattle: a new ID, a fresh root volume from the image. `SelfHealingMode.RECOVER`: one
 * instance with a CloudWatch alarm on `StatusCheckFailed_System` whose action is EC2 recover; the
 * same instance (ID, private IP, EBS volumes, metadata) moves to healthy hardware in its zone. The
 * instance is a pet, for software that cannot be rebuilt from an image. Either way a person is
 * told: in recover mode the alarm, AWS Health scheduled changes for the instance (retirement,
 * maintenance) and the outcome of every recovery; in replace mode the group's terminations and
 * failed launches. Both modes set EC2's own simplified automatic recovery explicitly instead of
 * leaving it to the account's default. Secure defaults: IMDSv2 only, an encrypted root volume, a
 * private subnet without a public address, a security group without ingress.
 */
import { Duration, Size, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { addAlarmNotification } from '../core/alarm-notification';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { Sandbox } from '../core/sandbox';
import { PropsCheck } from '../core/validation';
import { checkRootVolumeSize, createSecureLaunchTemplate } from './secure-launch-template';

/** How a {@link SelfHealingInstance} heals. */
export enum SelfHealingMode {
  /**
   * An Auto Scaling group of exactly one instance replaces an unhealthy instance with a new one,
   * in any of the selected private subnets.
   */
  REPLACE = 'replace',
  /**
   * A CloudWatch alarm on `StatusCheckFailed_System` recovers the same instance onto healthy
   * hardware in its Availability Zone.
   */
  RECOVER = 'recover',
}

/** Props for {@link SelfHealingInstance}. */
export interface SelfHealingInstanceProps {
  /** The VPC to run in; the instance goes to its private subnets. */
  readonly vpc: ec2.IVpc;

  /** The instance type. In recover mode it must support the EC2 recover action. */
  readonly instanceType: ec2.InstanceType;

  /** The machine image (AMI). */
  readonly machineImage: ec2.IMachineImage;

  /**
   * User data run at first boot. In replace mode every replacement runs it again, so it must
   * build the whole instance.
   * @default - the machine image's default user data
   */
  readonly userData?: ec2.UserData;

  /**
   * How the instance heals.
   * @default SelfHealingMode.REPLACE
   */
  readonly mode?: SelfHealingMode;

  /**
   * The subnets to run in: private subnets only. Replace mode spreads the group over all of them;
   * recover mode launches the instance in the first.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security group of the instance. Add ingress to it for what must reach the instance.
   * @default - a new security group without ingress, all outbound traffic allowed
   */
  readonly securityGroup?: ec2.ISecurityGroup;

  /**
   * The role of the instance.
   * @default - a role with the AWS managed `AmazonSSMManagedInstanceCore` policy only, so Session
   * Manager (there is no SSH key and no ingress) and Patch Manager reach the instance
   */
  readonly role?: iam.IRole;

  /**
   * The size of the encrypted gp3 root volume; at least the size of the image's root snapshot.
   * @default Size.gibibytes(30)
   */
  readonly rootVolumeSize?: Size;

  /**
   * The device name of the image's root volume, so the encrypted volume replaces the image's root
   * volume instead of being added next to it. Check it with
   * `aws ec2 describe-images --image-ids <ami> --query 'Images[].RootDeviceName'`.
   * @default - '/dev/sda1' for Windows images, '/dev/xvda' (Amazon Linux) otherwise
   */
  readonly rootDeviceName?: string;

  /**
   * One-minute instead of five-minute EC2 metrics (CPU, network, disk) for the instance; charged
   * per metric. The status check metric of the recover alarm is one-minute either way.
   * @default true
   */
  readonly detailedMonitoring?: boolean;

  /**
   * Replace mode: how long a new instance may boot before failed health checks count.
   * @default Duration.minutes(5)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * Replace mode: also replace the instance when a load balancer's target group finds it
   * unhealthy. Attach the group with `autoScalingGroup.attachToApplicationTargetGroup()`.
   * @default false
   */
  readonly loadBalancerHealthCheck?: boolean;

  /**
   * Recover mode: keep EC2's simplified automatic recovery on next to the alarm (`AutoRecovery`
   * `default`), or turn it off (`disabled`) so that only the alarm recovers the instance.
   * @default true
   */
  readonly simplifiedAutoRecovery?: boolean;

  /**
   * Recover mode: the instance type's family is not in the list of families this construct knows
   * support the recover action, and you checked that it does:
   * `aws ec2 describe-instance-types --instance-types <type> --query 'InstanceTypes[].AutoRecoverySupported'`
   * returns `true`. Bare metal types and types with instance store volumes are refused anyway.
   * @default false
   */
  readonly recoverSupportConfirmed?: boolean;

  /**
   * Recover mode: termination protection on the instance (the instance is not in a group that
   * would replace it). Changing the image replaces the instance, so turn it off for that deploy.
   * @default - true, false in sandbox mode so that `cdk destroy` can delete the instance
   */
  readonly terminationProtection?: boolean;

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * Instance families the EC2 User Guide lists as supporting the recover action (simplified
 * automatic recovery and CloudWatch action based recovery, "Requirements";
 * docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-recover.html). M3, C3, R3, X1 and X1e
 * qualify without instance store volumes, and this construct configures none. The list is the
 * guide's text as published in github.com/awsdocs/amazon-ec2-user-guide (2023); newer families
 * may support recovery too: `recoverSupportConfirmed` is for them.
 */
const RECOVER_FAMILIES = new Set([
  // General purpose
  'a1', 'm3', 'm4', 'm5', 'm5a', 'm5n', 'm5zn', 'm6a', 'm6g', 'm6i', 't1', 't2', 't3', 't3a', 't4g',
  // Compute optimized
  'c3', 'c4', 'c5', 'c5a', 'c5n', 'c6a', 'c6g', 'c6gn', 'c6i', 'hpc6a', 'c7g',
  // Memory optimized
  'r3', 'r4', 'r5', 'r5a', 'r5b', 'r5n', 'r6g', 'r6i', 'x1', 'x1e',
  // Accelerated computing
  'g3', 'g5g', 'inf1', 'p2', 'p3', 'vt1',
]);

/**
 * Instance type series whose every type has instance store volumes (storage optimized D, H, I):
 * docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html.
 */
const INSTANCE_STORE_SERIES = new Set(['d', 'h', 'i', 'im', 'is']);

/** One-minute periods (and datapoints) of the recover alarm, as the EC2 User Guide recommends. */
const RECOVER_EVALUATION_PERIODS = 2;

/**
 * The AWS Health event type codes of a recovery's outcome: CloudWatch action based recovery
 * (docs.aws.amazon.com/AWSEC2/latest/UserGuide/cloudwatch-recovery.html) and simplified automatic
 * recovery (docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-configuration-recovery.html).
 */
const RECOVERY_OUTCOME_EVENT_TYPES = [
  'AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS',
  'AWS_EC2_INSTANCE_AUTO_RECOVERY_FAILURE',
  'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS',
  'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_FAILURE',
];

/**
 * The Auto Scaling events a person hears about in replace mode
 * (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html).
 */
const GROUP_EVENT_TYPES = [
  'EC2 Instance Terminate Successful',
  'EC2 Instance Launch Unsuccessful',
  'EC2 Instance Terminate Unsuccessful',
];

/**
 * RES-2: an EC2 instance that heals itself, either replaced by a single-instance Auto Scaling
 * group or recovered by a `StatusCheckFailed_System` alarm, with a person told either way.
 *
 * ```ts
 * const server = new SelfHealingInstance(this, 'Server', {
 *   vpc: network.vpc,
 *   instanceType: new ec2.InstanceType('t3.small'),
 *   machineImage: ec2.MachineImage.latestAmazonLinux2023(),
 *   mode: SelfHealingMode.RECOVER,
 * });
 * ```
 */
export class SelfHealingInstance extends Construct {
  /** How the instance heals. */
  public readonly mode: SelfHealingMode;
  /** The launch template of the instance (replace mode: of every instance the group launches). */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** The security group of the instance. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The role of the instance. */
  public readonly role: iam.IRole;
  /** The instance profile that hands the role to the instance. */
  public readonly instanceProfile: iam.IInstanceProfile;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** Replace mode: the Auto Scaling group of one instance. */
  public readonly autoScalingGroup?: autoscaling.AutoScalingGroup;
  /** Recover mode: the instance. */
  public readonly instance?: ec2.CfnInstance;
  /** Recover mode: the alarm on `StatusCheckFailed_System` that recovers the instance and notifies. */
  public readonly recoverAlarm?: cloudwatch.Alarm;
  /**
   * The EventBridge rules that tell a person: in recover mode AWS Health scheduled changes and
   * recovery outcomes for the instance; in replace mode the group's terminations and failed launches.
   */
  public readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: SelfHealingInstanceProps) {
    super(scope, id);
    const mode = props.mode ?? SelfHealingMode.REPLACE;
    this.mode = mode;
    const recover = mode === SelfHealingMode.RECOVER;
    const subnetSelection = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const selected = props.vpc.selectSubnets(subnetSelection);

    const check = new PropsCheck(this, 'SelfHealingInstance');
    const replaceOnly = { healthCheckGracePeriod: props.healthCheckGracePeriod, loadBalancerHealthCheck: props.loadBalancerHealthCheck };
    const recoverOnly = {
      simplifiedAutoRecovery: props.simplifiedAutoRecovery,
      recoverSupportConfirmed: props.recoverSupportConfirmed,
      terminationProtection: props.terminationProtection,
    };
    for (const [name, value] of Object.entries(recover ? replaceOnly : recoverOnly)) {
      check.require(value === undefined,
        `${name} applies to ${recover ? 'replace' : 'recover'} mode only: ${recover
          ? 'a recovered instance is not in an Auto Scaling group'
          : 'the Auto Scaling group replaces the instance; EC2 does not recover instances of a group'}`);
    }
    check.require(!selected.hasPublic, 'vpcSubnets must select private subnets only: the instance gets no public address and nothing reaches it from the internet');
    check.require(selected.subnets.length > 0, 'vpcSubnets selects no subnet of the VPC');
    checkRootVolumeSize(check, props.rootVolumeSize);
    if (recover) checkRecoverSupport(check, props.instanceType.toString(), props.recoverSupportConfirmed ?? false);
    check.throwIfAny();

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'Self-healing instance alerts',
    }).topic;
    const shared = createSecureLaunchTemplate(this, {
      vpc: props.vpc,
      instanceType: props.instanceType,
      machineImage: props.machineImage,
      userData: props.userData,
      securityGroup: props.securityGroup,
      role: props.role,
      rootVolumeSize: props.rootVolumeSize,
      rootDeviceName: props.rootDeviceName,
      detailedMonitoring: props.detailedMonitoring,
      roleDescription: 'Systems Manager only',
    });
    this.securityGroup = shared.securityGroup;
    this.role = shared.role;
    this.instanceProfile = shared.instanceProfile;
    this.launchTemplate = shared.launchTemplate;
    // Simplified automatic recovery is on by default for supported instance types
    // (docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-configuration-recovery.html); it is set
    // here explicitly. AWS::EC2::Instance has no MaintenanceOptions property, so it lives in the
    // launch template (AWS::EC2::LaunchTemplate MaintenanceOptions.AutoRecovery: default | disabled).
    // Replace mode: "disabled", since EC2 does not recover an instance of an Auto Scaling group
    // with health checks, the group replaces it (same page, "Limitations").
    const autoRecovery = recover && (props.simplifiedAutoRecovery ?? true) ? 'default' : 'disabled';
    (this.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate)
      .addPropertyOverride('LaunchTemplateData.MaintenanceOptions.AutoRecovery', autoRecovery);

    if (recover) {
      this.instance = this.createRecoveredInstance(selected.subnets[0], props);
      this.recoverAlarm = this.createRecoverAlarm(this.instance);
      this.rules.push(...this.healthRules(this.instance));
    } else {
      this.autoScalingGroup = this.createGroup(props, subnetSelection);
      this.rules.push(this.groupEventsRule(this.autoScalingGroup));
    }
  }

  /** Recover mode: the instance, from the launch template, in one private subnet. */
  private createRecoveredInstance(subnet: ec2.ISubnet, props: SelfHealingInstanceProps): ec2.CfnInstance {
    const instance = new ec2.CfnInstance(this, 'Instance', {
      launchTemplate: { launchTemplateId: this.launchTemplate.launchTemplateId, version: this.launchTemplate.latestVersionNumber },
      subnetId: subnet.subnetId,
      // Also in the launch template; set on the instance too, where the checks read them.
      iamInstanceProfile: this.instanceProfile.instanceProfileName,
      monitoring: props.detailedMonitoring ?? true,
      disableApiTermination: props.terminationProtection ?? !Sandbox.isEnabled(this),
      tags: [{ key: 'Name', value: this.node.path }],
    });
    if (props.terminationProtection === undefined && Sandbox.isEnabled(this)) {
      acknowledge(instance, 'AwsSolutions-EC29',
        'Sandbox mode (the sandbox context) makes every resource destroyable so cdk destroy leaves nothing behind; termination protection would make the stack fail to delete. Outside sandbox mode the instance is protected.');
    }
    return instance;
  }

  /**
   * Recover mode: StatusCheckFailed_System, Maximum over one minute, two of two periods, as the
   * EC2 User Guide recommends for recover alarms ("Add recover actions to Amazon CloudWatch
   * alarms": two evaluation periods of one minute, so a reboot alarm with three never races it).
   * Status check metrics arrive every minute without detailed monitoring. CloudWatch runs the
   * action with its service-linked role AWSServiceRoleForCloudWatchEvents; the recover action
   * needs no other permission (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/UsingAlarmActions.html).
   */
  private createRecoverAlarm(instance: ec2.CfnInstance): cloudwatch.Alarm {
    const metric = new cloudwatch.Metric({
      namespace: 'AWS/EC2',
      metricName: 'StatusCheckFailed_System',
      dimensionsMap: { InstanceId: instance.ref },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(1),
    });
    const alarm = metric.createAlarm(this, 'SystemStatusCheckFailed', {
      alarmDescription: `The system status check of the instance of ${this.node.path} failed for ${RECOVER_EVALUATION_PERIODS} minutes: EC2 recovers it onto healthy hardware (same instance ID, private IP and EBS volumes; memory is lost).`.slice(0, 1024),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: RECOVER_EVALUATION_PERIODS,
      datapointsToAlarm: RECOVER_EVALUATION_PERIODS,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    alarm.addAlarmAction(new cwActions.Ec2Action(cwActions.Ec2InstanceAction.RECOVER));
    addAlarmNotification(alarm, this.notificationTopic);
    return alarm;
  }

  /**
   * Recover mode: AWS Health events of this instance. EC2 sends scheduled changes (retirement:
   * AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED for EBS-backed instances; maintenance:
   * AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED, AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED,
   * AWS_EC2_INSTANCE_STOP_SCHEDULED, ...) in the category `scheduledChange`, matched by category
   * so new maintenance codes are not missed; the event's `resources` lists the affected instance
   * IDs (docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html). A
   * retirement stops the instance on its date; neither recovery path acts on scheduled events.
   */
  private healthRules(instance: ec2.CfnInstance): events.Rule[] {
    const field = (path: string) => events.EventField.fromPath(path);
    const scheduled = new events.Rule(this, 'ScheduledChanges', {
      description: `AWS Health scheduled changes (retirement, maintenance) of the instance of ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.health'],
        detailType: ['AWS Health Event'],
        resources: [instance.ref],
        detail: { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
      },
    });
    addEventNotification(scheduled, this.notificationTopic,
      `AWS Health scheduled ${field('$.detail.eventTypeCode')} for EC2 instance ${field('$.resources')} in ${events.EventField.account} ${events.EventField.region}, `
      + `from ${field('$.detail.startTime')}. A retirement stops the instance on that date: stop and start it before then to move it to healthy hardware. `
      + `Details: ${field('$.detail.eventDescription')}`);
    const outcome = new events.Rule(this, 'RecoveryOutcomes', {
      description: `Outcome of every recovery of the instance of ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.health'],
        detailType: ['AWS Health Event'],
        resources: [instance.ref],
        detail: { service: ['EC2'], eventTypeCode: RECOVERY_OUTCOME_EVENT_TYPES },
      },
    });
    addEventNotification(outcome, this.notificationTopic,
      `EC2 instance recovery ${field('$.detail.eventTypeCode')} for ${field('$.resources')} in ${events.EventField.account} ${events.EventField.region} `
      + `at ${field('$.detail.startTime')}. After a failure, stop and start the instance. Details: ${field('$.detail.eventDescription')}`);
    return [scheduled, outcome];
  }

  /** Replace mode: min = max = 1 over the private subnets, EC2 (and optionally ELB) health checks. */
  private createGroup(props: SelfHealingInstanceProps, vpcSubnets: ec2.SubnetSelection): autoscaling.AutoScalingGroup {
    const gracePeriod = props.healthCheckGracePeriod ?? Duration.minutes(5);
    const group = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets,
      launchTemplate: this.launchTemplate,
      // DesiredCapacity is left out: CloudFormation sets it to MinSize, and CDK warns on every
      // synth when it is set.
      minCapacity: 1,
      maxCapacity: 1,
      healthChecks: props.loadBalancerHealthCheck
        ? autoscaling.HealthChecks.withAdditionalChecks({ additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB], gracePeriod })
        : autoscaling.HealthChecks.ec2({ gracePeriod }),
      // A new launch template version (image, user data) replaces the instance on deploy.
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ maxBatchSize: 1, minInstancesInService: 0 }),
    });
    acknowledge(group.node.defaultChild!, 'AwsSolutions-AS3',
      'The group\'s terminations and failed launches reach the notification topic through an EventBridge rule with a readable message, which EventBridge may publish to the encrypted topic; Auto Scaling notification configurations would need the Auto Scaling service-linked role on the topic\'s key instead.');
    return group;
  }

  /**
   * Replace mode: the group's terminations (with their cause, such as a failed EC2 health check
   * or a retired host) and failed launches. A scheduled retirement needs no rule of its own here:
   * AWS stops the instance on the date, the EC2 health check fails and the group replaces it,
   * which this rule reports.
   */
  private groupEventsRule(group: autoscaling.AutoScalingGroup): events.Rule {
    const field = (path: string) => events.EventField.fromPath(path);
    const rule = new events.Rule(this, 'GroupEvents', {
      description: `Terminations and failed launches of the Auto Scaling group of ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: GROUP_EVENT_TYPES,
        detail: { AutoScalingGroupName: [group.autoScalingGroupName] },
      },
    });
    addEventNotification(rule, this.notificationTopic,
      `Auto Scaling group ${field('$.detail.AutoScalingGroupName')} in ${events.EventField.account} ${events.EventField.region}: ${field('$.detail-type')} `
      + `for instance ${field('$.detail.EC2InstanceId')}. Cause: ${field('$.detail.Cause')} Status: ${field('$.detail.StatusMessage')}`);
    return rule;
  }
}

/**
 * The recover action's requirements that an instance type name shows: no bare metal, no instance
 * store volumes, a family the EC2 User Guide lists (or one the user confirmed). Instance type
 * names are `<series><generation><options>.<size>`, and the option `d` means instance store
 * volumes (docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html).
 */
function checkRecoverSupport(check: PropsCheck, instanceType: string, confirmed: boolean): void {
  if (Token.isUnresolved(instanceType)) return;
  const match = /^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9-]+)$/.exec(instanceType);
  const family = instanceType.split('.')[0];
  if (match && match[4].includes('metal')) {
    check.add(`instanceType ${instanceType} is bare metal: the EC2 recover action does not support metal instances (docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-recover.html); use replace mode`);
    return;
  }
  if (match && (match[3].includes('d') || INSTANCE_STORE_SERIES.has(match[1]))) {
    check.add(`instanceType ${instanceType} has instance store volumes: recovery needs EBS-only instances (their instance store data would be lost); use replace mode or a type without instance store`);
    return;
  }
  check.require(confirmed || RECOVER_FAMILIES.has(family),
    `instanceType ${instanceType} is not of a family the EC2 User Guide lists for the recover action (${[...RECOVER_FAMILIES].join(', ')}); `
    + 'if `aws ec2 describe-instance-types --instance-types ' + instanceType + ' --query \'InstanceTypes[].AutoRecoverySupported\'` returns true, set recoverSupportConfirmed: true, or use replace mode');
}
