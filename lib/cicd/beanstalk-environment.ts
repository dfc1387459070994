/**
 * CICD-7 BeanstalkEnvironment: an Elastic Beanstalk application and environment with a typed
 * deployment policy.
 *
 * Elastic Beanstalk has five ways to roll out a new application version: all at once (fast, with
 * downtime), rolling and rolling with an additional batch (batches of instances, full capacity
 * with the extra batch), immutable (a second Auto Scaling group, instant rollback) and traffic
 * splitting (a canary share of requests to new instances for an evaluation time). The construct
 * writes the option settings for the chosen policy and refuses combinations Elastic Beanstalk
 * would reject at deployment. The environment runs in a VPC with enhanced health, the X-Ray
 * daemon, managed platform updates, logs streamed to CloudWatch Logs with a retention, IMDSv2
 * only, and its own least-privilege instance role. A database never lives inside the environment:
 * its endpoint and secret come in as environment properties, so the environment can be replaced
 * (blue/green with a CNAME swap) without touching the data.
 */
import { ArnFormat, Names, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticbeanstalk from 'aws-cdk-lib/aws-elasticbeanstalk';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { isSandbox } from '../core/sandbox';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** A platform version that exists (Elastic Beanstalk Node.js platform history, March 2026). */
const DEFAULT_SOLUTION_STACK = '64bit Amazon Linux 2023 v6.10.0 running Node.js 20';

/** The evaluation time Elastic Beanstalk accepts for traffic splitting, in minutes. */
const MIN_EVALUATION_MINUTES = 3;
const MAX_EVALUATION_MINUTES = 600;

/** Whether an environment has a load balancer and an Auto Scaling group, or one instance. */
export enum BeanstalkEnvironmentType {
  /** An application load balancer in front of an Auto Scaling group. */
  LOAD_BALANCED = 'LoadBalanced',
  /** One instance with a public IP, no load balancer. */
  SINGLE_INSTANCE = 'SingleInstance',
}

/** The Elastic Beanstalk deployment policies (`aws:elasticbeanstalk:command` `DeploymentPolicy`). */
export enum BeanstalkDeploymentPolicyType {
  /** Every instance at once: fastest, with downtime. */
  ALL_AT_ONCE = 'AllAtOnce',
  /** Batches of instances; capacity drops by one batch. */
  ROLLING = 'Rolling',
  /** Batches of instances after launching one extra batch: full capacity throughout. */
  ROLLING_WITH_ADDITIONAL_BATCH = 'RollingWithAdditionalBatch',
  /** A full set of new instances in a temporary Auto Scaling group: never mixes versions on an instance, quick rollback. */
  IMMUTABLE = 'Immutable',
  /** A full set of new instances that get a share of requests for an evaluation time (canary). */
  TRAFFIC_SPLITTING = 'TrafficSplitting',
}

/** Options of the rolling policies. */
export interface BeanstalkRollingOptions {
  /**
   * The share of instances in each batch, in percent (1-100).
   * @default 30
   */
  readonly batchSizePercent?: number;
}

/** Options of the traffic-splitting policy. */
export interface BeanstalkTrafficSplittingOptions {
  /**
   * The share of requests the new instances get during the evaluation, in percent (1-100).
   * @default 10
   */
  readonly newVersionPercent?: number;
  /**
   * How long, in whole minutes (3-600, as Elastic Beanstalk accepts), the new version is
   * evaluated before all traffic moves to it.
   * @default 5
   */
  readonly evaluationTimeMinutes?: number;
}

/**
 * How a {@link BeanstalkEnvironment} rolls out a new application version.
 */
export class BeanstalkDeploymentPolicy {
  /** Every instance at once (with downtime). */
  public static allAtOnce(): BeanstalkDeploymentPolicy {
    return new BeanstalkDeploymentPolicy(BeanstalkDeploymentPolicyType.ALL_AT_ONCE);
  }

  /** Batches of instances; capacity drops by one batch during the deployment. */
  public static rolling(options: BeanstalkRollingOptions = {}): BeanstalkDeploymentPolicy {
    return new BeanstalkDeploymentPolicy(BeanstalkDeploymentPolicyType.ROLLING, options.batchSizePercent ?? 30);
  }

  /** Batches of instances after one extra batch is launched: full capacity throughout. */
  public static rollingWithAdditionalBatch(options: BeanstalkRollingOptions = {}): BeanstalkDeploymentPolicy {
    return new BeanstalkDeploymentPolicy(BeanstalkDeploymentPolicyType.ROLLING_WITH_ADDITIONAL_BATCH, options.batchSizePercent ?? 30);
  }

  /** A full new set of instances in a temporary Auto Scaling group. */
  public static immutable(): BeanstalkDeploymentPolicy {
    return new BeanstalkDeploymentPolicy(BeanstalkDeploymentPolicyType.IMMUTABLE);
  }

  /** A canary: new instances get `newVersionPercent` % of requests for the evaluation time. */
  public static trafficSplitting(options: BeanstalkTrafficSplittingOptions = {}): BeanstalkDeploymentPolicy {
    return new BeanstalkDeploymentPolicy(BeanstalkDeploymentPolicyType.TRAFFIC_SPLITTING, undefined,
      options.newVersionPercent ?? 10, options.evaluationTimeMinutes ?? 5);
  }

  /**
   * @param policyType the policy
   * @param batchSizePercent the batch size of the rolling policies
   * @param newVersionPercent the canary share of traffic splitting
   * @param evaluationTimeMinutes the evaluation time of traffic splitting
   */
  private constructor(
    public readonly policyType: BeanstalkDeploymentPolicyType,
    public readonly batchSizePercent?: number,
    public readonly newVersionPercent?: number,
    public readonly evaluationTimeMinutes?: number,
  ) {}

  /**
   * The problems of this policy in an environment of `environmentType`.
   * @internal
   */
  public _problems(environmentType: BeanstalkEnvironmentType): string[] {
    const problems: string[] = [];
    const percent = (name: string, value: number | undefined) => {
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 100)) {
        problems.push(`${name} must be a whole percentage between 1 and 100, got ${value}`);
      }
    };
    percent('batch size', this.batchSizePercent);
    percent('traffic split newVersionPercent', this.newVersionPercent);
    // aws:elasticbeanstalk:trafficsplitting EvaluationTime: valid values 3 to 600 (minutes).
    const evaluation = this.evaluationTimeMinutes;
    if (evaluation !== undefined && (!Number.isInteger(evaluation) || evaluation < MIN_EVALUATION_MINUTES || evaluation > MAX_EVALUATION_MINUTES)) {
      problems.push(`traffic split evaluation time must be a whole number of minutes between ${MIN_EVALUATION_MINUTES} and ${MAX_EVALUATION_MINUTES}, got ${evaluation}`);
    }
    if (environmentType === BeanstalkEnvironmentType.SINGLE_INSTANCE) {
      if (this.policyType === BeanstalkDeploymentPolicyType.TRAFFIC_SPLITTING) {
        problems.push('traffic splitting needs a load-balanced environment: a single-instance environment has no load balancer to split traffic');
      } else if (this.policyType === BeanstalkDeploymentPolicyType.ROLLING || this.policyType === BeanstalkDeploymentPolicyType.ROLLING_WITH_ADDITIONAL_BATCH) {
        problems.push(`${this.policyType} deployments need a load-balanced environment: a single-instance environment has no batches`);
      }
    }
    return problems;
  }

  /**
   * The option settings of this policy.
   * @internal
   */
  public _optionSettings(): elasticbeanstalk.CfnEnvironment.OptionSettingProperty[] {
    const command = 'aws:elasticbeanstalk:command';
    const settings: elasticbeanstalk.CfnEnvironment.OptionSettingProperty[] = [
      { namespace: command, optionName: 'DeploymentPolicy', value: this.policyType },
    ];
    if (this.batchSizePercent !== undefined) {
      settings.push(
        { namespace: command, optionName: 'BatchSizeType', value: 'Percentage' },
        { namespace: command, optionName: 'BatchSize', value: String(this.batchSizePercent) },
      );
    }
    if (this.policyType === BeanstalkDeploymentPolicyType.TRAFFIC_SPLITTING) {
      const ns = 'aws:elasticbeanstalk:trafficsplitting';
      settings.push(
        { namespace: ns, optionName: 'NewVersionPercent', value: String(this.newVersionPercent) },
        { namespace: ns, optionName: 'EvaluationTime', value: String(this.evaluationTimeMinutes) },
      );
    }
    return settings;
  }
}

/**
 * An Elastic Beanstalk application that environments can join: a {@link BeanstalkEnvironment}
 * (its application), or an application made elsewhere, given by name (`{ applicationName: 'orders' }`).
 */
export interface IBeanstalkApplication {
  /** The application's name. */
  readonly applicationName: string;
}

/**
 * Props for {@link BeanstalkEnvironment}.
 */
export interface BeanstalkEnvironmentProps {
  /** The VPC the environment runs in: instances in private subnets, the load balancer in public ones. */
  readonly vpc: ec2.IVpc;
  /**
   * The platform (solution stack) name; it must exist in the region (`aws elasticbeanstalk
   * list-available-solution-stacks`). Managed updates keep it patched within its branch.
   * @default '64bit Amazon Linux 2023 v6.10.0 running Node.js 20'
   */
  readonly solutionStackName?: string;
  /**
   * The application name, when the construct creates the application.
   * @default - generated from the construct path
   */
  readonly applicationName?: string;
  /**
   * The application this environment joins, instead of creating one: another
   * {@link BeanstalkEnvironment} (the two environments of a blue/green pair must belong to one
   * application to swap CNAMEs), or an application made elsewhere, by name.
   * @default - a new application
   */
  readonly applicationOf?: IBeanstalkApplication;
  /**
   * The environment name (also the prefix of its log groups). At most 40 characters.
   * @default - generated from the construct path
   */
  readonly environmentName?: string;
  /**
   * Load-balanced or single instance.
   * @default BeanstalkEnvironmentType.LOAD_BALANCED
   */
  readonly environmentType?: BeanstalkEnvironmentType;
  /**
   * How new application versions roll out.
   * @default BeanstalkDeploymentPolicy.immutable()
   */
  readonly deploymentPolicy?: BeanstalkDeploymentPolicy;
  /**
   * The instance type.
   * @default t3.small
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * The fewest instances of a load-balanced environment.
   * @default 2
   */
  readonly minInstances?: number;
  /**
   * The most instances of a load-balanced environment.
   * @default 4
   */
  readonly maxInstances?: number;
  /**
   * An ACM certificate: the load balancer then listens on HTTPS 443 only (the HTTP listener is off).
   * @default - HTTP on port 80
   */
  readonly certificate?: acm.ICertificate;
  /**
   * The health check path of the default process.
   * @default '/'
   */
  readonly healthCheckPath?: string;
  /**
   * Environment properties for the application, for example the endpoint of a database that
   * lives in another stack. Never put secrets here: pass `databaseSecret`.
   * @default - none
   */
  readonly environmentProperties?: { [name: string]: string };
  /**
   * The database credentials, kept in Secrets Manager outside the environment. The instances may
   * read it; its ARN is the `DB_SECRET_ARN` environment property.
   * @default - no database
   */
  readonly databaseSecret?: secretsmanager.ISecret;
  /**
   * How long logs streamed to CloudWatch Logs (instance and health logs) are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * When managed platform updates run (UTC, `Day:HH:MM`).
   * @default 'Sun:02:00'
   */
  readonly maintenanceWindowStart?: string;
}

/**
 * CICD-7: an Elastic Beanstalk application and environment with a typed deployment policy.
 *
 * ```ts
 * new BeanstalkEnvironment(this, 'Web', {
 *   vpc,
 *   deploymentPolicy: BeanstalkDeploymentPolicy.trafficSplitting({ newVersionPercent: 15, evaluationTimeMinutes: 10 }),
 *   environmentProperties: { DB_HOST: database.instanceEndpoint.hostname },
 *   databaseSecret: database.secret,
 * });
 * ```
 */
export class BeanstalkEnvironment extends Construct implements IBeanstalkApplication {
  /** The application, when this construct created it (not when it joined one with `applicationOf`). */
  public readonly application?: elasticbeanstalk.CfnApplication;
  /** The name of the environment's application, created or joined. */
  public readonly applicationName: string;
  /** The environment. */
  public readonly environment: elasticbeanstalk.CfnEnvironment;
  /** The environment name. */
  public readonly environmentName: string;
  /** The role of the instances. */
  public readonly instanceRole: ServiceRole;
  /** The instance profile of the instances. */
  public readonly instanceProfile: iam.CfnInstanceProfile;
  /** The role Elastic Beanstalk assumes for health reporting and managed updates. */
  public readonly serviceRole: ServiceRole;
  /** The deployment policy in effect. */
  public readonly deploymentPolicy: BeanstalkDeploymentPolicy;
  /** The environment's URL (`<cname>.<region>.elasticbeanstalk.com`). */
  public readonly endpointUrl: string;

  constructor(scope: Construct, id: string, props: BeanstalkEnvironmentProps) {
    super(scope, id);
    const environmentType = props.environmentType ?? BeanstalkEnvironmentType.LOAD_BALANCED;
    const loadBalanced = environmentType === BeanstalkEnvironmentType.LOAD_BALANCED;
    this.deploymentPolicy = props.deploymentPolicy ?? BeanstalkDeploymentPolicy.immutable();
    const minInstances = props.minInstances ?? 2;
    const maxInstances = props.maxInstances ?? 4;
    this.environmentName = props.environmentName ?? Names.uniqueResourceName(this, { maxLength: 40, separator: '-' });

    const check = new PropsCheck(this, 'BeanstalkEnvironment');
    for (const problem of this.deploymentPolicy._problems(environmentType)) check.add(problem);
    check.inRange('minInstances', minInstances, 1, 10000);
    check.inRange('maxInstances', maxInstances, 1, 10000);
    check.require(minInstances <= maxInstances, `minInstances (${minInstances}) must not exceed maxInstances (${maxInstances})`);
    if (!Token.isUnresolved(this.environmentName)) {
      check.require(/^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$/.test(this.environmentName),
        `environmentName must be 4-40 letters, digits and hyphens, not starting or ending with a hyphen, got "${this.environmentName}"`);
    }
    check.require(!(props.applicationOf && props.applicationName), 'applicationName and applicationOf exclude each other: a joined application keeps its name');
    check.require(!props.certificate || loadBalanced, 'certificate needs a load-balanced environment: a single-instance environment has no load balancer');
    if (props.environmentProperties) {
      check.require(!('DB_SECRET_ARN' in props.environmentProperties), 'environmentProperties must not set DB_SECRET_ARN: pass databaseSecret');
    }
    check.throwIfAny();

    const stack = Stack.of(this);
    const sandbox = isSandbox(this);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;

    if (props.applicationOf) {
      this.applicationName = props.applicationOf.applicationName;
    } else {
      this.application = new elasticbeanstalk.CfnApplication(this, 'Application', {
        applicationName: props.applicationName ?? Names.uniqueResourceName(this, { maxLength: 100, separator: '-' }),
        description: `Application of ${this.node.path}`,
      });
      this.applicationName = this.application.ref;
    }

    // The instances: the permissions of the AWS managed AWSElasticBeanstalkWebTier policy, limited
    // to this environment's bucket, log groups and health reporting.
    this.instanceRole = new ServiceRole(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Instances of ${this.node.path}`,
    });
    const ebBucket = `arn:${stack.partition}:s3:::elasticbeanstalk-${stack.region}-${stack.account}`;
    const logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/elasticbeanstalk/${this.environmentName}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    for (const statement of [
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [`${ebBucket}/*`] }),
      new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [ebBucket] }),
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [logGroups] }),
      new iam.PolicyStatement({
        actions: ['elasticbeanstalk:PutInstanceStatistics'],
        resources: [
          stack.formatArn({ service: 'elasticbeanstalk', resource: 'application', resourceName: this.applicationName }),
          stack.formatArn({ service: 'elasticbeanstalk', resource: 'environment', resourceName: `${this.applicationName}/${this.environmentName}` }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'],
        resources: ['*'],
      }),
    ]) this.instanceRole.addToPrincipalPolicy(statement);
    props.databaseSecret?.grantRead(this.instanceRole);
    this.instanceRole.acknowledgeWildcardResource(`${ebBucket}/*`,
      'Instances download application versions from and upload rotated logs to the Elastic Beanstalk bucket of this account and region, whose object keys Elastic Beanstalk generates.');
    this.instanceRole.acknowledgeWildcardResource(logGroups,
      'Elastic Beanstalk creates one log group per streamed log file under this environment\'s prefix, named by the platform, so the instances may write to that prefix only.');
    this.instanceRole.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]',
      'The X-Ray daemon\'s PutTraceSegments, PutTelemetryRecords and sampling actions have no resource-level permissions, so their statement must name every resource.');
    this.instanceProfile = new iam.CfnInstanceProfile(this, 'InstanceProfile', { roles: [this.instanceRole.roleName] });

    // Elastic Beanstalk itself: enhanced health and managed platform updates.
    this.serviceRole = new ServiceRole(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('elasticbeanstalk.amazonaws.com').withConditions({
        StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' },
      }),
      description: `Elastic Beanstalk health reporting and managed updates of ${this.node.path}`,
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSElasticBeanstalkEnhancedHealth'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy'),
      ],
    });
    this.instanceRole.grantPassRole(this.serviceRole);
    const serviceRoleResource = this.serviceRole.node.defaultChild!;
    for (const policy of ['service-role/AWSElasticBeanstalkEnhancedHealth', 'AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy']) {
      acknowledge(serviceRoleResource, `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
        'Elastic Beanstalk\'s service role needs this AWS maintained policy: managed updates and health reporting act on the instances, Auto Scaling groups, load balancers and nested stacks Elastic Beanstalk creates with generated names, which cannot be listed before deployment; only Elastic Beanstalk of this account can assume the role.');
    }

    const settings: elasticbeanstalk.CfnEnvironment.OptionSettingProperty[] = [];
    const set = (namespace: string, optionName: string, value: string) => settings.push({ namespace, optionName, value });
    set('aws:elasticbeanstalk:environment', 'EnvironmentType', environmentType);
    set('aws:elasticbeanstalk:environment', 'ServiceRole', this.serviceRole.roleArn);
    set('aws:autoscaling:launchconfiguration', 'IamInstanceProfile', this.instanceProfile.ref);
    set('aws:autoscaling:launchconfiguration', 'DisableIMDSv1', 'true');
    set('aws:ec2:instances', 'InstanceTypes', (props.instanceType ?? new ec2.InstanceType('t3.small')).toString());
    set('aws:ec2:vpc', 'VPCId', props.vpc.vpcId);
    if (loadBalanced) {
      set('aws:ec2:vpc', 'Subnets', props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds.join(','));
      set('aws:ec2:vpc', 'ELBSubnets', props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC }).subnetIds.join(','));
      set('aws:ec2:vpc', 'AssociatePublicIpAddress', 'false');
      set('aws:elasticbeanstalk:environment', 'LoadBalancerType', 'application');
      set('aws:autoscaling:asg', 'MinSize', String(minInstances));
      set('aws:autoscaling:asg', 'MaxSize', String(maxInstances));
      set('aws:elasticbeanstalk:environment:process:default', 'HealthCheckPath', props.healthCheckPath ?? '/');
      if (props.certificate) {
        set('aws:elbv2:listener:443', 'ListenerEnabled', 'true');
        set('aws:elbv2:listener:443', 'Protocol', 'HTTPS');
        set('aws:elbv2:listener:443', 'SSLCertificateArns', props.certificate.certificateArn);
        set('aws:elbv2:listener:443', 'SSLPolicy', 'ELBSecurityPolicy-TLS13-1-2-2021-06');
        set('aws:elbv2:listener:default', 'ListenerEnabled', 'false');
      }
    } else {
      set('aws:ec2:vpc', 'Subnets', props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC }).subnetIds.join(','));
      set('aws:ec2:vpc', 'AssociatePublicIpAddress', 'true');
    }
    settings.push(...this.deploymentPolicy._optionSettings());
    set('aws:elasticbeanstalk:healthreporting:system', 'SystemType', 'enhanced');
    set('aws:elasticbeanstalk:xray', 'XRayEnabled', 'true');
    set('aws:elasticbeanstalk:managedactions', 'ManagedActionsEnabled', 'true');
    set('aws:elasticbeanstalk:managedactions', 'PreferredStartTime', props.maintenanceWindowStart ?? 'Sun:02:00');
    set('aws:elasticbeanstalk:managedactions:platformupdate', 'UpdateLevel', 'minor');
    set('aws:elasticbeanstalk:managedactions:platformupdate', 'InstanceRefreshEnabled', 'true');
    for (const ns of ['aws:elasticbeanstalk:cloudwatch:logs', 'aws:elasticbeanstalk:cloudwatch:logs:health']) {
      set(ns, ns.endsWith('health') ? 'HealthStreamingEnabled' : 'StreamLogs', 'true');
      set(ns, 'DeleteOnTerminate', String(sandbox));
      set(ns, 'RetentionInDays', String(retention));
    }
    set('aws:elasticbeanstalk:hostmanager', 'LogPublicationControl', 'true');
    for (const [name, value] of Object.entries(props.environmentProperties ?? {})) {
      set('aws:elasticbeanstalk:application:environment', name, value);
    }
    if (props.databaseSecret) set('aws:elasticbeanstalk:application:environment', 'DB_SECRET_ARN', props.databaseSecret.secretArn);

    this.environment = new elasticbeanstalk.CfnEnvironment(this, 'Environment', {
      applicationName: this.applicationName,
      environmentName: this.environmentName,
      solutionStackName: props.solutionStackName ?? DEFAULT_SOLUTION_STACK,
      tier: { name: 'WebServer', type: 'Standard' },
      optionSettings: settings,
    });
    // The instances start at once and need their permissions (and health reporting the service
    // role's) from the first minute: every grants policy of the instance role, later ones included.
    this.environment.node.addDependency(this.instanceRole.grantsDependable, this.serviceRole);
    this.endpointUrl = this.environment.attrEndpointUrl;
  }
}
