/**
 * CICD-4 ServerDeployment: a CodeDeploy EC2/on-premises deployment group that stops and rolls
 * back on alarm.
 *
 * The group targets Auto Scaling groups and/or tagged EC2 or on-premises instances, with a
 * rollout ({@link ServerRollout}: AllAtOnce, HalfAtATime, OneAtATime or a custom minimum of healthy
 * hosts). Behind an Application Load Balancer the construct creates the target group, configures
 * its health check (CodeDeploy's AllowTraffic step waits for it, so a wrong health check is the
 * usual reason for a deployment stuck or failing in AllowTraffic) and creates alarms on its 5XX
 * responses and unhealthy hosts. Those alarms and any the user adds stop a deployment, and the
 * group rolls back automatically on failure and on alarm. The blue/green option copies the Auto
 * Scaling group as the green fleet and terminates the original instances after a wait.
 * Deployment and instance state changes reach an SNS topic through EventBridge.
 *
 * CloudFormation creates a blue/green EC2 deployment group but never runs an EC2 blue/green
 * deployment itself (its blue/green support is for Lambda and ECS): a deployment is started by
 * the pipeline's CodeDeploy action (`ReleasePipeline`), the console or `aws deploy create-deployment`.
 *
 * Blue/green with a copied Auto Scaling group hands the group over to CodeDeploy: the first
 * deployment creates a copy under a name CodeDeploy chooses, points the deployment group at it and
 * deletes the original group after the wait, outside CloudFormation, and every later deployment
 * does the same again. Everything that names the original group (the stack's own group, the
 * deployment group's `AutoScalingGroups` in the template, alarms and rules by
 * `AutoScalingGroupName`) then names a group that no longer exists; see {@link ServerBlueGreenOptions}.
 */
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { addAlarmNotification } from '../core/alarm-notification';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { ServerRollout } from './server-rollout';

/** The Application Load Balancer side of a {@link ServerDeployment}. */
export interface ServerDeploymentLoadBalancing {
  /** The VPC of the instances. */
  readonly vpc: ec2.IVpc;
  /** The listener that forwards to the target group the construct creates. */
  readonly listener: elbv2.IApplicationListener;
  /**
   * The port the application listens on, on the instances.
   * @default 80
   */
  readonly port?: number;
  /**
   * The protocol between the load balancer and the instances.
   * @default elbv2.ApplicationProtocol.HTTP
   */
  readonly protocol?: elbv2.ApplicationProtocol;
  /**
   * The path of the health check. CodeDeploy's AllowTraffic step succeeds only when the
   * instances pass it.
   * @default '/'
   */
  readonly healthCheckPath?: string;
  /**
   * How often the health check runs.
   * @default Duration.seconds(15)
   */
  readonly healthCheckInterval?: Duration;
  /**
   * Consecutive successes before an instance is healthy.
   * @default 2
   */
  readonly healthyThresholdCount?: number;
  /**
   * Consecutive failures before an instance is unhealthy.
   * @default 2
   */
  readonly unhealthyThresholdCount?: number;
  /**
   * How long the load balancer drains an instance CodeDeploy deregisters (BlockTraffic).
   * @default Duration.seconds(30)
   */
  readonly deregistrationDelay?: Duration;
}

/**
 * Blue/green options of a {@link ServerDeployment}: the green fleet is a copy of the (single) Auto
 * Scaling group.
 *
 * What happens on the first blue/green deployment, and on every one after it: CodeDeploy creates a
 * new Auto Scaling group from the settings of the deployment group's group, under a name CodeDeploy
 * generates; installs the revision there; moves traffic to it; points the deployment group at the
 * new group; and, after `terminationWait`, terminates the original instances and deletes the
 * original group. None of this goes through CloudFormation, so afterwards:
 * - the stack's `AWS::AutoScaling::AutoScalingGroup` names a deleted group: a stack update that
 *   changes it (launch template, capacity, user data) fails, and drift detection reports it deleted;
 * - the template's deployment group still lists the original name in `AutoScalingGroups`, so a
 *   stack update that changes the deployment group sends CodeDeploy the deleted group's name again;
 * - alarms and EventBridge rules on the `AutoScalingGroupName` watch a group that no longer exists:
 *   such an alarm never fires again (the construct warns at synth when one of `alarms` does).
 *
 * What to do: alarm on the load balancer target group (the default alarms follow whichever
 * instances are registered), and treat the Auto Scaling group as CodeDeploy's once blue/green is on:
 * keep it out of the stack after the first release (create it elsewhere and pass it with
 * `AutoScalingGroup.fromAutoScalingGroupName`, reading the current name from
 * `aws deploy get-deployment-group`), or use in-place deployments if the group must stay in
 * CloudFormation. An imported group gets no agent installation, target group attachment or
 * `iam:PassRole` on its instance role from this construct: its launch template must install the
 * agent, and `role` needs `iam:PassRole` on the instance role to launch the copy. CloudFormation
 * cannot follow the group: even a group imported into the stack after one deployment is deleted by
 * the next.
 *
 * Sources: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-codedeploy-deploymentgroup-greenfleetprovisioningoption.html
 * (COPY_AUTO_SCALING_GROUP creates instances "in a new Auto Scaling group"),
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-codedeploy-deploymentgroup-elbinfo.html
 * ("AWS CloudFormation supports blue/green deployments on AWS Lambda compute platforms only"),
 * https://richard.downer.tech/2019/01/codedeploy-blue-green-deployments-and-cloudformation/ (the
 * original group is deleted and the stack's next update of it fails).
 */
export interface ServerBlueGreenOptions {
  /**
   * How long the original (blue) instances keep running after traffic moved to the green fleet,
   * before CodeDeploy terminates them: the window in which a rollback is instant. At most
   * 2880 minutes (48 hours).
   * @default Duration.minutes(60)
   */
  readonly terminationWait?: Duration;
}

/** Props for {@link ServerDeployment}. */
export interface ServerDeploymentProps {
  /**
   * The CodeDeploy application.
   * @default - a new server application
   */
  readonly application?: codedeploy.IServerApplication;
  /**
   * The deployment group's name.
   * @default - generated
   */
  readonly deploymentGroupName?: string;
  /**
   * Auto Scaling groups to deploy to. Groups created in this app get the CodeDeploy agent
   * (see `installAgent`) and are attached to the target group.
   * @default - none
   */
  readonly autoScalingGroups?: autoscaling.IAutoScalingGroup[];
  /**
   * EC2 instances to deploy to, by tag.
   * @default - none
   */
  readonly ec2InstanceTags?: codedeploy.InstanceTagSet;
  /**
   * On-premises instances to deploy to, by tag.
   * @default - none
   */
  readonly onPremiseInstanceTags?: codedeploy.InstanceTagSet;
  /**
   * How many instances stay healthy while a deployment runs: `ServerRollout.ALL_AT_ONCE`,
   * `HALF_AT_A_TIME`, `ONE_AT_A_TIME`, `ServerRollout.of(config)` for an existing configuration, or
   * a custom minimum (`ServerRollout.minimumHealthyHostsPercentage(75)`, `minimumHealthyHostsCount(2)`).
   * @default ServerRollout.ONE_AT_A_TIME
   */
  readonly rollout?: ServerRollout;
  /**
   * Traffic control through an Application Load Balancer: the construct creates the target group
   * and its health check. Needed for blue/green and for the default alarms.
   * @default - no load balancer: in-place deployments without traffic control
   */
  readonly loadBalancing?: ServerDeploymentLoadBalancing;
  /**
   * Blue/green deployments: the (single) Auto Scaling group is copied as the green fleet, and
   * CodeDeploy deletes the original group after the first deployment (see
   * {@link ServerBlueGreenOptions} for what that leaves stale). Needs `loadBalancing`.
   * @default - in-place deployments
   */
  readonly blueGreen?: ServerBlueGreenOptions;
  /**
   * Alarms that stop a deployment, in addition to the default ones.
   * @default - none
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * Create the default alarms (with a load balancer): target 5XX responses and unhealthy hosts.
   * @default true
   */
  readonly defaultAlarms?: boolean;
  /**
   * How many target 5XX responses in one minute stop a deployment (default alarm).
   * @default 5
   */
  readonly max5xxPerMinute?: number;
  /**
   * Roll back automatically when a deployment fails.
   * @default true
   */
  readonly rollbackOnFailure?: boolean;
  /**
   * Roll back automatically when an alarm stops a deployment. Needs at least one alarm.
   * @default - true when there is any alarm
   */
  readonly rollbackOnAlarm?: boolean;
  /**
   * Where deployment state changes and alarms are sent.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Install the CodeDeploy agent on Linux instances of Auto Scaling groups created in this app,
   * through user data that downloads the installer over HTTPS from the regional
   * `aws-codedeploy-<region>` bucket.
   * @default true
   */
  readonly installAgent?: boolean;
}

const MAX_TERMINATION_WAIT_MINUTES = 2880;

/**
 * CICD-4: a CodeDeploy EC2/on-premises deployment group with alarms that stop a deployment,
 * automatic rollback, load balancer traffic control and an optional blue/green fleet.
 *
 * ```ts
 * const deployment = new ServerDeployment(this, 'Web', {
 *   autoScalingGroups: [asg],
 *   loadBalancing: { vpc, listener, healthCheckPath: '/health' },
 *   rollout: ServerRollout.minimumHealthyHostsPercentage(75),
 * });
 * ```
 */
export class ServerDeployment extends Construct {
  /** The CodeDeploy application. */
  public readonly application: codedeploy.IServerApplication;
  /** The deployment group. */
  public readonly deploymentGroup: codedeploy.ServerDeploymentGroup;
  /** The deployment configuration in use. */
  public readonly deploymentConfig: codedeploy.IServerDeploymentConfig;
  /**
   * The role CodeDeploy assumes, with the AWS-managed `AWSCodeDeployRole` policy (and, for
   * blue/green, grants to launch the green fleet).
   */
  public readonly role: ServiceRole;
  /** The target group whose health check gates AllowTraffic, when there is a load balancer. */
  public readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /** Every alarm that stops a deployment: the defaults, then the user's. */
  public readonly alarms: cloudwatch.IAlarm[];
  /** Where deployment state changes and alarms are sent. */
  public readonly notificationTopic: sns.ITopic;
  /** The EventBridge rule that sends deployment and instance state changes to the topic. */
  public readonly stateChangeRule: events.Rule;
  /** The instance roles of the Auto Scaling groups created in this app (they download revisions). */
  public readonly instanceRoles: iam.IRole[];
  /** Whether deployments are blue/green. */
  public readonly blueGreen: boolean;

  constructor(scope: Construct, id: string, props: ServerDeploymentProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const asgs = props.autoScalingGroups ?? [];
    const lb = props.loadBalancing;
    const userAlarms = props.alarms ?? [];
    const withDefaultAlarms = (props.defaultAlarms ?? true) && lb !== undefined;
    const alarmCount = userAlarms.length + (withDefaultAlarms ? 2 : 0);
    const rollbackOnAlarm = props.rollbackOnAlarm ?? alarmCount > 0;
    const terminationWait = props.blueGreen?.terminationWait ?? Duration.minutes(60);

    const check = new PropsCheck(this, 'ServerDeployment');
    check.require(asgs.length > 0 || props.ec2InstanceTags !== undefined || props.onPremiseInstanceTags !== undefined,
      'no instances to deploy to: set autoScalingGroups, ec2InstanceTags or onPremiseInstanceTags');
    const rollout = props.rollout ?? ServerRollout.ONE_AT_A_TIME;
    for (const problem of rollout._problems()) check.add(problem);
    if (props.blueGreen) {
      check.require(lb !== undefined,
        'blue/green deployments need a load balancer: CodeDeploy moves traffic from the original to the replacement instances through it (set loadBalancing)');
      check.require(asgs.length === 1 && props.ec2InstanceTags === undefined && props.onPremiseInstanceTags === undefined,
        'blue/green deployments copy one Auto Scaling group as the green fleet: set exactly one autoScalingGroups entry and no instance tags');
      const minutes = terminationWait.toMinutes({ integral: false });
      check.require(Number.isInteger(minutes) && minutes >= 0 && minutes <= MAX_TERMINATION_WAIT_MINUTES,
        `blueGreen.terminationWait must be a whole number of minutes between 0 and ${MAX_TERMINATION_WAIT_MINUTES}, got ${minutes}`);
    }
    check.require(!(props.rollbackOnAlarm === true && alarmCount === 0),
      'rollbackOnAlarm needs at least one alarm: pass alarms, or loadBalancing for the default alarms');
    if (props.max5xxPerMinute !== undefined) check.require(props.max5xxPerMinute >= 1, `max5xxPerMinute must be 1 or more, got ${props.max5xxPerMinute}`);
    check.throwIfAny();

    this.blueGreen = props.blueGreen !== undefined;
    this.notificationTopic = props.notificationTopic
      ?? new NotificationTopic(this, 'Notifications', { displayName: `Deployments of ${this.node.path}` }).topic;

    // Target group with the health check CodeDeploy's AllowTraffic step waits for.
    if (lb) {
      this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
        vpc: lb.vpc,
        port: lb.port ?? 80,
        protocol: lb.protocol ?? elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.INSTANCE,
        deregistrationDelay: lb.deregistrationDelay ?? Duration.seconds(30),
        healthCheck: {
          enabled: true,
          path: lb.healthCheckPath ?? '/',
          interval: lb.healthCheckInterval ?? Duration.seconds(15),
          healthyThresholdCount: lb.healthyThresholdCount ?? 2,
          unhealthyThresholdCount: lb.unhealthyThresholdCount ?? 2,
          healthyHttpCodes: '200-399',
        },
      });
      lb.listener.addTargetGroups('ReleaseTargets', { targetGroups: [this.targetGroup] });
      for (const asg of asgs) {
        if (isCreatedGroup(asg)) asg.attachToApplicationTargetGroup(this.targetGroup);
      }
    }

    // Alarms that stop a deployment: the defaults first, then the user's.
    const defaults: cloudwatch.Alarm[] = [];
    if (withDefaultAlarms && this.targetGroup) {
      defaults.push(this.targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
        period: Duration.minutes(1), statistic: 'Sum',
      }).createAlarm(this, 'Target5xxAlarm', {
        alarmDescription: `Targets of ${this.node.path} answer with 5XX errors: an active deployment stops and rolls back.`,
        threshold: props.max5xxPerMinute ?? 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }));
      defaults.push(this.targetGroup.metrics.unhealthyHostCount({
        period: Duration.minutes(1), statistic: 'Maximum',
      }).createAlarm(this, 'UnhealthyHostsAlarm', {
        alarmDescription: `Instances of ${this.node.path} fail the load balancer health check: an active deployment stops and rolls back.`,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }));
      for (const alarm of defaults) addAlarmNotification(alarm, this.notificationTopic);
    }
    this.alarms = [...defaults, ...userAlarms];

    this.deploymentConfig = rollout._bind(this, 'DeploymentConfig');

    // No grants of its own for in-place deployments (AWSCodeDeployRole covers them): a ServiceRole
    // creates its grants policy only with the first grant (blue/green).
    this.role = new ServiceRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      description: `CodeDeploy service role of ${this.node.path}`,
    });
    this.application = props.application ?? new codedeploy.ServerApplication(this, 'Application');
    this.deploymentGroup = new codedeploy.ServerDeploymentGroup(this, 'DeploymentGroup', {
      application: this.application,
      deploymentGroupName: props.deploymentGroupName,
      role: this.role,
      deploymentConfig: this.deploymentConfig,
      autoScalingGroups: asgs,
      ec2InstanceTags: props.ec2InstanceTags,
      onPremiseInstanceTags: props.onPremiseInstanceTags,
      loadBalancers: this.targetGroup ? [codedeploy.LoadBalancer.application(this.targetGroup)] : undefined,
      alarms: this.alarms,
      autoRollback: {
        failedDeployment: props.rollbackOnFailure ?? true,
        deploymentInAlarm: rollbackOnAlarm,
        stoppedDeployment: false,
      },
      installAgent: false, // installed below over HTTPS, with no grant on the instance role
    });
    acknowledge(this.role.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRole]',
      'AWSCodeDeployRole is the AWS-maintained service role policy for CodeDeploy EC2/on-premises deployments; the ServerDeploymentGroup always attaches it, and AWS keeps it in step with the Auto Scaling, EC2 and Elastic Load Balancing calls CodeDeploy makes, which a hand-written copy would miss.');

    if (this.blueGreen) {
      const cfn = this.deploymentGroup.node.defaultChild as codedeploy.CfnDeploymentGroup;
      cfn.addPropertyOverride('DeploymentStyle', { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' });
      cfn.addPropertyOverride('BlueGreenDeploymentConfiguration', {
        GreenFleetProvisioningOption: { Action: 'COPY_AUTO_SCALING_GROUP' },
        DeploymentReadyOption: { ActionOnTimeout: 'CONTINUE_DEPLOYMENT' },
        TerminateBlueInstancesOnDeploymentSuccess: {
          Action: 'TERMINATE',
          TerminationWaitTimeInMinutes: terminationWait.toMinutes(),
        },
      });
      this.grantGreenFleetLaunch(asgs[0]);
      this.warnOnAlarmsByGroupName(asgs[0], userAlarms);
    }

    const installAgent = props.installAgent ?? true;
    this.instanceRoles = [];
    for (const asg of asgs) {
      if (!isCreatedGroup(asg)) {
        Annotations.of(this).addWarningV2('@devops-patterns/cicd:server-deployment-imported-group',
          `${asg.node.path} is an Auto Scaling group created outside this app: ServerDeployment cannot change it, so it installs no CodeDeploy agent on it`
          + `${lb ? ', does not attach it to the target group' : ''}${this.blueGreen ? ' and grants no iam:PassRole on its instance role to the CodeDeploy role' : ''}. `
          + 'Its launch template must install the agent (and register the instances with the target group, if any), and its instance role must be able to read the revisions.');
        continue;
      }
      this.instanceRoles.push(asg.role);
      if (installAgent && asg.osType === ec2.OperatingSystemType.LINUX) {
        const host = `aws-codedeploy-${stack.region}.s3.${stack.region}.${stack.urlSuffix}`;
        asg.addUserData(
          '# CodeDeploy agent (CICD-4 ServerDeployment)',
          '(command -v dnf >/dev/null && dnf install -y ruby wget) || yum install -y ruby wget',
          `wget -q -O /tmp/codedeploy-install https://${host}/latest/install`,
          'chmod +x /tmp/codedeploy-install && /tmp/codedeploy-install auto',
          'systemctl enable --now codedeploy-agent',
        );
      }
    }

    // Deployment and instance state changes of this group, to a person.
    this.stateChangeRule = new events.Rule(this, 'StateChanges', {
      description: `CodeDeploy state changes of ${this.node.path}`,
      eventPattern: {
        source: ['aws.codedeploy'],
        detailType: ['CodeDeploy Deployment State-change Notification', 'CodeDeploy Instance State-change Notification'],
        detail: {
          application: [this.application.applicationName],
          deploymentGroup: [this.deploymentGroup.deploymentGroupName],
        },
      },
    });
    addEventNotification(this.stateChangeRule, this.notificationTopic,
      `CodeDeploy ${events.EventField.fromPath('$.detail.application')}/${events.EventField.fromPath('$.detail.deploymentGroup')}: `
      + `deployment ${events.EventField.fromPath('$.detail.deploymentId')} ${events.EventField.fromPath('$.detail-type')} `
      + `${events.EventField.fromPath('$.detail.state')} (instance ${events.EventField.fromPath('$.detail.instanceId')}) in ${events.EventField.fromPath('$.region')}`);
  }

  /**
   * Warns about each alarm that watches the blue/green group by its name: CodeDeploy deploys to a
   * copy under another name and deletes the group, so such an alarm never sees the instances it is
   * meant to protect, and after the first deployment watches nothing. Only alarms whose metric can be
   * read (`cloudwatch.Alarm`) are checked.
   */
  private warnOnAlarmsByGroupName(asg: autoscaling.IAutoScalingGroup, alarms: cloudwatch.IAlarm[]): void {
    const stack = Stack.of(this);
    const groupName = JSON.stringify(stack.resolve(asg.autoScalingGroupName));
    for (const alarm of alarms) {
      if (!(alarm instanceof cloudwatch.Alarm)) continue;
      if (!groupNameDimensions(alarm.metric).some((value) => JSON.stringify(stack.resolve(value)) === groupName)) continue;
      Annotations.of(this).addWarningV2('@devops-patterns/cicd:blue-green-alarm-on-copied-group',
        `${alarm.node.path} watches the Auto Scaling group ${asg.node.path} by name (AutoScalingGroupName dimension), but with blueGreen `
        + 'CodeDeploy deploys to a copy of the group under another name and deletes this group after the first deployment: the alarm '
        + 'never sees the new instances and cannot stop a deployment. Alarm on the target group instead (the default alarms do).');
    }
  }

  /**
   * Blue/green with a copied Auto Scaling group launches the green fleet from the group's launch
   * template, which needs these permissions beyond AWSCodeDeployRole.
   */
  private grantGreenFleetLaunch(asg: autoscaling.IAutoScalingGroup): void {
    const stack = Stack.of(this);
    const regional = `arn:${stack.partition}:ec2:${stack.region}:${stack.account}:*`;
    const images = `arn:${stack.partition}:ec2:${stack.region}::image/*`;
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:RunInstances', 'ec2:CreateTags'], resources: [regional, images] }));
    if (isCreatedGroup(asg)) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [asg.role.roleArn] }));
    }
    this.role.acknowledgeWildcardResource(regional,
      'CodeDeploy launches the green fleet from the Auto Scaling group\'s launch template, and RunInstances touches instances, volumes, network interfaces and security groups whose ids are not known before launch; the statement is limited to this account and region.');
    this.role.acknowledgeWildcardResource(images,
      'The green fleet is launched from the AMI the launch template names, resolved at launch time; image ARNs carry no account, so this is limited to the region.');
  }
}

/**
 * Whether `asg` was created in this app (the construct can install the agent, attach it to the
 * target group and name its instance role), rather than imported.
 */
function isCreatedGroup(asg: autoscaling.IAutoScalingGroup): asg is autoscaling.AutoScalingGroup {
  return asg instanceof autoscaling.AutoScalingGroup;
}

/** The values of the `AutoScalingGroupName` dimensions of a metric, or of the metrics of a math expression. */
function groupNameDimensions(metric: cloudwatch.IMetric): unknown[] {
  const config = metric.toMetricConfig();
  if (config.metricStat) return (config.metricStat.dimensions ?? []).filter((d) => d.name === 'AutoScalingGroupName').map((d) => d.value);
  if (config.mathExpression) return Object.values(config.mathExpression.usingMetrics).flatMap(groupNameDimensions);
  return [];
}
