/**
 * The permission test itself is live: each kind of broken edge fails with a message naming both
 * ends, the policy and the missing statement. It runs over the example app in
 * test/examples/example-app.test.ts.
 */
import { App, Aws, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as config from 'aws-cdk-lib/aws-config';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { addAlarmNotification, InstanceMetrics, InstanceTargets, NotificationTopic } from '../../lib';
import { checkPermissions, DeployedAssembly, expectPermissionsHold, PermissionReport } from '../support/permissions';
import { bucketNameProblem } from '../support/permissions/limits';
import { addRdsEventSubscription } from '../../lib/resilience/rds-support';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const OTHER = { account: '222222222222', region: 'eu-central-1' };

/** A bare app: these stacks are broken on purpose, so the rule packs are not applied. */
function bare(): { app: App; stack: Stack } {
  const app = new App();
  return { app, stack: new Stack(app, 'Edges', { env: ENV }) };
}

async function report(app: App): Promise<PermissionReport> {
  return checkPermissions(app.synth());
}

function alarm(stack: Stack, id = 'Alarm'): cloudwatch.Alarm {
  return new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors', period: Duration.minutes(5) })
    .createAlarm(stack, id, { threshold: 1, evaluationPeriods: 1 });
}

describe('the check is live', () => {
  test('an alarm whose topic policy does not admit CloudWatch fails, naming both ends and the statement to add', async () => {
    const { app, stack } = bare();
    const topic = new NotificationTopic(stack, 'Alerts');
    alarm(stack).addAlarmAction(new cwActions.SnsAction(topic.topic));
    const r = await report(app);
    expect(r.problems).toMatch(/alarm -> SNS topic: Edges\/Alarm[0-9A-F]{8} -> arn:aws:sns:eu-west-1:111111111111:[^:]+: cloudwatch\.amazonaws\.com sns:Publish on arn:aws:sns:eu-west-1:111111111111:\S+ is not allowed; topic policy Edges\/AlertsTopicPolicy\w+ needs \{"Effect":"Allow","Principal":\{"Service":"cloudwatch\.amazonaws\.com"\},"Action":"sns:Publish"/);
    expect(r.problems).toContain('"aws:SourceArn":"arn:aws:cloudwatch:eu-west-1:111111111111:alarm:');
  });

  test('the same alarm wired with addAlarmNotification passes, limited to that alarm and account', async () => {
    const { app, stack } = bare();
    const topic = new NotificationTopic(stack, 'Alerts');
    addAlarmNotification(alarm(stack), topic.topic);
    const r = await report(app);
    expect(r.problems).toBeUndefined();
    expect(r.edgeKinds['alarm -> SNS topic']).toBe(1);
  });

  test('a topic whose key does not let the publisher encrypt fails on the key policy', async () => {
    const { app, stack } = bare();
    const key = new kms.Key(stack, 'Key');
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
    topic.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')], actions: ['sns:Publish'], resources: [topic.topicArn],
    }));
    alarm(stack).addAlarmAction(new cwActions.SnsAction(topic));
    const r = await report(app);
    expect(r.problems).toMatch(/cloudwatch\.amazonaws\.com kms:GenerateDataKey on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed; key policy of Edges\/Key\w+ needs/);
    expect(r.problems).toMatch(/cloudwatch\.amazonaws\.com kms:Decrypt on/);
    expect(r.problems).not.toMatch(/sns:Publish on/);
  });

  test('an EventBridge rule to a queue without a queue policy fails', async () => {
    const { app, stack } = bare();
    const queue = new sqs.CfnQueue(stack, 'Queue');
    new events.CfnRule(stack, 'Rule', { eventPattern: { source: ['aws.s3'] }, targets: [{ id: 'q', arn: queue.attrArn }] });
    const r = await report(app);
    expect(r.problems).toMatch(/EventBridge rule -> sqs: Edges\/Rule -> arn:aws:sqs:eu-west-1:111111111111:\S+ \(target q\): events\.amazonaws\.com sqs:SendMessage on \S+ is not allowed; the queue has no AWS::SQS::QueuePolicy needs/);
  });

  test('an EventBridge rule to a queue through CDK\'s SqsQueue target passes', async () => {
    const { app, stack } = bare();
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['aws.s3'] }, targets: [new targets.SqsQueue(queue)] });
    expect((await report(app)).problems).toBeUndefined();
  });

  test('S3 event notifications, SNS -> SQS subscriptions and a log subscription to Kinesis, wired with the CDK L2s, pass', async () => {
    const { app, stack } = bare();
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    topic.addSubscription(new subscriptions.SqsSubscription(queue));
    new s3.Bucket(stack, 'Uploads').addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SnsDestination(topic));
    const group = new logs.LogGroup(stack, 'Logs');
    group.addSubscriptionFilter('ToStream', { destination: new logsDestinations.KinesisDestination(new kinesis.Stream(stack, 'Stream')), filterPattern: logs.FilterPattern.allEvents() });
    const r = await report(app);
    expect(r.problems).toBeUndefined();
    expect(r.edgeKinds).toMatchObject({ 'SNS subscription -> SQS': 1, 'S3 event notification -> SNS': 1, 'CloudWatch Logs subscription -> kinesis': 1 });
  });

  test('an SNS subscription to a queue whose policy does not admit the topic fails', async () => {
    const { app, stack } = bare();
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    new sns.Subscription(stack, 'Sub', { topic, protocol: sns.SubscriptionProtocol.SQS, endpoint: queue.queueArn });
    expect((await report(app)).problems).toMatch(/SNS subscription -> SQS: Edges\/Sub\w* -> \S+: sns\.amazonaws\.com sqs:SendMessage on \S+ is not allowed; the queue has no AWS::SQS::QueuePolicy needs/);
  });

  test('an SNS subscription whose dead-letter queue does not admit the topic fails on the dead-letter queue', async () => {
    const { app, stack } = bare();
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    queue.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
    }));
    const dlq = new sqs.CfnQueue(stack, 'Dlq');
    new sns.CfnSubscription(stack, 'Sub', { topicArn: topic.topicArn, protocol: 'sqs', endpoint: queue.queueArn, redrivePolicy: { deadLetterTargetArn: dlq.attrArn } });
    const r = await report(app);
    expect(r.edgeKinds['SNS subscription -> dead-letter queue']).toBe(1);
    expect(r.problems).toMatch(/SNS subscription -> dead-letter queue: Edges\/Sub -> arn:aws:sqs:eu-west-1:111111111111:\S+: sns\.amazonaws\.com sqs:SendMessage on \S+ is not allowed; the queue has no AWS::SQS::QueuePolicy needs/);
    expect(r.problems).not.toMatch(/SNS subscription -> SQS:/);
  });

  test('an SSE-KMS queue whose key admits SNS only for another topic fails on the key policy, for the subscriber and its dead-letter queue', async () => {
    const { app, stack } = bare();
    const topic = new sns.Topic(stack, 'Topic');
    const key = new kms.Key(stack, 'Key');
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')], actions: ['kms:GenerateDataKey*', 'kms:Decrypt'], resources: ['*'],
      conditions: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:111111111111:another-topic' } },
    }));
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    const dlq = new sqs.Queue(stack, 'Dlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    for (const q of [queue, dlq]) {
      q.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')], actions: ['sqs:SendMessage'], resources: [q.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
      }));
    }
    new sns.CfnSubscription(stack, 'Sub', { topicArn: topic.topicArn, protocol: 'sqs', endpoint: queue.queueArn, redrivePolicy: { deadLetterTargetArn: dlq.queueArn } });
    const r = await report(app);
    for (const kind of ['SNS subscription -> SQS', 'SNS subscription -> dead-letter queue']) {
      expect(r.problems).toContain(`${kind}: Edges/Sub -> `);
    }
    expect(r.problems).toMatch(/sns\.amazonaws\.com kms:GenerateDataKey on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed; key policy of Edges\/Key\w+ needs/);
    expect(r.problems).not.toMatch(/sqs:SendMessage on/);
  });

  test('the same queues pass when the key admits SNS for this topic, as aws-cdk-lib\'s SqsSubscription writes it', async () => {
    const { app, stack } = bare();
    const topic = new sns.Topic(stack, 'Topic');
    const key = new kms.Key(stack, 'Key');
    const dlq = new sqs.Queue(stack, 'Dlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }), { deadLetterQueue: dlq }));
    const r = await report(app);
    expect(r.problems).toBeUndefined();
    expect(r.edgeKinds).toMatchObject({ 'SNS subscription -> SQS': 1, 'SNS subscription -> dead-letter queue': 1 });
  });

  test('a log subscription whose role may not put records into the stream fails on the role', async () => {
    const { app, stack } = bare();
    const stream = new kinesis.Stream(stack, 'Stream');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('logs.amazonaws.com') });
    const group = new logs.LogGroup(stack, 'Logs');
    new logs.CfnSubscriptionFilter(stack, 'Filter', { logGroupName: group.logGroupName, filterPattern: '', destinationArn: stream.streamArn, roleArn: role.roleArn });
    expect((await report(app)).problems).toMatch(/CloudWatch Logs subscription -> kinesis: Edges\/Filter -> \S+: arn:aws:iam::111111111111:role\/\S+ kinesis:PutRecord on arn:aws:kinesis:eu-west-1:111111111111:stream\/\S+ is not allowed; the identity policies of the role \(none\) need/);
  });

  test('a rule whose target role does not trust EventBridge fails on the trust policy', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['codebuild:StartBuild'], resources: ['*'] }));
    new events.CfnRule(stack, 'Rule', {
      eventPattern: { source: ['aws.codecommit'] },
      targets: [{ id: 'b', arn: `arn:aws:codebuild:eu-west-1:111111111111:project/p`, roleArn: role.roleArn }],
    });
    const r = await report(app);
    expect(r.problems).toMatch(/events\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/Role\w+ needs/);
  });

  test('API Gateway access logs through an account CloudWatch role that may not write logs, or that API Gateway may not assume, fail', async () => {
    const build = (trusted: string, withPolicy: boolean) => {
      const { app, stack } = bare();
      const role = new iam.Role(stack, 'CloudWatchRole', { assumedBy: new iam.ServicePrincipal(trusted) });
      if (withPolicy) role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['arn:aws:logs:eu-west-1:111111111111:log-group:*'] }));
      new CfnResource(stack, 'Account', { type: 'AWS::ApiGateway::Account', properties: { CloudWatchRoleArn: role.roleArn } });
      const group = new logs.LogGroup(stack, 'Access');
      new CfnResource(stack, 'Stage', { type: 'AWS::ApiGateway::Stage', properties: { RestApiId: 'a1b2c3', StageName: 'prod', DeploymentId: 'd1', AccessLogSetting: { DestinationArn: group.logGroupArn, Format: '{"requestId":"$context.requestId"}' } } });
      return app;
    };
    expect((await report(build('apigateway.amazonaws.com', false))).problems).toMatch(/API Gateway -> CloudWatch Logs \(account role\): Edges\/Stage -> \S+: arn:aws:iam::111111111111:role\/\S+ logs:CreateLogStream on arn:aws:logs:eu-west-1:111111111111:log-group:\S+:log-stream:\S+ is not allowed; the identity policies of the role \(none\) need/);
    expect((await report(build('lambda.amazonaws.com', true))).problems).toMatch(/apigateway\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/CloudWatchRole\w+ needs/);
    const working = await report(build('apigateway.amazonaws.com', true));
    expect(working.problems).toBeUndefined();
    expect(working.edgeKinds['API Gateway -> CloudWatch Logs (account role)']).toBe(1);
  });

  test('a chat channel whose role does not trust Amazon Q Developer (chatbot.amazonaws.com) fails on the trust policy', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'ChannelRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new chatbot.SlackChannelConfiguration(stack, 'Channel', {
      slackChannelConfigurationName: 'ops', slackWorkspaceId: 'T00000000', slackChannelId: 'C0000000000', role,
    });
    const r = await report(app);
    expect(r.edgeKinds['chatbot assumes its role']).toBe(1);
    expect(r.problems).toMatch(/chatbot\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/ChannelRole\w+ needs/);
  });

  test('the same channel with a role that trusts chatbot.amazonaws.com passes', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'ChannelRole', { assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com') });
    new chatbot.CfnMicrosoftTeamsChannelConfiguration(stack, 'Channel', {
      configurationName: 'ops', teamId: '00000000-0000-0000-0000-000000000000', teamsTenantId: '00000000-0000-0000-0000-000000000000',
      teamsChannelId: '19%3aops%40thread.tacv2', iamRoleArn: role.roleArn,
    });
    const r = await report(app);
    expect(r.edgeKinds['chatbot assumes its role']).toBe(1);
    expect(r.failures).toHaveLength(0);
  });

  test('a log group whose key does not admit CloudWatch Logs fails', async () => {
    const { app, stack } = bare();
    new logs.LogGroup(stack, 'Logs', { encryptionKey: new kms.Key(stack, 'Key') });
    const r = await report(app);
    expect(r.problems).toMatch(/CloudWatch Logs -> log group KMS key: Edges\/Logs\w+ -> \S+: logs\.eu-west-1\.amazonaws\.com kms:Encrypt on \S+ is not allowed; key policy of Edges\/Key\w+ needs/);
  });

  test('a key that admits CloudWatch Logs only for another account\'s log groups fails on its encryption-context condition', async () => {
    const { app, stack } = bare();
    const key = new kms.Key(stack, 'Key');
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logs.eu-west-1.amazonaws.com')], actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:999999999999:log-group:*' } },
    }));
    new logs.LogGroup(stack, 'Logs', { encryptionKey: key });
    expect((await report(app)).problems).toMatch(/kms:Encrypt on \S+ is not allowed/);
  });

  test('cross-account replication without the destination bucket policy fails on the destination, though the role allows it', async () => {
    const app = new App();
    const dest = new Stack(app, 'Dest', { env: OTHER });
    new s3.CfnBucket(dest, 'Replica', { bucketName: 'replica-222222222222', versioningConfiguration: { status: 'Enabled' } });
    const source = new Stack(app, 'Source', { env: ENV });
    const role = new iam.Role(source, 'Role', { roleName: 'replication', assumedBy: new iam.ServicePrincipal('s3.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }));
    new s3.CfnBucket(source, 'Data', {
      versioningConfiguration: { status: 'Enabled' },
      replicationConfiguration: { role: role.roleArn, rules: [{ status: 'Enabled', destination: { bucket: 'arn:aws:s3:::replica-222222222222', account: '222222222222' } }] },
    });
    const r = await report(app);
    expect(r.problems).toMatch(/S3 replication -> other account: Source\/Data -> arn:aws:s3:::replica-222222222222: arn:aws:iam::111111111111:role\/replication s3:ReplicateObject on arn:aws:s3:::replica-222222222222\/\S+ is not allowed; the bucket has no bucket policy needs/);
    expect(r.problems).not.toMatch(/identity policies of the role/);
  });

  test('a role that may not write into the bucket its service delivers to fails on the identity side', async () => {
    const { app, stack } = bare();
    const bucket = new s3.CfnBucket(stack, 'Delivery');
    const role = new iam.Role(stack, 'Recorder', { assumedBy: new iam.ServicePrincipal('config.amazonaws.com') });
    new CfnResource(stack, 'Recorder2', { type: 'AWS::Config::ConfigurationRecorder', properties: { RoleARN: role.roleArn } });
    new CfnResource(stack, 'Channel', { type: 'AWS::Config::DeliveryChannel', properties: { S3BucketName: bucket.ref } });
    const r = await report(app);
    expect(r.problems).toMatch(/AWS Config -> delivery bucket: Edges\/Channel -> \S+: arn:aws:iam::111111111111:role\/\S+ s3:PutObject on arn:aws:s3:::\S+\/AWSLogs\/111111111111\/Config\/eu-west-1\/\S+ is not allowed; the identity policies of the role \(none\) need/);
  });

  test('server access logs into a KMS-encrypted bucket fail: log delivery only writes SSE-S3 targets', async () => {
    const { app, stack } = bare();
    const target = new s3.Bucket(stack, 'Logs', { encryption: s3.BucketEncryption.KMS_MANAGED });
    new s3.Bucket(stack, 'Data', { serverAccessLogsBucket: target });
    expect((await report(app)).problems).toMatch(/S3 server access logs -> bucket: Edges\/Data\w+: the log target Edges\/Logs\w+ is encrypted with aws:kms; this log delivery only writes to buckets with SSE-S3/);
  });

  test('a drift check whose role may not start drift detection fails on the role; its trust must admit AWS Config of the account', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'DriftRole', { assumedBy: new iam.ServicePrincipal('config.amazonaws.com') });
    new config.CloudFormationStackDriftDetectionCheck(stack, 'Drift', { role });
    const r = await report(app);
    expect(r.problems).toMatch(/AWS Config drift check -> stacks: Edges\/Drift\w+ -> arn:aws:iam::111111111111:role\/\S+: arn:aws:iam::111111111111:role\/\S+ cloudformation:DetectStackDrift on arn:aws:cloudformation:eu-west-1:111111111111:stack\/any-stack\/\S+ is not allowed; the identity policies of the role \(none\) need/);

    const other = bare();
    const wrongTrust = new iam.Role(other.stack, 'DriftRole', { assumedBy: new iam.ServicePrincipal('config.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': '222222222222' } }) });
    wrongTrust.addToPolicy(new iam.PolicyStatement({ actions: ['cloudformation:DetectStackDrift', 'cloudformation:DetectStackResourceDrift', 'cloudformation:DescribeStackDriftDetectionStatus'], resources: ['*'] }));
    new config.CloudFormationStackDriftDetectionCheck(other.stack, 'Drift', { role: wrongTrust });
    expect((await report(other.app)).problems).toMatch(/config\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/DriftRole/);
  });

  test('a DetectStackDrift schedule whose role may start drift detection on another stack only fails, naming the stack it calls', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'SchedulerRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    new scheduler.Schedule(stack, 'Detect', {
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)),
      target: new schedulerTargets.Universal({
        service: 'cloudformation', action: 'detectStackDrift', role,
        input: scheduler.ScheduleTargetInput.fromObject({ StackName: 'orders' }),
        policyStatements: [new iam.PolicyStatement({ actions: ['cloudformation:DetectStackDrift', 'cloudformation:DetectStackResourceDrift'], resources: ['arn:aws:cloudformation:eu-west-1:111111111111:stack/payments/*'] })],
      }),
    });
    const r = await report(app);
    expect(r.problems).toMatch(/Scheduler universal target -> API: Edges\/Detect\w+ -> cloudformation:DetectStackDrift: arn:aws:iam::111111111111:role\/\S+ cloudformation:DetectStackDrift on arn:aws:cloudformation:eu-west-1:111111111111:stack\/orders\/\S+ is not allowed/);
  });

  test('server access logs with partitioned keys fail when the log bucket allows only another bucket\'s partition', async () => {
    const { app, stack } = bare();
    const target = new s3.Bucket(stack, 'Logs', { encryption: s3.BucketEncryption.S3_MANAGED });
    const source = new s3.CfnBucket(stack, 'Data', {
      bucketName: 'edges-data',
      loggingConfiguration: { destinationBucketName: target.bucketName, logFilePrefix: 'logs/', targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } } },
    });
    // Allowed for the key layout of another source bucket only: S3 writes under the source's own name.
    target.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')], actions: ['s3:PutObject'],
      resources: [target.arnForObjects(`logs/${Aws.ACCOUNT_ID}/${Aws.REGION}/other-bucket/*`)],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }));
    void source;
    expect((await report(app)).problems).toMatch(/S3 server access logs -> bucket: Edges\/Data -> \S+: logging\.s3\.amazonaws\.com s3:PutObject on arn:aws:s3:::\S+\/logs\/111111111111\/eu-west-1\/edges-data\/2026\/01\/01\/2026-01-01-00-00-00-\w+ is not allowed/);
  });

  test('server access logs with partitioned keys hold when the log bucket allows exactly the source\'s own partition', async () => {
    // S3 writes [prefix][account]/[region]/[source bucket]/[YYYY]/[MM]/[DD]/..., not [prefix][YYYY]-[MM]-...: a policy
    // for the partition alone must be enough, and is only if the check models the partitioned key.
    const { app, stack } = bare();
    const target = new s3.Bucket(stack, 'Logs', { encryption: s3.BucketEncryption.S3_MANAGED });
    new s3.CfnBucket(stack, 'Data', {
      bucketName: 'edges-data',
      loggingConfiguration: { destinationBucketName: target.bucketName, logFilePrefix: 'logs/', targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } } },
    });
    target.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')], actions: ['s3:PutObject'],
      resources: [target.arnForObjects(`logs/${Aws.ACCOUNT_ID}/${Aws.REGION}/edges-data/*`)],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }));
    const r = await report(app);
    expect(r.problems).toBeUndefined();
    expect(r.edgeKinds['S3 server access logs -> bucket']).toBe(1);
  });

  test('an EventBridge pipe whose role may not read its queue or start its workflow fails on the role; with the grants it passes', async () => {
    const build = (granted: boolean): App => {
      const { app, stack } = bare();
      const key = new kms.Key(stack, 'Key');
      const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
      const machine = new sfn.StateMachine(stack, 'Machine', {
        definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
        role: new iam.Role(stack, 'MachineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') }),
      });
      const role = new iam.Role(stack, 'PipeRole', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
      if (granted) {
        queue.grantConsumeMessages(role);
        machine.grantStartExecution(role);
      }
      new pipes.CfnPipe(stack, 'Pipe', {
        roleArn: role.roleArn, source: queue.queueArn, target: machine.stateMachineArn,
        targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'FIRE_AND_FORGET' } },
      });
      return app;
    };
    const broken = await report(build(false));
    expect(broken.problems).toMatch(/EventBridge pipe -> SQS source: Edges\/Pipe -> \S+: arn:aws:iam::111111111111:role\/\S+ sqs:ReceiveMessage on arn:aws:sqs:eu-west-1:111111111111:\S+ is not allowed/);
    expect(broken.problems).toMatch(/EventBridge pipe -> SQS source: .* kms:Decrypt on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed/);
    expect(broken.problems).toMatch(/EventBridge pipe -> Step Functions: Edges\/Pipe -> \S+: arn:aws:iam::111111111111:role\/\S+ states:StartExecution on arn:aws:states:eu-west-1:111111111111:stateMachine:\S+ is not allowed/);
    const fixed = await report(build(true));
    expect(fixed.problems).toBeUndefined();
    expect(fixed.edgeKinds).toMatchObject({ 'EventBridge pipe -> SQS source': 1, 'EventBridge pipe -> Step Functions': 1 });
  });

  test('an EventBridge pipe whose role does not trust EventBridge Pipes fails on the trust policy', async () => {
    const { app, stack } = bare();
    const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    const machine = new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')) });
    const role = new iam.Role(stack, 'PipeRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
    queue.grantConsumeMessages(role);
    machine.grantStartExecution(role);
    new pipes.CfnPipe(stack, 'Pipe', { roleArn: role.roleArn, source: queue.queueArn, target: machine.stateMachineArn });
    expect((await report(app)).problems).toMatch(/pipes\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/PipeRole\w* needs/);
  });

  test('a pipe source or target the check does not model fails as not covered', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'PipeRole', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
    new pipes.CfnPipe(stack, 'Pipe', { roleArn: role.roleArn, source: 'arn:aws:dynamodb:eu-west-1:111111111111:table/t/stream/2026-01-01T00:00:00.000', target: 'arn:aws:lambda:eu-west-1:111111111111:function:f' });
    const r = await report(app);
    expect(r.problems).toMatch(/not covered by the permission check: .*Edges\/Pipe: pipe source arn:aws:dynamodb/s);
    expect(r.problems).toMatch(/Edges\/Pipe: pipe target arn:aws:lambda/);
  });

  test('an EventBridge pipe from an encrypted Kinesis stream to an encrypted topic, with a dead-letter queue, fails on every ungranted request; with the grants it passes', async () => {
    const build = (granted: boolean): App => {
      const { app, stack } = bare();
      const key = new kms.Key(stack, 'Key');
      const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
      const queue = new sqs.Queue(stack, 'Dlq', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true });
      const topic = new sns.Topic(stack, 'Changes', { masterKey: new kms.Key(stack, 'TopicKey'), enforceSSL: true });
      const role = new iam.Role(stack, 'PipeRole', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
      if (granted) {
        stream.grantRead(role);
        queue.grantSendMessages(role);
        topic.grantPublish(role);
      }
      new pipes.CfnPipe(stack, 'Pipe', {
        roleArn: role.roleArn, source: stream.streamArn, target: topic.topicArn,
        sourceParameters: { kinesisStreamParameters: { startingPosition: 'TRIM_HORIZON', deadLetterConfig: { arn: queue.queueArn } } },
      });
      return app;
    };
    const broken = await report(build(false));
    expect(broken.problems).toMatch(/EventBridge pipe -> Kinesis source: Edges\/Pipe -> \S+: arn:aws:iam::111111111111:role\/\S+ kinesis:GetRecords on arn:aws:kinesis:eu-west-1:111111111111:stream\/\S+ is not allowed/);
    expect(broken.problems).toMatch(/EventBridge pipe -> Kinesis source: .* kms:Decrypt on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed/);
    expect(broken.problems).toMatch(/EventBridge pipe -> dead-letter queue: .* sqs:SendMessage on arn:aws:sqs:eu-west-1:111111111111:\S+ is not allowed/);
    expect(broken.problems).toMatch(/EventBridge pipe -> SNS topic: .* sns:Publish on arn:aws:sns:eu-west-1:111111111111:\S+ is not allowed/);
    expect(broken.problems).toMatch(/EventBridge pipe -> SNS topic: .* kms:GenerateDataKey on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed/);
    const fixed = await report(build(true));
    expect(fixed.problems).toBeUndefined();
    expect(fixed.edgeKinds).toMatchObject({ 'EventBridge pipe -> Kinesis source': 1, 'EventBridge pipe -> dead-letter queue': 1, 'EventBridge pipe -> SNS topic': 1 });
  });

  test('an EventBridge pipe whose role may not put events on its target bus fails; with the grant it passes', async () => {
    const build = (granted: boolean): App => {
      const { app, stack } = bare();
      const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.MANAGED });
      const bus = new events.EventBus(stack, 'Bus');
      const role = new iam.Role(stack, 'PipeRole', { assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com') });
      stream.grantRead(role);
      if (granted) bus.grantPutEventsTo(role);
      new pipes.CfnPipe(stack, 'Pipe', { roleArn: role.roleArn, source: stream.streamArn, target: bus.eventBusArn, sourceParameters: { kinesisStreamParameters: { startingPosition: 'LATEST' } } });
      return app;
    };
    expect((await report(build(false))).problems).toMatch(/EventBridge pipe -> event bus: Edges\/Pipe -> arn:aws:events:eu-west-1:111111111111:event-bus\/\S+: arn:aws:iam::111111111111:role\/\S+ events:PutEvents on arn:aws:events:eu-west-1:111111111111:event-bus\/\S+ is not allowed/);
    const fixed = await report(build(true));
    expect(fixed.problems).toBeUndefined();
    expect(fixed.edgeKinds['EventBridge pipe -> event bus']).toBe(1);
  });

  test('a table streaming changes to a Kinesis stream whose key policy does not admit the account fails on DynamoDB\'s service-linked role; with the default key policy it passes', async () => {
    const build = (delegates: boolean): App => {
      const { app, stack } = bare();
      const key = new kms.Key(stack, 'Key');
      if (!delegates) {
        (key.node.defaultChild as kms.CfnKey).addPropertyOverride('KeyPolicy', {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:role/KeyAdmin' }, Action: 'kms:*', Resource: '*' }],
        });
      }
      const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
      new dynamodb.TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, kinesisStream: stream });
      return app;
    };
    expect((await report(build(false))).problems).toMatch(/DynamoDB -> Kinesis data stream: Edges\/Table\w* -> arn:aws:kinesis:eu-west-1:111111111111:stream\/\S+ \(replica in eu-west-1\): arn:aws:iam::111111111111:role\/aws-service-role\/kinesisreplication\.dynamodb\.amazonaws\.com\/AWSServiceRoleForDynamoDBKinesisDataStreamsReplication kms:GenerateDataKey on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed/);
    const fixed = await report(build(true));
    expect(fixed.problems).toBeUndefined();
    expect(fixed.edgeKinds['DynamoDB -> Kinesis data stream']).toBe(1);
  });

  test('a replica streaming its changes to a Kinesis stream in another region is a structural problem', async () => {
    const { app, stack } = bare();
    const far = kinesis.Stream.fromStreamArn(stack, 'Far', 'arn:aws:kinesis:us-east-1:111111111111:stream/far');
    new dynamodb.TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, replicas: [{ region: 'eu-central-1', kinesisStream: far }] });
    expect((await report(app)).problems).toContain('the replica in eu-central-1 streams to arn:aws:kinesis:us-east-1:111111111111:stream/far, in us-east-1: the stream must be in the replica\'s region');
  });

  test('a schedule running an ECS task fails when its role may run the family only in another cluster, and when it may not pass the task\'s roles', async () => {
    const build = (grantPassRole: boolean, cluster: 'own' | 'other') => {
      const { app, stack } = bare();
      const ecsCluster = new ecs.CfnCluster(stack, 'Cluster');
      const taskRole = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      const task = new ecs.CfnTaskDefinition(stack, 'Task', {
        family: 'job', taskRoleArn: taskRole.roleArn, requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512',
        containerDefinitions: [{ name: 'app', image: 'busybox' }],
      });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
      role.addToPolicy(new iam.PolicyStatement({
        actions: ['ecs:RunTask'], resources: ['arn:aws:ecs:eu-west-1:111111111111:task-definition/job:*'],
        conditions: { ArnEquals: { 'ecs:cluster': cluster === 'own' ? ecsCluster.attrArn : 'arn:aws:ecs:eu-west-1:111111111111:cluster/other' } },
      }));
      if (grantPassRole) role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [taskRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } }));
      new scheduler.CfnSchedule(stack, 'Schedule', {
        scheduleExpression: 'rate(1 day)', flexibleTimeWindow: { mode: 'OFF' },
        target: { arn: ecsCluster.attrArn, roleArn: role.roleArn, ecsParameters: { taskDefinitionArn: task.ref, launchType: 'FARGATE' } },
      });
      return app;
    };
    const otherCluster = await report(build(true, 'other'));
    expect(otherCluster.problems).toMatch(/Scheduler -> ECS RunTask: Edges\/Schedule -> arn:aws:ecs:eu-west-1:111111111111:task-definition\/job:1: arn:aws:iam::111111111111:role\/\S+ ecs:RunTask on arn:aws:ecs:eu-west-1:111111111111:task-definition\/job:1 is not allowed/);
    expect(otherCluster.problems).not.toMatch(/iam:PassRole/);
    const noPassRole = await report(build(false, 'own'));
    expect(noPassRole.problems).toMatch(/iam:PassRole on arn:aws:iam::111111111111:role\/\S+ is not allowed/);
    expect(noPassRole.problems).not.toMatch(/ecs:RunTask/);
    const fine = await report(build(true, 'own'));
    expect(fine.problems).toBeUndefined();
    expect(fine.edgeKinds['Scheduler -> ECS RunTask']).toBe(1);
  });

  test('an EventBridge rule running an ECS task is checked on the task definition with ecs:cluster and PassRole, not on the cluster ARN', async () => {
    const build = (policy: 'cluster-arn' | 'task-definition') => {
      const { app, stack } = bare();
      const ecsCluster = new ecs.CfnCluster(stack, 'Cluster');
      const taskRole = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      const task = new ecs.CfnTaskDefinition(stack, 'Task', {
        family: 'job', taskRoleArn: taskRole.roleArn, requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512',
        containerDefinitions: [{ name: 'app', image: 'busybox' }],
      });
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com') });
      if (policy === 'cluster-arn') {
        role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: [ecsCluster.attrArn] }));
      } else {
        role.addToPolicy(new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: ['arn:aws:ecs:eu-west-1:111111111111:task-definition/job:*'], conditions: { ArnEquals: { 'ecs:cluster': ecsCluster.attrArn } } }));
        role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [taskRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } } }));
      }
      new events.CfnRule(stack, 'Rule', {
        scheduleExpression: 'rate(1 day)',
        targets: [{ id: 'task', arn: ecsCluster.attrArn, roleArn: role.roleArn, ecsParameters: { taskDefinitionArn: task.ref, launchType: 'FARGATE' } }],
      });
      return app;
    };
    const clusterOnly = await report(build('cluster-arn'));
    expect(clusterOnly.problems).toMatch(/EventBridge rule -> ecs: .*ecs:RunTask on arn:aws:ecs:eu-west-1:111111111111:task-definition\/job:1 is not allowed/);
    expect(clusterOnly.problems).toMatch(/iam:PassRole on arn:aws:iam::111111111111:role\/\S+ is not allowed/);
    const fine = await report(build('task-definition'));
    expect(fine.problems).toBeUndefined();
    expect(fine.edgeKinds['EventBridge rule -> ecs']).toBe(1);
  });

  test('Run Command on the instances of an Auto Scaling group: a role limited to another group\'s instances, or to an account\'s copy of an AWS-owned document, fails', async () => {
    const build = (instanceGroup: string, documentAccount: string) => {
      const { app, stack } = bare();
      const send = new tasks.CallAwsService(stack, 'Send', {
        service: 'ssm', action: 'sendCommand', iamAction: 'ssm:SendCommand',
        parameters: { DocumentName: 'AWS-RunShellScript', InstanceIds: sfn.JsonPath.array(sfn.JsonPath.stringAt('$.detail.EC2InstanceId')), Parameters: { commands: ['true'] } },
        iamResources: [`arn:aws:ssm:eu-west-1:${documentAccount}:document/AWS-RunShellScript`],
        additionalIamStatements: [new iam.PolicyStatement({
          actions: ['ssm:SendCommand'], resources: ['arn:aws:ec2:eu-west-1:111111111111:instance/*'],
          conditions: { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': instanceGroup } },
        })],
      });
      const machine = new sfn.StateMachine(stack, 'Work', { definitionBody: sfn.DefinitionBody.fromChainable(send) });
      new events.Rule(stack, 'Lifecycle', {
        eventPattern: { source: ['aws.autoscaling'], detailType: ['EC2 Instance-launch Lifecycle Action'], detail: { AutoScalingGroupName: ['web'] } },
        targets: [new targets.SfnStateMachine(machine)],
      });
      return app;
    };
    const otherGroup = await report(build('batch', ''));
    expect(otherGroup.problems).toMatch(/Step Functions SDK task -> Run Command on Auto Scaling instances: Edges\/Work\w+ -> AWS-RunShellScript on the instances of web: \S+ ssm:SendCommand on arn:aws:ec2:eu-west-1:111111111111:instance\/i-0123456789abcdef0 is not allowed/);
    expect(otherGroup.problems).not.toMatch(/document\/AWS-RunShellScript is not allowed/);
    const accountDocument = await report(build('web', '111111111111'));
    expect(accountDocument.problems).toMatch(/ssm:SendCommand on arn:aws:ssm:eu-west-1::document\/AWS-RunShellScript is not allowed/);
    expect(accountDocument.problems).not.toMatch(/instance\/i-0123456789abcdef0 is not allowed/);
    const right = await report(build('web', ''));
    // (This bare stack's state machine role has the trust of an app without cdk.json's feature flags; only the Run Command edge is judged here.)
    expect(right.failures.filter((f) => f.edge.kind === 'Step Functions SDK task -> Run Command on Auto Scaling instances')).toEqual([]);
    expect(right.edgeKinds['Step Functions SDK task -> Run Command on Auto Scaling instances']).toBe(1);
  });

  /** A RUN_COMMAND maintenance window task of AWS-RunPatchBaseline, run by `role`. */
  function patchTask(stack: Stack, role: iam.IRole): void {
    const window = new ssm.CfnMaintenanceWindow(stack, 'Window', { name: 'patch-window', schedule: 'rate(7 days)', duration: 2, cutoff: 1, allowUnassociatedTargets: false });
    new ssm.CfnMaintenanceWindowTask(stack, 'Task', {
      windowId: window.ref, taskType: 'RUN_COMMAND', taskArn: 'AWS-RunPatchBaseline', priority: 1, serviceRoleArn: role.roleArn,
      targets: [{ key: 'WindowTargetIds', values: ['t'] }], maxConcurrency: '1', maxErrors: '1',
    });
  }

  test('a maintenance window task whose role sends AWS-RunPatchBaseline only as a document of the own account fails on the AWS-owned document; a role no one trusts fails on its trust', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['ssm:SendCommand'],
      resources: ['arn:aws:ssm:eu-west-1:111111111111:document/AWS-RunPatchBaseline', 'arn:aws:ec2:eu-west-1:111111111111:instance/*', 'arn:aws:ssm:eu-west-1:111111111111:managed-instance/*'],
    }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:ListCommandInvocations'], resources: ['*'] }));
    patchTask(stack, role);
    const r = await report(app);
    expect(r.edgeKinds['maintenance window task -> Run Command']).toBe(1);
    expect(r.failures.map((x) => x.message)).toEqual([expect.stringMatching(/ssm:SendCommand on arn:aws:ssm:eu-west-1::document\/AWS-RunPatchBaseline is not allowed/)]);

    const other = bare();
    const untrusted = new iam.Role(other.stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    untrusted.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:SendCommand', 'ssm:ListCommandInvocations'], resources: ['*'] }));
    patchTask(other.stack, untrusted);
    expect((await report(other.app)).problems).toMatch(/ssm\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/TaskRole/);
  });

  test('the same task holds with the document written for any account field (AWS-owned documents have an empty one)', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['ssm:SendCommand'],
      resources: ['arn:aws:ssm:eu-west-1:*:document/AWS-RunPatchBaseline', 'arn:aws:ec2:eu-west-1:111111111111:instance/*', 'arn:aws:ssm:eu-west-1:111111111111:managed-instance/*'],
    }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:ListCommandInvocations'], resources: ['*'] }));
    patchTask(stack, role);
    expect((await report(app)).failures).toHaveLength(0);
  });

  /** An AMI build runbook run by `role`, launching with `profile` and tagging its instance build=ami. */
  function amiRunbook(stack: Stack, role: iam.IRole, profile: iam.InstanceProfile): void {
    const ids = ['{{ Launch.InstanceIds }}'];
    new ssm.CfnDocument(stack, 'Runbook', {
      documentType: 'Automation',
      content: {
        schemaVersion: '0.3', assumeRole: '{{ AutomationAssumeRole }}',
        parameters: { AutomationAssumeRole: { type: 'String', default: role.roleArn } },
        mainSteps: [
          { name: 'Launch', action: 'aws:runInstances', inputs: { ImageId: 'ami-0123456789abcdef0', IamInstanceProfileName: profile.instanceProfileName, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'build', Value: 'ami' }] }] } },
          { name: 'Image', action: 'aws:createImage', inputs: { InstanceId: '{{ Launch.InstanceIds }}', ImageName: 'x' } },
          { name: 'Terminate', action: 'aws:changeInstanceState', inputs: { InstanceIds: ids, DesiredState: 'terminated' } },
        ],
      },
    });
  }

  function automationRole(stack: Stack, buildTag: string, passRole: boolean, instanceRole: iam.IRole): iam.Role {
    const role = new iam.Role(stack, 'AutomationRole', { assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:RunInstances', 'ec2:CreateTags'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:CreateImage', 'ec2:TerminateInstances'], resources: ['arn:aws:ec2:eu-west-1:111111111111:instance/*'], conditions: { StringEquals: { 'aws:ResourceTag/build': buildTag } } }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:CreateImage'], resources: ['arn:aws:ec2:eu-west-1::image/*', 'arn:aws:ec2:eu-west-1::snapshot/*'] }));
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstanceStatus', 'ec2:DescribeImages'], resources: ['*'] }));
    if (passRole) role.addToPolicy(new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [instanceRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } }));
    return role;
  }

  test('an Automation runbook whose role may not pass the instance role, or may image and terminate only instances of another build tag, fails on those steps', async () => {
    const { app, stack } = bare();
    const instanceRole = new iam.Role(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const profile = new iam.InstanceProfile(stack, 'Profile', { role: instanceRole });
    amiRunbook(stack, automationRole(stack, 'other', false, instanceRole), profile);
    const r = await report(app);
    expect(r.edgeKinds['SSM Automation runbook -> its role']).toBe(1);
    const messages = r.failures.map((x) => x.message).join('\n');
    expect(messages).toMatch(/iam:PassRole on arn:aws:iam::111111111111:role\/\S*InstanceRole\S* is not allowed/);
    expect(messages).toMatch(/ec2:CreateImage on arn:aws:ec2:eu-west-1:111111111111:instance\/i-0123456789abcdef0 is not allowed/);
    expect(messages).toMatch(/ec2:TerminateInstances on arn:aws:ec2:eu-west-1:111111111111:instance\/i-0123456789abcdef0 is not allowed/);
    expect(r.failures).toHaveLength(3);
  });

  test('the same runbook holds when its role passes the instance role to EC2 and acts on instances of its own build tag', async () => {
    const { app, stack } = bare();
    const instanceRole = new iam.Role(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const profile = new iam.InstanceProfile(stack, 'Profile', { role: instanceRole });
    amiRunbook(stack, automationRole(stack, 'ami', true, instanceRole), profile);
    expect((await report(app)).failures).toHaveLength(0);
  });

  test('an RDS event subscription to a topic whose policy and key do not admit RDS fails on both', async () => {
    const { app, stack } = bare();
    const topic = new NotificationTopic(stack, 'Alerts');
    new rds.CfnEventSubscription(stack, 'Events', { snsTopicArn: topic.topic.topicArn, sourceType: 'db-instance', sourceIds: ['orders'], eventCategories: ['failover'] });
    const r = await report(app);
    expect(r.edgeKinds['RDS event subscription -> SNS']).toBe(1);
    expect(r.problems).toMatch(/RDS event subscription -> SNS: Edges\/Events -> arn:aws:sns:eu-west-1:111111111111:\S+: events\.rds\.amazonaws\.com sns:Publish on \S+ is not allowed/);
    expect(r.problems).toMatch(/events\.rds\.amazonaws\.com kms:GenerateDataKey on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed/);
  });

  test('the same subscription wired by RES-5 passes, for its own source only', async () => {
    const { app, stack } = bare();
    const topic = new NotificationTopic(stack, 'Alerts');
    addRdsEventSubscription(stack, 'Events', {
      sourceType: 'db-instance', sourceIds: ['orders'], sourceArns: ['arn:aws:rds:eu-west-1:111111111111:db:orders'], categories: ['failover'], topic: topic.topic,
    });
    new rds.CfnEventSubscription(stack, 'Other', { snsTopicArn: topic.topic.topicArn, sourceType: 'db-instance', sourceIds: ['billing'], eventCategories: ['failover'] });
    const r = await report(app);
    expect(r.edgeKinds['RDS event subscription -> SNS']).toBe(2);
    expect(r.failures.map((failure) => failure.edge.from.label)).toEqual(['Edges/Other']);
  });

  test('an RDS instance whose enhanced monitoring role does not trust monitoring.rds.amazonaws.com fails on the trust policy', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'Monitoring', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    new rds.CfnDBInstance(stack, 'Db', { dbInstanceClass: 'db.t4g.micro', engine: 'postgres', storageEncrypted: true, monitoringInterval: 60, monitoringRoleArn: role.roleArn });
    const r = await report(app);
    expect(r.problems).toMatch(/monitoring assumes its role: Edges\/Db -> \S+: monitoring\.rds\.amazonaws\.com sts:AssumeRole on \S+ is not allowed/);
  });

  test('an edge of a kind the check cannot evaluate fails instead of passing unseen', async () => {
    const { app, stack } = bare();
    new events.CfnRule(stack, 'Rule', { eventPattern: { source: ['aws.s3'] }, targets: [{ id: 'x', arn: 'arn:aws:ssm:eu-west-1:111111111111:document/Run' }] });
    expect((await report(app)).problems).toMatch(/not covered by the permission check: Edges\/Rule: target arn:aws:ssm:eu-west-1:111111111111:document\/Run/);
  });

  test('a target outside the assembly cannot be evaluated and fails, saying why', async () => {
    const { app, stack } = bare();
    const topic = sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:eu-west-1:111111111111:someone-elses');
    alarm(stack).addAlarmAction(new cwActions.SnsAction(topic));
    expect((await report(app)).problems).toMatch(/sns:Publish on arn:aws:sns:eu-west-1:111111111111:someone-elses cannot be evaluated: topic \S+ is not in the assembly/);
  });

  test('expectPermissionsHold throws with the problems, and checks only the stacks it is given', async () => {
    const app = new App();
    const broken = new Stack(app, 'Broken', { env: ENV });
    alarm(broken).addAlarmAction(new cwActions.SnsAction(new NotificationTopic(broken, 'Alerts').topic));
    const fine = new Stack(app, 'Fine', { env: ENV });
    addAlarmNotification(alarm(fine), new NotificationTopic(fine, 'Alerts').topic);
    await expect(expectPermissionsHold(broken)).rejects.toThrow(/1 permission problem\(s\):\n {2}- alarm -> SNS topic: Broken\/Alarm/);
    await expect(expectPermissionsHold(fine)).resolves.toMatchObject({ edgeKinds: { 'alarm -> SNS topic': 1 } });
  });

  test('the CloudWatch agent on tagged instances fails when their role lacks the agent\'s permissions, and passes with grantAgent', async () => {
    const agentOn = (grant: boolean) => {
      const { app, stack } = bare();
      const role = new iam.Role(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
      const metrics = new InstanceMetrics(stack, 'Metrics', {
        targets: InstanceTargets.tag('cwagent', 'enabled'), groupName: 'web', logFiles: [{ filePath: '/var/log/app.log', logGroupName: '/web/app' }],
      });
      if (grant) metrics.grantAgent(role);
      const profile = new iam.CfnInstanceProfile(stack, 'Profile', { roles: [role.roleName] });
      new ec2.CfnInstance(stack, 'Server', { imageId: '{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}', iamInstanceProfile: profile.ref, tags: [{ key: 'cwagent', value: 'enabled' }] });
      return report(app);
    };
    const broken = await agentOn(false);
    expect(broken.problems).toMatch(/CloudWatch agent \(instance role\) -> metrics, logs, configuration: Edges\/MetricsConfigureAgent\w+ -> arn:aws:iam::111111111111:role\/\S+: arn:aws:iam::111111111111:role\/\S+ logs:PutLogEvents on arn:aws:logs:eu-west-1:111111111111:log-group:\/web\/app:log-stream:i-0123456789abcdef0 is not allowed/);
    expect(broken.problems).toMatch(/cloudwatch:PutMetricData on \* is not allowed/);
    expect(broken.problems).toMatch(/ssm:GetParameter on arn:aws:ssm:eu-west-1:111111111111:parameter\/\S+ is not allowed/);
    const granted = await agentOn(true);
    expect(granted.problems).toBeUndefined();
    expect(granted.edgeKinds['CloudWatch agent (instance role) -> metrics, logs, configuration']).toBe(1);
  });

  test('the agent\'s metrics are refused in a namespace other than the one its policy names', async () => {
    const { app, stack } = bare();
    const role = new iam.Role(stack, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    const metrics = new InstanceMetrics(stack, 'Metrics', { targets: InstanceTargets.tag('cwagent', 'enabled'), groupName: 'web', metricsNamespace: 'Web' });
    metrics.grantAgent(role);
    // The parameter now tells the agent to publish to another namespace than the policy allows.
    (metrics.configParameter.node.defaultChild as ssm.CfnParameter).value = metrics.agentConfig.replace('"namespace":"Web"', '"namespace":"Other"');
    const profile = new iam.CfnInstanceProfile(stack, 'Profile', { roles: [role.roleName] });
    new ec2.CfnInstance(stack, 'Server', { imageId: '{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}', iamInstanceProfile: profile.ref, tags: [{ key: 'cwagent', value: 'enabled' }] });
    const r = await report(app);
    expect(r.problems).toMatch(/cloudwatch:PutMetricData on \* is not allowed/);
    expect(r.problems).not.toMatch(/logs:PutLogEvents|ssm:GetParameter on/);
  });

  test('a Firehose delivery stream whose role may not write to the bucket fails on the role, naming the object', async () => {
    const { app, stack } = bare();
    const bucket = new s3.Bucket(stack, 'Archive');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
    new firehose.CfnDeliveryStream(stack, 'Delivery', { extendedS3DestinationConfiguration: { bucketArn: bucket.bucketArn, roleArn: role.roleArn, prefix: 'logs/' } });
    const r = await report(app);
    expect(r.problems).toMatch(/Firehose -> S3 bucket: Edges\/Delivery -> arn:aws:s3:::\S+: arn:aws:iam::111111111111:role\/\S+ s3:PutObject on arn:aws:s3:::\S+\/logs\/2026\/01\/01\/00\/\S+ is not allowed; the identity policies of the role \(none\) need/);
  });

  test('a Firehose role trusted by another service fails on the trust policy', async () => {
    const { app, stack } = bare();
    const bucket = new s3.Bucket(stack, 'Archive');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('logs.amazonaws.com') });
    bucket.grantPut(role);
    bucket.grantRead(role);
    new firehose.CfnDeliveryStream(stack, 'Delivery', { extendedS3DestinationConfiguration: { bucketArn: bucket.bucketArn, roleArn: role.roleArn } });
    expect((await report(app)).problems).toMatch(/firehose\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/Role\w+ needs/);
  });

  test('an account-level subscription policy whose role may not put records into the stream fails on the role', async () => {
    const { app, stack } = bare();
    const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.MANAGED });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('logs.amazonaws.com') });
    new logs.CfnAccountPolicy(stack, 'Policy', {
      policyName: 'all', policyType: 'SUBSCRIPTION_FILTER_POLICY', scope: 'ALL',
      policyDocument: stack.toJsonString({ DestinationArn: stream.streamArn, RoleArn: role.roleArn, FilterPattern: '' }),
    });
    expect((await report(app)).problems).toMatch(/CloudWatch Logs account subscription policy -> kinesis: Edges\/Policy -> \S+: arn:aws:iam::111111111111:role\/\S+ kinesis:PutRecord on arn:aws:kinesis:eu-west-1:111111111111:stream\/\S+ is not allowed/);
  });

  test('a Service Catalog launch role that Service Catalog may not assume, or that may not create the provisioned product\'s stack, fails', async () => {
    const build = (trusted: string, stacks: string | undefined, byName = false) => {
      const { app, stack } = bare();
      const role = new iam.Role(stack, 'LaunchRole', { assumedBy: new iam.ServicePrincipal(trusted), roleName: byName ? 'sc-launch' : undefined });
      role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudformation:ValidateTemplate', 'cloudformation:GetTemplateSummary'], resources: ['*'] }));
      if (stacks) {
        role.addToPolicy(new iam.PolicyStatement({
          actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:SetStackPolicy'],
          resources: [`arn:aws:cloudformation:eu-west-1:111111111111:stack/${stacks}/*`],
        }));
      }
      new CfnResource(stack, 'Constraint', {
        type: 'AWS::ServiceCatalog::LaunchRoleConstraint',
        properties: { PortfolioId: 'port-abcdefghijklm', ProductId: 'prod-abcdefghijklm', ...(byName ? { LocalRoleName: role.roleName } : { RoleArn: role.roleArn }) },
      });
      return app;
    };
    expect((await report(build('cloudformation.amazonaws.com', 'SC-111111111111-pp-*'))).problems)
      .toMatch(/Service Catalog launch role: Edges\/Constraint -> arn:aws:iam::111111111111:role\/\S+: servicecatalog\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed; trust policy of Edges\/LaunchRole\w+ needs/);
    expect((await report(build('servicecatalog.amazonaws.com', 'orders-*'))).problems)
      .toMatch(/arn:aws:iam::111111111111:role\/\S+ cloudformation:CreateStack on arn:aws:cloudformation:eu-west-1:111111111111:stack\/SC-111111111111-pp-\w+\/\S+ is not allowed; the identity policies of the role/);
    for (const byName of [false, true]) {
      const working = await report(build('servicecatalog.amazonaws.com', 'SC-111111111111-pp-*', byName));
      expect(working.problems).toBeUndefined();
      expect(working.edgeKinds['Service Catalog launch role']).toBe(1);
    }
  });

  test('EKS: a cluster role without sts:TagSession or without use of the secrets key, a node role EC2 may not assume, and a Pod Identity role of another cluster fail', async () => {
    const build = (opts: { tagSession: boolean; keyUse: boolean; nodeTrust: string; podCluster: string }) => {
      const { app, stack } = bare();
      const key = new kms.Key(stack, 'Key');
      const eksPrincipal = new iam.ServicePrincipal('eks.amazonaws.com');
      const clusterRole = new iam.Role(stack, 'ClusterRole', { assumedBy: opts.tagSession ? new iam.SessionTagsPrincipal(eksPrincipal) : eksPrincipal });
      if (opts.keyUse) {
        clusterRole.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], resources: [key.keyArn] }));
        clusterRole.addToPolicy(new iam.PolicyStatement({ actions: ['kms:CreateGrant'], resources: [key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } }));
      }
      const nodeRole = new iam.Role(stack, 'NodeRole', { assumedBy: new iam.ServicePrincipal(opts.nodeTrust) });
      const cluster = new eks.CfnCluster(stack, 'Cluster', {
        name: 'shop', roleArn: clusterRole.roleArn,
        resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'], endpointPrivateAccess: true, endpointPublicAccess: false },
        encryptionConfig: [{ provider: { keyArn: key.keyArn } }],
        computeConfig: { enabled: true, nodePools: ['system'], nodeRoleArn: nodeRole.roleArn },
      });
      const podRole = new iam.Role(stack, 'PodRole', {
        assumedBy: new iam.SessionTagsPrincipal(new iam.ServicePrincipal('pods.eks.amazonaws.com').withConditions({
          ArnEquals: { 'aws:SourceArn': `arn:aws:eks:eu-west-1:111111111111:cluster/${opts.podCluster}` },
        })),
      });
      new eks.CfnPodIdentityAssociation(stack, 'Association', { clusterName: cluster.ref, namespace: 'kube-system', serviceAccount: 'karpenter', roleArn: podRole.roleArn });
      return app;
    };
    const good = { tagSession: true, keyUse: true, nodeTrust: 'ec2.amazonaws.com', podCluster: 'shop' };
    expect((await report(build({ ...good, tagSession: false }))).problems)
      .toMatch(/EKS cluster role: Edges\/Cluster -> \S+: eks\.amazonaws\.com sts:TagSession on arn:aws:iam::111111111111:role\/\S+ is not allowed/);
    expect((await report(build({ ...good, keyUse: false }))).problems)
      .toMatch(/EKS cluster role: Edges\/Cluster -> \S+: arn:aws:iam::111111111111:role\/\S+ kms:Encrypt on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed/);
    expect((await report(build({ ...good, nodeTrust: 'lambda.amazonaws.com' }))).problems)
      .toMatch(/EKS node role \(ec2\): Edges\/Cluster -> \S+: ec2\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed/);
    expect((await report(build({ ...good, podCluster: 'other' }))).problems)
      .toMatch(/EKS Pod Identity: Edges\/Association -> \S+: pods\.eks\.amazonaws\.com sts:AssumeRole on arn:aws:iam::111111111111:role\/\S+ is not allowed/);
    const working = await report(build(good));
    expect(working.problems).toBeUndefined();
    expect(working.edgeKinds['EKS cluster role']).toBe(1);
    expect(working.edgeKinds['EKS node role (ec2)']).toBe(1);
    expect(working.edgeKinds['EKS Pod Identity']).toBe(1);
  });

  test('a log subscription to a stream encrypted with a customer managed key fails when the role may not generate data keys with it', async () => {
    const { app, stack } = bare();
    const key = new kms.Key(stack, 'Key');
    const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('logs.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['kinesis:PutRecord'], resources: [stream.streamArn] }));
    const group = new logs.LogGroup(stack, 'Logs');
    new logs.CfnSubscriptionFilter(stack, 'Filter', { logGroupName: group.logGroupName, filterPattern: '', destinationArn: stream.streamArn, roleArn: role.roleArn });
    const r = await report(app);
    expect(r.problems).toMatch(/CloudWatch Logs subscription -> kinesis: Edges\/Filter -> \S+: arn:aws:iam::111111111111:role\/\S+ kms:GenerateDataKey on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed/);
    expect(r.problems).not.toMatch(/kinesis:PutRecord on/);
  });
});

describe('CloudFront origin access control -> S3 (and key)', () => {
  test('an OAC origin whose bucket policy does not admit CloudFront fails on the bucket policy', async () => {
    const { app, stack } = bare();
    const bucket = new s3.Bucket(stack, 'Site');
    const oac = new cloudfront.S3OriginAccessControl(stack, 'Oac');
    new cloudfront.CfnDistribution(stack, 'Distribution', {
      distributionConfig: {
        enabled: true,
        origins: [{ id: 'site', domainName: bucket.bucketRegionalDomainName, s3OriginConfig: {}, originAccessControlId: oac.originAccessControlId }],
        defaultCacheBehavior: { targetOriginId: 'site', viewerProtocolPolicy: 'redirect-to-https', cachePolicyId: cloudfront.CachePolicy.CACHING_OPTIMIZED.cachePolicyId },
      },
    });
    const r = await report(app);
    expect(r.problems).toMatch(/CloudFront origin access control -> S3 bucket: Edges\/Distribution -> \S+: cloudfront\.amazonaws\.com s3:GetObject on arn:aws:s3:::\S+\/index\.html is not allowed/);
  });

  test('an SSE-KMS origin whose key does not let CloudFront decrypt fails on the key policy, though the bucket policy admits the distribution', async () => {
    const { app, stack } = bare();
    const key = new kms.Key(stack, 'Key');
    // The key imported by ARN: aws-cdk-lib cannot add CloudFront to its policy.
    const bucket = new s3.Bucket(stack, 'Site', { encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', key.keyArn) });
    new cloudfront.Distribution(stack, 'Distribution', { defaultBehavior: { origin: origins.S3BucketOrigin.withOriginAccessControl(bucket) } });
    const r = await report(app);
    expect(r.problems).toMatch(/CloudFront origin access control -> S3 bucket: Edges\/Distribution\w+ -> \S+: cloudfront\.amazonaws\.com kms:Decrypt on arn:aws:kms:eu-west-1:111111111111:key\/\S+ is not allowed; key policy of Edges\/Key\w+ needs/);
    expect(r.problems).not.toMatch(/s3:GetObject/);
  });

  test('the same origin with aws-cdk-lib\'s OAC grants on the bucket and its key passes', async () => {
    const { app, stack } = bare();
    const bucket = new s3.Bucket(stack, 'Site', { encryptionKey: new kms.Key(stack, 'Key') });
    new cloudfront.Distribution(stack, 'Distribution', { defaultBehavior: { origin: origins.S3BucketOrigin.withOriginAccessControl(bucket) } });
    const r = await report(app);
    expect(r.problems).toBeUndefined();
    expect(r.edgeKinds['CloudFront origin access control -> S3 bucket']).toBe(1);
  });
});

describe('limits CloudFormation does not check', () => {
  // Names built from tokens, as constructs generate them: CloudFormation's own validation cannot
  // read them at synth, the check reads them resolved for the stack's region.
  test('a role name over 64 characters, a managed policy over 6,144 characters and a bad bucket name fail', async () => {
    const { app, stack } = bare();
    new iam.CfnRole(stack, 'Role', { roleName: `${'r'.repeat(56)}-${Aws.REGION}`, assumeRolePolicyDocument: { Statement: [] } });
    new iam.CfnManagedPolicy(stack, 'Policy', {
      policyDocument: { Version: '2012-10-17', Statement: Array.from({ length: 80 }, (_, i) => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::bucket-number-${i}/some/long/prefix/*` })) },
    });
    new s3.CfnBucket(stack, 'Bucket', { bucketName: `Not_A_Valid_Bucket-${Aws.REGION}` });
    const problems = (await report(app)).problems!;
    expect(problems).toMatch(/limit: Edges\/Role: IAM role name "r{56}-eu-west-1" is 66 characters; the limit is 1-64/);
    expect(problems).toMatch(/limit: Edges\/Policy: managed policy is \d{4} characters without whitespace; the limit is 6144/);
    expect(problems).toMatch(/limit: Edges\/Bucket: bucket name "Not_A_Valid_Bucket-eu-west-1" may only hold lowercase letters/);
  });

  test('bucket names follow S3\'s rules', () => {
    expect(bucketNameProblem('my-bucket-111111111111-eu-west-1')).toBeUndefined();
    expect(bucketNameProblem('ab')).toMatch(/3-63/);
    expect(bucketNameProblem('a'.repeat(64))).toMatch(/3-63/);
    expect(bucketNameProblem('my..bucket')).toMatch(/adjacent dots/);
    expect(bucketNameProblem('192.168.5.4')).toMatch(/IP address/);
    expect(bucketNameProblem('xn--bucket')).toMatch(/reserves/);
    expect(bucketNameProblem('bucket-s3alias')).toMatch(/reserves/);
  });
});

describe('the deployed view resolves intrinsics to concrete values', () => {
  test('Ref, GetAtt, Join, Sub, Select/Split, If and ImportValue across stacks', () => {
    const deployed = new DeployedAssembly([
      {
        stackName: 'Producer', account: '111111111111', region: 'eu-west-1',
        template: {
          Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alerts' } } },
          Outputs: { TopicArn: { Value: { Ref: 'Topic' }, Export: { Name: 'shared-topic' } } },
        },
      },
      {
        stackName: 'Consumer', account: '111111111111', region: 'eu-west-1',
        template: {
          Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } },
          Resources: {
            Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: { 'Fn::Sub': 'data-${AWS::AccountId}-${AWS::Region}' } } },
            Thing: {
              Type: 'Custom::Thing',
              Properties: {
                Imported: { 'Fn::ImportValue': 'shared-topic' },
                Arn: { 'Fn::GetAtt': ['Bucket', 'Arn'] },
                Joined: { 'Fn::Join': ['/', [{ Ref: 'AWS::Partition' }, { Ref: 'Bucket' }]] },
                Second: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
                Chosen: { 'Fn::If': ['IsProd', 'prod', 'dev'] },
                Dropped: { Ref: 'AWS::NoValue' },
              },
            },
          },
        },
      },
    ]);
    const thing = deployed.stacks[1].resources.get('Thing')!;
    expect(thing.properties).toEqual({
      Imported: 'arn:aws:sns:eu-west-1:111111111111:alerts',
      Arn: 'arn:aws:s3:::data-111111111111-eu-west-1',
      Joined: 'aws/data-111111111111-eu-west-1',
      Second: 'b',
      Chosen: 'prod',
    });
  });
});
