/**
 * RES-5 ResilientDatabase: an RDS DB instance that survives the loss of an Availability Zone,
 * can be recovered to any second of its backup retention, and can have read replicas in other
 * regions for a regional outage.
 *
 * The instance is Multi-AZ (a synchronous standby in a second zone that RDS fails over to), with
 * automated backups in a chosen window and retention, storage and Performance Insights encrypted
 * with a customer managed key, IAM database authentication, logs exported to encrypted log groups
 * with a retention, enhanced monitoring, and deletion protection outside sandbox mode. The master
 * password lives in Secrets Manager: managed by RDS (rotated by RDS) when the database has no
 * cross-region replicas; when it has some, RDS cannot manage it (RDS refuses to create a read
 * replica of a source whose password it manages), so it is a generated secret, replicated to the
 * replica regions and rotated by Secrets Manager. Failover, failure and maintenance events reach
 * a person through an RDS event subscription to the notification topic. The instance has a fixed
 * identifier derived from its stack and id, so the replica stacks of other regions build its ARN
 * without a cross-region reference.
 */
import { Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { createEncryptionKey } from '../core/encryption-key';
import { NotificationTopic } from '../core/notification-topic';
import { isSandbox } from '../core/sandbox';
import { PropsCheck } from '../core/validation';
import { CrossRegionReadReplica, CrossRegionReadReplicaOptions } from './cross-region-read-replica';
import {
  addRdsEventSubscription, defaultLogExports, enginePort, enhancedMonitoringRole, exportLogGroups, hostedRotation, identifierProblem,
  rdsArn, rdsIdentifier, REGION, supportsPerformanceInsights,
} from './rds-support';

/**
 * A database that cross-region read replicas can be made of. Implemented by
 * {@link ResilientDatabase}.
 */
export interface IResilientDatabase extends IConstruct {
  /** The DB instance identifier, known at synth time. */
  readonly instanceIdentifier: string;
  /** The account the database is in, known at synth time. */
  readonly account: string;
  /** The region the database is in, known at synth time. */
  readonly region: string;
  /** The engine of the database. */
  readonly engine: rds.IInstanceEngine;
  /** How long automated backups are kept. */
  readonly backupRetention: Duration;
  /** The regions cross-region read replicas may be created in. */
  readonly replicaRegions: string[];
}

/** Props for {@link ResilientDatabase}. */
export interface ResilientDatabaseProps {
  /** The VPC the database lives in; its subnets must span at least two Availability Zones. */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the DB subnet group.
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The engine.
   * @default - PostgreSQL 17.7
   */
  readonly engine?: rds.IInstanceEngine;

  /**
   * The instance class. Multi-AZ and cross-region read replicas work from the smallest burstable
   * class up.
   * @default db.t4g.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The DB instance identifier (1-63 letters, digits, hyphens). Replicas in other regions name
   * the instance by it.
   * @default - built from the stack name and the construct id, cut to 63 characters with a hash
   */
  readonly instanceIdentifier?: string;

  /**
   * Allocated storage in GiB (gp3).
   * @default 20
   */
  readonly allocatedStorage?: number;

  /**
   * The most storage autoscaling may grow to, in GiB.
   * @default 100
   */
  readonly maxAllocatedStorage?: number;

  /**
   * The master user name.
   * @default - the engine's default user name (`postgres` for PostgreSQL, `admin` otherwise)
   */
  readonly masterUsername?: string;

  /**
   * The key that encrypts storage, automated backups, snapshots, Performance Insights and the
   * master password's secret.
   * @default - a new customer managed key with rotation on
   */
  readonly storageEncryptionKey?: kms.IKey;

  /**
   * How long automated backups (point-in-time recovery) are kept: 0 (off) to 35 days. Read
   * replicas need it above 0.
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;

  /**
   * The daily backup window in UTC (`hh24:mi-hh24:mi`, at least 30 minutes, not overlapping the
   * maintenance window).
   * @default '02:00-02:30'
   */
  readonly preferredBackupWindow?: string;

  /**
   * The weekly maintenance window in UTC (`ddd:hh24:mi-ddd:hh24:mi`).
   * @default 'sun:03:00-sun:03:30'
   */
  readonly preferredMaintenanceWindow?: string;

  /**
   * The regions where cross-region read replicas will be created (with
   * {@link ResilientDatabase.addCrossRegionReadReplica} in a stack of that region). With replica
   * regions the master password is a generated secret replicated to them and rotated by Secrets
   * Manager, because RDS cannot manage the password of a replicated instance.
   * @default - no cross-region replicas; RDS manages the master password
   */
  readonly replicaRegions?: string[];

  /**
   * The log types exported to CloudWatch Logs.
   * @default - the engine's main logs (`postgresql` and `upgrade` for PostgreSQL)
   */
  readonly cloudwatchLogsExports?: string[];

  /**
   * How long exported logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Where a person is told about failover, failure and maintenance events.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** The categories of DB instance events a person is told about. */
const INSTANCE_EVENTS = ['failover', 'failure', 'maintenance'];

/**
 * RES-5: an RDS instance, Multi-AZ, with backups, an encrypted key-managed store, the password in
 * Secrets Manager, RDS events to SNS, and cross-region read replicas.
 *
 * ```ts
 * const database = new ResilientDatabase(this, 'Orders', { vpc, replicaRegions: ['eu-central-1'] });
 * database.addCrossRegionReadReplica(drStack, 'OrdersReplica', { vpc: drVpc });
 * database.connections.allowDefaultPortFrom(appSecurityGroup);
 * ```
 */
export class ResilientDatabase extends Construct implements IResilientDatabase {
  /** The DB instance. */
  public readonly instance: rds.DatabaseInstance;
  /** The DB instance identifier. */
  public readonly instanceIdentifier: string;
  /** The DB instance ARN, built from the identifier. */
  public readonly instanceArn: string;
  /** The account of the database. */
  public readonly account: string;
  /** The region of the database. */
  public readonly region: string;
  /** The engine. */
  public readonly engine: rds.IInstanceEngine;
  /** How long automated backups are kept. */
  public readonly backupRetention: Duration;
  /** The regions cross-region read replicas may be created in. */
  public readonly replicaRegions: string[];
  /** The key that encrypts storage, backups, Performance Insights and the secret. */
  public readonly storageEncryptionKey: kms.IKey;
  /** The secret holding the master user's credentials. */
  public readonly secret: secretsmanager.ISecret;
  /** The Secrets Manager rotation of the master password, when the secret is generated (with replica regions). */
  public readonly rotation?: secretsmanager.RotationSchedule;
  /** Who may connect: add ingress with `connections.allowDefaultPortFrom(...)`. */
  public readonly connections: ec2.Connections;
  /** The RDS event subscription for failover, failure and maintenance events. */
  public readonly eventSubscription: rds.CfnEventSubscription;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** The log groups RDS exports logs to. */
  public readonly logGroups: logs.ILogGroup[];

  constructor(scope: Construct, id: string, props: ResilientDatabaseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.account = stack.account;
    this.region = stack.region;
    this.engine = props.engine ?? rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_7 });
    this.backupRetention = props.backupRetention ?? Duration.days(7);
    this.replicaRegions = props.replicaRegions ?? [];
    this.instanceIdentifier = props.instanceIdentifier ?? rdsIdentifier([stack.stackName, id]);

    const check = new PropsCheck(this, 'ResilientDatabase');
    const problem = identifierProblem('instanceIdentifier', this.instanceIdentifier);
    if (problem) check.add(problem);
    check.require(!Token.isUnresolved(stack.stackName) || props.instanceIdentifier !== undefined,
      'the stack name is a token: set instanceIdentifier, which replicas in other regions name the instance by');
    const retentionDays = this.backupRetention.toHours() / 24;
    // 0 to 35 days (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.BackupRetention.html).
    check.require(Number.isInteger(retentionDays) && retentionDays >= 0 && retentionDays <= 35,
      `backupRetention must be a whole number of days from 0 to 35, got ${this.backupRetention.toHumanString()}`);
    // RDS creates a read replica only from a source with automated backups
    // (docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).
    check.require(this.replicaRegions.length === 0 || retentionDays > 0,
      'backupRetention is 0 but replicaRegions is set: RDS creates read replicas only from a source with automated backups (backupRetention of 1 day or more)');
    for (const region of this.replicaRegions) {
      if (Token.isUnresolved(region)) continue;
      check.require(REGION.test(region), `replicaRegions must hold region names such as eu-central-1, got "${region}"`);
      check.require(Token.isUnresolved(stack.region) || region !== stack.region,
        `replicaRegions must not include the database's own region (${stack.region}): a cross-region read replica protects against the loss of that region, and a replica in it does not`);
    }
    check.require(new Set(this.replicaRegions).size === this.replicaRegions.length, `replicaRegions must not repeat a region, got ${this.replicaRegions.join(', ')}`);
    check.require(this.replicaRegions.length === 0 || (!Token.isUnresolved(stack.region) && !Token.isUnresolved(stack.account)),
      'replicaRegions needs the stack\'s account and region (env): replicas in other regions build the source ARN from them');
    const windowPattern = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
    const backupWindow = props.preferredBackupWindow ?? '02:00-02:30';
    if (!Token.isUnresolved(backupWindow)) {
      check.require(windowPattern.test(backupWindow) && windowMinutes(backupWindow) >= 30,
        `preferredBackupWindow must be hh24:mi-hh24:mi in UTC and last at least 30 minutes, got "${backupWindow}"`);
    }
    check.throwIfAny();

    const sandbox = isSandbox(this);
    this.storageEncryptionKey = props.storageEncryptionKey ?? createEncryptionKey(this, 'Key', {
      description: `Encrypts the database ${this.instanceIdentifier}, its backups, Performance Insights and master secret`,
    });
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: `RDS events of ${this.instanceIdentifier}`.slice(0, 100),
    }).topic;

    const engineType = this.engine.engineType;
    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO);
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Database ${this.instanceIdentifier}: no ingress until granted`,
      allowAllOutbound: false,
    });
    const exports = props.cloudwatchLogsExports ?? defaultLogExports(engineType);
    this.logGroups = exportLogGroups(this, 'instance', this.instanceIdentifier, exports, props.logRetention);
    const performanceInsights = supportsPerformanceInsights(engineType, instanceType);
    const generated = this.replicaRegions.length > 0;
    const username = props.masterUsername ?? (engineType.includes('postgres') ? 'postgres' : 'admin');

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: this.engine,
      instanceType,
      instanceIdentifier: this.instanceIdentifier,
      port: enginePort(engineType),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [securityGroup],
      publiclyAccessible: false,
      multiAz: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorage ?? 20,
      maxAllocatedStorage: props.maxAllocatedStorage ?? 100,
      storageEncryptionKey: this.storageEncryptionKey,
      // RDS refuses to create a read replica of a source whose master password it manages
      // (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations);
      // with replica regions, the secret is generated and replicated to them instead.
      manageMasterUserPassword: !generated,
      credentials: generated
        ? rds.Credentials.fromGeneratedSecret(username, {
          encryptionKey: this.storageEncryptionKey,
          replicaRegions: this.replicaRegions.map((region) => ({ region })),
        })
        : rds.Credentials.fromUsername(username, { encryptionKey: this.storageEncryptionKey }),
      backupRetention: this.backupRetention,
      preferredBackupWindow: backupWindow,
      preferredMaintenanceWindow: props.preferredMaintenanceWindow ?? 'sun:03:00-sun:03:30',
      copyTagsToSnapshot: true,
      deletionProtection: !sandbox,
      removalPolicy: sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT,
      iamAuthentication: true,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: exports.length > 0 ? exports : undefined,
      monitoringInterval: Duration.seconds(60),
      monitoringRole: enhancedMonitoringRole(this, 'MonitoringRole'),
      enablePerformanceInsights: performanceInsights,
      performanceInsightEncryptionKey: performanceInsights ? this.storageEncryptionKey : undefined,
      performanceInsightRetention: performanceInsights ? rds.PerformanceInsightRetention.DEFAULT : undefined,
    });
    for (const group of this.logGroups) this.instance.node.addDependency(group);
    this.connections = this.instance.connections;
    this.secret = this.instance.secret!;
    this.instanceArn = rdsArn(this, 'db', this.instanceIdentifier, stack.region, stack.account);

    if (generated) {
      const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
        vpc: props.vpc,
        description: `Secrets Manager rotation of ${this.instanceIdentifier}`,
      });
      securityGroup.addIngressRule(rotationSecurityGroup, ec2.Port.tcp(enginePort(engineType)), 'Secrets Manager rotation of the master password');
      const rotation = hostedRotation(engineType, {
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [rotationSecurityGroup],
        functionName: `rotate-${Names.uniqueResourceName(this, { maxLength: 50, separator: '-' })}`.slice(0, 64),
      });
      if (rotation) {
        this.rotation = this.secret.addRotationSchedule('Rotation', { hostedRotation: rotation, automaticallyAfter: Duration.days(30) });
      }
    }

    const cfn = this.instance.node.defaultChild as rds.CfnDBInstance;
    if (sandbox) {
      acknowledge(cfn, 'AwsSolutions-RDS10', 'Sandbox mode (context sandbox=true) makes every resource destroyable with its stack; outside sandbox mode deletion protection is on.');
      acknowledge(cfn, 'NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled', 'Sandbox mode (context sandbox=true) makes every resource destroyable with its stack; outside sandbox mode deletion protection is on.');
    }
    acknowledge(cfn, 'AwsSolutions-RDS11',
      'The engine\'s standard port hides nothing worth hiding: the security group admits no one until a client is granted, and clients authenticate with IAM or the Secrets Manager credentials over TLS.');
    acknowledge(cfn, 'NIST.800.53.R5-RDSInBackupPlan',
      'Automated backups with point-in-time recovery for the backup retention, Multi-AZ, and cross-region replicas where declared are this database\'s recovery; an AWS Backup plan for cross-account copies belongs to the organization\'s backup policy, not to each database.');

    this.eventSubscription = addRdsEventSubscription(this, 'Events', {
      sourceType: 'db-instance',
      sourceIds: [this.instanceIdentifier],
      sourceArns: [this.instanceArn],
      categories: INSTANCE_EVENTS,
      topic: this.notificationTopic,
    });
    this.eventSubscription.node.addDependency(this.instance);
  }

  /**
   * Adds a read replica of this database in the region of `scope`'s stack, which must be one of
   * `replicaRegions`. The replica's stack depends on this database's stack.
   */
  public addCrossRegionReadReplica(scope: Construct, id: string, options: CrossRegionReadReplicaOptions): CrossRegionReadReplica {
    const replica = new CrossRegionReadReplica(scope, id, { ...options, source: this });
    if (Stack.of(scope) !== Stack.of(this)) Stack.of(scope).addStackDependency(Stack.of(this), 'the read replica needs its source instance');
    return replica;
  }
}

/** Minutes from the start to the end of an `hh24:mi-hh24:mi` window, across midnight too. */
function windowMinutes(window: string): number {
  const [start, end] = window.split('-').map((t) => {
    const [h, m] = t.split(':').map(Number);
    return h * 60 + m;
  });
  return (end - start + 24 * 60) % (24 * 60);
}
