/**
 * RES-5 AuroraGlobalDatabase: an Aurora database that survives the loss of a region.
 *
 * A primary Aurora cluster (a writer and readers across Availability Zones) in this stack's
 * region, made the primary of an Aurora global database: Aurora replicates its storage to the
 * secondary clusters of up to 10 other regions with typically under a second of lag, and a
 * secondary can be promoted to primary by a managed switchover (planned, no data loss) or a
 * failover (unplanned, data since the last replication lost). Each secondary region is declared
 * here and built with `addSecondaryCluster` in a stack of that region, with its own KMS key.
 * Custom endpoints (READER or ANY) route chosen instances, for example a reporting reader. Storage
 * and Performance Insights are encrypted with a customer managed key; the master password is a
 * generated secret (RDS cannot manage the password of a cluster in a global database) replicated
 * to the secondary regions and rotated by Secrets Manager; cluster failover, global failover,
 * failure and maintenance events reach a person through RDS event subscriptions.
 */
import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { createEncryptionKey } from '../core/encryption-key';
import { NotificationTopic } from '../core/notification-topic';
import { isSandbox } from '../core/sandbox';
import { PropsCheck } from '../core/validation';
import { AuroraCustomEndpoint } from './aurora-custom-endpoint';
import { AuroraSecondaryCluster, AuroraSecondaryClusterOptions } from './aurora-secondary-cluster';
import {
  acknowledgeClusterFindings, addAuroraEventSubscriptions, createCustomEndpoints, customEndpointProblems, defaultLogExports, enginePort, enhancedMonitoringRole, exportLogGroups,
  hostedRotation, identifierProblem, rdsIdentifier, REGION, supportsPerformanceInsights,
} from './rds-support';

/** An Aurora global database that secondary clusters join. Implemented by {@link AuroraGlobalDatabase}. */
export interface IAuroraGlobalDatabase extends IConstruct {
  /** The global cluster identifier, known at synth time. */
  readonly globalClusterIdentifier: string;
  /** The engine (`aurora-postgresql`, `aurora-mysql`). */
  readonly engineType: string;
  /** The full engine version every cluster of the global database runs. */
  readonly engineVersion: string;
  /** The primary region. */
  readonly primaryRegion: string;
  /** The regions secondary clusters may be created in. */
  readonly secondaryRegions: string[];
  /** How long automated backups are kept. */
  readonly backupRetention: Duration;
}

/** Props for {@link AuroraGlobalDatabase}. */
export interface AuroraGlobalDatabaseProps {
  /** The VPC of the primary cluster; its subnets must span at least two Availability Zones. */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the DB subnet group.
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The regions of the secondary clusters: 1 to 10, none of them the primary region.
   */
  readonly secondaryRegions: string[];

  /**
   * The engine, with a version that supports global databases (every cluster runs the same).
   * @default - Aurora PostgreSQL 16.11
   */
  readonly engine?: rds.IClusterEngine;

  /**
   * The instance class of the writer and readers. Global databases need a memory-optimized
   * class (db.r5 and later); burstable classes are refused by Aurora.
   * @default db.r6g.large
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * How many readers the primary cluster has besides the writer, named `reader1`, `reader2`, ...
   * At most 15 minus the number of secondary regions.
   * @default 1
   */
  readonly readers?: number;

  /**
   * The global cluster identifier.
   * @default - built from the stack name and the construct id
   */
  readonly globalClusterIdentifier?: string;

  /**
   * Custom endpoints of the primary cluster.
   * @default - none: the cluster's writer and reader endpoints only
   */
  readonly customEndpoints?: AuroraCustomEndpoint[];

  /**
   * The master user name.
   * @default - `postgres` for Aurora PostgreSQL, `admin` for Aurora MySQL
   */
  readonly masterUsername?: string;

  /**
   * The key that encrypts the primary cluster's storage, backups, Performance Insights and the
   * master secret.
   * @default - a new customer managed key with rotation on
   */
  readonly storageEncryptionKey?: kms.IKey;

  /**
   * How long automated backups are kept: 1 to 35 days.
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;

  /**
   * The daily backup window in UTC (`hh24:mi-hh24:mi`).
   * @default '02:00-02:30'
   */
  readonly preferredBackupWindow?: string;

  /**
   * The weekly maintenance window in UTC (`ddd:hh24:mi-ddd:hh24:mi`).
   * @default 'sun:03:00-sun:03:30'
   */
  readonly preferredMaintenanceWindow?: string;

  /**
   * How long exported logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Where a person is told about failover, global failover, failure and maintenance events.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * RES-5: the primary of an Aurora global database, with custom endpoints, encrypted storage, a
 * rotated secret and RDS events to SNS; `addSecondaryCluster` adds a region.
 *
 * ```ts
 * const orders = new AuroraGlobalDatabase(this, 'Orders', { vpc, secondaryRegions: ['eu-central-1'] });
 * orders.addSecondaryCluster(drStack, 'OrdersSecondary', { vpc: drVpc });
 * ```
 */
export class AuroraGlobalDatabase extends Construct implements IAuroraGlobalDatabase {
  /**
   * The most secondary regions a global database has
   * (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database.configuration.requirements.html).
   */
  public static readonly MAX_SECONDARY_REGIONS = 10;

  /** The global cluster. */
  public readonly globalCluster: rds.CfnGlobalCluster;
  /** The global cluster identifier. */
  public readonly globalClusterIdentifier: string;
  /** The primary cluster. */
  public readonly cluster: rds.DatabaseCluster;
  /** The primary cluster's identifier. */
  public readonly clusterIdentifier: string;
  /** The instance identifiers of the primary cluster, by member name (`writer`, `reader1`, ...). */
  public readonly instanceIdentifiers: Record<string, string>;
  /** The custom endpoints. */
  public readonly customEndpoints: rds.CfnDBClusterEndpoint[];
  /** The engine type. */
  public readonly engineType: string;
  /** The full engine version. */
  public readonly engineVersion: string;
  /** The primary region. */
  public readonly primaryRegion: string;
  /** The regions secondary clusters may be created in. */
  public readonly secondaryRegions: string[];
  /** How long automated backups are kept. */
  public readonly backupRetention: Duration;
  /** The key that encrypts the primary cluster. */
  public readonly storageEncryptionKey: kms.IKey;
  /** The secret holding the master user's credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** The Secrets Manager rotation of the master password. */
  public readonly rotation?: secretsmanager.RotationSchedule;
  /** Who may connect to the primary cluster. */
  public readonly connections: ec2.Connections;
  /** The RDS event subscriptions (cluster, then instances). */
  public readonly eventSubscriptions: rds.CfnEventSubscription[];
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: AuroraGlobalDatabaseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const engine = props.engine ?? rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_11 });
    this.engineType = engine.engineType;
    this.engineVersion = engine.engineVersion?.fullVersion ?? '';
    this.primaryRegion = stack.region;
    this.secondaryRegions = props.secondaryRegions;
    this.backupRetention = props.backupRetention ?? Duration.days(7);
    this.globalClusterIdentifier = props.globalClusterIdentifier ?? rdsIdentifier([stack.stackName, id]);
    this.clusterIdentifier = rdsIdentifier([this.globalClusterIdentifier, stack.region], 40);
    const readers = props.readers ?? 1;

    const check = new PropsCheck(this, 'AuroraGlobalDatabase');
    const problem = identifierProblem('globalClusterIdentifier', this.globalClusterIdentifier);
    if (problem) check.add(problem);
    check.require(this.engineVersion !== '', 'engine must name a version (for example AuroraPostgresEngineVersion.VER_16_11): every secondary cluster must run the same one');
    check.require(!Token.isUnresolved(stack.region) && !Token.isUnresolved(stack.account),
      'AuroraGlobalDatabase needs the stack\'s account and region (env): the secondary regions are checked against it');
    const max = AuroraGlobalDatabase.MAX_SECONDARY_REGIONS;
    check.require(this.secondaryRegions.length >= 1 && this.secondaryRegions.length <= max,
      `secondaryRegions must name 1 to ${max} regions (Aurora's limit for a global database), got ${this.secondaryRegions.length}`);
    for (const region of this.secondaryRegions) {
      if (Token.isUnresolved(region)) continue;
      check.require(REGION.test(region), `secondaryRegions must hold region names such as eu-central-1, got "${region}"`);
      check.require(region !== stack.region,
        `secondaryRegions must not include the primary region (${stack.region}): each cluster of a global database is in a region of its own`);
    }
    check.require(new Set(this.secondaryRegions).size === this.secondaryRegions.length, `secondaryRegions must not repeat a region, got ${this.secondaryRegions.join(', ')}`);
    // The primary cluster has at most 15 - s readers with s secondary regions (same page).
    check.require(Number.isInteger(readers) && readers >= 0 && readers <= 15 - this.secondaryRegions.length,
      `readers must be a whole number from 0 to ${15 - this.secondaryRegions.length} (15 minus the number of secondary regions), got ${readers}`);
    const days = this.backupRetention.toHours() / 24;
    check.require(Number.isInteger(days) && days >= 1 && days <= 35, `backupRetention must be a whole number of days from 1 to 35, got ${this.backupRetention.toHumanString()}`);
    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE);
    const type = instanceType.toString();
    // Global databases need memory-optimized classes (configuration requirements page above).
    check.require(Token.isUnresolved(type) || /^(r|x)\d/.test(type),
      `instanceType must be a memory-optimized class (db.r5, db.r6g, db.r7g, db.r8g ... or db.x2g): Aurora global databases do not run on ${type}`);
    this.instanceIdentifiers = { writer: `${this.clusterIdentifier}-writer` };
    for (let i = 1; i <= readers; i++) this.instanceIdentifiers[`reader${i}`] = `${this.clusterIdentifier}-reader${i}`;
    for (const p of customEndpointProblems(props.customEndpoints ?? [], this.clusterIdentifier, this.instanceIdentifiers)) check.add(p);
    check.throwIfAny();

    const sandbox = isSandbox(this);
    this.storageEncryptionKey = props.storageEncryptionKey ?? createEncryptionKey(this, 'Key', {
      description: `Encrypts the primary cluster of ${this.globalClusterIdentifier}, its backups, Performance Insights and master secret`,
    });
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: `RDS events of ${this.globalClusterIdentifier}`.slice(0, 100),
    }).topic;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Aurora cluster ${this.clusterIdentifier}: no ingress until granted`,
      allowAllOutbound: false,
    });
    const exports = defaultLogExports(this.engineType);
    const logGroups = exportLogGroups(this, 'cluster', this.clusterIdentifier, exports, props.logRetention);
    const performanceInsights = supportsPerformanceInsights(this.engineType, instanceType);
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const instanceProps = (identifier: string) => ({
      instanceIdentifier: identifier,
      instanceType,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: performanceInsights,
      performanceInsightEncryptionKey: performanceInsights ? this.storageEncryptionKey : undefined,
      performanceInsightRetention: performanceInsights ? rds.PerformanceInsightRetention.DEFAULT : undefined,
    });

    this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
      engine,
      clusterIdentifier: this.clusterIdentifier,
      port: enginePort(this.engineType),
      writer: rds.ClusterInstance.provisioned('Writer', instanceProps(this.instanceIdentifiers.writer)),
      readers: Array.from({ length: readers }, (_, i) => rds.ClusterInstance.provisioned(`Reader${i + 1}`, instanceProps(this.instanceIdentifiers[`reader${i + 1}`]))),
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: [securityGroup],
      // RDS cannot manage the master password of a cluster in a global database
      // (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations):
      // a generated secret, replicated to the secondary regions for use after a switchover.
      credentials: rds.Credentials.fromGeneratedSecret(props.masterUsername ?? (this.engineType.includes('postgres') ? 'postgres' : 'admin'), {
        encryptionKey: this.storageEncryptionKey,
        replicaRegions: this.secondaryRegions.map((region) => ({ region })),
      }),
      storageEncrypted: true,
      storageEncryptionKey: this.storageEncryptionKey,
      backup: { retention: this.backupRetention, preferredWindow: props.preferredBackupWindow ?? '02:00-02:30' },
      preferredMaintenanceWindow: props.preferredMaintenanceWindow ?? 'sun:03:00-sun:03:30',
      copyTagsToSnapshot: true,
      deletionProtection: !sandbox,
      removalPolicy: sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
      iamAuthentication: true,
      cloudwatchLogsExports: exports.length > 0 ? exports : undefined,
      monitoringInterval: Duration.seconds(60),
      monitoringRole: enhancedMonitoringRole(this, 'MonitoringRole'),
    });
    for (const group of logGroups) this.cluster.node.addDependency(group);
    this.connections = this.cluster.connections;
    this.secret = this.cluster.secret!;

    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: props.vpc,
      description: `Secrets Manager rotation of ${this.clusterIdentifier}`,
    });
    securityGroup.addIngressRule(rotationSecurityGroup, ec2.Port.tcp(enginePort(this.engineType)), 'Secrets Manager rotation of the master password');
    const rotation = hostedRotation(this.engineType, {
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: [rotationSecurityGroup],
      functionName: `rotate-${Names.uniqueResourceName(this, { maxLength: 50, separator: '-' })}`.slice(0, 64),
    });
    if (rotation) this.rotation = this.secret.addRotationSchedule('Rotation', { hostedRotation: rotation, automaticallyAfter: Duration.days(30) });

    // The primary cluster becomes the global database's primary
    // (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-globalcluster.html).
    this.globalCluster = new rds.CfnGlobalCluster(this, 'GlobalCluster', {
      globalClusterIdentifier: this.globalClusterIdentifier,
      sourceDbClusterIdentifier: this.cluster.clusterArn,
      deletionProtection: !sandbox,
    });
    this.globalCluster.node.addDependency(this.cluster);
    this.globalCluster.applyRemovalPolicy(sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);

    this.customEndpoints = createCustomEndpoints(this, props.customEndpoints ?? [], this.clusterIdentifier, this.instanceIdentifiers, [this.cluster]);

    const cfn = this.cluster.node.defaultChild as rds.CfnDBCluster;
    acknowledgeClusterFindings(cfn, sandbox);
    this.eventSubscriptions = addAuroraEventSubscriptions(this, this.notificationTopic, this.clusterIdentifier, Object.values(this.instanceIdentifiers), this.cluster);
  }

  /**
   * Adds the secondary cluster of the region of `scope`'s stack, which must be one of
   * `secondaryRegions`. The secondary's stack depends on this one's.
   */
  public addSecondaryCluster(scope: Construct, id: string, options: AuroraSecondaryClusterOptions): AuroraSecondaryCluster {
    const secondary = new AuroraSecondaryCluster(scope, id, { ...options, globalDatabase: this });
    if (Stack.of(scope) !== Stack.of(this)) Stack.of(scope).addStackDependency(Stack.of(this), 'the secondary cluster joins the global database');
    return secondary;
  }
}
