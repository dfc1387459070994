import { App, Aws, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { GlobalTable, GlobalTableProps, GlobalTableRegion, IGlobalTableRegion } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addGlobalTableExamples } from '../../examples/resilience/global-table';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ACCOUNT = '111111111111';
const PK = { name: 'pk', type: dynamodb.AttributeType.STRING };

function app(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJsonContext(), ...context } });
}

function stackIn(a: App, id: string, region: string): Stack {
  return new Stack(a, id, { env: { account: ACCOUNT, region } });
}

/** A replica region managed elsewhere, for the refusals (no stack of its own needed). */
let importedCount = 0;
function imported(scope: Stack, region: string, account = ACCOUNT): IGlobalTableRegion {
  return GlobalTableRegion.fromAttributes(scope, `Region${importedCount++}`, {
    account, region,
    replicaKeyArn: `arn:aws:kms:${region}:${account}:alias/orders`,
    changeStreamArn: `arn:aws:kinesis:${region}:${account}:stream/orders-changes`,
  });
}

function refusal(props: Partial<GlobalTableProps> & { regions?: string[] }, region: string | null = 'eu-west-1'): () => GlobalTable {
  const a = app();
  const s = region ? stackIn(a, 'Table', region) : new Stack(a, 'Table');
  const { regions, ...rest } = props;
  return () => new GlobalTable(s, 'Orders', {
    partitionKey: PK,
    replicaRegions: (regions ?? ['eu-central-1']).map((r) => imported(s, r)),
    ...rest,
  });
}

const problem = (text: string) => `Table/Orders: invalid GlobalTable props (1 problem):\n  - ${text}`;

describe('RES-4 GlobalTable', () => {
  const exampleApp = exampleTestApp();
  const stacks = addGlobalTableExamples(exampleApp, exampleConfig(exampleApp));
  exampleApp.synth();
  const table = Template.fromStack(stacks.table);
  const replica = Template.fromStack(stacks.replicaRegion);
  const region = stacks.replicaRegion.replica;

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(stacks));
    expect(report.edgeKinds).toMatchObject({
      'DynamoDB -> Kinesis data stream': 2,
      'EventBridge pipe -> Kinesis source': 2,
      'EventBridge pipe -> SNS topic': 2,
      'EventBridge pipe -> dead-letter queue': 2,
    });
  });

  test('one AWS::DynamoDB::GlobalTable with a replica in each region, on-demand, both stream images on', () => {
    table.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    table.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [Match.objectLike({ Region: 'eu-central-1' }), Match.objectLike({ Region: 'eu-west-1' })],
    });
  });

  test('every replica has 35 days of point-in-time recovery, deletion protection and its own customer managed key', () => {
    const replicas = Object.values(table.findResources('AWS::DynamoDB::GlobalTable'))[0].Properties.Replicas;
    for (const r of replicas) {
      expect(r.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 });
      expect(r.DeletionProtectionEnabled).toBe(true);
    }
    const byRegion = Object.fromEntries(replicas.map((r: { Region: string }) => [r.Region, r]));
    expect(byRegion['eu-west-1'].SSESpecification.KMSMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^OrdersKey/), 'Arn'] });
    // The replica region's key, by its alias ARN: another region's stack cannot be referenced.
    expect(byRegion['eu-central-1'].SSESpecification.KMSMasterKeyId).toBe(region.replicaKeyArn);
    expect(region.replicaKeyArn).toMatch(/^arn:aws:kms:eu-central-1:444444444444:alias\/global-table\/Res4GlobalTableReplica-Orders-[0-9A-F]{8}$/);
    replica.hasResourceProperties('AWS::KMS::Alias', { AliasName: region.replicaKeyAlias });
    replica.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('every replica captures its changes to an encrypted Kinesis data stream in its own region', () => {
    const replicas = Object.values(table.findResources('AWS::DynamoDB::GlobalTable'))[0].Properties.Replicas;
    const byRegion = Object.fromEntries(replicas.map((r: { Region: string }) => [r.Region, r]));
    expect(byRegion['eu-central-1'].KinesisStreamSpecification).toEqual({ StreamArn: region.changeStreamArn });
    const streamName = Object.values(replica.findResources('AWS::Kinesis::Stream'))[0].Properties.Name;
    expect(region.changeStreamArn).toBe(`arn:aws:kinesis:eu-central-1:444444444444:stream/${streamName}`);
    expect(byRegion['eu-west-1'].KinesisStreamSpecification).toEqual({ StreamArn: { 'Fn::GetAtt': [expect.stringMatching(/^OrdersChangeStream/), 'Arn'] } });
    for (const t of [table, replica]) {
      t.hasResourceProperties('AWS::Kinesis::Stream', {
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Key'), 'Arn'] } },
        RetentionPeriodHours: 24,
      });
    }
  });

  test('the table\'s stack deploys after the replica region\'s stack', () => {
    expect(stacks.table.dependencies).toContain(stacks.replicaRegion);
  });

  test('each stream has exactly one consumer, a pipe that fans out to a topic: no function reads a stream', () => {
    for (const t of [table, replica]) {
      t.resourceCountIs('AWS::Pipes::Pipe', 1);
      t.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
      t.hasResourceProperties('AWS::Pipes::Pipe', {
        Source: Match.anyValue(),
        SourceParameters: {
          KinesisStreamParameters: {
            StartingPosition: 'TRIM_HORIZON',
            BatchSize: 100,
            MaximumRetryAttempts: 10,
            MaximumRecordAgeInSeconds: 86400,
            OnPartialBatchItemFailure: 'AUTOMATIC_BISECT',
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PipeDeadLetterQueue'), 'Arn'] } },
          },
        },
        Target: { Ref: Match.stringLikeRegexp('ChangesTopic') },
      });
    }
    for (const t of [table, replica]) t.hasResourceProperties('AWS::Pipes::Pipe', { Source: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersChangeStream'), 'Arn'] } });
  });

  test('the pipe\'s role is assumed only by EventBridge Pipes of the account, and may read only its stream, send to its queue and publish to its topic', () => {
    table.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'pipes.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } },
      })] },
    });
    const policy = Object.values(table.findResources('AWS::IAM::ManagedPolicy'))
      .find((p) => JSON.stringify(p.Properties.Roles).includes('OrdersPipeRole'))!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    const on = (action: string) => statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource);
    expect(on('kinesis:GetRecords')).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^OrdersChangeStream/), 'Arn'] }]);
    expect(on('sqs:SendMessage')).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^OrdersPipeDeadLetterQueue/), 'Arn'] }]);
    expect(on('sns:Publish')).toEqual([{ Ref: expect.stringMatching(/^OrdersChangesTopic/) }]);
    expect(JSON.stringify(statements)).not.toContain('"Resource":"*"');
  });

  test('the dead-letter queue is encrypted, and a message in it tells a person', () => {
    table.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersKey'), 'Arn'] }, MessageRetentionPeriod: 1209600 });
    table.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^TableAlarmsTopic') }],
    });
  });

  test('replication latency to each replica region is alarmed on (MREC)', () => {
    table.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ReplicationLatency', Namespace: 'AWS/DynamoDB', Threshold: 60000, EvaluationPeriods: 3,
      Dimensions: Match.arrayWith([{ Name: 'ReceivingRegion', Value: 'eu-central-1' }]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^TableAlarmsTopic') }],
    });
  });

  test('in sandbox mode the table can be destroyed: no deletion protection, Delete policy', () => {
    const a = exampleTestApp({ sandbox: true });
    const s = addGlobalTableExamples(a, exampleConfig(a));
    const t = Template.fromStack(s.table);
    t.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
    const replicas = Object.values(t.findResources('AWS::DynamoDB::GlobalTable'))[0].Properties.Replicas;
    for (const r of replicas) expect(r.DeletionProtectionEnabled).toBe(false);
  });

  test('multi-region strong consistency with three replicas in the EU region set', () => {
    const a = app();
    const regions = ['eu-central-1', 'eu-west-2'].map((r) => new GlobalTableRegion(stackIn(a, `R-${r}`, r), 'Orders'));
    const s = stackIn(a, 'Table', 'eu-west-1');
    new GlobalTable(s, 'Orders', { partitionKey: PK, replicaRegions: regions, multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', { MultiRegionConsistency: 'STRONG', Replicas: Match.arrayWith([Match.objectLike({ Region: 'eu-west-2' })]) });
    // MRSC publishes no ReplicationLatency: no alarm on it.
    expect(Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((r) => r.Properties.MetricName === 'ReplicationLatency')).toHaveLength(0);
  });

  test('multi-region strong consistency with two replicas and a witness', () => {
    const a = app();
    const s = stackIn(a, 'Table', 'us-east-1');
    new GlobalTable(s, 'Orders', {
      partitionKey: PK, replicaRegions: [new GlobalTableRegion(stackIn(a, 'R', 'us-east-2'), 'Orders')],
      multiRegionConsistency: dynamodb.MultiRegionConsistency.STRONG, witnessRegion: 'us-west-2',
    });
    Template.fromStack(s).hasResourceProperties('AWS::DynamoDB::GlobalTable', { MultiRegionConsistency: 'STRONG', GlobalTableWitnesses: [{ Region: 'us-west-2' }] });
  });

  test('with an event bus, changes go onto the bus with a source and detail type, and no topic is created', () => {
    const a = app();
    const s = stackIn(a, 'Table', 'eu-west-1');
    const bus = new events.EventBus(s, 'Bus');
    new GlobalTable(s, 'Orders', { partitionKey: PK, replicaRegions: [imported(s, 'eu-central-1')], changeEventBus: bus });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Pipes::Pipe', {
      Target: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] },
      TargetParameters: { EventBridgeEventBusParameters: { Source: 'devops-patterns.dynamodb', DetailType: 'DynamoDB item change' } },
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]) } });
    expect(Object.keys(t.findResources('AWS::SNS::Topic'))).toEqual([expect.stringMatching(/^OrdersAlarmsTopic/)]);
  });

  test('passes the checks and the permission test on its own, with a topic passed in and an event bus', async () => {
    const a = checkedApp();
    const replicaStack = stackIn(a, 'Replica', 'eu-central-1');
    const r = new GlobalTableRegion(replicaStack, 'Orders', { changeEventBus: new events.EventBus(replicaStack, 'Bus') });
    const s = stackIn(a, 'Table', 'eu-west-1');
    const changes = new sns.Topic(s, 'Changes', { enforceSSL: true, masterKey: new kms.Key(s, 'ChangesKey', { enableKeyRotation: true }) });
    new GlobalTable(s, 'Orders', { partitionKey: PK, replicaRegions: [r], changeTopic: changes, replicationLatencyThreshold: Duration.seconds(30) });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold([s, replicaStack]);
    expect(report.edgeKinds).toMatchObject({ 'EventBridge pipe -> event bus': 1, 'EventBridge pipe -> SNS topic': 1, 'DynamoDB -> Kinesis data stream': 2 });
  });
});

describe('RES-4 GlobalTable refusals', () => {
  test('refuses a stack without a region', () => {
    expect(refusal({}, null)).toThrow(problem('the stack has no region: a global table needs a concrete region to name its replicas (set env.region on the stack)'));
  });

  test('refuses a replica in the table\'s own region', () => {
    expect(refusal({ regions: ['eu-west-1'] })).toThrow(problem('replica region eu-west-1 is the table\'s own region: the table is already there; a replica must be in another region'));
  });

  test('refuses a region named twice', () => {
    expect(refusal({ regions: ['eu-central-1', 'eu-central-1'] })).toThrow(problem('replica region eu-central-1 is named twice: a global table has one replica per region'));
  });

  test('refuses no replica region', () => {
    expect(refusal({ regions: [] })).toThrow(problem('replicaRegions is empty: a global table replicates to at least one other region'));
  });

  test('refuses a replica region without a concrete region', () => {
    const a = app();
    const s = stackIn(a, 'Table', 'eu-west-1');
    const r = GlobalTableRegion.fromAttributes(s, 'Somewhere', { account: ACCOUNT, region: Aws.REGION, replicaKeyArn: 'arn:aws:kms:x:1:alias/a', changeStreamArn: 'arn:aws:kinesis:x:1:stream/s' });
    expect(() => new GlobalTable(s, 'Orders', { partitionKey: PK, replicaRegions: [r] })).toThrow(problem('replica region Table/Somewhere has no concrete region (set env.region on its stack)'));
  });

  test('refuses a replica region in another account', () => {
    const a = app();
    const s = stackIn(a, 'Table', 'eu-west-1');
    expect(() => new GlobalTable(s, 'Orders', { partitionKey: PK, replicaRegions: [imported(s, 'eu-central-1', '222222222222')] }))
      .toThrow(problem('replica region eu-central-1 is in account 222222222222, the table in 111111111111: this construct builds same-account global tables'));
  });

  test('refuses a witness without strong consistency', () => {
    expect(refusal({ witnessRegion: 'eu-west-2' })).toThrow(problem('witnessRegion is only for multi-region strong consistency (multiRegionConsistency: STRONG)'));
  });

  const STRONG = dynamodb.MultiRegionConsistency.STRONG;

  test('refuses strong consistency with two replicas and no witness', () => {
    expect(refusal({ multiRegionConsistency: STRONG }))
      .toThrow(problem('multi-region strong consistency needs exactly three replicas (this region and two replica regions) or two and a witnessRegion, got 2 replica(s) and no witness'));
  });

  test('refuses strong consistency with a witness and three replicas', () => {
    expect(refusal({ multiRegionConsistency: STRONG, regions: ['eu-central-1', 'eu-west-2'], witnessRegion: 'eu-west-3' }))
      .toThrow(problem('with a witnessRegion, multi-region strong consistency needs exactly two replicas (this region and one replica region), got 3'));
  });

  test('refuses a witness that holds a replica', () => {
    expect(refusal({ multiRegionConsistency: STRONG, witnessRegion: 'eu-central-1' }))
      .toThrow(problem('witnessRegion eu-central-1 holds a replica: the witness must be a region without one'));
  });

  test('refuses strong consistency in a region outside the region sets', () => {
    expect(refusal({ multiRegionConsistency: STRONG, regions: ['sa-east-1', 'us-east-1'] }, 'ca-central-1'))
      .toThrow(problem('multi-region strong consistency is offered in us-east-1, us-east-2, us-west-2, eu-west-1, eu-west-2, eu-west-3, eu-central-1, ap-northeast-1, ap-northeast-2, ap-northeast-3; the table\'s region ca-central-1 is not one of them'));
  });

  test('refuses strong consistency across two region sets', () => {
    expect(refusal({ multiRegionConsistency: STRONG, regions: ['eu-central-1', 'us-east-1'] }))
      .toThrow(problem('us-east-1 is not in the EU region set of eu-west-1 (eu-west-1, eu-west-2, eu-west-3, eu-central-1): every replica and the witness of a strongly consistent table must be in one set'));
  });

  test('refuses TTL with strong consistency', () => {
    expect(refusal({ multiRegionConsistency: STRONG, regions: ['eu-central-1', 'eu-west-2'], timeToLiveAttribute: 'expires' }))
      .toThrow(problem('timeToLiveAttribute is set: tables with multi-region strong consistency do not support TTL'));
  });

  test('refuses both a change topic and a change event bus', () => {
    const a = app();
    const s = stackIn(a, 'Table', 'eu-west-1');
    expect(() => new GlobalTable(s, 'Orders', {
      partitionKey: PK, replicaRegions: [imported(s, 'eu-central-1')],
      changeTopic: new sns.Topic(s, 'T'), changeEventBus: new events.EventBus(s, 'B'),
    })).toThrow(problem('changeTopic and changeEventBus are both set: the pipe has one target (subscribe to the topic, or add rules on the bus)'));
  });

  test('refuses a batch size the pipe refuses', () => {
    expect(refusal({ batchSize: 20_000 })).toThrow(problem('batchSize must be between 1 and 10000, got 20000'));
  });

  test('refuses more retries than the pipe accepts', () => {
    expect(refusal({ maximumRetryAttempts: 10_001 })).toThrow(problem('maximumRetryAttempts must be between 0 and 10000, got 10001'));
  });

  test('refuses a point-in-time recovery period over 35 days', () => {
    expect(refusal({ pointInTimeRecoveryDays: 36 })).toThrow(problem('pointInTimeRecoveryDays must be between 1 and 35, got 36'));
  });

  test('lists every problem at once', () => {
    expect(refusal({ regions: ['eu-west-1', 'eu-west-1'], batchSize: 20_000 })).toThrow('Table/Orders: invalid GlobalTable props (4 problems)');
  });

  test('GlobalTableRegion refuses a stack without a region', () => {
    const s = new Stack(app(), 'Replica');
    expect(() => new GlobalTableRegion(s, 'Orders'))
      .toThrow('Replica/Orders: invalid GlobalTableRegion props (1 problem):\n  - the stack has no region: a replica region\'s key and stream are regional (set env.region on the stack)');
  });

  test('GlobalTableRegion refuses an AWS-reserved alias and a stream name Kinesis refuses', () => {
    const s = stackIn(app(), 'Replica', 'eu-central-1');
    expect(() => new GlobalTableRegion(s, 'Orders', { replicaKeyAlias: 'alias/aws/orders', changeStreamName: 'orders changes' }))
      .toThrow('Replica/Orders: invalid GlobalTableRegion props (2 problems):\n'
        + '  - replicaKeyAlias must not start with "alias/aws/" (reserved for AWS managed keys), got "alias/aws/orders"\n'
        + '  - changeStreamName must be 1-128 letters, digits, _, . or -, got "orders changes"');
  });
});
