/**
 * OBS-4 ContainerObservability: an ECS cluster whose containers can be watched, and a person who
 * hears when one of them dies.
 *
 * A container's output is lost unless its task definition sends it somewhere, and a task whose
 * essential container exits simply stops: nothing tells anyone. This construct builds the cluster
 * with CloudWatch Container Insights, a Fargate task definition whose containers write through
 * the `awslogs` driver into a KMS-encrypted log group with retention (the task execution role may
 * write only there), and an EventBridge rule on ECS task state changes that sends a readable
 * message to SNS when a task of the cluster stops because an essential container failed (or the
 * task failed to start). Optional parts: an X-Ray daemon sidecar (UDP 2000) with the daemon's
 * permissions on the task role; a schedule (EventBridge Scheduler) that runs the task definition
 * in private subnets through a role that may run only that family, only in this cluster; and an
 * EC2 container instance role whose only CloudWatch Logs rights are `logs:CreateLogStream` and
 * `logs:PutLogEvents` on the same log group, for EC2 capacity a user adds to the cluster.
 */
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addEventNotification } from '../core/event-notification';
import { EncryptedLogGroup } from '../core/log-group';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** Props for {@link ContainerObservability}. */
export interface ContainerObservabilityProps {
  /** The VPC the cluster and its tasks live in (its private subnets need a route out, to pull images and reach CloudWatch). */
  readonly vpc: ec2.IVpc;

  /** The image of the application container, for example `ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable')`. */
  readonly image: ecs.ContainerImage;

  /**
   * The command the application container runs.
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Secrets for the application container, from Secrets Manager or SSM Parameter Store. Plain
   * environment variables are not offered: anything sensitive belongs here.
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };

  /**
   * Task CPU units; with `memoryLimitMiB` one of the combinations Fargate accepts.
   * @default 256
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB.
   * @default 512
   */
  readonly memoryLimitMiB?: number;

  /**
   * Container Insights for the cluster. `ENABLED` collects cluster-, service- and task-family-level
   * CPU, memory, network, storage and task counts, billed as custom metrics; `ENHANCED` adds
   * task- and container-level metrics, billed per observation, so its cost grows with every task
   * and container. `DISABLED` is refused: collecting them is what this construct is for.
   * @default ecs.ContainerInsights.ENABLED
   */
  readonly containerInsights?: ecs.ContainerInsights;

  /**
   * Run the AWS X-Ray daemon as a sidecar (UDP 2000 on localhost of the task), with its write
   * permissions on the task role. Application SDKs send segments to `127.0.0.1:2000` by default.
   * @default false
   */
  readonly xrayDaemon?: boolean;

  /**
   * The X-Ray daemon image, to pin a version (`public.ecr.aws/xray/aws-xray-daemon:<version>`)
   * or use a copy in your own registry.
   * @default - `public.ecr.aws/xray/aws-xray-daemon:latest`
   */
  readonly xrayDaemonImage?: ecs.ContainerImage;

  /**
   * Run the task definition on this schedule (EventBridge Scheduler, Fargate, private subnets,
   * no public IP), for batch jobs such as a nightly export.
   * @default - no schedule
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Create an IAM role and instance profile for EC2 container instances of this cluster: the
   * ECS agent's calls limited to this cluster and its container instances, and only
   * `logs:CreateLogStream` / `logs:PutLogEvents` on the construct's log group.
   * @default false
   */
  readonly containerInstanceRole?: boolean;

  /**
   * The subnets the scheduled tasks run in (never with a public IP).
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * How long container logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Where a person is told that a task stopped. A topic passed in must let EventBridge publish
   * (and use its key, if encrypted).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * Task sizes Fargate accepts: memory (MiB) from, to and step, by CPU units
 * (docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size).
 */
const FARGATE_SIZES: Record<number, [number, number, number]> = {
  256: [512, 2048, 512],
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16384, 1024],
  4096: [8192, 30720, 1024],
  8192: [16384, 61440, 4096],
  16384: [32768, 122880, 8192],
};

/**
 * The X-Ray daemon image AWS publishes in the ECR Public Gallery (gallery.ecr.aws/xray/aws-xray-daemon,
 * docs.aws.amazon.com/xray/latest/devguide/xray-daemon-ecs.html).
 */
const XRAY_DAEMON_IMAGE = 'public.ecr.aws/xray/aws-xray-daemon:latest';

/**
 * Exactly the actions of the AWS managed AWSXRayDaemonWriteAccess policy
 * (docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSXRayDaemonWriteAccess.html).
 */
const XRAY_DAEMON_ACTIONS = [
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
  'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries',
];

/**
 * OBS-4: an ECS cluster with Container Insights, a Fargate task definition logging through
 * `awslogs` into an encrypted log group, task stops of failed essential containers to SNS,
 * an optional X-Ray sidecar, an optional schedule and an optional EC2 container instance role.
 *
 * ```ts
 * const obs = new ContainerObservability(this, 'Jobs', {
 *   vpc,
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable'),
 *   command: ['sh', '-c', 'echo exporting'],
 *   schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '3' }),
 *   xrayDaemon: true,
 * });
 * ```
 */
export class ContainerObservability extends Construct {
  /** The cluster, with Container Insights. */
  public readonly cluster: ecs.Cluster;
  /** The Fargate task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The application container. */
  public readonly appContainer: ecs.ContainerDefinition;
  /** The X-Ray daemon sidecar, when `xrayDaemon` is on. */
  public readonly xrayContainer?: ecs.ContainerDefinition;
  /** The log group every container of the task definition writes to. */
  public readonly logGroup: logs.ILogGroup;
  /** The role ECS uses to start the tasks: pull the image, write the logs, read the secrets. */
  public readonly executionRole: ServiceRole;
  /** The role of the application in the tasks; grant it what the application needs. */
  public readonly taskRole: ServiceRole;
  /** The security group of the scheduled tasks: no inbound rule, all outbound. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The rule on tasks of the cluster that stopped because an essential container failed. */
  public readonly taskStoppedRule: events.Rule;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** The schedule, when `schedule` is set. */
  public readonly schedule?: scheduler.Schedule;
  /** The role EventBridge Scheduler runs the task with, when `schedule` is set. */
  public readonly schedulerRole?: ServiceRole;
  /** The role for EC2 container instances, when `containerInstanceRole` is on. */
  public readonly containerInstanceRole?: ServiceRole;
  /** The instance profile of {@link containerInstanceRole}, for launch templates. */
  public readonly containerInstanceProfile?: iam.InstanceProfile;

  constructor(scope: Construct, id: string, props: ContainerObservabilityProps) {
    super(scope, id);
    const cpu = props.cpu ?? 256;
    const memory = props.memoryLimitMiB ?? 512;
    const insights = props.containerInsights ?? ecs.ContainerInsights.ENABLED;

    const check = new PropsCheck(this, 'ContainerObservability');
    check.require(insights !== ecs.ContainerInsights.DISABLED,
      'containerInsights is DISABLED: ContainerObservability exists to collect them (ENABLED or ENHANCED)');
    if (!Token.isUnresolved(cpu) && !Token.isUnresolved(memory)) {
      const size = FARGATE_SIZES[cpu];
      check.require(size !== undefined && memory >= size[0] && memory <= size[1] && (memory - size[0]) % size[2] === 0,
        size
          ? `memoryLimitMiB ${memory} does not fit cpu ${cpu}: Fargate accepts ${size[0]} to ${size[1]} MiB in steps of ${size[2]}`
          : `cpu must be one of ${Object.keys(FARGATE_SIZES).join(', ')} (Fargate task sizes), got ${cpu}`);
    }
    check.require(props.vpcSubnets?.subnetType !== ec2.SubnetType.PUBLIC,
      'vpcSubnets selects public subnets: scheduled tasks run without a public IP, so there they could not pull their image or reach CloudWatch (use private subnets with a NAT gateway or VPC endpoints)');
    check.throwIfAny();

    const stack = Stack.of(this);
    this.cluster = new ecs.Cluster(this, 'Cluster', { vpc: props.vpc, containerInsightsV2: insights });
    this.logGroup = new EncryptedLogGroup(this, 'Logs', { retention: props.logRetention }).logGroup;

    // ECS sends aws:SourceAccount when it assumes task roles
    // (docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
    const ecsTasks = new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } });
    this.executionRole = new ServiceRole(this, 'ExecutionRole', { assumedBy: ecsTasks, description: `Starts the tasks of ${this.node.path}`.slice(0, 1000) });
    this.taskRole = new ServiceRole(this, 'TaskRole', { assumedBy: ecsTasks, description: `The application in the tasks of ${this.node.path}`.slice(0, 1000) });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB: memory,
      executionRole: this.executionRole,
      taskRole: this.taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    // The awslogs driver writes with the execution role; the L2 grants it CreateLogStream and
    // PutLogEvents on this log group only (docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
    this.appContainer = this.taskDefinition.addContainer('App', {
      image: props.image,
      command: props.command,
      secrets: props.secrets,
      essential: true,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
    });

    if (props.xrayDaemon) {
      // Not essential: if the daemon stops, the application keeps running without traces.
      this.xrayContainer = this.taskDefinition.addContainer('XRayDaemon', {
        containerName: 'xray-daemon',
        image: props.xrayDaemonImage ?? ecs.ContainerImage.fromRegistry(XRAY_DAEMON_IMAGE),
        essential: false,
        cpu: 32,
        memoryReservationMiB: 256,
        portMappings: [{ containerPort: 2000, protocol: ecs.Protocol.UDP }],
        logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'xray' }),
      });
      this.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: XRAY_DAEMON_ACTIONS, resources: ['*'] }));
      this.taskRole.acknowledgeWildcardResource('*',
        'The X-Ray daemon actions (PutTraceSegments, PutTelemetryRecords, GetSampling*) have no resource-level permissions in IAM, so the statement must name every resource; these are exactly the actions of the AWS managed AWSXRayDaemonWriteAccess policy.');
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: props.vpc,
      description: `Tasks of ${this.node.path}: no inbound, outbound to pull images and write logs`.slice(0, 255),
      allowAllOutbound: true,
    });

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', { displayName: 'ECS task stops' }).topic;
    const field = (path: string) => events.EventField.fromPath(path);
    // ECS task state change events (docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html):
    // stopCode EssentialContainerExited when an essential container exited, TaskFailedToStart when
    // it never ran (docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html, stopCode). A
    // normal end of a batch task is also EssentialContainerExited, with exit code 0: the rule wants
    // a container with another exit code. EventBridge matches an array when any element matches.
    this.taskStoppedRule = new events.Rule(this, 'TaskStopped', {
      description: `Tasks of the cluster of ${this.node.path} stopped by a failed essential container`.slice(0, 512),
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [this.cluster.clusterArn],
          lastStatus: ['STOPPED'],
          $or: [
            { stopCode: ['EssentialContainerExited'], containers: { exitCode: [{ 'anything-but': 0 }] } },
            { stopCode: ['TaskFailedToStart'] },
          ],
        },
      },
    });
    addEventNotification(this.taskStoppedRule, this.notificationTopic,
      `ECS task ${field('$.detail.taskArn')} (group ${field('$.detail.group')}) stopped at ${field('$.detail.stoppedAt')}: `
      + `${field('$.detail.stoppedReason')} (stop code ${field('$.detail.stopCode')}). Cluster ${field('$.detail.clusterArn')}, `
      + `task definition ${field('$.detail.taskDefinitionArn')}, account ${field('$.account')} ${field('$.region')}. `
      + 'The containers\' exit codes are in the event; their output is in the task definition\'s log group.');

    if (props.schedule) {
      const { role, schedule } = this.addSchedule(props.schedule, props.vpcSubnets);
      this.schedulerRole = role;
      this.schedule = schedule;
    }
    if (props.containerInstanceRole) {
      const { role, profile } = this.addContainerInstanceRole();
      this.containerInstanceRole = role;
      this.containerInstanceProfile = profile;
    }
  }

  /** The schedule, its role limited to this task definition family in this cluster. */
  private addSchedule(expression: scheduler.ScheduleExpression, vpcSubnets: ec2.SubnetSelection | undefined): { role: ServiceRole; schedule: scheduler.Schedule } {
    const stack = Stack.of(this);
    const role = new ServiceRole(this, 'SchedulerRole', {
      // Scheduler sends aws:SourceAccount when it assumes the role
      // (docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: `EventBridge Scheduler runs the tasks of ${this.node.path}`.slice(0, 1000),
    });
    const family = stack.formatArn({ service: 'ecs', resource: 'task-definition', resourceName: `${this.taskDefinition.family}:*` });
    // RunTask on the family's revisions, only in this cluster (ecs:cluster); PassRole for the two
    // roles of the task definition, only to ECS tasks
    // (docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html,
    // docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html).
    const statements = [
      new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: [family], conditions: { ArnEquals: { 'ecs:cluster': this.cluster.clusterArn } } }),
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.executionRole.roleArn, this.taskRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    ];
    role.acknowledgeWildcardResource(family,
      'A new revision of the task definition gets a new number on every change, so RunTask is granted on the revisions of this one family, and only in this cluster (ecs:cluster condition).');
    const target = new ClusterScopedFargateTask(this.cluster, {
      taskDefinition: this.taskDefinition,
      role,
      vpcSubnets: vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      taskCount: 1,
    }, statements);
    const schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Runs the task definition of ${this.node.path}`.slice(0, 512),
      schedule: expression,
      target,
    });
    schedule.node.addDependency(role.grantsDependable);
    return { role, schedule };
  }

  /**
   * What the ECS agent on an EC2 container instance calls, as in the AWS managed
   * AmazonEC2ContainerServiceforEC2Role policy
   * (docs.aws.amazon.com/AmazonECS/latest/developerguide/instance_IAM_role.html), narrowed: the
   * agent's calls to this cluster and its container instances; no ecs:CreateCluster (the agent
   * creates only the `default` cluster, when none is configured); no ECR pulls (the task
   * execution role pulls); logs only into this log group.
   */
  private addContainerInstanceRole(): { role: ServiceRole; profile: iam.InstanceProfile } {
    const stack = Stack.of(this);
    const role = new ServiceRole(this, 'ContainerInstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `EC2 container instances of the cluster of ${this.node.path}`.slice(0, 1000),
    });
    const instances = stack.formatArn({
      service: 'ecs', resource: 'container-instance', resourceName: `${this.cluster.clusterName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ecs:RegisterContainerInstance', 'ecs:DeregisterContainerInstance', 'ecs:SubmitContainerStateChange', 'ecs:SubmitTaskStateChange', 'ecs:SubmitAttachmentStateChanges'],
      resources: [this.cluster.clusterArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ecs:Poll', 'ecs:StartTelemetrySession', 'ecs:UpdateContainerInstancesState'],
      resources: [instances],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecs:DiscoverPollEndpoint'], resources: ['*'] }));
    this.logGroup.grantWrite(role);
    role.acknowledgeWildcardResource(instances,
      'A container instance\'s id is assigned when the agent registers it, so the agent\'s calls are granted on the container instances of this one cluster.');
    role.acknowledgeWildcardResource('*',
      'ecs:DiscoverPollEndpoint has no resource-level permissions in IAM; it only returns the endpoint the ECS agent polls.');
    const profile = new iam.InstanceProfile(this, 'ContainerInstanceProfile', { role });
    return { role, profile };
  }
}

/**
 * The Scheduler ECS target of aws-cdk-lib, with the construct's own grants instead of
 * `TaskDefinition.grantRun()` (RunTask on one revision in any cluster).
 */
class ClusterScopedFargateTask extends targets.EcsRunFargateTask {
  constructor(cluster: ecs.ICluster, props: targets.FargateTaskProps, private readonly grants: iam.PolicyStatement[]) {
    super(cluster, props);
  }

  protected addTargetActionToRole(role: iam.IRole): void {
    for (const statement of this.grants) role.addToPrincipalPolicy(statement);
  }
}
