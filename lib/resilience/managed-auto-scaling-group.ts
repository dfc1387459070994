/**
 * RES-1 ManagedAutoScalingGroup: an Auto Scaling group whose instances are prepared before they
 * serve and whose logs are kept when they go.
 *
 * Instances come from a secure launch template (IMDSv2 only, an encrypted gp3 root volume, no
 * ingress, a Systems Manager role) whose tag specifications put the construct's tags on every
 * instance, its volumes and its network interfaces: Auto Scaling group tags reach instances only.
 * Two lifecycle hooks are declared on the group itself (`LifecycleHookSpecificationList`), so
 * they exist before the first instance launches: `Pending:Wait` holds a new instance out of
 * service while it is prepared (security updates by default), `Terminating:Wait` holds a leaving
 * instance while its logs are copied to an encrypted bucket. Auto Scaling sends each wait to
 * EventBridge; a rule starts a Step Functions workflow that runs the work on the instance with
 * Systems Manager Run Command (`AWS-RunShellScript`), polls it, and completes the lifecycle action:
 * `CONTINUE` on success; on failure `ABANDON` for a launch (an unprepared instance never serves)
 * and `CONTINUE` for a termination (the instance goes either way), and a person is told. The hooks'
 * own default results do the same when the workflow never answers. Failed launches reach the
 * notification topic through EventBridge. The CloudFormation update policy is a rolling update
 * (every option CloudFormation has) or a replacing update, and with resource signals each new
 * instance signals CloudFormation from its user data once Auto Scaling has put it in service. An
 * optional warm pool keeps prepared instances stopped, running or hibernated. No Lambda function.
 */
import { Aws, Duration, Fn, Size, Stack, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { addEventNotification } from '../core/event-notification';
import { LoggedStateMachine } from '../core/logged-state-machine';
import { NotificationTopic } from '../core/notification-topic';
import { acknowledgeNotReplicated } from '../core/not-replicated';
import { SecureBucket } from '../core/secure-bucket';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { checkRootVolumeSize, createSecureLaunchTemplate } from './secure-launch-template';

/** Rolling update options: every option of CloudFormation's `AutoScalingRollingUpdate`. */
export interface ManagedRollingUpdateOptions {
  /**
   * How many instances CloudFormation replaces at once.
   * @default 1
   */
  readonly maxBatchSize?: number;
  /**
   * How many instances stay in service while the others are replaced; must be less than
   * `maxCapacity`.
   * @default - minCapacity, at most maxCapacity - 1
   */
  readonly minInstancesInService?: number;
  /**
   * The percentage of the new instances that must signal success (with `resourceSignals`).
   * @default - the `minSuccessPercentage` of `resourceSignals`, 100 without it
   */
  readonly minSuccessPercentage?: number;
  /**
   * How long CloudFormation waits after each batch (with signals: for the batch's signals); at
   * most one hour.
   * @default - the `timeout` of `resourceSignals`, no pause without it
   */
  readonly pauseTime?: Duration;
  /**
   * The Auto Scaling processes suspended during the update, so that scaling or health replacement
   * does not fight it.
   * @default - HealthCheck, ReplaceUnhealthy, AZRebalance, AlarmNotification, ScheduledActions
   */
  readonly suspendProcesses?: autoscaling.ScalingProcess[];
  /**
   * Wait for the new instances' resource signals. Needs `resourceSignals`.
   * @default - true with `resourceSignals`, false without
   */
  readonly waitOnResourceSignals?: boolean;
}

/** How CloudFormation replaces the instances when the launch template changes. */
export enum ManagedUpdateType {
  /** `AutoScalingRollingUpdate`: replace the instances in batches inside the group. */
  ROLLING = 'rolling',
  /** `AutoScalingReplacingUpdate` with `WillReplace`: a new group, the old one deleted once the new one is complete. */
  REPLACING = 'replacing',
}

/**
 * The CloudFormation update policy of a {@link ManagedAutoScalingGroup}: a rolling update with
 * every option CloudFormation has, or a replacing update
 * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html).
 */
export class ManagedUpdatePolicy {
  /** A rolling update: the instances are replaced in batches. */
  public static rolling(options: ManagedRollingUpdateOptions = {}): ManagedUpdatePolicy {
    return new ManagedUpdatePolicy(ManagedUpdateType.ROLLING, options);
  }

  /**
   * A replacing update (`WillReplace`): CloudFormation creates a new group, waits for it (and its
   * resource signals, if any) and deletes the old group only when the new one succeeded, so a
   * failed update leaves the old instances untouched.
   */
  public static replacing(): ManagedUpdatePolicy {
    return new ManagedUpdatePolicy(ManagedUpdateType.REPLACING);
  }

  /** Rolling or replacing. */
  public readonly updateType: ManagedUpdateType;
  /** The rolling update options, for a rolling update. */
  public readonly rollingOptions?: ManagedRollingUpdateOptions;

  private constructor(type: ManagedUpdateType, rollingOptions?: ManagedRollingUpdateOptions) {
    this.updateType = type;
    this.rollingOptions = rollingOptions;
  }
}

/** Resource signals: new instances tell CloudFormation that they are in service. */
export interface ManagedResourceSignalOptions {
  /**
   * How long CloudFormation waits for the signals at creation, in a replacing update, and per
   * batch of a rolling update; at most 12 hours.
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;
  /**
   * The percentage of instances that must signal success.
   * @default 100
   */
  readonly minSuccessPercentage?: number;
}

/** A warm pool of prepared instances next to the group. */
export interface ManagedWarmPoolOptions {
  /**
   * The state the instances wait in: Stopped (only the volumes are paid for), Running (the
   * fastest to serve) or Hibernated (memory kept on the encrypted root volume; the instance type
   * must support hibernation).
   * @default autoscaling.PoolState.STOPPED
   */
  readonly poolState?: autoscaling.PoolState;
  /**
   * The fewest instances kept in the warm pool; at most `maxCapacity`.
   * @default 0
   */
  readonly minSize?: number;
  /**
   * The most instances in the warm pool and the group together (not terminated).
   * @default - the group's maxCapacity
   */
  readonly maxGroupPreparedCapacity?: number;
  /**
   * Return instances to the warm pool on scale in instead of terminating them.
   * @default true
   */
  readonly reuseOnScaleIn?: boolean;
  /**
   * The instance type's family is not in the list of families this construct knows support
   * hibernation, and you checked that it does:
   * `aws ec2 describe-instance-types --instance-types <type> --query 'InstanceTypes[].HibernationSupported'`.
   * @default false
   */
  readonly hibernationSupportConfirmed?: boolean;
}

/** Props for {@link ManagedAutoScalingGroup}. */
export interface ManagedAutoScalingGroupProps {
  /** The VPC to run in; the instances go to its private subnets. */
  readonly vpc: ec2.IVpc;

  /** The instance type. */
  readonly instanceType: ec2.InstanceType;

  /** The machine image (AMI): Linux, since the lifecycle work runs `AWS-RunShellScript`. */
  readonly machineImage: ec2.IMachineImage;

  /**
   * User data run at first boot. With `resourceSignals`, the construct appends the signal to it.
   * @default - the machine image's default user data
   */
  readonly userData?: ec2.UserData;

  /**
   * The fewest instances.
   * @default 1
   */
  readonly minCapacity?: number;

  /**
   * The most instances.
   * @default - minCapacity, at least 2
   */
  readonly maxCapacity?: number;

  /**
   * The subnets to run in: private subnets only.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security group of the instances. Add ingress to it for what must reach them.
   * @default - a new security group without ingress, all outbound traffic allowed
   */
  readonly securityGroup?: ec2.ISecurityGroup;

  /**
   * The role of the instances. It must let the SSM agent work (`AmazonSSMManagedInstanceCore`),
   * or the lifecycle work cannot run; the construct adds the log bucket statement to it.
   * @default - a role with `AmazonSSMManagedInstanceCore` and the log bucket statement only
   */
  readonly role?: iam.IRole;

  /**
   * The size of the encrypted gp3 root volume. For a hibernated warm pool it must also hold the
   * instance's memory.
   * @default Size.gibibytes(30)
   */
  readonly rootVolumeSize?: Size;

  /**
   * The device name of the image's root volume.
   * @default '/dev/xvda' (Amazon Linux)
   */
  readonly rootDeviceName?: string;

  /**
   * One-minute instead of five-minute EC2 metrics.
   * @default true
   */
  readonly detailedMonitoring?: boolean;

  /**
   * How long a new instance may boot before failed health checks count.
   * @default Duration.minutes(5)
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * Shell commands that prepare a new instance before it serves (run as root by Run Command in
   * `Pending:Wait`, also for instances entering and leaving a warm pool, so they must be safe to
   * run twice). A non-zero exit abandons the instance.
   * @default - install the security updates of the image's package manager (dnf or yum)
   */
  readonly prepareCommands?: string[];

  /**
   * How long a new instance may stay in `Pending:Wait` while it is prepared (30 seconds to 2 hours);
   * when it passes without an answer, Auto Scaling abandons the instance.
   * @default Duration.minutes(15)
   */
  readonly launchTimeout?: Duration;

  /**
   * The files and folders copied to the log bucket before an instance terminates.
   * @default ['/var/log']
   */
  readonly logPaths?: string[];

  /**
   * How long a leaving instance may stay in `Terminating:Wait` while its logs are copied (30
   * seconds to 2 hours); it terminates either way.
   * @default Duration.minutes(10)
   */
  readonly terminateTimeout?: Duration;

  /**
   * How long the copied logs are kept.
   * @default Duration.days(365)
   */
  readonly logRetention?: Duration;

  /**
   * A warm pool of prepared instances.
   * @default - no warm pool
   */
  readonly warmPool?: ManagedWarmPoolOptions;

  /**
   * How CloudFormation replaces the instances when the launch template changes.
   * @default - ManagedUpdatePolicy.rolling() with its defaults
   */
  readonly updatePolicy?: ManagedUpdatePolicy;

  /**
   * New instances signal CloudFormation once in service, and CloudFormation waits for the
   * signals (creation policy, rolling or replacing update).
   * @default - no resource signals
   */
  readonly resourceSignals?: ManagedResourceSignalOptions;

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** The names of the two lifecycle hooks. */
const LAUNCH_HOOK = 'prepare-before-service';
const TERMINATE_HOOK = 'collect-logs-before-termination';
/** Where the logs of each instance go in the log bucket. */
const LOG_PREFIX = 'instances/';

/**
 * Instance families the EC2 User Guide lists as supporting hibernation ("Prerequisites for EC2
 * instance hibernation", docs.aws.amazon.com/AWSEC2/latest/UserGuide/hibernating-prerequisites.html).
 * Newer families may support it too: `hibernationSupportConfirmed` is for them.
 */
const HIBERNATION_FAMILIES = new Set([
  'm3', 'm4', 'm5', 'm5a', 'm5ad', 'm5d', 'm6i', 'm6id', 'm7i', 'm7i-flex', 't2', 't3', 't3a',
  'c3', 'c4', 'c5', 'c5d', 'c6i', 'c6id', 'r3', 'r4', 'r5', 'r5a', 'r5ad', 'r5d', 'i3', 'i3en',
]);

/**
 * The Auto Scaling events a person hears about: launches and terminations that failed
 * (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html).
 */
const FAILURE_EVENT_TYPES = ['EC2 Instance Launch Unsuccessful', 'EC2 Instance Terminate Unsuccessful'];

/**
 * RES-1: an Auto Scaling group from a secure launch template, with lifecycle hooks that prepare
 * instances before service and keep their logs before termination, completed by a Step Functions
 * workflow; failed launches to SNS; a rolling or replacing update policy; an optional warm pool.
 *
 * ```ts
 * const group = new ManagedAutoScalingGroup(this, 'Web', {
 *   vpc: network.vpc,
 *   instanceType: new ec2.InstanceType('t3.small'),
 *   machineImage: ec2.MachineImage.latestAmazonLinux2023(),
 *   minCapacity: 2,
 *   maxCapacity: 6,
 *   updatePolicy: ManagedUpdatePolicy.rolling({ maxBatchSize: 2 }),
 *   resourceSignals: {},
 * });
 * ```
 */
export class ManagedAutoScalingGroup extends Construct {
  /** The Auto Scaling group. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The launch template of every instance. */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** The security group of the instances. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The role of the instances. */
  public readonly role: iam.IRole;
  /** The encrypted bucket the logs of terminating instances are copied to, under `instances/<instance id>/`. */
  public readonly logBucket: s3.IBucket;
  /** The workflow that does the lifecycle work and completes the lifecycle actions. */
  public readonly lifecycleWorkflow: LoggedStateMachine;
  /** The rule that starts the workflow on the group's lifecycle actions. */
  public readonly lifecycleRule: events.Rule;
  /** The rule that tells a person about failed launches and terminations. */
  public readonly failureRule: events.Rule;
  /** The warm pool, when configured. */
  public readonly warmPool?: autoscaling.WarmPool;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: ManagedAutoScalingGroupProps) {
    super(scope, id);
    const minCapacity = props.minCapacity ?? 1;
    const maxCapacity = props.maxCapacity ?? Math.max(minCapacity, 2);
    const subnetSelection = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const selected = props.vpc.selectSubnets(subnetSelection);
    const policy = props.updatePolicy ?? ManagedUpdatePolicy.rolling();
    const rolling = policy.updateType === ManagedUpdateType.ROLLING ? policy.rollingOptions ?? {} : undefined;
    const launchTimeout = props.launchTimeout ?? Duration.minutes(15);
    const terminateTimeout = props.terminateTimeout ?? Duration.minutes(10);
    const signalTimeout = props.resourceSignals?.timeout ?? Duration.minutes(30);
    const windows = props.machineImage.getImage(this).osType === ec2.OperatingSystemType.WINDOWS;
    const known = (n: number | undefined): n is number => n !== undefined && !Token.isUnresolved(n);

    const check = new PropsCheck(this, 'ManagedAutoScalingGroup');
    check.require(!windows, 'machineImage must be a Linux image: the lifecycle work runs with the AWS-RunShellScript document');
    check.require(!selected.hasPublic, 'vpcSubnets must select private subnets only: the instances get no public address and nothing reaches them from the internet');
    check.require(selected.subnets.length > 0, 'vpcSubnets selects no subnet of the VPC');
    check.require(props.minCapacity === undefined || !known(props.minCapacity) || (Number.isSafeInteger(minCapacity) && minCapacity >= 0), `minCapacity must be a whole number of 0 or more, got ${minCapacity}`);
    check.positiveWholeNumber('maxCapacity', props.maxCapacity);
    if (known(minCapacity) && known(maxCapacity)) {
      check.require(minCapacity <= maxCapacity, `minCapacity (${minCapacity}) must not exceed maxCapacity (${maxCapacity})`);
    }
    checkRootVolumeSize(check, props.rootVolumeSize);
    // HeartbeatTimeout: 30 to 7200 seconds
    // (docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LifecycleHookSpecification.html).
    for (const [name, timeout] of [['launchTimeout', launchTimeout], ['terminateTimeout', terminateTimeout]] as const) {
      if (!timeout.isUnresolved()) check.inRange(`${name} in seconds`, timeout.toSeconds(), 30, 7200);
    }
    check.require((props.logPaths ?? ['/var/log']).length > 0, 'logPaths must name at least one file or folder');
    for (const path of props.logPaths ?? []) {
      check.require(/^\/[A-Za-z0-9._\-/*]*$/.test(path), `logPaths must be absolute paths of letters, digits and . _ - / * only (they go into a shell command), got "${path}"`);
    }
    if (props.resourceSignals) {
      // CreationPolicy ResourceSignal Timeout: at most PT12H
      // (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-creationpolicy.html).
      if (!signalTimeout.isUnresolved()) check.inRange('resourceSignals.timeout in seconds', signalTimeout.toSeconds(), 60, 12 * 3600);
      check.inRange('resourceSignals.minSuccessPercentage', props.resourceSignals.minSuccessPercentage, 0, 100);
      check.require(!known(props.minCapacity) || minCapacity >= 1, 'resourceSignals need minCapacity of at least 1: CloudFormation waits for one signal per instance of the new group');
      check.require(props.warmPool === undefined,
        'resourceSignals cannot be used with a warm pool: an instance launched into the warm pool runs its user data once, then stops, so it never signals when it later enters service');
    }
    if (rolling) {
      check.positiveWholeNumber('updatePolicy maxBatchSize', rolling.maxBatchSize);
      check.inRange('updatePolicy minSuccessPercentage', rolling.minSuccessPercentage, 0, 100);
      if (known(rolling.minInstancesInService) && known(maxCapacity)) {
        check.require(rolling.minInstancesInService < maxCapacity,
          `updatePolicy minInstancesInService (${rolling.minInstancesInService}) must be less than maxCapacity (${maxCapacity}): CloudFormation could not take any instance out of service to replace it`);
      }
      // PauseTime: at most PT1H (same page, AutoScalingRollingUpdate).
      if (rolling.pauseTime && !rolling.pauseTime.isUnresolved()) check.inRange('updatePolicy pauseTime in seconds', rolling.pauseTime.toSeconds(), 0, 3600);
      check.require(!(rolling.waitOnResourceSignals === true && !props.resourceSignals),
        'updatePolicy waitOnResourceSignals needs resourceSignals: without the signal in the instances\' user data CloudFormation would wait for signals that never come and roll the update back');
    }
    const pool = props.warmPool;
    if (pool) {
      check.require(!known(pool.minSize) || (Number.isSafeInteger(pool.minSize) && pool.minSize >= 0), `warmPool minSize must be a whole number of 0 or more, got ${pool.minSize}`);
      if (known(pool.minSize) && known(maxCapacity)) {
        check.require(pool.minSize <= maxCapacity, `warmPool minSize (${pool.minSize}) must not exceed maxCapacity (${maxCapacity})`);
      }
      if (known(pool.maxGroupPreparedCapacity) && known(maxCapacity)) {
        check.require(pool.maxGroupPreparedCapacity <= maxCapacity && pool.maxGroupPreparedCapacity >= 0,
          `warmPool maxGroupPreparedCapacity (${pool.maxGroupPreparedCapacity}) must be from 0 to maxCapacity (${maxCapacity})`);
      }
      if (pool.poolState === autoscaling.PoolState.HIBERNATED) checkHibernation(check, props.instanceType.toString(), pool.hibernationSupportConfirmed ?? false);
      else check.require(pool.hibernationSupportConfirmed === undefined, 'warmPool hibernationSupportConfirmed applies to the Hibernated pool state only');
    }
    check.throwIfAny();

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'Auto Scaling group alerts',
    }).topic;

    const logs = new SecureBucket(this, 'Logs', {
      bucketProps: {
        lifecycleRules: [{ id: 'expire-instance-logs', expiration: props.logRetention ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
      },
    });
    acknowledgeNotReplicated(logs.bucket, 'The logs of terminated instances are operational records with an expiry; replicating them to a second region is not worth its cost.');
    this.logBucket = logs.bucket;

    const userData = props.userData ?? ec2.UserData.forLinux();
    const shared = createSecureLaunchTemplate(this, {
      vpc: props.vpc,
      instanceType: props.instanceType,
      machineImage: props.machineImage,
      userData,
      securityGroup: props.securityGroup,
      role: props.role,
      rootVolumeSize: props.rootVolumeSize,
      rootDeviceName: props.rootDeviceName,
      detailedMonitoring: props.detailedMonitoring,
      roleDescription: 'Systems Manager, and writing its logs to the log bucket',
      hibernation: pool?.poolState === autoscaling.PoolState.HIBERNATED,
      tagNetworkInterfaces: true,
    });
    this.launchTemplate = shared.launchTemplate;
    this.securityGroup = shared.securityGroup;
    this.role = shared.role;
    this.grantLogUpload(logs);

    const gracePeriod = props.healthCheckGracePeriod ?? Duration.minutes(5);
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: subnetSelection,
      launchTemplate: this.launchTemplate,
      minCapacity,
      maxCapacity,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod }),
      updatePolicy: rolling
        ? autoscaling.UpdatePolicy.rollingUpdate({
          maxBatchSize: rolling.maxBatchSize ?? 1,
          minInstancesInService: rolling.minInstancesInService ?? (known(minCapacity) && known(maxCapacity) ? Math.min(minCapacity, maxCapacity - 1) : 0),
          minSuccessPercentage: rolling.minSuccessPercentage,
          pauseTime: rolling.pauseTime,
          suspendProcesses: rolling.suspendProcesses,
          waitOnResourceSignals: rolling.waitOnResourceSignals,
        })
        : autoscaling.UpdatePolicy.replacingUpdate(),
      signals: props.resourceSignals
        ? autoscaling.Signals.waitForMinCapacity({ timeout: signalTimeout, minSuccessPercentage: props.resourceSignals.minSuccessPercentage })
        : undefined,
    });
    const cfnGroup = this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
    // The hooks are part of the group (LifecycleHookSpecificationList), so Auto Scaling has them
    // before it launches the first instance. AWS::AutoScaling::LifecycleHook resources (the L2's
    // addLifecycleHook) are created only after the group exists, when its first instances may
    // already be in service unprepared
    // (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-autoscaling-autoscalinggroup-lifecyclehookspecification.html;
    // the API's LifecycleHookSpecificationList: "lifecycle hooks to add to the Auto Scaling group
    // before instances are launched", docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html).
    // Without a notification target, Auto Scaling sends each wait to EventBridge.
    cfnGroup.lifecycleHookSpecificationList = [
      { lifecycleHookName: LAUNCH_HOOK, lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', heartbeatTimeout: launchTimeout.toSeconds(), defaultResult: 'ABANDON' },
      { lifecycleHookName: TERMINATE_HOOK, lifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', heartbeatTimeout: terminateTimeout.toSeconds(), defaultResult: 'CONTINUE' },
    ];
    acknowledge(cfnGroup, 'AwsSolutions-AS3',
      'The group\'s failed launches and terminations reach the notification topic through an EventBridge rule with a readable message, which EventBridge may publish to the encrypted topic; Auto Scaling notification configurations would need the Auto Scaling service-linked role on the topic\'s key instead.');
    if (props.resourceSignals) this.addSignal(userData, cfnGroup, launchTimeout);

    if (pool) {
      this.warmPool = this.autoScalingGroup.addWarmPool({
        minSize: pool.minSize ?? 0,
        maxGroupPreparedCapacity: pool.maxGroupPreparedCapacity,
        poolState: pool.poolState ?? autoscaling.PoolState.STOPPED,
        reuseOnScaleIn: pool.reuseOnScaleIn ?? true,
      });
    }

    this.lifecycleWorkflow = this.createWorkflow(props, logs, launchTimeout, terminateTimeout);
    const groupName = this.autoScalingGroup.autoScalingGroupName;
    this.lifecycleRule = new events.Rule(this, 'LifecycleActions', {
      description: `Lifecycle actions of the Auto Scaling group of ${this.node.path}: prepare before service, collect logs before termination`.slice(0, 512),
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: [groupName], LifecycleHookName: [LAUNCH_HOOK, TERMINATE_HOOK] },
      },
      targets: [this.lifecycleWorkflow.eventTarget()],
    });

    const field = (path: string) => events.EventField.fromPath(path);
    this.failureRule = this.onGroupEvent('FailedLaunches', FAILURE_EVENT_TYPES);
    addEventNotification(this.failureRule, this.notificationTopic,
      `Auto Scaling group ${field('$.detail.AutoScalingGroupName')} in ${events.EventField.account} ${events.EventField.region}: ${field('$.detail-type')} `
      + `for instance ${field('$.detail.EC2InstanceId')}. Cause: ${field('$.detail.Cause')} Status: ${field('$.detail.StatusMessage')}`);
    const stuck = new events.Rule(this, 'WorkflowTimedOut', {
      description: `Lifecycle workflow executions of ${this.node.path} that timed out or were stopped`.slice(0, 512),
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['TIMED_OUT', 'ABORTED'], stateMachineArn: [this.lifecycleWorkflow.stateMachine.stateMachineArn] },
      },
    });
    addEventNotification(stuck, this.notificationTopic,
      `Lifecycle workflow execution ${field('$.detail.name')} of ${field('$.detail.stateMachineArn')} is ${field('$.detail.status')}: `
      + 'the lifecycle hook\'s default result applies when its timeout passes (a new instance is abandoned, a leaving instance terminates).');
  }

  /**
   * A rule on this group's Auto Scaling events of the given detail types (for example
   * `EC2 Instance Launch Successful`); add targets to it
   * (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html).
   */
  public onGroupEvent(id: string, detailTypes: string[]): events.Rule {
    return new events.Rule(this, id, {
      description: `${detailTypes.join(', ')} of the Auto Scaling group of ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: detailTypes,
        detail: { AutoScalingGroupName: [this.autoScalingGroup.autoScalingGroupName] },
      },
    });
  }

  /**
   * The instance role may write objects under the log prefix, encrypted with the bucket's key
   * (kms:GenerateDataKey; kms:Decrypt for the multipart uploads `aws s3 cp` makes for large files:
   * docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions), through S3 only.
   */
  private grantLogUpload(logs: SecureBucket): void {
    const statements = [
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [logs.bucket.arnForObjects(`${LOG_PREFIX}*`)] }),
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [logs.encryptionKey!.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }),
    ];
    if (this.role instanceof ServiceRole) {
      this.role.acknowledgeWildcardResource(logs.bucket.arnForObjects(`${LOG_PREFIX}*`),
        'Each instance writes its logs under instances/<its instance id>/, and instance IDs are known only at launch, so the instances may put objects under the instances/ prefix of their own log bucket and nowhere else.');
    }
    const check = new PropsCheck(this, 'ManagedAutoScalingGroup');
    const added = statements.map((statement) => this.role.addToPrincipalPolicy(statement).statementAdded);
    check.require(added.every(Boolean),
      `role cannot take the log bucket statements (an imported role this app cannot change): pass a role this app can change, or give the role s3:PutObject on instances/* of logBucket and kms:GenerateDataKey and kms:Decrypt on its key through S3`);
    check.throwIfAny();
  }

  /**
   * The signal, appended to the user data: in the background, the instance reads its target
   * lifecycle state from the instance metadata
   * (docs.aws.amazon.com/autoscaling/ec2/userguide/retrieving-target-lifecycle-state-through-imds.html)
   * until Auto Scaling puts it in service (after the launch hook was completed with CONTINUE) or
   * terminates it, and then signals success or failure with cfn-signal
   * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-signal.html; it needs no
   * credentials). A signal at the end of the user data would come before the instance was
   * prepared, and count an instance that the launch hook then abandons.
   */
  private addSignal(userData: ec2.UserData, cfnGroup: autoscaling.CfnAutoScalingGroup, launchTimeout: Duration): void {
    const stack = Stack.of(this);
    const polls = Math.ceil((launchTimeout.toSeconds() + 300) / 10);
    userData.addCommands(
      'cat > /usr/local/bin/signal-when-in-service.sh <<\'SIGNAL\'',
      '#!/bin/bash',
      'rc=1',
      `for i in $(seq 1 ${polls}); do`,
      '  token=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
      '  state=$(curl -sS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/autoscaling/target-lifecycle-state)',
      '  case "$state" in InService) rc=0; break ;; Terminated) rc=1; break ;; esac',
      '  sleep 10',
      'done',
      '[ -x /opt/aws/bin/cfn-signal ] || dnf install -y aws-cfn-bootstrap || yum install -y aws-cfn-bootstrap',
      `/opt/aws/bin/cfn-signal -e "$rc" --stack ${stack.stackName} --resource ${stack.getLogicalId(cfnGroup)} --region ${stack.region}`,
      'SIGNAL',
      'chmod 700 /usr/local/bin/signal-when-in-service.sh',
      'nohup /usr/local/bin/signal-when-in-service.sh >/var/log/signal-when-in-service.log 2>&1 &',
    );
  }

  /**
   * The workflow: the work of the hook (prepare, or copy the logs) as a Run Command on the
   * instance, polled until it ends, then CompleteLifecycleAction. Every failure (the command, a
   * call) completes the action with the hook's failure result and tells a person.
   */
  private createWorkflow(props: ManagedAutoScalingGroupProps, logs: SecureBucket, launchTimeout: Duration, terminateTimeout: Duration): LoggedStateMachine {
    const stack = Stack.of(this);
    const groupName = this.autoScalingGroup.autoScalingGroupName;
    const prepare = props.prepareCommands ?? [
      'if command -v dnf >/dev/null 2>&1; then dnf -y upgrade --security',
      'elif command -v yum >/dev/null 2>&1; then yum -y update --security',
      'else echo "neither dnf nor yum: give prepareCommands for this image" >&2; exit 1; fi',
    ];
    const paths = (props.logPaths ?? ['/var/log']).join(' ');
    const collect = [
      'set -eu',
      'token=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
      'instance=$(curl -sS -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id)',
      'archive=/tmp/lifecycle-logs-$instance.tar.gz',
      // GNU tar exits 1 when a file changed while it was read (a live log): the archive is still good.
      `tar -czf "$archive" --ignore-failed-read ${paths} || [ $? -eq 1 ]`,
      Fn.join('', ['aws s3 cp "$archive" "s3://', logs.bucket.bucketName, `/${LOG_PREFIX}$instance/$(date -u +%Y%m%dT%H%M%SZ).tar.gz" --region `, Aws.REGION]),
      'rm -f "$archive"',
    ];

    const work = (stateId: string, what: string, commands: string[], timeout: Duration, failureResult: string) => new sfn.Pass(this, stateId, {
      result: sfn.Result.fromObject({ what, commands, executionTimeout: [String(timeout.toSeconds())], failureResult }),
      resultPath: '$.work',
    });
    const prepareWork = work('PrepareBeforeService', 'prepare', prepare, launchTimeout, 'ABANDON');
    const collectWork = work('CollectLogsBeforeTermination', 'log collection', collect, terminateTimeout, 'CONTINUE');

    const documentArn = stack.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: 'AWS-RunShellScript' });
    const instanceArn = stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    const send = new tasks.CallAwsService(this, 'RunCommand', {
      service: 'ssm',
      action: 'sendCommand',
      parameters: {
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: sfn.JsonPath.array(sfn.JsonPath.stringAt('$.detail.EC2InstanceId')),
        Comment: sfn.JsonPath.format('Lifecycle {} for Auto Scaling', sfn.JsonPath.stringAt('$.work.what')),
        Parameters: { commands: sfn.JsonPath.listAt('$.work.commands'), executionTimeout: sfn.JsonPath.listAt('$.work.executionTimeout') },
      },
      iamAction: 'ssm:SendCommand',
      // The document; the instances in the statement below.
      iamResources: [documentArn],
      additionalIamStatements: [new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [instanceArn],
        // Only instances of this group: Auto Scaling tags each with aws:autoscaling:groupName, a
        // tag no one else can set (aws: tags are reserved), and SendCommand on an instance
        // supports ssm:resourceTag (docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html).
        conditions: { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': groupName } },
      })],
      resultSelector: { CommandId: sfn.JsonPath.stringAt('$.Command.CommandId') },
      resultPath: '$.command',
    });
    // The SSM agent registers a minute or so after boot; until then SendCommand answers
    // InvalidInstanceId.
    send.addRetry({ errors: ['Ssm.InvalidInstanceIdException'], interval: Duration.seconds(15), backoffRate: 1.5, maxAttempts: 8 });
    send.addRetry({ errors: ['Ssm.SsmException', 'States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 2 });

    const wait = new sfn.Wait(this, 'WaitForCommand', { time: sfn.WaitTime.duration(Duration.seconds(15)) });
    const poll = new tasks.CallAwsService(this, 'GetCommandInvocation', {
      service: 'ssm',
      action: 'getCommandInvocation',
      parameters: { CommandId: sfn.JsonPath.stringAt('$.command.CommandId'), InstanceId: sfn.JsonPath.stringAt('$.detail.EC2InstanceId') },
      iamAction: 'ssm:GetCommandInvocation',
      // GetCommandInvocation has no resource-level permissions (same page): "*" is the only resource.
      iamResources: ['*'],
      resultSelector: { Status: sfn.JsonPath.stringAt('$.Status') },
      resultPath: '$.invocation',
    });
    // Right after SendCommand the invocation may not exist yet.
    poll.addRetry({ errors: ['Ssm.InvocationDoesNotExistException'], interval: Duration.seconds(5), maxAttempts: 5 });

    const complete = (stateId: string, result: string) => new tasks.CallAwsService(this, stateId, {
      service: 'autoscaling',
      action: 'completeLifecycleAction',
      parameters: {
        AutoScalingGroupName: sfn.JsonPath.stringAt('$.detail.AutoScalingGroupName'),
        LifecycleHookName: sfn.JsonPath.stringAt('$.detail.LifecycleHookName'),
        LifecycleActionToken: sfn.JsonPath.stringAt('$.detail.LifecycleActionToken'),
        InstanceId: sfn.JsonPath.stringAt('$.detail.EC2InstanceId'),
        LifecycleActionResult: result,
      },
      iamAction: 'autoscaling:CompleteLifecycleAction',
      iamResources: [this.autoScalingGroup.autoScalingGroupArn],
      resultPath: sfn.JsonPath.DISCARD,
    });
    const succeeded = complete('CompleteWithContinue', 'CONTINUE');
    const failed = complete('CompleteWithFailureResult', sfn.JsonPath.stringAt('$.work.failureResult'));
    // Throttling or a transient fault: try again before the failure path.
    for (const task of [succeeded, failed]) task.addRetry({ errors: ['AutoScaling.AutoScalingException', 'States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 3 });
    const notify = new tasks.SnsPublish(this, 'NotifyFailure', {
      topic: this.notificationTopic,
      subject: 'Auto Scaling lifecycle work failed',
      message: sfn.TaskInput.fromJsonPathAt(
        "States.Format('The lifecycle {} of instance {} in Auto Scaling group {} ({} {}) failed or timed out; the workflow completed the lifecycle action with {} if it could, and otherwise the hook's default result applies when its timeout passes (ABANDON: the new instance is terminated and replaced; CONTINUE: the leaving instance terminates). The command output is in the Run Command history of the instance.', $.work.what, $.detail.EC2InstanceId, $.detail.AutoScalingGroupName, $.account, $.region, $.work.failureResult)"),
      resultPath: sfn.JsonPath.DISCARD,
    });
    const fail = new sfn.Fail(this, 'LifecycleWorkFailed', { error: 'LifecycleWorkFailed', cause: 'The lifecycle command failed; the lifecycle action was completed with the failure result.' });
    failed.addCatch(notify, { resultPath: '$.error' });
    failed.next(notify);
    notify.next(fail);
    for (const task of [send, poll]) task.addCatch(failed, { resultPath: '$.error' });
    succeeded.addCatch(notify, { resultPath: '$.error' });

    send.next(wait);
    wait.next(poll);
    poll.next(new sfn.Choice(this, 'CommandDone?')
      .when(sfn.Condition.stringEquals('$.invocation.Status', 'Success'), succeeded)
      .when(sfn.Condition.or(...['Pending', 'InProgress', 'Delayed'].map((s) => sfn.Condition.stringEquals('$.invocation.Status', s))), wait)
      .otherwise(failed));
    prepareWork.next(send);
    collectWork.next(send);
    const definition = new sfn.Choice(this, 'LaunchOrTerminate?')
      .when(sfn.Condition.stringEquals('$.detail.LifecycleTransition', 'autoscaling:EC2_INSTANCE_LAUNCHING'), prepareWork)
      .otherwise(collectWork);

    const workflow = new LoggedStateMachine(this, 'LifecycleWork', {
      definition,
      description: `Prepares new instances and collects the logs of leaving instances of ${this.node.path}, then completes their lifecycle actions`.slice(0, 1000),
      // The longer hook, the signal retries and a margin: the hook's own timeout decides first.
      timeout: Duration.seconds(Math.max(launchTimeout.toSeconds(), terminateTimeout.toSeconds()) + 900),
    });
    workflow.grantPublish(this.notificationTopic);
    workflow.role.acknowledgeWildcardResource(instanceArn,
      'The instance IDs of an Auto Scaling group are known only from the lifecycle event, so SendCommand is granted on the instances of this account and region under the condition that Auto Scaling tagged them with this group\'s name (an aws: tag no principal can set), and on the AWS-RunShellScript document only.');
    workflow.role.acknowledgeWildcardResource(this.autoScalingGroup.autoScalingGroupArn,
      'An Auto Scaling group ARN contains a group ID that CloudFormation does not return; the ARN names this group by its name, and CompleteLifecycleAction is granted on it alone.');
    return workflow;
  }
}

/**
 * The hibernation requirements an instance type name shows: no bare metal, a family the EC2 User
 * Guide lists (or one the user confirmed).
 */
function checkHibernation(check: PropsCheck, instanceType: string, confirmed: boolean): void {
  if (Token.isUnresolved(instanceType)) return;
  const [family, size = ''] = instanceType.split('.');
  if (size.includes('metal')) {
    check.add(`instanceType ${instanceType} is bare metal: hibernation does not support metal instances (docs.aws.amazon.com/AWSEC2/latest/UserGuide/hibernating-prerequisites.html); use the Stopped pool state`);
    return;
  }
  check.require(confirmed || HIBERNATION_FAMILIES.has(family),
    `instanceType ${instanceType} is not of a family the EC2 User Guide lists for hibernation (${[...HIBERNATION_FAMILIES].join(', ')}); `
    + 'if `aws ec2 describe-instance-types --instance-types ' + instanceType + ' --query \'InstanceTypes[].HibernationSupported\'` returns true, set warmPool.hibernationSupportConfirmed: true, or use the Stopped pool state');
}

