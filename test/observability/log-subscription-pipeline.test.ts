import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as logsDestinations from 'aws-cdk-lib/aws-logs-destinations';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { EncryptedLogGroup, LogSubscriptionPipeline, LogSubscriptionPipelineProps, OpenSearchIndexRotation } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addLogSubscriptionPipelineExamples } from '../../examples/observability/log-subscription-pipeline';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Logs', { env: ENV });
}

function fn(s: Stack): lambda.IFunction {
  return new lambda.Function(s, 'Processor', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {};') });
}

describe('OBS-1 LogSubscriptionPipeline', () => {
  const app = exampleTestApp();
  const examples = addLogSubscriptionPipelineExamples(app, exampleConfig(app));
  app.synth();
  const archive = Template.fromStack(examples.logArchive);
  const streamed = Template.fromStack(examples.logStream);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    expect(report.edgeKinds['CloudWatch Logs subscription -> firehose']).toBe(1);
    expect(report.edgeKinds['CloudWatch Logs subscription -> kinesis']).toBe(1);
    expect(report.edgeKinds['Firehose -> S3 bucket']).toBe(1);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
  });

  test('the application log group is subscribed to the delivery stream through the delivery role', () => {
    archive.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^AppLogsLogGroup') },
      FilterPattern: '',
      DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3DeliveryStream'), 'Arn'] },
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3DeliveryRole'), 'Arn'] },
    });
  });

  test('the delivery role is trusted by CloudWatch Logs of this account and region only, and may only put records into this delivery stream', () => {
    archive.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{
        Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'logs.amazonaws.com' },
        Condition: { StringLike: { 'aws:SourceArn': 'arn:aws:logs:eu-west-1:444444444444:*' } },
      }] },
    });
    archive.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AppLogsToS3DeliveryRole') }],
      PolicyDocument: { Statement: [{ Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3DeliveryStream'), 'Arn'] } }] },
    });
  });

  test('the subscription filter waits for the delivery role\'s grants (CloudWatch Logs tests delivery on creation)', () => {
    const filters = archive.findResources('AWS::Logs::SubscriptionFilter');
    const [filter] = Object.values(filters);
    expect(filter.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AppLogsToS3DeliveryRoleGrants/)]));
  });

  test('Firehose is encrypted with a customer managed key, decompresses the CloudWatch Logs payloads and writes gzip objects under the prefix, encrypted with the bucket key', () => {
    archive.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3DeliveryStreamKey'), 'Arn'] } },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3Bucket'), 'Arn'] },
        Prefix: 'app/', ErrorOutputPrefix: 'errors/', CompressionFormat: 'GZIP',
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3BucketKey'), 'Arn'] } } },
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Decompression', Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }] }] },
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: Match.stringLikeRegexp('^AppLogsToS3FirehoseErrors') }, LogStreamName: { Ref: Match.stringLikeRegexp('^AppLogsToS3FirehoseErrorStream') } },
      }),
    });
  });

  test('Firehose\'s role is trusted with this account as external id and may write only the delivery and error prefixes, use the bucket key only through S3, and log to its error stream', () => {
    archive.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'firehose.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': '444444444444' } }, Action: 'sts:AssumeRole', Effect: 'Allow' }] },
    });
    archive.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AppLogsToS3FirehoseRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: 'logs:PutLogEvents' }),
        Match.objectLike({ Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], Resource: [
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3Bucket'), 'Arn'] }, '/app/*']] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogsToS3Bucket'), 'Arn'] }, '/errors/*']] },
        ] }),
        Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: Match.objectLike({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } }) }),
      ]) },
    });
  });

  test('the error alarm counts ERROR lines of the log group and tells a person', () => {
    archive.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: Match.stringLikeRegexp('^AppLogsLogGroup') },
      FilterPattern: '?"ERROR" ?"Exception"',
      MetricTransformations: [{ MetricNamespace: 'DevOpsPatterns/Logs', MetricName: 'AppErrors', MetricValue: '1', DefaultValue: 0 }],
    });
    archive.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'AppErrors', Namespace: 'DevOpsPatterns/Logs', Statistic: 'Sum', Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AppLogsToS3NotificationsTopic') }],
    });
  });

  test('the Kinesis example streams into a one-shard stream encrypted with the AWS managed Kinesis key, and the delivery role may only put records into it', () => {
    streamed.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1, RetentionPeriodHours: 24, StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    streamed.hasResourceProperties('AWS::Logs::SubscriptionFilter', { Distribution: 'Random', FilterPattern: '{ $.level = "AUDIT" }' });
    streamed.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [
        { Action: ['kinesis:PutRecord', 'kinesis:PutRecords'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuditLogsToStream[0-9A-F]{8}$'), 'Arn'] } },
      ] },
    });
  });

  test('a stream encrypted with a customer managed key: the delivery role may generate data keys with it, and the permission test sees that', async () => {
    const s = stack();
    const key = new kms.Key(s, 'StreamKey', { enableKeyRotation: true });
    const stream = new kinesis.Stream(s, 'Existing', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: key });
    new LogSubscriptionPipeline(s, 'Pipeline', { logGroups: [new EncryptedLogGroup(s, 'App').logGroup], kinesisDestination: { stream } });
    Template.fromStack(s).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^StreamKey'), 'Arn'] } }]) },
    });
    await expectPermissionsHold(s);
  });

  test('a Lambda destination is invoked by CloudWatch Logs for the subscribed log group only, without a role', () => {
    const s = stack();
    const group = new EncryptedLogGroup(s, 'App').logGroup;
    new LogSubscriptionPipeline(s, 'Pipeline', { logGroups: [group], lambdaDestination: fn(s) });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction', Principal: 'logs.amazonaws.com', SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppLogGroup'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::Logs::SubscriptionFilter', { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Processor'), 'Arn'] }, RoleArn: Match.absent() });
    t.resourceCountIs('AWS::IAM::Role', 1); // the function's own
  });

  test('the account-level policy subscribes every log group of the account to the destination, leaving out the pipeline\'s own log groups', () => {
    const s = stack();
    const p = new LogSubscriptionPipeline(s, 'Pipeline', { s3Destination: {}, accountPolicy: { excludedLogGroupNames: ['/aws/lambda/stream-consumer'] } });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
    const policy = s.resolve(p.accountPolicy!.policyDocument);
    expect(JSON.stringify(policy)).toContain('"DestinationArn\\":\\"');
    t.hasResourceProperties('AWS::Logs::AccountPolicy', {
      PolicyType: 'SUBSCRIPTION_FILTER_POLICY', Scope: 'ALL',
      PolicyDocument: { 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineDeliveryStream'), 'Arn'] }, '","FilterPattern":"","RoleArn":"', { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineDeliveryRole'), 'Arn'] }])] },
      SelectionCriteria: { 'Fn::Join': ['', ['LogGroupName NOT IN ["', { Ref: Match.stringLikeRegexp('^PipelineFirehoseErrors') }, '","/aws/lambda/stream-consumer"]']] },
    });
  });

  test('the account-level policy with a Lambda destination lets any log group of the account invoke it, and leaves the function\'s own log group out', () => {
    const s = stack();
    const processor = fn(s);
    new LogSubscriptionPipeline(s, 'Pipeline', { lambdaDestination: processor, accountPolicy: {} });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'logs.amazonaws.com', SourceAccount: '111111111111', SourceArn: 'arn:aws:logs:eu-west-1:111111111111:log-group:*',
    });
    t.hasResourceProperties('AWS::Logs::AccountPolicy', {
      SelectionCriteria: { 'Fn::Join': ['', ['LogGroupName NOT IN ["/aws/lambda/', { Ref: Match.stringLikeRegexp('^Processor') }, '"]']] },
    });
  });

  test('an OpenSearch destination indexes into the domain with rotation, keeps refused documents in a backup bucket, and says the domain must admit the Firehose role', () => {
    const s = stack();
    const domain = opensearch.Domain.fromDomainEndpoint(s, 'Search', 'https://search-logs-abc.eu-west-1.es.amazonaws.com');
    const group = new EncryptedLogGroup(s, 'App').logGroup;
    new LogSubscriptionPipeline(s, 'Pipeline', { logGroups: [group], openSearchDestination: { domain, indexName: 'app-logs', indexRotation: OpenSearchIndexRotation.ONE_WEEK } });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      AmazonopensearchserviceDestinationConfiguration: Match.objectLike({
        IndexName: 'app-logs', IndexRotationPeriod: 'OneWeek', S3BackupMode: 'FailedDocumentsOnly',
        S3Configuration: Match.objectLike({ BucketARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineBackupBucket'), 'Arn'] }, Prefix: 'failed/' }),
      }),
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: ['es:DescribeDomain', 'es:DescribeDomainConfig', 'es:DescribeDomains', 'es:ESHttpPost', 'es:ESHttpPut'],
        Resource: ['arn:aws:es:eu-west-1:111111111111:domain/search-logs', 'arn:aws:es:eu-west-1:111111111111:domain/search-logs/*'],
      })]) },
    });
    Annotations.fromStack(s).hasInfo('/Logs/Pipeline', Match.stringLikeRegexp('must admit the Firehose role'));
  });

  test('a stream passed in is used as it is: no stream or key is created', () => {
    const s = stack();
    const stream = new kinesis.Stream(s, 'Existing', { encryption: kinesis.StreamEncryption.MANAGED });
    const p = new LogSubscriptionPipeline(s, 'Pipeline', { logGroups: [new EncryptedLogGroup(s, 'App').logGroup], kinesisDestination: { stream } });
    expect(p.stream).toBe(stream);
    Template.fromStack(s).resourceCountIs('AWS::Kinesis::Stream', 1);
  });

  test('passes the checks and the permission test on its own, with the account-level policy', async () => {
    const a = checkedApp();
    const s = stack(a);
    const group = new EncryptedLogGroup(s, 'App').logGroup;
    new LogSubscriptionPipeline(s, 'Pipeline', {
      logGroups: [group], kinesisDestination: {}, accountPolicy: {},
      metricAlarms: [{ metricName: 'Throttles', filterPattern: logs.FilterPattern.anyTerm('Throttl'), threshold: 1, period: Duration.minutes(1) }],
    });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['CloudWatch Logs subscription -> kinesis']).toBe(1);
    expect(report.edgeKinds['CloudWatch Logs account subscription policy -> kinesis']).toBe(1);
  });
});

describe('OBS-1 LogSubscriptionPipeline refusals', () => {
  function refused(props: (s: Stack) => LogSubscriptionPipelineProps): () => void {
    return () => {
      const s = stack();
      new LogSubscriptionPipeline(s, 'Pipeline', props(s));
    };
  }
  const group = (s: Stack) => new EncryptedLogGroup(s, 'App').logGroup;

  test('refuses a destination of two kinds at once', () => {
    expect(refused((s) => ({ logGroups: [group(s)], lambdaDestination: fn(s), s3Destination: {} })))
      .toThrow('Logs/Pipeline: invalid LogSubscriptionPipeline props (1 problem):\n  - a destination of two kinds at once (lambdaDestination, s3Destination): a subscription delivers to one destination; use one LogSubscriptionPipeline per destination');
  });

  test('refuses no destination', () => {
    expect(refused((s) => ({ logGroups: [group(s)] })))
      .toThrow('  - name one destination: lambdaDestination, kinesisDestination, s3Destination or openSearchDestination');
  });

  test('refuses neither log groups nor an account-level policy', () => {
    expect(refused(() => ({ s3Destination: {} }))).toThrow('  - logGroups must name at least one log group, or accountPolicy must be set');
  });

  test('refuses the same log group twice', () => {
    expect(refused((s) => { const g = group(s); return { logGroups: [g, g], s3Destination: {} }; })).toThrow('  - logGroups names the same log group twice');
  });

  test('refuses a filter pattern longer than 1,024 characters', () => {
    expect(refused((s) => ({ logGroups: [group(s)], s3Destination: {}, filterPattern: logs.FilterPattern.literal('x'.repeat(1025)) })))
      .toThrow('  - filterPattern must be at most 1024 characters, got 1025');
  });

  test('refuses exclusions that do not fit the selection criteria', () => {
    const names = Array.from({ length: 400 }, (_, i) => `/aws/lambda/${'a'.repeat(50)}-${i}`);
    expect(refused(() => ({ s3Destination: {}, accountPolicy: { excludedLogGroupNames: names } })))
      .toThrow(/accountPolicy.excludedLogGroupNames must fit the 25 KB selection criteria with room for the pipeline's own log groups, got \d+ bytes/);
  });

  test('refuses an OpenSearch index name OpenSearch would refuse', () => {
    expect(refused((s) => ({ logGroups: [group(s)], openSearchDestination: { domain: opensearch.Domain.fromDomainEndpoint(s, 'D', 'https://search-x-abc.eu-west-1.es.amazonaws.com'), indexName: 'App Logs' } })))
      .toThrow('  - openSearchDestination.indexName must be a lowercase OpenSearch index name of at most 80 characters, got "App Logs"');
  });

  test('refuses an S3 prefix that is the error prefix or uses expressions', () => {
    expect(refused((s) => ({ logGroups: [group(s)], s3Destination: { prefix: 'errors/app/' } })))
      .toThrow('  - s3Destination.prefix must be a plain prefix other than "errors/" (where Firehose writes errors), got "errors/app/"');
  });

  test('refuses a buffering interval over 900 seconds', () => {
    expect(refused((s) => ({ logGroups: [group(s)], s3Destination: { bufferingInterval: Duration.minutes(20) } })))
      .toThrow('  - s3Destination.bufferingInterval (seconds) must be between 0 and 900, got 1200');
  });

  test('refuses metric alarms with an invalid or repeated metric name, a non-number threshold or zero evaluation periods', () => {
    expect(refused((s) => ({
      logGroups: [group(s)], s3Destination: {},
      metricAlarms: [
        { metricName: 'Errors:5xx', filterPattern: logs.FilterPattern.allEvents(), threshold: 1 },
        { metricName: 'Errors', filterPattern: logs.FilterPattern.allEvents(), threshold: 1 },
        { metricName: 'Errors', filterPattern: logs.FilterPattern.allEvents(), threshold: NaN, evaluationPeriods: 0 },
      ],
    }))).toThrow('Logs/Pipeline: invalid LogSubscriptionPipeline props (4 problems):\n'
      + '  - metricAlarms[0].metricName must be 1 to 255 characters without ":", "*" or "$", got "Errors:5xx"\n'
      + '  - metricAlarms[2].metricName "Errors" is used twice in one namespace\n'
      + '  - metricAlarms[2].threshold must be a number, got NaN\n'
      + '  - metricAlarms[2].evaluationPeriods must be a positive whole number, got 0');
  });

  test('refuses metric alarms without log groups', () => {
    expect(refused(() => ({ s3Destination: {}, accountPolicy: {}, metricAlarms: [{ metricName: 'Errors', filterPattern: logs.FilterPattern.allEvents(), threshold: 1 }] })))
      .toThrow('  - metricAlarms need logGroups: metric filters belong to log groups, not to the account policy');
  });

  test('refuses a third subscription filter on a log group (CloudWatch Logs allows two)', () => {
    const s = stack();
    const g = group(s);
    const other = fn(s);
    g.addSubscriptionFilter('First', { destination: new logsDestinations.LambdaDestination(other), filterPattern: logs.FilterPattern.allEvents() });
    g.addSubscriptionFilter('Second', { destination: new logsDestinations.LambdaDestination(other), filterPattern: logs.FilterPattern.anyTerm('ERROR') });
    new LogSubscriptionPipeline(s, 'Pipeline', { logGroups: [g], s3Destination: {} });
    expect(() => (s.node.root as App).synth())
      .toThrow(/the log group Logs\/App\/LogGroup has 3 subscription filters in this stack; CloudWatch Logs allows at most 2 per log group/);
  });

  test('refuses a second account-level subscription policy for the same account and region', () => {
    const s = stack();
    new LogSubscriptionPipeline(s, 'First', { s3Destination: {}, accountPolicy: {} });
    new LogSubscriptionPipeline(s, 'Second', { lambdaDestination: fn(s), accountPolicy: {} });
    expect(() => (s.node.root as App).synth()).toThrow(/an account and region can have one account-level subscription filter policy; Logs\/(First|Second)\/AccountPolicy is another for 111111111111 eu-west-1/);
  });
});
