/**
 * RES-5 (replica side): a read replica of a ResilientDatabase in another region, for a regional
 * outage. It lives in that region's stack, is encrypted with a key of that region (a KMS key
 * cannot be used outside its region), names its source by ARN (built from the source's account,
 * region and identifier, so no cross-region reference is needed) and has no password of its own:
 * it inherits the source's. Promoting it (`aws rds promote-read-replica`) makes it a standalone,
 * writable instance.
 */
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { createEncryptionKey } from '../core/encryption-key';
import { NotificationTopic } from '../core/notification-topic';
import { isSandbox } from '../core/sandbox';
import { PropsCheck } from '../core/validation';
import type { IResilientDatabase } from './resilient-database';
import {
  addRdsEventSubscription, defaultLogExports, enginePort, enhancedMonitoringRole, exportLogGroups, identifierProblem, rdsArn, rdsIdentifier,
  supportsPerformanceInsights,
} from './rds-support';

/** Options for {@link CrossRegionReadReplica}, as `ResilientDatabase.addCrossRegionReadReplica` takes them. */
export interface CrossRegionReadReplicaOptions {
  /** The VPC of the replica's region. */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the replica's DB subnet group.
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The instance class.
   * @default db.t4g.micro
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The replica's DB instance identifier.
   * @default - built from the stack name and the construct id
   */
  readonly instanceIdentifier?: string;

  /**
   * Whether the replica has a standby in a second Availability Zone, so that once promoted it
   * survives a zone failure too.
   * @default true
   */
  readonly multiAz?: boolean;

  /**
   * The key of the replica's region that encrypts it.
   * @default - a new customer managed key with rotation on, in the replica's region
   */
  readonly storageEncryptionKey?: kms.IKey;

  /**
   * How long the replica keeps automated backups (RDS for PostgreSQL and MySQL replicas only).
   * @default - the source's retention, for PostgreSQL and MySQL; none for other engines
   */
  readonly backupRetention?: Duration;

  /**
   * How long exported logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Where a person in the replica's region is told about failover, failure and maintenance
   * events (an RDS event subscription publishes to a topic of its own region).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** Props for {@link CrossRegionReadReplica}. */
export interface CrossRegionReadReplicaProps extends CrossRegionReadReplicaOptions {
  /** The source database. */
  readonly source: IResilientDatabase;
}

/**
 * RES-5: a cross-region read replica of a {@link ResilientDatabase}, in its own region's stack.
 */
export class CrossRegionReadReplica extends Construct {
  /** The replica DB instance. */
  public readonly instance: rds.CfnDBInstance;
  /** The replica's identifier. */
  public readonly instanceIdentifier: string;
  /** The replica's ARN. */
  public readonly instanceArn: string;
  /** The ARN of the source instance, as the replica names it. */
  public readonly sourceInstanceArn: string;
  /** The key of the replica's region that encrypts it. */
  public readonly storageEncryptionKey: kms.IKey;
  /** Who may connect. */
  public readonly connections: ec2.Connections;
  /** The RDS event subscription of the replica's region. */
  public readonly eventSubscription: rds.CfnEventSubscription;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: CrossRegionReadReplicaProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const source = props.source;
    this.instanceIdentifier = props.instanceIdentifier ?? rdsIdentifier([stack.stackName, id]);

    const check = new PropsCheck(this, 'CrossRegionReadReplica');
    const problem = identifierProblem('instanceIdentifier', this.instanceIdentifier);
    if (problem) check.add(problem);
    if (!Token.isUnresolved(stack.region) && !Token.isUnresolved(source.region)) {
      check.require(stack.region !== source.region,
        `a cross-region read replica must be in another region than its source (${source.region}): put it in a stack of one of the source's replicaRegions`);
      check.require(stack.region === source.region || source.replicaRegions.includes(stack.region),
        `the source database does not list ${stack.region} in replicaRegions (it lists ${source.replicaRegions.join(', ') || 'none'}): add it there, so the source's secret is replicated and its password is not managed by RDS`);
    } else {
      check.add('the replica\'s stack and the source\'s need an explicit region (env): the source ARN and the replica\'s key depend on them');
    }
    check.require(source.backupRetention.toHours() > 0,
      'the source\'s backupRetention is 0: RDS creates read replicas only from a source with automated backups');
    check.throwIfAny();

    const sandbox = isSandbox(this);
    this.storageEncryptionKey = props.storageEncryptionKey ?? createEncryptionKey(this, 'Key', {
      description: `Encrypts the read replica ${this.instanceIdentifier} of ${source.instanceIdentifier}`,
    });
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: `RDS events of ${this.instanceIdentifier}`.slice(0, 100),
    }).topic;
    // The source must be named by ARN when it is in another region
    // (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html#cfn-rds-dbinstance-sourcedbinstanceidentifier).
    this.sourceInstanceArn = rdsArn(this, 'db', source.instanceIdentifier, source.region, source.account);
    this.instanceArn = rdsArn(this, 'db', this.instanceIdentifier, stack.region, stack.account);

    const engineType = source.engine.engineType;
    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO);
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Read replica ${this.instanceIdentifier}: no ingress until granted`,
      allowAllOutbound: false,
    });
    const subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      description: `Subnets of the read replica ${this.instanceIdentifier}`,
      removalPolicy: sandbox ? RemovalPolicy.DESTROY : undefined,
    });
    const exports = defaultLogExports(engineType);
    const logGroups = exportLogGroups(this, 'instance', this.instanceIdentifier, exports, props.logRetention);
    const performanceInsights = supportsPerformanceInsights(engineType, instanceType);
    const replicaBackups = engineType === 'postgres' || engineType === 'mysql';
    const backupRetention = props.backupRetention ?? (replicaBackups ? source.backupRetention : undefined);
    const multiAz = props.multiAz ?? true;
    const port = enginePort(engineType);
    const monitoringRole = enhancedMonitoringRole(this, 'MonitoringRole');

    // No MasterUsername, MasterUserPassword or DBName: a replica inherits them from its source.
    this.instance = new rds.CfnDBInstance(this, 'Instance', {
      dbInstanceIdentifier: this.instanceIdentifier,
      sourceDbInstanceIdentifier: this.sourceInstanceArn,
      sourceRegion: source.region,
      dbInstanceClass: `db.${instanceType.toString()}`,
      dbSubnetGroupName: subnetGroup.subnetGroupName,
      vpcSecurityGroups: [securityGroup.securityGroupId],
      publiclyAccessible: false,
      multiAz,
      storageType: 'gp3',
      port: String(port),
      // KmsKeyId alone: StorageEncrypted is inherited from the source and refused with SourceDBInstanceIdentifier.
      kmsKeyId: this.storageEncryptionKey.keyArn,
      backupRetentionPeriod: backupRetention ? backupRetention.toDays() : undefined,
      copyTagsToSnapshot: true,
      deletionProtection: !sandbox,
      enableIamDatabaseAuthentication: true,
      autoMinorVersionUpgrade: true,
      enableCloudwatchLogsExports: exports.length > 0 ? exports : undefined,
      monitoringInterval: 60,
      monitoringRoleArn: monitoringRole.roleArn,
      enablePerformanceInsights: performanceInsights,
      performanceInsightsKmsKeyId: performanceInsights ? this.storageEncryptionKey.keyArn : undefined,
      performanceInsightsRetentionPeriod: performanceInsights ? 7 : undefined,
    });
    // A promoted replica holds the data: keep it unless in sandbox mode. RDS takes no final
    // snapshot of a read replica, so the choice is keep or delete.
    this.instance.applyRemovalPolicy(sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
    for (const group of logGroups) this.instance.node.addDependency(group);
    this.instance.node.addDependency(monitoringRole.grantsDependable);
    this.connections = new ec2.Connections({
      securityGroups: [securityGroup],
      defaultPort: ec2.Port.tcp(port),
    });

    if (sandbox) {
      acknowledge(this.instance, 'AwsSolutions-RDS10', 'Sandbox mode (context sandbox=true) makes every resource destroyable with its stack; outside sandbox mode deletion protection is on.');
      acknowledge(this.instance, 'NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled', 'Sandbox mode (context sandbox=true) makes every resource destroyable with its stack; outside sandbox mode deletion protection is on.');
    }
    if (!multiAz) {
      for (const rule of ['AwsSolutions-RDS3', 'NIST.800.53.R5-RDSMultiAZSupport']) {
        acknowledge(this.instance, rule, 'This is a read replica of a Multi-AZ source, kept single-AZ on purpose (multiAz: false): a replica lost with its zone is recreated from the source; make it Multi-AZ when promoting it.');
      }
    }
    if (!replicaBackups && props.backupRetention === undefined) {
      for (const rule of ['AwsSolutions-RDS13', 'NIST.800.53.R5-RDSInstanceBackupEnabled']) {
        acknowledge(this.instance, rule, 'RDS keeps automated backups of read replicas only for PostgreSQL and MySQL; this replica is a copy of a source that has automated backups, and gets its own when promoted.');
      }
    }
    for (const rule of ['AwsSolutions-RDS2', 'NIST.800.53.R5-RDSStorageEncrypted']) {
      acknowledge(this.instance, rule, 'The replica is encrypted: its source (a ResilientDatabase) always is, a replica inherits encryption, and KmsKeyId names the key of this region that encrypts it; CloudFormation refuses StorageEncrypted together with SourceDBInstanceIdentifier, so the check cannot see it.');
    }
    acknowledge(this.instance, 'AwsSolutions-RDS11',
      'The replica keeps its source\'s standard port: the security group admits no one until a client is granted, and clients authenticate with IAM or the source\'s credentials over TLS.');
    acknowledge(this.instance, 'NIST.800.53.R5-RDSInBackupPlan',
      'This replica is itself the cross-region copy of a source with automated backups; an AWS Backup plan for cross-account copies belongs to the organization\'s backup policy, not to each replica.');

    this.eventSubscription = addRdsEventSubscription(this, 'Events', {
      sourceType: 'db-instance',
      sourceIds: [this.instanceIdentifier],
      sourceArns: [this.instanceArn],
      categories: ['failover', 'failure', 'maintenance', 'read replica'],
      topic: this.notificationTopic,
    });
    this.eventSubscription.node.addDependency(this.instance);
  }
}
