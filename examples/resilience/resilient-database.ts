/**
 * RES-5 examples, in the workload account:
 * - an RDS for PostgreSQL instance, Multi-AZ on db.t4g.micro (the smallest class with Multi-AZ
 *   and cross-region read replicas), in the primary region, with a read replica in the secondary
 *   region;
 * - an Aurora PostgreSQL global database on db.r6g.large (the smallest class Aurora global
 *   databases run on), a writer and a reader in the primary region with a `reporting` READER
 *   endpoint on the reader and an `application` ANY endpoint, and a secondary cluster with one
 *   reader in the secondary region.
 * Each stack has a RES-8 network across two Availability Zones.
 *
 * Cost warning: deployed and idle, these four stacks cost several hundred US dollars a month (see
 * the README's RES-5 section).
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AuroraEndpointType, AuroraGlobalDatabase, AuroraSecondaryCluster, CrossRegionReadReplica, ResilientDatabase, ResilientNetwork,
} from '../../lib';
import { env, ExampleConfig } from '../config';

/** A stack with a RES-8 network across two Availability Zones of its region. */
class NetworkedStack extends Stack {
  public readonly network: ResilientNetwork;

  constructor(scope: Construct, id: string, props: StackProps & { region: string }) {
    super(scope, id, props);
    const zones = ['a', 'b'].map((z) => `${props.region}${z}`);
    // The zones the account has in the region, as `cdk synth` would look them up: given here so
    // the example synthesizes without credentials (see the RES-8 example).
    this.node.setContext(`availability-zones:account=${this.account}:region=${this.region}`, zones);
    this.network = new ResilientNetwork(this, 'Network', { availabilityZones: zones });
  }
}

/** The primary RDS instance's stack. */
export class ResilientDatabaseStack extends NetworkedStack {
  public readonly database: ResilientDatabase;

  constructor(scope: Construct, id: string, props: StackProps & { region: string; replicaRegion: string }) {
    super(scope, id, props);
    this.database = new ResilientDatabase(this, 'Orders', {
      vpc: this.network.vpc,
      replicaRegions: [props.replicaRegion],
    });
  }
}

/** The read replica's stack, in the secondary region. */
export class ReadReplicaStack extends NetworkedStack {
  public readonly replica: CrossRegionReadReplica;

  constructor(scope: Construct, id: string, props: StackProps & { region: string; source: ResilientDatabase }) {
    super(scope, id, props);
    this.replica = props.source.addCrossRegionReadReplica(this, 'OrdersReplica', { vpc: this.network.vpc });
  }
}

/** The Aurora global database's primary stack. */
export class AuroraGlobalDatabaseStack extends NetworkedStack {
  public readonly globalDatabase: AuroraGlobalDatabase;

  constructor(scope: Construct, id: string, props: StackProps & { region: string; secondaryRegion: string }) {
    super(scope, id, props);
    this.globalDatabase = new AuroraGlobalDatabase(this, 'Ledger', {
      vpc: this.network.vpc,
      secondaryRegions: [props.secondaryRegion],
      readers: 1,
      customEndpoints: [
        { name: 'reporting', endpointType: AuroraEndpointType.READER, staticMembers: ['reader1'] },
        { name: 'application', endpointType: AuroraEndpointType.ANY },
      ],
    });
  }
}

/** The Aurora secondary cluster's stack, in the secondary region. */
export class AuroraSecondaryStack extends NetworkedStack {
  public readonly secondary: AuroraSecondaryCluster;

  constructor(scope: Construct, id: string, props: StackProps & { region: string; globalDatabase: AuroraGlobalDatabase }) {
    super(scope, id, props);
    this.secondary = props.globalDatabase.addSecondaryCluster(this, 'LedgerSecondary', { vpc: this.network.vpc });
  }
}

/** The RES-5 example stacks. */
export interface ResilientDatabaseExamples {
  readonly database: ResilientDatabaseStack;
  readonly replica: ReadReplicaStack;
  readonly globalDatabase: AuroraGlobalDatabaseStack;
  readonly globalSecondary: AuroraSecondaryStack;
}

/** Adds the RES-5 example stacks to `app`. */
export function addResilientDatabaseExamples(app: App, config: ExampleConfig): ResilientDatabaseExamples {
  const database = new ResilientDatabaseStack(app, 'Res5-Database', {
    env: env(config.workloadAccount, config.primaryRegion),
    region: config.primaryRegion,
    replicaRegion: config.secondaryRegion,
    description: 'RES-5 ResilientDatabase: RDS for PostgreSQL, Multi-AZ, backups, encrypted, password in Secrets Manager, RDS events to SNS (primary region)',
  });
  const replica = new ReadReplicaStack(app, 'Res5-DatabaseReplica', {
    env: env(config.workloadAccount, config.secondaryRegion),
    region: config.secondaryRegion,
    source: database.database,
    description: 'RES-5 ResilientDatabase: the cross-region read replica, with its own region\'s key (secondary region)',
  });
  const globalDatabase = new AuroraGlobalDatabaseStack(app, 'Res5-AuroraGlobal', {
    env: env(config.workloadAccount, config.primaryRegion),
    region: config.primaryRegion,
    secondaryRegion: config.secondaryRegion,
    description: 'RES-5 AuroraGlobalDatabase: the primary cluster, custom endpoints, RDS events to SNS (primary region)',
  });
  const globalSecondary = new AuroraSecondaryStack(app, 'Res5-AuroraGlobalSecondary', {
    env: env(config.workloadAccount, config.secondaryRegion),
    region: config.secondaryRegion,
    globalDatabase: globalDatabase.globalDatabase,
    description: 'RES-5 AuroraGlobalDatabase: the secondary cluster, with its own region\'s key (secondary region)',
  });
  return { database, replica, globalDatabase, globalSecondary };
}
