import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AuroraEndpointType, AuroraGlobalDatabase, AuroraSecondaryCluster, CrossRegionReadReplica, ResilientDatabase, ResilientNetwork, Sandbox } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addResilientDatabaseExamples } from '../../examples/resilience/resilient-database';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const PRIMARY = { account: '111111111111', region: 'eu-west-1' };
const SECONDARY = { account: '111111111111', region: 'eu-central-1' };

function stack(app: App = new App({ context: cdkJsonContext() }), id = 'Db', env = PRIMARY): Stack {
  return new Stack(app, id, { env });
}

function vpc(s: Stack): ec2.IVpc {
  return new ec2.Vpc(s, 'Vpc', { availabilityZones: [`${s.region}a`, `${s.region}b`], natGateways: 1 });
}

describe('RES-5 ResilientDatabase and AuroraGlobalDatabase', () => {
  const app = exampleTestApp();
  const examples = addResilientDatabaseExamples(app, exampleConfig(app));
  app.synth();
  const primary = Template.fromStack(examples.database);
  const replica = Template.fromStack(examples.replica);
  const globalPrimary = Template.fromStack(examples.globalDatabase);
  const globalSecondary = Template.fromStack(examples.globalSecondary);
  const config = exampleConfig(app);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    expect(report.edgeKinds['RDS event subscription -> SNS']).toBe(6);
    expect(report.edgeKinds['monitoring assumes its role']).toBeGreaterThanOrEqual(4);
  });

  test('the instance is Multi-AZ on db.t4g.micro gp3, private, with backups in a window, deletion protection, IAM auth and a fixed identifier', () => {
    primary.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceIdentifier: 'res5-database-orders',
      DBInstanceClass: 'db.t4g.micro',
      Engine: 'postgres',
      MultiAZ: true,
      PubliclyAccessible: false,
      StorageType: 'gp3',
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '02:00-02:30',
      PreferredMaintenanceWindow: 'sun:03:00-sun:03:30',
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
      MonitoringInterval: 60,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    primary.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot' });
  });

  test('storage and Performance Insights are encrypted with a customer managed key that rotates', () => {
    primary.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersKey'), 'Arn'] },
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersKey'), 'Arn'] },
    });
    primary.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('^Encrypts the database res5-database-orders') });
  });

  test('with replica regions, the password is a generated secret (RDS cannot manage it for a replicated source), encrypted with the key, replicated and rotated every 30 days', () => {
    primary.hasResourceProperties('AWS::RDS::DBInstance', { ManageMasterUserPassword: Match.absent() });
    primary.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersKey'), 'Arn'] },
      ReplicaRegions: [{ Region: config.secondaryRegion }],
    });
    primary.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      HostedRotationLambda: Match.objectLike({ RotationType: 'PostgreSQLSingleUser' }),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
  });

  test('without replica regions, RDS manages the password in Secrets Manager with the customer managed key', () => {
    const s = stack();
    new ResilientDatabase(s, 'Orders', { vpc: vpc(s) });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersKey'), 'Arn'] } },
      MasterUserPassword: Match.absent(),
    });
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  test('logs go to log groups created first, with the stack\'s logs key and a retention', () => {
    for (const log of ['postgresql', 'upgrade']) {
      primary.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/rds/instance/res5-database-orders/${log}`, RetentionInDays: 365, KmsKeyId: Match.anyValue(),
      });
    }
    const instance = Object.values(primary.findResources('AWS::RDS::DBInstance'))[0];
    expect((instance.DependsOn as string[]).filter((d) => /postgresqlLogs|upgradeLogs/.test(d))).toHaveLength(2);
  });

  test('failover, failure and maintenance events of the instance reach the encrypted topic, which admits RDS for this instance only', () => {
    primary.hasResourceProperties('AWS::RDS::EventSubscription', {
      SourceType: 'db-instance', SourceIds: ['res5-database-orders'], EventCategories: ['failover', 'failure', 'maintenance'],
      SnsTopicArn: { Ref: Match.stringLikeRegexp('^OrdersNotificationsTopic') },
    });
    primary.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: 'events.rds.amazonaws.com' }, Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': config.workloadAccount }, ArnLike: { 'aws:SourceArn': [`arn:aws:rds:${config.primaryRegion}:${config.workloadAccount}:db:res5-database-orders`] } },
      })]) },
    });
    primary.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.rds.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  test('the replica names its source by an ARN built from literals, uses its own region\'s key, carries no password and depends on the source stack', () => {
    replica.hasResourceProperties('AWS::RDS::DBInstance', {
      SourceDBInstanceIdentifier: `arn:aws:rds:${config.primaryRegion}:${config.workloadAccount}:db:res5-database-orders`,
      SourceRegion: config.primaryRegion,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersReplicaKey'), 'Arn'] },
      MasterUsername: Match.absent(),
      MasterUserPassword: Match.absent(),
      StorageEncrypted: Match.absent(),
      MultiAZ: true,
      DBInstanceClass: 'db.t4g.micro',
      BackupRetentionPeriod: 7,
      DeletionProtection: true,
    });
    replica.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Retain' });
    replica.hasResourceProperties('AWS::RDS::EventSubscription', { EventCategories: ['failover', 'failure', 'maintenance', 'read replica'] });
    expect(examples.replica.dependencies).toContain(examples.database);
  });

  test('the Aurora primary is a global database of encrypted r6g.large instances, with a replicated, rotated secret', () => {
    globalPrimary.hasResourceProperties('AWS::RDS::GlobalCluster', {
      GlobalClusterIdentifier: 'res5-auroraglobal-ledger',
      SourceDBClusterIdentifier: Match.anyValue(),
      DeletionProtection: true,
    });
    globalPrimary.hasResourceProperties('AWS::RDS::DBCluster', {
      DBClusterIdentifier: `res5-auroraglobal-ledger-${config.primaryRegion}`,
      Engine: 'aurora-postgresql', StorageEncrypted: true, BackupRetentionPeriod: 7, EnableIAMDatabaseAuthentication: true,
      ManageMasterUserPassword: Match.absent(),
    });
    for (const member of ['writer', 'reader1']) {
      globalPrimary.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceIdentifier: `res5-auroraglobal-ledger-${config.primaryRegion}-${member}`, DBInstanceClass: 'db.r6g.large' });
    }
    globalPrimary.hasResourceProperties('AWS::SecretsManager::Secret', { ReplicaRegions: [{ Region: config.secondaryRegion }] });
    globalPrimary.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
  });

  test('custom endpoints: a READER endpoint on reader1 and an ANY endpoint over every instance', () => {
    const cluster = `res5-auroraglobal-ledger-${config.primaryRegion}`;
    globalPrimary.hasResourceProperties('AWS::RDS::DBClusterEndpoint', {
      DBClusterEndpointIdentifier: `${cluster}-reporting`, CustomEndpointType: 'READER', StaticMembers: [`${cluster}-reader1`],
    });
    globalPrimary.hasResourceProperties('AWS::RDS::DBClusterEndpoint', {
      DBClusterEndpointIdentifier: `${cluster}-application`, CustomEndpointType: 'ANY', StaticMembers: Match.absent(), ExcludedMembers: Match.absent(),
    });
  });

  test('cluster failover, global failover, failure and maintenance events are subscribed in both regions', () => {
    for (const t of [globalPrimary, globalSecondary]) {
      t.hasResourceProperties('AWS::RDS::EventSubscription', { SourceType: 'db-cluster', EventCategories: ['failover', 'global-failover', 'failure', 'maintenance'] });
      t.hasResourceProperties('AWS::RDS::EventSubscription', { SourceType: 'db-instance', EventCategories: ['failure', 'maintenance'] });
    }
  });

  test('the secondary joins by identifier with the same engine version, its own region\'s key and no master user', () => {
    const version = (Object.values(globalPrimary.findResources('AWS::RDS::DBCluster'))[0].Properties as { EngineVersion: string }).EngineVersion;
    globalSecondary.hasResourceProperties('AWS::RDS::DBCluster', {
      GlobalClusterIdentifier: 'res5-auroraglobal-ledger',
      DBClusterIdentifier: `res5-auroraglobal-ledger-${config.secondaryRegion}`,
      Engine: 'aurora-postgresql', EngineVersion: version,
      StorageEncrypted: true, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LedgerSecondaryKey'), 'Arn'] },
      MasterUsername: Match.absent(), MasterUserPassword: Match.absent(),
    });
    globalSecondary.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.r6g.large', DBClusterIdentifier: Match.anyValue() });
    expect(examples.globalSecondary.dependencies).toContain(examples.globalDatabase);
    // addSecondaryCluster gives an AuroraSecondaryCluster with the cluster and instance event subscriptions.
    expect(examples.globalSecondary.secondary).toBeInstanceOf(AuroraSecondaryCluster);
    expect(examples.globalSecondary.secondary.eventSubscriptions.map((e) => e.sourceType)).toEqual(['db-cluster', 'db-instance']);
  });

  test('a long stack name still gives identifiers within 63 characters', () => {
    const s = new Stack(new App({ context: cdkJsonContext() }), 'A-very-long-stack-name-that-goes-on-and-on-for-the-sake-of-this-test', { env: PRIMARY });
    const database = new ResilientDatabase(s, 'OrdersDatabaseWithALongName', { vpc: vpc(s) });
    expect(database.instanceIdentifier.length).toBeLessThanOrEqual(63);
    expect(database.instanceIdentifier).toMatch(/^a-very-long-stack-name.*-[0-9a-f]{8}$/);
  });

  test('in sandbox mode the databases are destroyable: no deletion protection, deleted with the stack', () => {
    const a = new App({ context: cdkJsonContext() });
    const s = stack(a);
    Sandbox.enable(s);
    new ResilientDatabase(s, 'Orders', { vpc: vpc(s) });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: false });
    t.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Delete' });
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a, 'Primary');
    const network = (at: Stack) => new ResilientNetwork(at, 'Network', { availabilityZones: [`${at.region}a`, `${at.region}b`] }).vpc;
    const primaryVpc = network(s);
    const database = new ResilientDatabase(s, 'Orders', { vpc: primaryVpc, replicaRegions: [SECONDARY.region] });
    const global = new AuroraGlobalDatabase(s, 'Ledger', {
      vpc: primaryVpc, secondaryRegions: [SECONDARY.region], readers: 2,
      customEndpoints: [{ name: 'reports', endpointType: AuroraEndpointType.READER, excludedMembers: ['reader1'] }],
    });
    const dr = stack(a, 'Dr', SECONDARY);
    const drVpc = network(dr);
    database.addCrossRegionReadReplica(dr, 'Replica', { vpc: drVpc, multiAz: false });
    global.addSecondaryCluster(dr, 'Secondary', { vpc: drVpc, readers: 2 });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold([s, dr]);
    expect(report.edgeKinds['RDS event subscription -> SNS']).toBe(6);
  });
});

function vpc2(s: Stack): ec2.IVpc {
  return new ec2.Vpc(s, 'Vpc2', { availabilityZones: [`${s.region}a`, `${s.region}b`], natGateways: 1 });
}

describe('RES-5 refusals', () => {
  test('refuses more secondary regions than an Aurora global database has (10)', () => {
    const s = stack();
    const regions = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-central-1', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'ap-south-1', 'ap-northeast-1', 'ap-southeast-2'];
    expect(() => new AuroraGlobalDatabase(s, 'Ledger', { vpc: vpc(s), secondaryRegions: regions }))
      .toThrow('Db/Ledger: invalid AuroraGlobalDatabase props (1 problem):\n  - secondaryRegions must name 1 to 10 regions (Aurora\'s limit for a global database), got 11');
  });

  test('refuses the primary region as a secondary region', () => {
    const s = stack();
    expect(() => new AuroraGlobalDatabase(s, 'Ledger', { vpc: vpc(s), secondaryRegions: ['eu-west-1'] }))
      .toThrow('secondaryRegions must not include the primary region (eu-west-1): each cluster of a global database is in a region of its own');
  });

  test('refuses a read replica region that is the database\'s own region', () => {
    const s = stack();
    expect(() => new ResilientDatabase(s, 'Orders', { vpc: vpc(s), replicaRegions: ['eu-west-1'] }))
      .toThrow('Db/Orders: invalid ResilientDatabase props (1 problem):\n  - replicaRegions must not include the database\'s own region (eu-west-1): a cross-region read replica protects against the loss of that region, and a replica in it does not');
  });

  test('refuses a read replica created in the source\'s region', () => {
    const a = new App({ context: cdkJsonContext() });
    const s = stack(a);
    const database = new ResilientDatabase(s, 'Orders', { vpc: vpc(s), replicaRegions: ['eu-central-1'] });
    const same = stack(a, 'Same');
    expect(() => new CrossRegionReadReplica(same, 'Replica', { vpc: vpc(same), source: database }))
      .toThrow('Same/Replica: invalid CrossRegionReadReplica props (1 problem):\n  - a cross-region read replica must be in another region than its source (eu-west-1): put it in a stack of one of the source\'s replicaRegions');
  });

  test('refuses backup retention 0 with read replicas', () => {
    const s = stack();
    expect(() => new ResilientDatabase(s, 'Orders', { vpc: vpc(s), replicaRegions: ['eu-central-1'], backupRetention: Duration.days(0) }))
      .toThrow('Db/Orders: invalid ResilientDatabase props (1 problem):\n  - backupRetention is 0 but replicaRegions is set: RDS creates read replicas only from a source with automated backups (backupRetention of 1 day or more)');
  });

  test('refuses a replica or a secondary cluster in a region the source did not declare', () => {
    const a = new App({ context: cdkJsonContext() });
    const s = stack(a);
    const database = new ResilientDatabase(s, 'Orders', { vpc: vpc(s), replicaRegions: ['eu-central-1'] });
    const global = new AuroraGlobalDatabase(s, 'Ledger', { vpc: vpc2(s), secondaryRegions: ['eu-central-1'] });
    const other = stack(a, 'Other', { account: PRIMARY.account, region: 'us-east-1' });
    const otherVpc = vpc(other);
    expect(() => database.addCrossRegionReadReplica(other, 'Replica', { vpc: otherVpc }))
      .toThrow('the source database does not list us-east-1 in replicaRegions (it lists eu-central-1)');
    expect(() => global.addSecondaryCluster(other, 'Secondary', { vpc: otherVpc }))
      .toThrow('us-east-1 is not one of the global database\'s secondaryRegions (eu-central-1): add it there first');
  });

  test('refuses a burstable class and more primary readers than 15 minus the secondary regions', () => {
    const s = stack();
    expect(() => new AuroraGlobalDatabase(s, 'Ledger', {
      vpc: vpc(s), secondaryRegions: ['eu-central-1'], readers: 15, instanceType: new ec2.InstanceType('t4g.medium'),
    })).toThrow(/readers must be a whole number from 0 to 14 \(15 minus the number of secondary regions\), got 15\n {2}- instanceType must be a memory-optimized class .* do not run on t4g\.medium/);
  });

  test('refuses custom endpoints that name an unknown instance or set both member lists', () => {
    const s = stack();
    expect(() => new AuroraGlobalDatabase(s, 'Ledger', {
      vpc: vpc(s), secondaryRegions: ['eu-central-1'],
      customEndpoints: [{ name: 'x', endpointType: AuroraEndpointType.ANY, staticMembers: ['writer'], excludedMembers: ['reader7'] }],
    })).toThrow(/custom endpoint "x" sets both staticMembers and excludedMembers: choose one\n {2}- custom endpoint "x" names "reader7", which is not an instance of the cluster \(writer, reader1\)/);
  });
});
