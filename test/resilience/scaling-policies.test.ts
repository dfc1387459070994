import { App, Stack, TimeZone } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { acknowledge, ScalingPolicies } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addScalingPoliciesExamples } from '../../examples/resilience/scaling-policies';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Scaling', { env: ENV });
}

function refusal(...problems: string[]): string {
  return [`Scaling/Scaling: invalid ScalingPolicies props (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, ...problems.map((p) => `  - ${p}`)].join('\n');
}

function provisionedTable(s: Stack, billingMode = dynamodb.BillingMode.PROVISIONED): dynamodb.Table {
  const table = new dynamodb.Table(s, 'Table', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, billingMode, pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } });
  table.addGlobalSecondaryIndex({ indexName: 'byOwner', partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING } });
  return table;
}

function fargateService(s: Stack): ecs.IBaseService {
  const vpc = ec2.Vpc.fromVpcAttributes(s, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'], privateSubnetRouteTableIds: ['rtb-1'] });
  const cluster = ecs.Cluster.fromClusterAttributes(s, 'Cluster', { clusterName: 'shop', vpc, securityGroups: [] });
  return ecs.FargateService.fromFargateServiceAttributes(s, 'Service', { cluster, serviceName: 'orders' });
}

function auroraCluster(s: Stack): rds.IDatabaseCluster {
  return rds.DatabaseCluster.fromDatabaseClusterAttributes(s, 'Db', { clusterIdentifier: 'shop-db' });
}

function alias(s: Stack): lambda.IAlias {
  const fn = lambda.Function.fromFunctionName(s, 'Fn', 'api');
  return lambda.Alias.fromAliasAttributes(s, 'Live', { aliasName: 'live', aliasVersion: lambda.Version.fromVersionAttributes(s, 'V1', { version: '1', lambda: fn }) });
}

const cron = (hour: string) => scheduler.ScheduleExpression.cron({ minute: '0', hour, timeZone: TimeZone.EUROPE_BRUSSELS });

describe('RES-3 ScalingPolicies', () => {
  const app = exampleTestApp();
  const stacks = addScalingPoliciesExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(stacks.scaling);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(stacks));
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(2);
  });

  test('DynamoDB: read and write capacity of the table and of the index are scalable targets with the DynamoDB service-linked role, no role created', () => {
    const slr = 'arn:aws:iam::444444444444:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable';
    for (const [dimension, resourceId, min, max] of [
      ['dynamodb:table:ReadCapacityUnits', ['table/', { Ref: Match.stringLikeRegexp('^Orders') }], 2, 20],
      ['dynamodb:table:WriteCapacityUnits', ['table/', { Ref: Match.stringLikeRegexp('^Orders') }], 2, 10],
      ['dynamodb:index:ReadCapacityUnits', ['table/', { Ref: Match.stringLikeRegexp('^Orders') }, '/index/byCustomer'], 2, 10],
      ['dynamodb:index:WriteCapacityUnits', ['table/', { Ref: Match.stringLikeRegexp('^Orders') }, '/index/byCustomer'], 2, 10],
    ] as const) {
      example.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ServiceNamespace: 'dynamodb', ScalableDimension: dimension, ResourceId: { 'Fn::Join': ['', resourceId] }, MinCapacity: min, MaxCapacity: max, RoleARN: slr,
      });
    }
    example.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 5);
    expect(Object.values(example.findResources('AWS::IAM::Role')).map((r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument))
      .filter((doc) => doc.includes('application-autoscaling'))).toEqual([]);
  });

  test('DynamoDB: target tracking on the predefined read and write utilization metrics, 70 % unless set', () => {
    example.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' }, TargetValue: 70 },
    });
    example.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      ScalingTargetId: { Ref: Match.stringLikeRegexp('^OrdersScalingTableWrite') },
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBWriteCapacityUtilization' }, TargetValue: 60 },
    });
    example.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 5);
  });

  test('DynamoDB: a WriteThrottleEvents alarm on the table and one on the scaled index (GlobalSecondaryIndexName), telling a person', () => {
    const alarm = (dimensions: object[]) => ({
      Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents', Statistic: 'Sum', Period: 60,
      Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching',
      Dimensions: dimensions, AlarmActions: [{ Ref: Match.stringLikeRegexp('^OrdersScalingNotificationsTopic') }],
      AlarmDescription: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('at the auto scaling maximum \\(10\\), raise the maximum')])] },
    });
    example.hasResourceProperties('AWS::CloudWatch::Alarm', alarm([{ Name: 'TableName', Value: { Ref: Match.stringLikeRegexp('^Orders') } }]));
    example.hasResourceProperties('AWS::CloudWatch::Alarm', alarm([{ Name: 'GlobalSecondaryIndexName', Value: 'byCustomer' }, { Name: 'TableName', Value: { Ref: Match.stringLikeRegexp('^Orders') } }]));
    example.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
  });

  test('example table: provisioned, customer managed key, point-in-time recovery, deletion protection', () => {
    example.hasResourceProperties('AWS::DynamoDB::Table', {
      ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  test('Lambda: provisioned concurrency of the alias between 1 and 2, tracking ProvisionedConcurrencyUtilization at 0.7, raised to 5 by a weekday schedule in the schedule\'s time zone', () => {
    example.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', {
      Properties: {
        ServiceNamespace: 'lambda', ScalableDimension: 'lambda:function:ProvisionedConcurrency', MinCapacity: 1, MaxCapacity: 2,
        ResourceId: { 'Fn::Join': ['', ['function:', { Ref: Match.stringLikeRegexp('^Api') }, ':live']] },
        RoleARN: 'arn:aws:iam::444444444444:role/aws-service-role/lambda.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency',
        ScheduledActions: [
          { ScheduledActionName: 'schedule-1', Schedule: 'cron(0 8 ? * MON-FRI *)', Timezone: 'Europe/Brussels', ScalableTargetAction: { MaxCapacity: 5 } },
          { ScheduledActionName: 'schedule-2', Schedule: 'cron(0 19 ? * MON-FRI *)', Timezone: 'Europe/Brussels', ScalableTargetAction: { MaxCapacity: 2 } },
        ],
      },
      // Registered only once the alias (and so its version) exists.
      DependsOn: [Match.stringLikeRegexp('^Live')],
    });
    example.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'LambdaProvisionedConcurrencyUtilization' }, TargetValue: 0.7 },
    });
  });

  test('ECS: desired count of the service with the ECS service-linked role, CPU and memory target tracking', () => {
    const s = stack();
    ScalingPolicies.ecsService(s, 'Scaling', { service: fargateService(s), minCapacity: 2, maxCapacity: 10, cpuTargetPercent: 60, memoryTargetPercent: 75 });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceId: 'service/shop/orders', MinCapacity: 2, MaxCapacity: 10,
      RoleARN: 'arn:aws:iam::444444444444:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 60 } });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' }, TargetValue: 75 } });
    t.resourceCountIs('AWS::IAM::Role', 0);
  });

  test('ECS: without a policy given, CPU target tracking at 70 %', () => {
    const s = stack();
    ScalingPolicies.ecsService(s, 'Scaling', { service: fargateService(s), minCapacity: 1, maxCapacity: 4 });
    Template.fromStack(s).hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 70 },
    });
  });

  test('ECS: step scaling on a metric of one\'s own, the steps as step adjustments, alarms that act on the policy', () => {
    const s = stack();
    const backlog = new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Backlog' });
    const scaling = ScalingPolicies.ecsService(s, 'Scaling', {
      service: fargateService(s), minCapacity: 1, maxCapacity: 20,
      stepScaling: { metric: backlog, steps: [{ upper: 10, change: -1 }, { lower: 100, upper: 500, change: 2 }, { lower: 500, change: 5 }] },
    });
    const t = Template.fromStack(s);
    expect(scaling.targetTrackingPolicies).toHaveLength(0);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: Match.objectLike({
        AdjustmentType: 'ChangeInCapacity', Cooldown: 300,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 400, ScalingAdjustment: 2 }, { MetricIntervalLowerBound: 400, ScalingAdjustment: 5 }],
      }),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Backlog', Threshold: 100, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('StepScalingUpperPolicy') }],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Backlog', Threshold: 10, ComparisonOperator: 'LessThanOrEqualToThreshold' });
  });

  test('Aurora: replica count of the cluster with the RDS service-linked role, reader CPU (default) and connections target tracking, schedules', () => {
    const s = stack();
    ScalingPolicies.auroraReplicas(s, 'Scaling', { cluster: auroraCluster(s), minCapacity: 1, maxCapacity: 15, schedules: [{ schedule: cron('20'), minCapacity: 0 }] });
    const s2 = stack(new App({ context: cdkJsonContext() }));
    ScalingPolicies.auroraReplicas(s2, 'Scaling', { cluster: auroraCluster(s2), minCapacity: 0, maxCapacity: 3, averageConnectionsTarget: 500 });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'rds', ScalableDimension: 'rds:cluster:ReadReplicaCount', ResourceId: 'cluster:shop-db', MinCapacity: 1, MaxCapacity: 15,
      RoleARN: 'arn:aws:iam::444444444444:role/aws-service-role/rds.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_RDSCluster',
      ScheduledActions: [{ ScheduledActionName: 'schedule-1', Schedule: 'cron(0 20 * * ? *)', Timezone: 'Europe/Brussels', ScalableTargetAction: { MinCapacity: 0 } }],
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'RDSReaderAverageCPUUtilization' }, TargetValue: 70 } });
    const t2 = Template.fromStack(s2);
    t2.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    t2.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'RDSReaderAverageDatabaseConnections' }, TargetValue: 500 } });
  });

  test('Aurora: a cluster of this app is scaled only after its instances exist', () => {
    const s = stack();
    const vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const cluster = new rds.DatabaseCluster(s, 'Db', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'), vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    });
    ScalingPolicies.auroraReplicas(s, 'Scaling', { cluster, minCapacity: 0, maxCapacity: 2 });
    const t = Template.fromStack(s);
    const writer = Object.keys(t.findResources('AWS::RDS::DBInstance'))[0];
    t.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', { DependsOn: Match.arrayWith([writer]) });
  });

  test('an imported table gets a warning that its billing mode cannot be checked', () => {
    const s = stack();
    const scaling = ScalingPolicies.dynamoDbTable(s, 'Scaling', { table: dynamodb.Table.fromTableName(s, 'T', 'orders'), read: { minCapacity: 1, maxCapacity: 5 } });
    expect(scaling.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data)))
      .toEqual([expect.stringMatching(/billing mode cannot be read here: it must be in provisioned capacity mode \(PROVISIONED\), or RegisterScalableTarget fails on deploy.*\[ack: @devops-patterns\/scaling-policies-imported-table\]/)]);
  });

  test('passes the checks and the permission test on its own (every kind)', async () => {
    const a = checkedApp();
    const s = stack(a);
    const table = provisionedTable(s);
    // NIST.800.53.R5-DynamoDBAutoScalingEnabled checks that read and write of the table and of every index scale.
    const capacity = { minCapacity: 1, maxCapacity: 5 };
    ScalingPolicies.dynamoDbTable(s, 'TableScaling', { table, read: capacity, write: capacity, globalSecondaryIndexes: [{ indexName: 'byOwner', read: capacity, write: capacity }] });
    ScalingPolicies.ecsService(s, 'ServiceScaling', { service: fargateService(s), minCapacity: 1, maxCapacity: 3 });
    ScalingPolicies.auroraReplicas(s, 'ReplicaScaling', { cluster: auroraCluster(s), minCapacity: 0, maxCapacity: 2 });
    ScalingPolicies.lambdaProvisionedConcurrency(s, 'ConcurrencyScaling', { alias: alias(s), minCapacity: 1, maxCapacity: 2 });
    acknowledge(table.node.defaultChild!, 'NIST.800.53.R5-DynamoDBInBackupPlan', 'A table of this test only: backups are the application\'s decision, not part of auto scaling.');
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(2);
  });
});

/** expect() on building the construct in a stack of its own. */
function refuse(make: (s: Stack) => unknown) {
  return expect(() => make(stack()));
}

describe('RES-3 ScalingPolicies refusals', () => {
  test('refuses a DynamoDB target utilization outside 20-90 %', () => {
    refuse((s) => ScalingPolicies.dynamoDbTable(s, 'Scaling', {
      table: provisionedTable(s),
      read: { minCapacity: 1, maxCapacity: 10, targetUtilizationPercent: 95 },
      globalSecondaryIndexes: [{ indexName: 'byOwner', write: { minCapacity: 1, maxCapacity: 10, targetUtilizationPercent: 10 } }],
    })).toThrow(refusal(
      'read targetUtilizationPercent must be between 20 and 90 (DynamoDB auto scaling\'s range), got 95',
      'index byOwner write targetUtilizationPercent must be between 20 and 90 (DynamoDB auto scaling\'s range), got 10',
    ));
  });

  test('refuses min > max capacity, for every kind and in schedules', () => {
    refuse((s) => ScalingPolicies.dynamoDbTable(s, 'Scaling', { table: provisionedTable(s), write: { minCapacity: 20, maxCapacity: 10 } }))
      .toThrow(refusal('write minCapacity (20) must not exceed maxCapacity (10)'));
    refuse((s) => ScalingPolicies.ecsService(s, 'Scaling', { service: fargateService(s), minCapacity: 5, maxCapacity: 2, schedules: [{ schedule: cron('8'), minCapacity: 4, maxCapacity: 3 }] }))
      .toThrow(refusal('minCapacity (5) must not exceed maxCapacity (2)', 'schedules[0] minCapacity (4) must not exceed maxCapacity (3)'));
    refuse((s) => ScalingPolicies.lambdaProvisionedConcurrency(s, 'Scaling', { alias: alias(s), minCapacity: 3, maxCapacity: 1 }))
      .toThrow(refusal('minCapacity (3) must not exceed maxCapacity (1)'));
  });

  test('refuses a negative minimum, and DynamoDB capacity below 1 unit', () => {
    refuse((s) => ScalingPolicies.ecsService(s, 'Scaling', { service: fargateService(s), minCapacity: -1, maxCapacity: 2 }))
      .toThrow(refusal('minCapacity must be a whole number of at least 0 tasks, got -1'));
    refuse((s) => ScalingPolicies.dynamoDbTable(s, 'Scaling', { table: provisionedTable(s), read: { minCapacity: 0, maxCapacity: 2 } }))
      .toThrow(refusal('read minCapacity must be a whole number of at least 1 capacity units, got 0'));
  });

  test('refuses more than 15 Aurora Replicas', () => {
    refuse((s) => ScalingPolicies.auroraReplicas(s, 'Scaling', { cluster: auroraCluster(s), minCapacity: 1, maxCapacity: 16, schedules: [{ schedule: cron('8'), maxCapacity: 20 }] }))
      .toThrow(refusal(
        'maxCapacity must be at most 15 (an Aurora cluster has at most 15 Aurora Replicas), got 16',
        'schedules[0] maxCapacity must be at most 15 (an Aurora cluster has at most 15 Aurora Replicas), got 20',
      ));
  });

  test('refuses target values out of range for ECS, Aurora and Lambda', () => {
    refuse((s) => ScalingPolicies.ecsService(s, 'Scaling', { service: fargateService(s), minCapacity: 1, maxCapacity: 2, cpuTargetPercent: 0, memoryTargetPercent: 120 }))
      .toThrow(refusal('cpuTargetPercent must be between 1 and 100, got 0', 'memoryTargetPercent must be between 1 and 100, got 120'));
    refuse((s) => ScalingPolicies.auroraReplicas(s, 'Scaling', { cluster: auroraCluster(s), minCapacity: 1, maxCapacity: 2, averageConnectionsTarget: 0 }))
      .toThrow(refusal('averageConnectionsTarget must be above 0, got 0'));
    refuse((s) => ScalingPolicies.lambdaProvisionedConcurrency(s, 'Scaling', { alias: alias(s), minCapacity: 1, maxCapacity: 2, utilizationTarget: 0.95 }))
      .toThrow(refusal('utilizationTarget must be between 0.1 and 0.9, got 0.95'));
  });

  test('refuses overlapping, empty and too few steps', () => {
    const metric = new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Backlog' });
    refuse((s) => ScalingPolicies.ecsService(s, 'Scaling', {
      service: fargateService(s), minCapacity: 1, maxCapacity: 5,
      stepScaling: { metric, steps: [{ upper: 50, change: -1 }, { lower: 40, upper: 40, change: 1 }, { lower: 100, change: 2 }] },
    })).toThrow(refusal(
      'stepScaling.steps[1] is empty: lower (40) must be below upper (40)',
      'stepScaling.steps[0] and steps[1] overlap: [-∞, 50) and [40, 40)',
    ));
    refuse((s) => ScalingPolicies.ecsService(s, 'Scaling', { service: fargateService(s), minCapacity: 1, maxCapacity: 5, stepScaling: { metric, steps: [{ lower: 10, change: 1 }] } }))
      .toThrow(refusal('stepScaling.steps must hold at least 2 steps (one on each side of a threshold), got 1'));
    refuse((s) => ScalingPolicies.ecsService(s, 'Scaling', { service: fargateService(s), minCapacity: 1, maxCapacity: 5, stepScaling: { metric, steps: [{ upper: 10, change: 0 }, { lower: 10, change: 0 }] } }))
      .toThrow(refusal('stepScaling.steps all have change 0: the policy would never scale'));
  });

  test('refuses an on-demand table, a TableV2, an index the table does not have, and nothing to scale', () => {
    refuse((s) => ScalingPolicies.dynamoDbTable(s, 'Scaling', {
      table: provisionedTable(s, dynamodb.BillingMode.PAY_PER_REQUEST),
      read: { minCapacity: 1, maxCapacity: 5 },
      globalSecondaryIndexes: [{ indexName: 'byDate', read: { minCapacity: 1, maxCapacity: 5 } }],
    })).toThrow(refusal(
      'table is in on-demand capacity mode (PAY_PER_REQUEST): Application Auto Scaling adjusts provisioned capacity only; create it with billingMode PROVISIONED',
      'index byDate is not a global secondary index of the table (it has: byOwner)',
    ));
    refuse((s) => ScalingPolicies.dynamoDbTable(s, 'Scaling', { table: new dynamodb.TableV2(s, 'V2', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }) }))
      .toThrow(refusal(
        'give read, write or globalSecondaryIndexes with read or write: there is nothing to scale',
        'table is a TableV2 (AWS::DynamoDB::GlobalTable), which scales through its own billing: Billing.provisioned({ readCapacity: Capacity.autoscaled(...), ... }); a second scalable target on it would conflict',
      ));
  });
});
