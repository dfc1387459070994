import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { ApiCacheSize, ApiObservability, ApiObservabilityProps } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addApiObservabilityExamples } from '../../examples/observability/api-observability';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { checkPermissions, expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() }), id = 'Api'): Stack {
  return new Stack(app, id, { env: ENV });
}

/** A REST API with one mock GET method, deployed by nobody yet. */
function api(s: Stack, options: Partial<apigateway.RestApiProps> = {}): apigateway.RestApi {
  const restApi = new apigateway.RestApi(s, 'RestApi', { deploy: false, cloudWatchRole: false, ...options });
  restApi.root.addMethod('GET', new apigateway.MockIntegration(), { authorizationType: apigateway.AuthorizationType.IAM });
  return restApi;
}

function observed(props: Partial<ApiObservabilityProps> = {}, s: Stack = stack()): { template: Template; construct: ApiObservability } {
  const construct = new ApiObservability(s, 'Observed', { restApi: props.restApi ?? api(s), ...props });
  return { template: Template.fromStack(s), construct };
}

describe('OBS-6 ApiObservability', () => {
  const app = exampleTestApp();
  const { api: example } = addApiObservabilityExamples(app, exampleConfig(app));
  app.synth();
  const template = Template.fromStack(example);

  test('every service-to-service edge of the example stack is allowed by its policies (permission test), API Gateway\'s log delivery included', async () => {
    const report = await expectPermissionsHold([example]);
    expect(report.edgeKinds['API Gateway -> CloudWatch Logs (account role)']).toBe(2);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(4);
  });

  test('the stage caches GET responses encrypted, for the TTL given, in a cache of an allowed size', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      CacheClusterEnabled: true,
      CacheClusterSize: '0.5',
      MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', CachingEnabled: true, CacheDataEncrypted: true, CacheTtlInSeconds: 600 })],
    });
  });

  test('the stage writes JSON access logs with the status field to an encrypted log group with retention', () => {
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', apiId: '$context.apiId', stage: '$context.stage' });
    const destination = JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn).match(/"(ObservedAccessLogs\w+)"/)![1];
    expect(template.toJSON().Resources[destination]).toMatchObject({
      Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DevOpsPatternsLogsKey/), 'Arn'] } }, DeletionPolicy: 'Retain',
    });
  });

  test('execution logs at ERROR level, no data trace, X-Ray tracing and a client certificate for HTTP backends', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      ClientCertificateId: { Ref: Match.stringLikeRegexp('^ObservedClientCertificate') },
      MethodSettings: [Match.objectLike({ LoggingLevel: 'ERROR', DataTraceEnabled: false, MetricsEnabled: false })],
    });
  });

  test('the execution log group API Gateway writes to exists first, encrypted and with retention', () => {
    const [id] = Object.entries(template.findResources('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^Api[0-9A-F]{8}$') }, '/prod']] } },
    }))[0];
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
    expect(stage.DependsOn).toEqual(expect.arrayContaining([id]));
    template.hasResource('AWS::Logs::LogGroup', { Properties: { LogGroupName: Match.anyValue(), RetentionInDays: 365, KmsKeyId: Match.anyValue() } });
  });

  test('a metric filter counts 403 responses from the access logs per API and stage, and an alarm on it notifies', () => {
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.status = "403" }',
      LogGroupName: { Ref: Match.stringLikeRegexp('^ObservedAccessLogs') },
      MetricTransformations: [{
        MetricNamespace: 'DevOpsPatterns/ApiGateway', MetricName: 'Status403Responses', MetricValue: '1',
        Dimensions: Match.arrayWith([{ Key: 'ApiId', Value: '$.apiId' }, { Key: 'Stage', Value: '$.stage' }]),
      }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'DevOpsPatterns/ApiGateway', MetricName: 'Status403Responses', Statistic: 'Sum', Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: Match.arrayWith([{ Name: 'ApiId', Value: { Ref: Match.stringLikeRegexp('^Api[0-9A-F]{8}$') } }, { Name: 'Stage', Value: 'prod' }]),
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^ObservedNotificationsTopic') }],
    });
  });

  test('4XX and 5XX error rates (the average of 0/1 per request) and p99 latency of the stage raise alarms that notify', () => {
    for (const [metric, threshold] of [['4XXError', 0.05], ['5XXError', 0.01]] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ApiGateway', MetricName: metric, Statistic: 'Average', Threshold: threshold, Period: 300,
        Dimensions: Match.arrayWith([{ Name: 'ApiName', Value: 'obs6-status-api' }, { Name: 'Stage', Value: { Ref: Match.stringLikeRegexp('^ObservedStage') } }]),
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^ObservedNotificationsTopic') }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway', MetricName: 'Latency', ExtendedStatistic: 'p99', Threshold: 2000,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^ObservedNotificationsTopic') }],
    });
  });

  test('the account\'s CloudWatch role: trusted by API Gateway, writes only to log groups of this account and region, set before the stage', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' } }] },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({
        Resource: [
          Match.stringLikeRegexp('^arn:aws:logs:[a-z0-9-]+:\\d{12}:log-group:\\*$'),
          Match.stringLikeRegexp('^arn:aws:logs:[a-z0-9-]+:\\d{12}:log-group:\\*:log-stream:\\*$'),
        ],
      })] },
    });
    const [accountId] = Object.keys(template.findResources('AWS::ApiGateway::Account', { Properties: { CloudWatchRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DevOpsPatternsApiGatewayCloudWatchRole'), 'Arn'] } } }));
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0];
    expect(stage.DependsOn).toEqual(expect.arrayContaining([accountId]));
  });

  test('the web ACL given is associated with the stage', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { 'Fn::Join': ['', Match.arrayWith(['/stages/', { Ref: Match.stringLikeRegexp('^ObservedStage') }])] },
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebAcl'), 'Arn'] },
    });
  });

  test('the example passes the checks (cdk-nag AwsSolutions + NIST 800.53 R5 + CloudFormation validation)', () => {
    const a = checkedApp();
    addApiObservabilityExamples(a, exampleConfig(a));
    expect(() => synthWithChecks(a)).not.toThrow();
  });

  test('the deployment depends on the API\'s methods, so the stage serves them', () => {
    const { template: t } = observed();
    const deployment = Object.values(t.findResources('AWS::ApiGateway::Deployment'))[0];
    expect(deployment.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^RestApiGET/)]));
  });

  test('two observed APIs in one stack share one account setting; two stacks setting it are reported, the last deployed wins', async () => {
    const a = new App({ context: cdkJsonContext() });
    const s = stack(a);
    new ApiObservability(s, 'One', { restApi: api(s) });
    const other = new apigateway.RestApi(s, 'Other', { deploy: false, cloudWatchRole: false });
    other.root.addMethod('GET', new apigateway.MockIntegration());
    new ApiObservability(s, 'Two', { restApi: other, stageName: 'live' });
    const second = stack(a, 'Second');
    new ApiObservability(second, 'Three', { restApi: api(second) });
    Template.fromStack(s).resourceCountIs('AWS::ApiGateway::Account', 1);
    const report = await checkPermissions(a.synth());
    expect(report.structural.map((p) => p.message)).toContainEqual(expect.stringMatching(/each set the one API Gateway CloudWatch role of 111111111111 in eu-west-1; the last deployed wins/));
  });

  test('with accountCloudWatchRole false it sets nothing account-wide, and the permission test says the delivery cannot be judged', async () => {
    const a = new App({ context: cdkJsonContext() });
    const s = stack(a);
    const { template: t } = observed({ accountCloudWatchRole: false }, s);
    t.resourceCountIs('AWS::ApiGateway::Account', 0);
    const report = await checkPermissions(a.synth());
    expect(report.uncovered).toContainEqual(expect.stringMatching(/logs through the API Gateway CloudWatch role of 111111111111 in eu-west-1, which no AWS::ApiGateway::Account of the assembly sets/));
  });

  test('in sandbox mode the role and the account setting are destroyable; otherwise kept', () => {
    const kept = observed().template;
    kept.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
    kept.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain' });
    const sandbox = observed({}, stack(new App({ context: { ...cdkJsonContext(), sandbox: true } }))).template;
    sandbox.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Delete' });
  });
});

describe('OBS-6 ApiObservability refusals', () => {
  const refused = (props: Partial<ApiObservabilityProps>, s?: Stack) => () => observed(props, s);

  test('refuses a cache TTL over 3600 seconds', () => {
    expect(refused({ cacheTtl: Duration.seconds(3601) }))
      .toThrow('Api/Observed: invalid ApiObservability props (1 problem):\n  - cacheTtl must be at most 3600 seconds (API Gateway\'s maximum), got 3601');
  });

  test('refuses a cache TTL of 0 or a fraction of a second', () => {
    expect(refused({ cacheTtl: Duration.seconds(0) })).toThrow('cacheTtl must be a whole number of seconds, at least 1 (a TTL of 0 disables caching while the cache is still billed), got 0');
    expect(refused({ cacheTtl: Duration.millis(1500) })).toThrow('got 1.5');
  });

  test('refuses a cache size outside the enumeration', () => {
    expect(refused({ cacheSize: '2' as ApiCacheSize })).toThrow('cacheSize must be one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237 (GB), got 2');
  });

  test('refuses a watched status code that is not an HTTP status', () => {
    expect(refused({ watchedStatusCode: 999 })).toThrow('watchedStatusCode must be an HTTP status code (100-599), got 999');
  });

  test('refuses error-rate thresholds outside (0, 1] and a watched-status threshold that is not a whole number', () => {
    expect(refused({ clientErrorRateThreshold: 5, serverErrorRateThreshold: 0, watchedStatusThreshold: 0 }))
      .toThrow('Api/Observed: invalid ApiObservability props (3 problems):\n  - watchedStatusThreshold must be a positive whole number, got 0\n'
        + '  - clientErrorRateThreshold is a share of requests, more than 0 and at most 1, got 5\n  - serverErrorRateThreshold is a share of requests, more than 0 and at most 1, got 0');
  });

  test('refuses a stage name API Gateway does not accept', () => {
    expect(refused({ stageName: 'prod stage' })).toThrow('stageName must be letters, digits, hyphens and underscores, at most 128 characters, got "prod stage"');
  });

  test('refuses an API that already deploys a stage of its own', () => {
    const s = stack();
    expect(refused({ restApi: api(s, { deploy: true }) }, s))
      .toThrow('restApi already deploys a stage of its own: create it with deploy: false, so the stage this construct observes is its only one');
  });

  test('refuses an API that sets the account\'s CloudWatch role itself, unless told to leave the role alone', () => {
    const s = stack();
    expect(refused({ restApi: api(s, { cloudWatchRole: true }) }, s)).toThrow('restApi sets the account\'s CloudWatch role itself (cloudWatchRole: true)');
    const other = stack();
    expect(refused({ restApi: api(other, { cloudWatchRole: true }), accountCloudWatchRole: false }, other)).not.toThrow();
  });
});
