/**
 * CICD-6 EcsBlueGreenService: a Fargate service that CodeDeploy releases blue/green.
 *
 * The service uses the CODE_DEPLOY deployment controller, so a new task definition never
 * replaces tasks in place: CodeDeploy starts a replacement (green) task set behind a second
 * target group, lets testers reach it through the test listener, then shifts production traffic
 * to it (canary, linear or all at once) by changing the production listener. Alarms on the 5XX
 * responses and unhealthy hosts of both target groups stop the shift and move traffic back;
 * the original task set is kept for a wait time so a rollback is instant. Container logs go to a
 * KMS-encrypted log group through the awslogs driver, and the CodeDeploy role is limited to this
 * service, its listeners and its alarms.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { EncryptedLogGroup } from '../core/log-group';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { CodeDeployRole } from './code-deploy-role';
import { TrafficShift } from './traffic-shift';

/** The predefined CodeDeploy ECS configurations, by {@link TrafficShift} key. */
const ECS_PREDEFINED: Record<string, codedeploy.IEcsDeploymentConfig> = {
  'ALL_AT_ONCE': codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
  'CANARY-10-5': codedeploy.EcsDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  'CANARY-10-15': codedeploy.EcsDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  'LINEAR-10-1': codedeploy.EcsDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTES,
  'LINEAR-10-3': codedeploy.EcsDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
};

/** An HTTPS listener of an {@link EcsBlueGreenService}. */
export interface BlueGreenListenerOptions {
  /** The port the load balancer listens on. */
  readonly port: number;
  /** The ACM certificate the listener presents. */
  readonly certificate: acm.ICertificate;
  /**
   * Who may connect to this port.
   * @default - anyone (`Peer.anyIpv4()`) for the production listener; nobody for the test listener
   */
  readonly allowFrom?: ec2.IPeer;
}

/**
 * Props for {@link EcsBlueGreenService}.
 */
export interface EcsBlueGreenServiceProps {
  /** The cluster the service runs in (turn Container Insights on for it). */
  readonly cluster: ecs.ICluster;
  /** The application load balancer in front of the service; the construct adds both listeners. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** The container image, for example `ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable')`. */
  readonly image: ecs.ContainerImage;
  /** The listener that serves users: it forwards to the blue target group until CodeDeploy shifts it. */
  readonly productionListener: BlueGreenListenerOptions;
  /**
   * The listener testers use to reach the replacement task set before it takes production
   * traffic. On another port than the production listener.
   */
  readonly testListener: BlueGreenListenerOptions;
  /**
   * The port the container listens on (plain HTTP inside the VPC).
   * @default 80
   */
  readonly containerPort?: number;
  /**
   * The path of the target groups' health check.
   * @default '/'
   */
  readonly healthCheckPath?: string;
  /**
   * How many tasks run.
   * @default 2
   */
  readonly desiredCount?: number;
  /**
   * Task CPU units.
   * @default 256
   */
  readonly cpu?: number;
  /**
   * Task memory in MiB.
   * @default 512
   */
  readonly memoryLimitMiB?: number;
  /**
   * Secrets for the container, from Secrets Manager or SSM Parameter Store. Plain environment
   * variables are not offered: anything sensitive belongs here.
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };
  /**
   * The role of the application in the tasks. Pass a {@link ServiceRole} to keep what you grant
   * it in a managed policy.
   * @default - a role with no permissions
   */
  readonly taskRole?: iam.IRole;
  /**
   * How production traffic moves to the replacement task set.
   * @default TrafficShift.canary(10, Duration.minutes(5)) (`ECSCanary10Percent5Minutes`)
   */
  readonly trafficShift?: TrafficShift;
  /**
   * How long the original task set is kept after all traffic moved, for an instant rollback.
   * @default Duration.minutes(30)
   */
  readonly terminationWaitTime?: Duration;
  /**
   * Alarm when a target group answers at least this many 5XX in one minute.
   * @default 5
   */
  readonly target5xxThreshold?: number;
  /**
   * More alarms that stop a deployment and roll it back (add more later with `addAlarm`).
   * @default - only the target group alarms the construct creates
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * Where the alarms notify a person (the deployment rolls back on its own either way). A topic
   * passed in must let CloudWatch use its key.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * How long container logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The subnets the tasks run in (never with a public IP).
   * @default - the cluster VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * CICD-6: a Fargate service behind an ALB, released blue/green by CodeDeploy with canary or
 * linear traffic shifting, a test listener, alarm rollback and encrypted container logs.
 *
 * ```ts
 * const svc = new EcsBlueGreenService(this, 'Web', {
 *   cluster, loadBalancer,
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
 *   productionListener: { port: 443, certificate },
 *   testListener: { port: 8443, certificate },
 * });
 * ```
 *
 * After the first deployment, CloudFormation must not change the service's task definition
 * itself: a new revision is deployed by a CodeDeploy deployment (a pipeline's CodeDeploy ECS
 * blue/green action, or `aws deploy create-deployment` with an AppSpec).
 */
export class EcsBlueGreenService extends Construct {
  /** The Fargate service, with the CODE_DEPLOY deployment controller. */
  public readonly service: ecs.FargateService;
  /** The task definition of the first deployment. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The target group of the original (blue) task set. */
  public readonly blueTargetGroup: elbv2.ApplicationTargetGroup;
  /** The target group of the replacement (green) task set. */
  public readonly greenTargetGroup: elbv2.ApplicationTargetGroup;
  /** The production listener. */
  public readonly productionListener: elbv2.ApplicationListener;
  /** The test listener. */
  public readonly testListener: elbv2.ApplicationListener;
  /** The CodeDeploy application. */
  public readonly application: codedeploy.EcsApplication;
  /** The CodeDeploy deployment group. */
  public readonly deploymentGroup: codedeploy.EcsDeploymentGroup;
  /** The role CodeDeploy assumes, limited to this service, its listeners and its alarms. */
  public readonly deploymentRole: CodeDeployRole;
  /** The container log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The alarms the construct creates: 5XX and unhealthy hosts of each target group. */
  public readonly alarms: cloudwatch.Alarm[];
  /** Where the alarms notify a person. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: EcsBlueGreenServiceProps) {
    super(scope, id);
    const shift = props.trafficShift ?? TrafficShift.canary(10, Duration.minutes(5));
    const containerPort = props.containerPort ?? 80;

    const check = new PropsCheck(this, 'EcsBlueGreenService');
    check.require(props.testListener !== undefined && props.testListener !== null,
      'testListener is missing: CodeDeploy ECS blue/green needs a test listener to reach the replacement task set before it takes production traffic');
    if (props.testListener && props.productionListener) {
      check.require(props.testListener.port !== props.productionListener.port,
        `productionListener and testListener are both on port ${props.productionListener.port}: a load balancer has one listener per port`);
    }
    for (const [name, listener] of [['productionListener', props.productionListener], ['testListener', props.testListener]] as const) {
      if (listener) check.inRange(`${name}.port`, listener.port, 1, 65535);
    }
    for (const problem of shift._problems()) check.add(problem);
    check.inRange('containerPort', containerPort, 1, 65535);
    check.inRange('desiredCount', props.desiredCount, 1, 1000);
    check.throwIfAny();

    const vpc = props.cluster.vpc;
    this.logGroup = new EncryptedLogGroup(this, 'Logs', { retention: props.logRetention }).logGroup;
    const executionRole = new ServiceRole(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Starts the tasks of ${this.node.path}`,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu ?? 256,
      memoryLimitMiB: props.memoryLimitMiB ?? 512,
      executionRole,
      taskRole: props.taskRole,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskDefinition.addContainer('App', {
      image: props.image,
      portMappings: [{ containerPort, protocol: ecs.Protocol.TCP }],
      secrets: props.secrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? 2,
      deploymentController: { type: ecs.DeploymentControllerType.CODE_DEPLOY },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: false,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      healthCheckGracePeriod: Duration.seconds(60),
    });
    this.service.connections.allowFrom(props.loadBalancer, ec2.Port.tcp(containerPort), 'Requests from the load balancer');

    const targetGroup = (name: string) => new elbv2.ApplicationTargetGroup(this, name, {
      vpc,
      port: containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(30),
      healthCheck: { path: props.healthCheckPath ?? '/', interval: Duration.seconds(15), healthyThresholdCount: 2 },
    });
    this.blueTargetGroup = targetGroup('BlueTargetGroup');
    this.greenTargetGroup = targetGroup('GreenTargetGroup');
    this.service.attachToApplicationTargetGroup(this.blueTargetGroup);

    const listener = (name: string, options: BlueGreenListenerOptions, target: elbv2.ApplicationTargetGroup, defaultPeer?: ec2.IPeer) => {
      const l = props.loadBalancer.addListener(name, {
        port: options.port,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromCertificateManager(options.certificate)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultTargetGroups: [target],
        open: false,
      });
      const peer = options.allowFrom ?? defaultPeer;
      if (peer) l.connections.allowDefaultPortFrom(peer, `${name} of ${this.node.path}`);
      return l;
    };
    this.productionListener = listener('ProductionListener', props.productionListener, this.blueTargetGroup, ec2.Peer.anyIpv4());
    this.testListener = listener('TestListener', props.testListener, this.greenTargetGroup);

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Alarms', { displayName: `Release alarms of ${this.node.path}` }).topic;
    this.alarms = [];
    for (const [name, tg] of [['Blue', this.blueTargetGroup], ['Green', this.greenTargetGroup]] as const) {
      this.alarms.push(tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1), statistic: 'Sum' })
        .createAlarm(this, `${name}Target5xxAlarm`, {
          alarmDescription: `The ${name.toLowerCase()} target group of ${this.node.path} answers 5XX; CodeDeploy rolls a running deployment back.`,
          threshold: props.target5xxThreshold ?? 5,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }));
      this.alarms.push(tg.metrics.unhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' })
        .createAlarm(this, `${name}UnhealthyHostsAlarm`, {
          alarmDescription: `Tasks of the ${name.toLowerCase()} target group of ${this.node.path} fail their health check; CodeDeploy rolls a running deployment back.`,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }));
    }
    for (const alarm of this.alarms) addAlarmNotification(alarm, this.notificationTopic);

    const stack = Stack.of(this);
    this.deploymentRole = new CodeDeployRole(this, 'DeploymentRole', { description: `CodeDeploy releases of ${this.node.path}` });
    // What the AWS managed AWSCodeDeployRoleForECS allows account-wide, limited to this service.
    const taskSets = stack.formatArn({
      service: 'ecs', resource: 'task-set', resourceName: `${props.cluster.clusterName}/${this.service.serviceName}/*`,
    });
    for (const statement of [
      new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [this.service.serviceArn] }),
      new iam.PolicyStatement({
        actions: ['ecs:CreateTaskSet', 'ecs:DeleteTaskSet', 'ecs:UpdateServicePrimaryTaskSet'],
        resources: [this.service.serviceArn, taskSets],
      }),
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:ModifyListener'],
        resources: [this.productionListener.listenerArn, this.testListener.listenerArn],
      }),
      new iam.PolicyStatement({
        actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroups'],
        resources: ['*'],
      }),
    ]) this.deploymentRole.addToPrincipalPolicy(statement);
    executionRole.grantPassRole(this.deploymentRole);
    this.taskDefinition.taskRole.grantPassRole(this.deploymentRole);
    this.deploymentRole.acknowledgeWildcardResource(taskSets,
      'CodeDeploy creates and deletes the task sets of this one service, whose ids are generated at deployment time, so the role names the service\'s task-set ARN prefix and nothing wider.');
    this.deploymentRole.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]',
      'Elastic Load Balancing DescribeListeners, DescribeRules and DescribeTargetGroups have no resource-level permissions, so their statement must name every resource; they only read.');

    this.application = new codedeploy.EcsApplication(this, 'Application');
    const deploymentConfig = ECS_PREDEFINED[shift._key()] ?? new codedeploy.EcsDeploymentConfig(this, 'DeploymentConfig', {
      trafficRouting: shift._trafficRouting(),
    });
    let deploymentGroup!: codedeploy.EcsDeploymentGroup;
    this.deploymentRole._createDeploymentGroup(() => deploymentGroup = new codedeploy.EcsDeploymentGroup(this, 'DeploymentGroup', {
      application: this.application,
      service: this.service,
      deploymentConfig,
      role: this.deploymentRole,
      blueGreenDeploymentConfig: {
        blueTargetGroup: this.blueTargetGroup,
        greenTargetGroup: this.greenTargetGroup,
        listener: this.productionListener,
        testListener: this.testListener,
        terminationWaitTime: props.terminationWaitTime ?? Duration.minutes(30),
      },
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    }));
    this.deploymentGroup = deploymentGroup;
    for (const alarm of [...this.alarms, ...(props.alarms ?? [])]) this.addAlarm(alarm);
  }

  /** Adds an alarm that stops a running deployment and moves traffic back; CodeDeploy may read it. */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    this.deploymentGroup.addAlarm(alarm);
    this.deploymentRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarm.alarmArn] }));
  }
}
