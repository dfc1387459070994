/**
 * CICD-1 + CICD-4 examples: the CodePipeline-with-CodeDeploy-alarms pattern, wired end to end.
 *
 * - `Cicd1-Release-Replicas` (secondary region, deploy first): the pipeline's artifact bucket for
 *   that region and a bucket the pipeline deploys into there (the cross-region action).
 * - `Cicd1-Release-CodeCommit` (primary region): a push to CodeCommit reaches the pipeline through
 *   EventBridge; CodeBuild runs the tests with reports and writes the typed appspec.yml into the
 *   revision; a person approves; CodeDeploy deploys in place, half the fleet at a time, to an Auto
 *   Scaling group behind an internal ALB, stopping and rolling back when the default alarms (5XX,
 *   unhealthy hosts) or the added CPU alarm (1-minute periods on the fleet's detailed monitoring)
 *   go off; the same output goes to S3 in the secondary region; nightly scheduled runs; every
 *   state change to one topic with an e-mail subscription.
 * - `Cicd4-BlueGreen-GitHub` (primary region): a GitHub source through CodeConnections and a
 *   blue/green deployment group whose green fleet is a copy of the Auto Scaling group, the blue
 *   instances terminated 60 minutes after a successful deployment. CodeDeploy then deletes the
 *   stack's Auto Scaling group: from the first deployment on, the group belongs to CodeDeploy, and
 *   what names it (the group in this stack, the scaling-events rule) names a deleted group; the
 *   deployment's alarms are the target-group ones, which keep working (README, CICD-4).
 */
import { App, Duration, Names, PhysicalName, Stack, StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeNotReplicated, addAlarmNotification, addEventNotification, AppSpec, AppSpecDeploymentType, createEncryptionKey, DeploymentHook, EncryptedLogGroup, FileExistsBehavior, isSandbox, NotificationTopic, PermissionObjectType, ReleasePipeline, ReleaseReplicationBucket, ReleaseSource, SecureBucket, ServerDeployment, ServerRollout, ServiceRole } from '../../lib';
import { env, ExampleConfig } from '../config';

const VPC_CIDR = '10.20.0.0/16';

/** The example's placeholders, overridable with `-c key=value`. */
const CONTEXT_DEFAULTS = {
  /** An ACM certificate for the internal ALB's HTTPS listener. */
  cicdCertificateArn: (account: string, region: string) => `arn:aws:acm:${region}:${account}:certificate/00000000-0000-0000-0000-000000000000`,
  /** A CodeConnections connection to GitHub, authorized in the console. */
  cicdConnectionArn: (account: string, region: string) => `arn:aws:codeconnections:${region}:${account}:connection/00000000-0000-0000-0000-000000000000`,
};

function context(scope: Construct, key: keyof typeof CONTEXT_DEFAULTS): string {
  const stack = Stack.of(scope);
  const value: unknown = scope.node.tryGetContext(key);
  return typeof value === 'string' && value.length > 0 ? value : CONTEXT_DEFAULTS[key](stack.account, stack.region);
}

/**
 * Pins the two availability zones of `stack`'s region in its context, so the VPC needs no
 * credentials at synth (the AZ lookup is otherwise answered from cdk.context.json).
 */
function pinAvailabilityZones(stack: Stack): void {
  stack.node.setContext(`availability-zones:account=${stack.account}:region=${stack.region}`, [`${stack.region}a`, `${stack.region}b`]);
}

/** The appspec.yml of the example application: nginx serving static files. */
export function exampleAppSpec(deploymentType: AppSpecDeploymentType): AppSpec {
  const appSpec = new AppSpec({
    deploymentType,
    files: [{ source: 'site', destination: '/usr/share/nginx/html' }],
    fileExistsBehavior: FileExistsBehavior.OVERWRITE,
    permissions: [{ path: '/usr/share/nginx/html', owner: 'nginx', group: 'nginx', mode: '644', appliesTo: [PermissionObjectType.FILE] }],
  });
  appSpec.addHook(DeploymentHook.APPLICATION_STOP, { location: 'scripts/stop.sh', timeout: Duration.minutes(2) });
  appSpec.addHook(DeploymentHook.APPLICATION_START, { location: 'scripts/start.sh', timeout: Duration.minutes(2) });
  appSpec.addHook(DeploymentHook.VALIDATE_SERVICE, { location: 'scripts/validate.sh', timeout: Duration.minutes(5), runas: 'nginx' });
  appSpec.addHook(DeploymentHook.BEFORE_ALLOW_TRAFFIC, { location: 'scripts/warm-up.sh', timeout: Duration.minutes(5) });
  return appSpec;
}

/**
 * An Auto Scaling group of nginx instances behind an internal HTTPS ALB, in a VPC with isolated
 * subnets only: the instances reach S3, KMS and CodeDeploy through VPC endpoints.
 */
export class WebFleet extends Construct {
  public readonly vpc: ec2.Vpc;
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  public readonly listener: elbv2.ApplicationListener;
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** The instances' role: the CodeDeploy agent downloads revisions with it. */
  public readonly instanceRole: ServiceRole;

  constructor(scope: Construct, id: string, topic: sns.ITopic) {
    super(scope, id);
    const sandbox = isSandbox(this);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      availabilityZones: [`${Stack.of(this).region}a`, `${Stack.of(this).region}b`],
      natGateways: 0,
      subnetConfiguration: [{ name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
    });
    const flowLogsRole = new ServiceRole(this, 'FlowLogsRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: 'VPC flow logs delivery',
    });
    const flowLogs = new EncryptedLogGroup(this, 'FlowLogs').logGroup;
    this.vpc.addFlowLog('FlowLogs', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs, flowLogsRole) });
    const role = this.instanceRole = new ServiceRole(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Web instances: the CodeDeploy agent downloads revisions with this role',
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Instances', {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.MICRO),
      machineImage: ec2.MachineImage.latestAmazonLinux2023(),
      role,
      minCapacity: 2,
      maxCapacity: 4,
      requireImdsv2: true,
      associatePublicIpAddress: false,
      // Detailed monitoring: EC2 metrics every minute instead of every 5 minutes (basic monitoring),
      // so an alarm that stops a deployment sees the new revision within minutes, while the
      // deployment is still running. It is charged as CloudWatch metrics; see
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-cloudwatch-new.html and the launch
      // template's Monitoring.Enabled (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ec2-launchtemplate-monitoring.html).
      instanceMonitoring: autoscaling.Monitoring.DETAILED,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
      blockDevices: [{ deviceName: '/dev/xvda', volume: autoscaling.BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: autoscaling.EbsDeviceVolumeType.GP3 }) }],
    });
    // The instances reach S3 (revisions, packages), KMS and CodeDeploy through endpoints only.
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    for (const [name, service] of [
      ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
      ['CodeDeploy', ec2.InterfaceVpcEndpointAwsService.CODEDEPLOY],
      ['CodeDeployCommands', ec2.InterfaceVpcEndpointAwsService.CODEDEPLOY_COMMANDS_SECURE],
    ] as const) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, { service, privateDnsEnabled: true, open: false });
      endpoint.connections.allowDefaultPortFrom(this.autoScalingGroup, 'HTTPS from the web instances');
    }
    this.autoScalingGroup.addUserData('dnf install -y nginx', 'systemctl enable --now nginx');
    // Launches, terminations and failures reach the topic through EventBridge, which can use its KMS key.
    // The rule matches the group by name: with blue/green deployments (Cicd4-BlueGreen-GitHub) it
    // follows the original group only, which CodeDeploy deletes after the first deployment.
    const scalingEvents = new events.Rule(this, 'ScalingEvents', {
      eventPattern: {
        source: ['aws.autoscaling'],
        detail: { AutoScalingGroupName: [this.autoScalingGroup.autoScalingGroupName] },
      },
    });
    addEventNotification(scalingEvents, topic,
      `Auto Scaling group ${events.EventField.fromPath('$.detail.AutoScalingGroupName')}: ${events.EventField.fromPath('$.detail-type')} `
      + `(${events.EventField.fromPath('$.detail.StatusCode')}) ${events.EventField.fromPath('$.detail.Description')}`);
    acknowledge(this.autoScalingGroup.node.defaultChild!, 'AwsSolutions-AS3',
      'Scaling events of this group reach the KMS-encrypted notification topic through an EventBridge rule; Auto Scaling notification configurations publish with a service-linked role that the topic key would have to name.');

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: false,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      deletionProtection: !sandbox,
      dropInvalidHeaderFields: true,
    });
    if (sandbox) {
      acknowledge(this.loadBalancer.node.defaultChild!, 'NIST.800.53.R5-ELBDeletionProtectionEnabled',
        'In sandbox mode every resource must be destroyable by cdk destroy, so deletion protection is off; outside sandbox mode it is on.');
    }
    this.loadBalancer.logAccessLogs(SecureBucket.accessLogsBucket(this), `${Names.uniqueId(this)}-alb`);
    this.loadBalancer.connections.allowFrom(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), 'HTTPS from inside the VPC');
    acknowledge(this.loadBalancer.node.defaultChild!, 'NIST.800.53.R5-ALBWAFEnabled',
      'This load balancer is internal, in isolated subnets with no internet gateway, and reachable only from inside the VPC; a web ACL belongs on the internet-facing entry point in front of it.');
    this.listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      open: false,
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      certificates: [acm.Certificate.fromCertificateArn(this, 'Certificate', context(this, 'cicdCertificateArn'))],
    });
  }
}

/**
 * The CodeDeploy action grants the fleet's instance role read access to the pipeline's artifact
 * bucket (the agent downloads revisions with it). The role is this example's, so the example
 * acknowledges the wildcards of that grant, on that role only.
 */
function acknowledgeRevisionReads(role: ServiceRole, release: ReleasePipeline): void {
  const reason = 'The CodeDeploy agent on each instance downloads revisions from the pipeline\'s artifact bucket under object keys CodePipeline generates per run, so the instance role reads the objects of that one bucket, as the CodeDeploy action grants it.';
  role.acknowledgeWildcardResource(release.artifactBucket.arnForObjects('*'), reason);
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*']) role.acknowledgeWildcardAction(action, reason);
}

/** The secondary region: the pipeline's artifact bucket there, and the bucket it deploys into. */
export class ReleaseReplicaStack extends Stack {
  public readonly artifacts: ReleaseReplicationBucket;
  public readonly site: s3.Bucket;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.artifacts = new ReleaseReplicationBucket(this, 'PipelineArtifacts');
    const key = createEncryptionKey(this, 'SiteKey', { description: 'Encrypts the release site bucket' });
    const alias = new kms.Alias(this, 'SiteKeyAlias', { aliasName: `alias/release-site/${Names.uniqueResourceName(this, { maxLength: 60, separator: '-' })}`, targetKey: key });
    this.site = new SecureBucket(this, 'Site', { encryptionKey: alias, bucketProps: { bucketName: PhysicalName.GENERATE_IF_NEEDED } }).bucket;
    acknowledgeNotReplicated(this.site,
      'The site is a copy of a build output the pipeline can redeploy from its versioned source at any time, so a replica in a third region adds cost and protects nothing.');
  }
}

/** Props for {@link CodeCommitReleaseStack}. */
export interface CodeCommitReleaseStackProps extends StackProps {
  readonly replicas: ReleaseReplicaStack;
}

/** CodeCommit -> tests -> approval -> CodeDeploy in place with alarms, and S3 in the secondary region. */
export class CodeCommitReleaseStack extends Stack {
  public readonly deployment: ServerDeployment;
  public readonly release: ReleasePipeline;

  constructor(scope: Construct, id: string, props: CodeCommitReleaseStackProps) {
    super(scope, id, props);
    pinAvailabilityZones(this);
    const notifications = new NotificationTopic(this, 'ReleaseNotifications', {
      displayName: 'Release notifications',
      emailAddresses: ['release-team@example.com'],
    });
    const fleet = new WebFleet(this, 'Web', notifications.topic);
    // The alarm stops a deployment that runs the fleet hot, so it must fire within the deployment:
    // three 1-minute periods, which needs the fleet's detailed monitoring (WebFleet turns it on).
    // With basic monitoring EC2 publishes CPUUtilization every 5 minutes, a 1-minute period would
    // see no data in most periods (missing data is not breaching here) and the alarm could never
    // fire; a 5-minute period would take 15 minutes, longer than a half-at-a-time deployment of
    // this fleet, which would be over before the alarm could stop it.
    const cpu = new cloudwatch.Metric({
      namespace: 'AWS/EC2', metricName: 'CPUUtilization', statistic: 'Average', period: Duration.minutes(1),
      dimensionsMap: { AutoScalingGroupName: fleet.autoScalingGroup.autoScalingGroupName },
    }).createAlarm(this, 'HighCpu', {
      alarmDescription: 'The web fleet runs hot: an active deployment stops and rolls back.',
      threshold: 90, evaluationPeriods: 3, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    addAlarmNotification(cpu, notifications.topic);

    this.deployment = new ServerDeployment(this, 'WebDeployment', {
      autoScalingGroups: [fleet.autoScalingGroup],
      loadBalancing: { vpc: fleet.vpc, listener: fleet.listener, healthCheckPath: '/' },
      rollout: ServerRollout.minimumHealthyHostsPercentage(50),
      alarms: [cpu],
      notificationTopic: notifications.topic,
    });
    const repository = codecommit.Repository.fromRepositoryName(this, 'Repository', 'release-demo');
    this.release = new ReleasePipeline(this, 'Release', {
      source: ReleaseSource.codeCommit(repository, 'main'),
      appSpec: exampleAppSpec(AppSpecDeploymentType.IN_PLACE_WITH_LOAD_BALANCER),
      manualApproval: true,
      serverDeploymentGroup: this.deployment.deploymentGroup,
      s3Deployments: [{ bucket: props.replicas.site }],
      replicationBuckets: { [props.replicas.region]: props.replicas.artifacts.bucket },
      schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
      notificationTopic: notifications.topic,
      customActionType: { provider: 'ReleaseComplianceScan' },
    });
    acknowledgeRevisionReads(fleet.instanceRole, this.release);
  }
}

/** GitHub (CodeConnections) -> tests -> CodeDeploy blue/green. */
export class GitHubBlueGreenStack extends Stack {
  public readonly deployment: ServerDeployment;
  public readonly release: ReleasePipeline;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    pinAvailabilityZones(this);
    const notifications = new NotificationTopic(this, 'ReleaseNotifications', {
      displayName: 'Blue/green release notifications',
      emailAddresses: ['release-team@example.com'],
    });
    const fleet = new WebFleet(this, 'Web', notifications.topic);
    this.deployment = new ServerDeployment(this, 'WebDeployment', {
      autoScalingGroups: [fleet.autoScalingGroup],
      loadBalancing: { vpc: fleet.vpc, listener: fleet.listener },
      blueGreen: { terminationWait: Duration.minutes(60) },
      notificationTopic: notifications.topic,
    });
    this.release = new ReleasePipeline(this, 'Release', {
      source: ReleaseSource.gitHub({ connectionArn: context(this, 'cicdConnectionArn'), owner: 'example-org', repo: 'web', branch: 'main' }),
      appSpec: exampleAppSpec(AppSpecDeploymentType.BLUE_GREEN),
      serverDeploymentGroup: this.deployment.deploymentGroup,
      notificationTopic: notifications.topic,
    });
    acknowledgeRevisionReads(fleet.instanceRole, this.release);
  }
}

/** The CICD-1 / CICD-4 example stacks, in deployment order. */
export interface ReleasePipelineExamples {
  readonly replicas: ReleaseReplicaStack;
  readonly codeCommitRelease: CodeCommitReleaseStack;
  readonly gitHubBlueGreen: GitHubBlueGreenStack;
}

/** Adds the CICD-1 / CICD-4 example stacks to `app`. */
export function addReleasePipelineExamples(app: App, config: ExampleConfig): ReleasePipelineExamples {
  const replicas = new ReleaseReplicaStack(app, 'Cicd1-Release-Replicas', {
    env: env(config.workloadAccount, config.secondaryRegion),
    description: 'CICD-1 ReleasePipeline: artifact bucket and deployment target in the secondary region (deploy first)',
  });
  const codeCommitRelease = new CodeCommitReleaseStack(app, 'Cicd1-Release-CodeCommit', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-1 ReleasePipeline + CICD-4 ServerDeployment: CodeCommit via EventBridge, tests with reports, approval, CodeDeploy in place with alarm rollback, cross-region S3 deploy',
    replicas,
  });
  const gitHubBlueGreen = new GitHubBlueGreenStack(app, 'Cicd4-BlueGreen-GitHub', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-1 ReleasePipeline + CICD-4 ServerDeployment: GitHub via CodeConnections, CodeDeploy blue/green with a copied Auto Scaling group',
  });
  codeCommitRelease.addStackDependency(replicas, 'the pipeline\'s cross-region actions use the artifact bucket of the secondary region');
  return { replicas, codeCommitRelease, gitHubBlueGreen };
}
