/**
 * RES-5 internals shared by ResilientDatabase, CrossRegionReadReplica, AuroraGlobalDatabase and
 * AuroraSecondaryCluster: identifiers within RDS's rules, the event subscription that tells a
 * person, the enhanced monitoring role, the log groups RDS exports to, and hosted rotation. Not
 * part of the public API.
 */
import * as crypto from 'crypto';
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { EncryptedLogGroup } from '../core/log-group';
import { allowServiceOnTopicKey } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';

/**
 * DB instance, cluster, global cluster and custom endpoint identifiers: 1 to 63 letters, digits
 * or hyphens, starting with a letter, no two consecutive hyphens, not ending with a hyphen
 * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints).
 */
export const RDS_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/;

/** The longest RDS identifier. */
export const MAX_RDS_IDENTIFIER = 63;

/**
 * A lowercase RDS identifier made of `parts` (the stack name and the construct id, typically),
 * known at synth time so other regions' stacks can build ARNs from it. Cut to `maxLength` with a
 * hash of the whole name when longer, so it stays unique.
 */
export function rdsIdentifier(parts: string[], maxLength = MAX_RDS_IDENTIFIER): string {
  const full = parts.join('-').toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^[^a-z]+/, '').replace(/-$/, '');
  const name = /^[a-z]/.test(full) ? full : `db-${full}`.replace(/-$/, '');
  if (name.length <= maxLength) return name;
  const hash = crypto.createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, maxLength - 9).replace(/-+$/, '')}-${hash}`;
}

/** Records a problem for an identifier outside RDS's rules (tokens are accepted). */
export function identifierProblem(name: string, value: string | undefined, maxLength = MAX_RDS_IDENTIFIER): string | undefined {
  if (value === undefined || Token.isUnresolved(value)) return undefined;
  if (value.length > maxLength || !RDS_IDENTIFIER.test(value)) {
    return `${name} must be 1 to ${maxLength} letters, digits or hyphens, start with a letter, and have no two consecutive hyphens nor a trailing one, got "${value}"`;
  }
  return undefined;
}

/** The ARN of an RDS resource (`db`, `cluster`) in `region` and `account`, built in `scope`'s stack. */
export function rdsArn(scope: Construct, resource: 'db' | 'cluster', identifier: string, region: string, account: string): string {
  return Stack.of(scope).formatArn({ service: 'rds', resource, resourceName: identifier, region, account, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/** What an RDS event subscription listens to. */
export interface RdsEventSubscriptionOptions {
  /** `db-instance` or `db-cluster`. */
  readonly sourceType: 'db-instance' | 'db-cluster';
  /** The identifiers of the sources. */
  readonly sourceIds: string[];
  /** The ARNs of the same sources, for the topic policy's aws:SourceArn condition. */
  readonly sourceArns: string[];
  /** The event categories. */
  readonly categories: string[];
  /** Where a person is told. */
  readonly topic: sns.ITopic;
}

/**
 * An RDS event subscription to `topic`, with what RDS needs to publish to it: a topic policy
 * statement for events.rds.amazonaws.com, limited to these sources and this account
 * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.GrantingPermissions.html), and,
 * for a topic encrypted with a key this app owns, the key policy statement SNS requires for a
 * service publisher (events.rds.amazonaws.com is in the list of
 * docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * A topic managed elsewhere gets an info annotation saying what its owner must allow.
 */
export function addRdsEventSubscription(scope: Construct, id: string, options: RdsEventSubscriptionOptions): rds.CfnEventSubscription {
  const stack = Stack.of(scope);
  const result = options.topic.addToResourcePolicy(new iam.PolicyStatement({
    sid: `RdsEvents${id}`.replace(/[^A-Za-z0-9]/g, '').slice(0, 100),
    principals: [new iam.ServicePrincipal('events.rds.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [options.topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': options.sourceArns },
    },
  }));
  allowServiceOnTopicKey(options.topic, 'events.rds.amazonaws.com');
  if (!result.statementAdded) {
    scope.node.addMetadata('aws:cdk:info', `The notification topic is managed elsewhere: its policy must allow events.rds.amazonaws.com to sns:Publish for ${options.sourceIds.join(', ')}, and an SSE-KMS key must let it use kms:GenerateDataKey* and kms:Decrypt.`);
  }
  const subscription = new rds.CfnEventSubscription(scope, id, {
    snsTopicArn: options.topic.topicArn,
    sourceType: options.sourceType,
    sourceIds: options.sourceIds,
    eventCategories: options.categories,
    enabled: true,
  });
  if (result.policyDependable) subscription.node.addDependency(result.policyDependable);
  return subscription;
}

/**
 * The event subscriptions of an Aurora cluster (primary or secondary): cluster events (failover,
 * global failover, failure, maintenance) and its instances' events (failure, maintenance), each
 * through {@link addRdsEventSubscription}, created after the cluster. Event categories:
 * docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Events.Messages.html.
 */
export function addAuroraEventSubscriptions(scope: Construct, topic: sns.ITopic, clusterIdentifier: string, instanceIdentifiers: string[], cluster: IConstruct): rds.CfnEventSubscription[] {
  const stack = Stack.of(scope);
  const subscriptions = [
    addRdsEventSubscription(scope, 'ClusterEvents', {
      sourceType: 'db-cluster',
      sourceIds: [clusterIdentifier],
      sourceArns: [rdsArn(scope, 'cluster', clusterIdentifier, stack.region, stack.account)],
      categories: ['failover', 'global-failover', 'failure', 'maintenance'],
      topic,
    }),
    addRdsEventSubscription(scope, 'InstanceEvents', {
      sourceType: 'db-instance',
      sourceIds: instanceIdentifiers,
      sourceArns: instanceIdentifiers.map((i) => rdsArn(scope, 'db', i, stack.region, stack.account)),
      categories: ['failure', 'maintenance'],
      topic,
    }),
  ];
  for (const subscription of subscriptions) subscription.node.addDependency(cluster);
  return subscriptions;
}

/**
 * The role RDS enhanced monitoring assumes to write OS metrics to the RDSOSMetrics log group: the
 * statements of the AWS managed AmazonRDSEnhancedMonitoringRole policy, as a policy of our own
 * (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html).
 */
export function enhancedMonitoringRole(scope: Construct, id: string): ServiceRole {
  const stack = Stack.of(scope);
  const role = new ServiceRole(scope, id, {
    assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
    }),
    description: `RDS enhanced monitoring of ${scope.node.path}`.slice(0, 1000),
  });
  const group = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'RDSOSMetrics', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
    resources: [group],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
    resources: [`${group}:log-stream:*`],
  }));
  role.acknowledgeWildcardResource(`${group}:log-stream:*`,
    'RDS enhanced monitoring names one log stream per DB instance by its resource id, which is known only after the instance exists; the streams are limited to the RDSOSMetrics log group of this account and region.');
  return role;
}

/** The logs each engine family exports by default. */
export function defaultLogExports(engineType: string): string[] {
  if (engineType.includes('postgres')) return engineType.startsWith('aurora') ? ['postgresql'] : ['postgresql', 'upgrade'];
  if (engineType.includes('mysql') || engineType === 'mariadb') return ['error', 'general', 'slowquery'];
  if (engineType.startsWith('oracle')) return ['alert', 'audit', 'listener', 'trace'];
  if (engineType.startsWith('sqlserver')) return ['agent', 'error'];
  return [];
}

/**
 * The log groups RDS exports `exports` to (`/aws/rds/<instance|cluster>/<id>/<log>`), created
 * before the database with the stack's logs key and a retention, so RDS does not create them
 * unencrypted and kept forever (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html).
 */
export function exportLogGroups(scope: Construct, kind: 'instance' | 'cluster', identifier: string, exports: string[], retention?: logs.RetentionDays): logs.ILogGroup[] {
  return exports.map((log) => new EncryptedLogGroup(scope, `${log.replace(/[^A-Za-z0-9]/g, '')}Logs`, {
    logGroupName: `/aws/rds/${kind}/${identifier}/${log}`,
    retention,
  }).logGroup);
}

/** Whether Performance Insights (Database Insights) supports the engine on the class. */
export function supportsPerformanceInsights(engineType: string, instanceType: ec2.InstanceType): boolean {
  // Not on db.t2/t3/t4g micro and small for MySQL and MariaDB, nor on db.t2/t3 and db.t4g
  // micro/small for Aurora MySQL (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DatabaseInsights.Engines.html,
  // docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DatabaseInsights.Engines.html).
  const type = instanceType.toString();
  if (Token.isUnresolved(type)) return true;
  const small = /^t(2|3|4g)\.(micro|small)$/.test(type);
  if (engineType === 'aurora-mysql') return !small && !/^t(2|3)\./.test(type);
  if (engineType.includes('mysql') || engineType === 'mariadb') return !small;
  return true;
}

/**
 * Rotation hosted by Secrets Manager for the engine's single-user secret
 * (docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_managed.html).
 */
export function hostedRotation(engineType: string, options: secretsmanager.SingleUserHostedRotationOptions): secretsmanager.HostedRotation | undefined {
  if (engineType.includes('postgres')) return secretsmanager.HostedRotation.postgreSqlSingleUser(options);
  if (engineType.includes('mysql')) return secretsmanager.HostedRotation.mysqlSingleUser(options);
  if (engineType === 'mariadb') return secretsmanager.HostedRotation.mariaDbSingleUser(options);
  if (engineType.startsWith('oracle')) return secretsmanager.HostedRotation.oracleSingleUser(options);
  if (engineType.startsWith('sqlserver')) return secretsmanager.HostedRotation.sqlServerSingleUser(options);
  return undefined;
}

/** The engine's standard port, set explicitly so security group rules name a number. */
export function enginePort(engineType: string): number {
  if (engineType.includes('postgres')) return 5432;
  if (engineType.startsWith('oracle')) return 1521;
  if (engineType.startsWith('sqlserver')) return 1433;
  return 3306;
}

/** Region names, to refuse what cannot be one (tokens are accepted). */
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** What a cluster's custom endpoints need to be checked and created. */
export interface CustomEndpointSpec {
  /** The endpoint's name. */
  readonly name: string;
  /** READER or ANY. */
  readonly endpointType: string;
  /** Member names. */
  readonly staticMembers?: string[];
  /** Member names. */
  readonly excludedMembers?: string[];
}

/** The problems with `endpoints` of a cluster whose instances are `members` (name -> identifier). */
export function customEndpointProblems(endpoints: CustomEndpointSpec[], clusterIdentifier: string, members: Record<string, string>): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const endpoint of endpoints) {
    const identifier = `${clusterIdentifier}-${endpoint.name}`;
    const problem = identifierProblem(`the identifier of custom endpoint "${endpoint.name}"`, identifier);
    if (problem) problems.push(problem);
    if (names.has(endpoint.name)) problems.push(`custom endpoint names must be unique, "${endpoint.name}" repeats`);
    names.add(endpoint.name);
    // StaticMembers and ExcludedMembers are exclusive
    // (docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterEndpoint.html).
    if (endpoint.staticMembers?.length && endpoint.excludedMembers?.length) {
      problems.push(`custom endpoint "${endpoint.name}" sets both staticMembers and excludedMembers: choose one`);
    }
    for (const member of [...endpoint.staticMembers ?? [], ...endpoint.excludedMembers ?? []]) {
      if (!(member in members)) problems.push(`custom endpoint "${endpoint.name}" names "${member}", which is not an instance of the cluster (${Object.keys(members).join(', ')})`);
    }
    if (endpoint.endpointType === 'READER' && endpoint.staticMembers?.includes('writer')) {
      problems.push(`custom endpoint "${endpoint.name}" is of type READER but names the writer: use type ANY`);
    }
  }
  return problems;
}

/** Creates the custom endpoints of the cluster `clusterIdentifier`, after `dependsOn`. */
export function createCustomEndpoints(scope: Construct, endpoints: CustomEndpointSpec[], clusterIdentifier: string, members: Record<string, string>, dependsOn: IConstruct[]): rds.CfnDBClusterEndpoint[] {
  return endpoints.map((endpoint) => {
    const resource = new rds.CfnDBClusterEndpoint(scope, `Endpoint${endpoint.name.replace(/[^A-Za-z0-9]/g, '')}`, {
      dbClusterIdentifier: clusterIdentifier,
      dbClusterEndpointIdentifier: `${clusterIdentifier}-${endpoint.name}`,
      customEndpointType: endpoint.endpointType,
      staticMembers: endpoint.staticMembers?.map((m) => members[m]),
      excludedMembers: endpoint.excludedMembers?.map((m) => members[m]),
    });
    for (const d of dependsOn) resource.node.addDependency(d);
    return resource;
  });
}

/** The findings every cluster of a global database acknowledges, with why. */
export function acknowledgeClusterFindings(cfn: rds.CfnDBCluster, sandbox: boolean): void {
  if (sandbox) {
    for (const rule of ['AwsSolutions-RDS10', 'NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled']) {
      acknowledge(cfn, rule, 'Sandbox mode (context sandbox=true) makes every resource destroyable with its stack; outside sandbox mode deletion protection is on.');
    }
  }
  acknowledgeNotInBackupPlan(cfn.node.scope!.node.findAll().filter((c): c is rds.CfnDBInstance => c instanceof rds.CfnDBInstance));
  acknowledge(cfn, 'AwsSolutions-RDS11',
    'The engine\'s standard port hides nothing worth hiding: the security group admits no one until a client is granted, and clients authenticate with IAM or the Secrets Manager credentials over TLS.');
}

/** The NIST RDSInBackupPlan finding, on the instances of a cluster of a global database. */
export function acknowledgeNotInBackupPlan(instances: rds.CfnDBInstance[]): void {
  for (const instance of instances) {
    acknowledge(instance, 'NIST.800.53.R5-RDSInBackupPlan',
      'This instance belongs to an Aurora cluster of a global database: the cluster keeps automated backups with point-in-time recovery and its storage is replicated to other regions; an AWS Backup plan for cross-account copies belongs to the organization\'s backup policy, not to each database.');
  }
}
