import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeNotReplicated, GatewayCacheRefresh, SecureBucket } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addGatewayCacheRefreshExamples } from '../../examples/resilience/gateway-cache-refresh';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };
const SHARE = 'arn:aws:storagegateway:eu-west-1:444444444444:share/share-AB12CD34';

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Gw', { env: ENV });
}

/** A bucket of this app with EventBridge delivery on its CfnBucket (no notifications Lambda). */
function eventBucket(s: Stack): s3.IBucket {
  const { bucket } = new SecureBucket(s, 'Data');
  acknowledgeNotReplicated(bucket, 'A bucket made for this test only; replication is RES-1 ReplicatedBucket\'s concern.');
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  return bucket;
}

describe('RES-9 GatewayCacheRefresh', () => {
  const app = exampleTestApp();
  const stacks = addGatewayCacheRefreshExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(stacks.cacheRefresh);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the state machine definition is untyped JSON.
  const definition = (): Record<string, any> => {
    const machine = Object.values(example.findResources('AWS::StepFunctions::StateMachine'))[0];
    const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
    return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(''));
  };

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(stacks));
    expect(report.edgeKinds).toMatchObject({
      'Scheduler universal target -> API': 1,
      'EventBridge rule -> sqs': 1,
      'EventBridge pipe -> SQS source': 1,
      'EventBridge pipe -> Step Functions': 1,
      'Step Functions SDK task -> API': 1,
      'EventBridge rule -> sns': 1,
      'alarm -> SNS topic': 2,
    });
  });

  test('Scheduler calls RefreshCache directly (no Lambda) on the whole share, recursively, with a role limited to that share', () => {
    example.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      Target: Match.objectLike({
        Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:storagegateway:refreshCache']] },
        Input: Match.serializedJson({ FileShareARN: 'arn:aws:storagegateway:eu-west-1:444444444444:share/share-AB12CD34', FolderList: ['/'], Recursive: true }),
      }),
    });
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'storagegateway:RefreshCache', Resource: 'arn:aws:storagegateway:eu-west-1:444444444444:share/share-AB12CD34' })] },
      Roles: [{ Ref: Match.stringLikeRegexp('^RefreshSchedulerRole') }],
    });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } } })] },
    });
  });

  test('a failed scheduled refresh alarms on the Scheduler errors of the construct\'s own schedule group, and the alarm tells the topic', () => {
    const group = Object.values(example.findResources('AWS::Scheduler::ScheduleGroup'))[0].Properties.Name as string;
    example.hasResourceProperties('AWS::Scheduler::Schedule', { GroupName: group });
    example.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Scheduler', MetricName: 'TargetErrorCount',
      Dimensions: [{ Name: 'ScheduleGroup', Value: group }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^RefreshNotificationsTopic') }],
    });
  });

  test('S3 Object Created and Object Deleted events under the share prefix go to an encrypted queue with only the key', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        'detail': { bucket: { name: [{ Ref: Match.stringLikeRegexp('^ShareBucket') }] }, object: { key: [{ prefix: 'projects/' }] } },
      },
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RefreshEvents'), 'Arn'] },
        InputTransformer: { InputPathsMap: { 'detail-object-key': '$.detail.object.key' }, InputTemplate: '{"key":<detail-object-key>}' },
      })],
    });
    example.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RefreshQueueKey'), 'Arn'] },
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
    });
  });

  test('the bucket sends its events to EventBridge from its own resource, without a notifications Lambda', () => {
    example.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    example.resourceCountIs('AWS::Lambda::Function', 0);
    example.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  test('a pipe hands batches of up to 100 events, gathered for 60 seconds, to the standard workflow, with a role that may only consume the queue and start that workflow', () => {
    example.hasResourceProperties('AWS::Pipes::Pipe', {
      Source: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RefreshEvents'), 'Arn'] },
      SourceParameters: { SqsQueueParameters: { BatchSize: 100, MaximumBatchingWindowInSeconds: 60 } },
      Target: { Ref: Match.stringLikeRegexp('^RefreshWorkflowStateMachine') },
      TargetParameters: { StepFunctionStateMachineParameters: { InvocationType: 'FIRE_AND_FORGET' } },
    });
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RefreshPipeRole') }],
      PolicyDocument: { Statement: [
        Match.objectLike({ Action: Match.arrayWith(['sqs:DeleteMessage', 'sqs:ReceiveMessage']), Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RefreshEvents'), 'Arn'] } }),
        Match.objectLike({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RefreshQueueKey'), 'Arn'] } }),
        Match.objectLike({ Action: 'states:StartExecution', Resource: { Ref: Match.stringLikeRegexp('^RefreshWorkflowStateMachine') } }),
      ] },
    });
  });

  test('the workflow refreshes the distinct folders of a batch relative to the prefix, 50 per call, one call at a time a minute apart', () => {
    const d = definition();
    const folders = d.States.FoldersOfBatch;
    expect(folders).toMatchObject({ Type: 'Pass', QueryLanguage: 'JSONata' });
    expect(folders.Output.groups).toContain("$prefix := 'projects/'");
    expect(folders.Output.groups).toContain('$partition($distinct(');
    expect(folders.Output.groups).toMatch(/, 50\)\s*\) %\}$/);
    const map = d.States.EachGroupOfFolders;
    expect(map).toMatchObject({ Type: 'Map', MaxConcurrency: 1, Items: '{% $states.input.groups %}' });
    const refresh = map.ItemProcessor.States.RefreshFolders;
    expect(refresh).toMatchObject({
      Resource: 'arn:TOKEN:states:::aws-sdk:storagegateway:refreshCache',
      Arguments: { FileShareARN: 'arn:aws:storagegateway:eu-west-1:444444444444:share/share-AB12CD34', FolderList: '{% $states.input %}', Recursive: false },
      Next: 'MinuteBetweenCalls',
    });
    expect(map.ItemProcessor.States.MinuteBetweenCalls).toMatchObject({ Type: 'Wait', Seconds: 60 });
  });

  test('a busy gateway (StorageGateway.InvalidGatewayRequestException) is retried with backoff and jitter', () => {
    const refresh = definition().States.EachGroupOfFolders.ItemProcessor.States.RefreshFolders;
    expect(refresh.Retry).toEqual([{
      ErrorEquals: ['StorageGateway.InvalidGatewayRequestException'], IntervalSeconds: 60, BackoffRate: 2, MaxAttempts: 6, MaxDelaySeconds: 900, JitterStrategy: 'FULL',
    }]);
  });

  test('the workflow role may call RefreshCache on the one share only', () => {
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^RefreshWorkflowRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'storagegateway:refreshCache', Resource: 'arn:aws:storagegateway:eu-west-1:444444444444:share/share-AB12CD34' })]) },
    });
  });

  test('a failed, timed-out or aborted execution and undelivered events tell the topic in words', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'], 'detail': { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: Match.stringLikeRegexp('^RefreshWorkflowStateMachine') }] } },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^RefreshNotificationsTopic') },
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('cache refresh <detail-name> ended <detail-status>') }),
      })],
    });
    example.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RefreshDeadLetters'), 'QueueName'] } }],
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^RefreshNotificationsTopic') }],
    });
  });

  test('without object events: only the schedule, no queue, pipe or workflow, and any bucket will do', () => {
    const s = stack();
    new GatewayCacheRefresh(s, 'Refresh', { fileShareArn: SHARE, bucket: new s3.Bucket(s, 'Plain'), refreshOnObjectEvents: false });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Scheduler::Schedule', 1);
    t.resourceCountIs('AWS::SQS::Queue', 0);
    t.resourceCountIs('AWS::Pipes::Pipe', 0);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });

  test('a bucket with eventBridgeEnabled on its L2 is accepted; without a prefix the whole bucket\'s events count', () => {
    const s = stack();
    new GatewayCacheRefresh(s, 'Refresh', { fileShareArn: SHARE, bucket: new s3.Bucket(s, 'Data', { eventBridgeEnabled: true }), batchWindow: Duration.minutes(5) });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.s3'], detail: { bucket: { name: [{ Ref: Match.anyValue() }] }, object: Match.absent() } } });
    t.hasResourceProperties('AWS::Pipes::Pipe', { SourceParameters: { SqsQueueParameters: { MaximumBatchingWindowInSeconds: 300 } } });
  });

  test('an imported bucket is used with a warning that its owner must turn on EventBridge delivery', () => {
    const s = stack(new App());
    new GatewayCacheRefresh(s, 'Refresh', { fileShareArn: SHARE, bucket: s3.Bucket.fromBucketName(s, 'Imported', 'share-data') });
    Annotations.fromStack(s).hasWarning('/Gw/Refresh', Match.stringLikeRegexp('share-data is not defined in this app.*must turn on EventBridge delivery'));
  });

  test('passes the checks on its own and in the example stack', async () => {
    const a = checkedApp();
    const s = stack(a);
    new GatewayCacheRefresh(s, 'Refresh', { fileShareArn: SHARE, bucket: eventBucket(s), sharePrefix: 'data/' });
    addGatewayCacheRefreshExamples(a, exampleConfig(a));
    expect(() => synthWithChecks(a)).not.toThrow();
    await expectPermissionsHold(s);
  });
});

describe('RES-9 GatewayCacheRefresh refusals', () => {
  test('refuses a file share ARN of the wrong shape, a bad prefix and a batch window outside 60-300 seconds, all at once', () => {
    const s = stack();
    expect(() => new GatewayCacheRefresh(s, 'Refresh', {
      fileShareArn: 'arn:aws:storagegateway:eu-west-1:444444444444:gateway/sgw-12345678',
      bucket: eventBucket(s),
      sharePrefix: '/data',
      batchWindow: Duration.seconds(10),
    })).toThrow([
      'Gw/Refresh: invalid GatewayCacheRefresh props (3 problems):',
      '  - fileShareArn must be a file share ARN (arn:aws:storagegateway:<region>:<account>:share/share-XXXXXXXX), got "arn:aws:storagegateway:eu-west-1:444444444444:gateway/sgw-12345678"',
      '  - sharePrefix must be a key prefix such as projects/ (no leading /, ending with /, no // or \'), got "/data"',
      '  - batchWindow must be 60-300 whole seconds (RefreshCache asks for 60 seconds between calls; pipes batch for at most 300), got 10 seconds',
    ].join('\n'));
  });

  test('refuses a file share of another region or account', () => {
    const s = stack();
    expect(() => new GatewayCacheRefresh(s, 'Refresh', {
      fileShareArn: 'arn:aws:storagegateway:us-east-1:555555555555:share/share-AB12CD34',
      bucket: eventBucket(s),
    })).toThrow([
      'Gw/Refresh: invalid GatewayCacheRefresh props (2 problems):',
      '  - fileShareArn is in region us-east-1, the stack in eu-west-1: deploy this construct in the file share\'s region',
      '  - fileShareArn is in account 555555555555, the stack in 444444444444: deploy this construct in the file share\'s account',
    ].join('\n'));
  });

  test('refuses a bucket of this app that does not send its events to EventBridge', () => {
    const s = stack();
    expect(() => new GatewayCacheRefresh(s, 'Refresh', { fileShareArn: SHARE, bucket: new s3.Bucket(s, 'Quiet') }))
      .toThrow('Gw/Refresh: invalid GatewayCacheRefresh props (1 problem):\n  - bucket Gw/Quiet does not send its events to EventBridge: set eventBridgeEnabled: true on it (or NotificationConfiguration.EventBridgeConfiguration on its CfnBucket), or set refreshOnObjectEvents: false');
  });

  test('accepts a file share ARN that is a token (checked at deploy time)', () => {
    const s = stack();
    const arn = new CfnParameter(s, 'Share').valueAsString;
    expect(() => new GatewayCacheRefresh(s, 'Refresh', { fileShareArn: arn, bucket: eventBucket(s) })).not.toThrow();
  });
});
