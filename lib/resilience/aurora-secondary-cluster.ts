/**
 * RES-5 (secondary side): the read-only cluster of an Aurora global database in one secondary
 * region, in that region's stack. Aurora replicates the primary's storage into it; it has no
 * writer and no master credentials of its own, is encrypted with a key of its region, and can be
 * promoted to primary by a switchover or a failover of the global database.
 */
import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { createEncryptionKey } from '../core/encryption-key';
import { NotificationTopic } from '../core/notification-topic';
import { isSandbox } from '../core/sandbox';
import { PropsCheck } from '../core/validation';
import { AuroraCustomEndpoint } from './aurora-custom-endpoint';
import type { IAuroraGlobalDatabase } from './aurora-global-database';
import {
  acknowledgeClusterFindings, addAuroraEventSubscriptions, createCustomEndpoints, customEndpointProblems, defaultLogExports, enginePort,
  enhancedMonitoringRole, exportLogGroups, rdsIdentifier, supportsPerformanceInsights,
} from './rds-support';

/** Options for {@link AuroraSecondaryCluster}, as `AuroraGlobalDatabase.addSecondaryCluster` takes them. */
export interface AuroraSecondaryClusterOptions {
  /** The VPC of the secondary region. */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the DB subnet group.
   * @default - the private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The instance class of the readers (memory-optimized, as for the primary).
   * @default db.r6g.large
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * How many readers, named `reader1`, `reader2`, ...: at least one, so the region can serve
   * reads and be promoted without first adding an instance.
   * @default 1
   */
  readonly readers?: number;

  /**
   * Custom endpoints of the secondary cluster.
   * @default - none
   */
  readonly customEndpoints?: AuroraCustomEndpoint[];

  /**
   * The key of the secondary region that encrypts the cluster.
   * @default - a new customer managed key with rotation on, in the secondary region
   */
  readonly storageEncryptionKey?: kms.IKey;

  /**
   * How long exported logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Where a person in the secondary region is told about its events.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** Props for {@link AuroraSecondaryCluster}. */
export interface AuroraSecondaryClusterProps extends AuroraSecondaryClusterOptions {
  /** The global database the cluster joins. */
  readonly globalDatabase: IAuroraGlobalDatabase;
}

/** RES-5: a secondary cluster of an {@link AuroraGlobalDatabase}, in its own region's stack. */
export class AuroraSecondaryCluster extends Construct {
  /** The secondary cluster. */
  public readonly cluster: rds.CfnDBCluster;
  /** The cluster identifier. */
  public readonly clusterIdentifier: string;
  /** The reader instances. */
  public readonly instances: rds.CfnDBInstance[];
  /** The instance identifiers, by member name (`reader1`, ...). */
  public readonly instanceIdentifiers: Record<string, string>;
  /** The custom endpoints. */
  public readonly customEndpoints: rds.CfnDBClusterEndpoint[];
  /** The key of the region that encrypts the cluster. */
  public readonly storageEncryptionKey: kms.IKey;
  /** Who may connect. */
  public readonly connections: ec2.Connections;
  /** The RDS event subscriptions (cluster, then instances). */
  public readonly eventSubscriptions: rds.CfnEventSubscription[];
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: AuroraSecondaryClusterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const global = props.globalDatabase;
    const readers = props.readers ?? 1;
    this.clusterIdentifier = rdsIdentifier([global.globalClusterIdentifier, stack.region], 40);
    this.instanceIdentifiers = {};
    for (let i = 1; i <= readers; i++) this.instanceIdentifiers[`reader${i}`] = `${this.clusterIdentifier}-reader${i}`;

    const check = new PropsCheck(this, 'AuroraSecondaryCluster');
    if (Token.isUnresolved(stack.region)) {
      check.add('the secondary cluster\'s stack needs an explicit region (env)');
    } else {
      check.require(stack.region !== global.primaryRegion,
        `a secondary cluster must be in another region than the primary (${global.primaryRegion}): each cluster of a global database is in a region of its own`);
      check.require(stack.region === global.primaryRegion || global.secondaryRegions.includes(stack.region),
        `${stack.region} is not one of the global database's secondaryRegions (${global.secondaryRegions.join(', ')}): add it there first`);
    }
    check.require(Number.isInteger(readers) && readers >= 1 && readers <= 16, `readers must be a whole number from 1 to 16, got ${readers}`);
    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE);
    const type = instanceType.toString();
    check.require(Token.isUnresolved(type) || /^(r|x)\d/.test(type),
      `instanceType must be a memory-optimized class (db.r5, db.r6g, db.r7g, db.r8g ... or db.x2g): Aurora global databases do not run on ${type}`);
    for (const p of customEndpointProblems(props.customEndpoints ?? [], this.clusterIdentifier, this.instanceIdentifiers)) check.add(p);
    check.throwIfAny();

    const sandbox = isSandbox(this);
    this.storageEncryptionKey = props.storageEncryptionKey ?? createEncryptionKey(this, 'Key', {
      description: `Encrypts the secondary cluster ${this.clusterIdentifier} of ${global.globalClusterIdentifier}`,
    });
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: `RDS events of ${this.clusterIdentifier}`.slice(0, 100),
    }).topic;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Aurora secondary cluster ${this.clusterIdentifier}: no ingress until granted`,
      allowAllOutbound: false,
    });
    const subnetGroup = new rds.SubnetGroup(this, 'SubnetGroup', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      description: `Subnets of the Aurora secondary cluster ${this.clusterIdentifier}`,
      removalPolicy: sandbox ? RemovalPolicy.DESTROY : undefined,
    });
    const exports = defaultLogExports(global.engineType);
    const logGroups = exportLogGroups(this, 'cluster', this.clusterIdentifier, exports, props.logRetention);
    const performanceInsights = supportsPerformanceInsights(global.engineType, instanceType);
    const monitoringRole = enhancedMonitoringRole(this, 'MonitoringRole');

    // A secondary joins by GlobalClusterIdentifier, with the primary's engine and version, its own
    // region's key, and no master user (docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-attaching.html).
    this.cluster = new rds.CfnDBCluster(this, 'Cluster', {
      dbClusterIdentifier: this.clusterIdentifier,
      globalClusterIdentifier: global.globalClusterIdentifier,
      engine: global.engineType,
      engineVersion: global.engineVersion,
      port: enginePort(global.engineType),
      dbSubnetGroupName: subnetGroup.subnetGroupName,
      vpcSecurityGroupIds: [securityGroup.securityGroupId],
      storageEncrypted: true,
      kmsKeyId: this.storageEncryptionKey.keyArn,
      backupRetentionPeriod: global.backupRetention.toDays(),
      copyTagsToSnapshot: true,
      deletionProtection: !sandbox,
      enableIamDatabaseAuthentication: true,
      enableCloudwatchLogsExports: exports.length > 0 ? exports : undefined,
    });
    // After a failover this cluster may be the only writable copy: snapshot it on delete unless in sandbox mode.
    this.cluster.applyRemovalPolicy(sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT);
    for (const group of logGroups) this.cluster.node.addDependency(group);

    this.instances = Object.entries(this.instanceIdentifiers).map(([name, identifier]) => {
      const instance = new rds.CfnDBInstance(this, `Instance${name}`, {
        dbInstanceIdentifier: identifier,
        dbClusterIdentifier: this.cluster.ref,
        engine: global.engineType,
        dbInstanceClass: `db.${type}`,
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        monitoringInterval: 60,
        monitoringRoleArn: monitoringRole.roleArn,
        enablePerformanceInsights: performanceInsights,
        performanceInsightsKmsKeyId: performanceInsights ? this.storageEncryptionKey.keyArn : undefined,
        performanceInsightsRetentionPeriod: performanceInsights ? 7 : undefined,
      });
      instance.applyRemovalPolicy(sandbox ? RemovalPolicy.DESTROY : RemovalPolicy.SNAPSHOT);
      instance.node.addDependency(monitoringRole.grantsDependable);
      return instance;
    });
    this.connections = new ec2.Connections({
      securityGroups: [securityGroup],
      defaultPort: ec2.Port.tcp(enginePort(global.engineType)),
    });
    this.customEndpoints = createCustomEndpoints(this, props.customEndpoints ?? [], this.clusterIdentifier, this.instanceIdentifiers, this.instances);
    acknowledgeClusterFindings(this.cluster, sandbox);

    this.eventSubscriptions = addAuroraEventSubscriptions(this, this.notificationTopic, this.clusterIdentifier, Object.values(this.instanceIdentifiers), this.cluster);
    for (const subscription of this.eventSubscriptions) subscription.node.addDependency(...this.instances);
  }
}
