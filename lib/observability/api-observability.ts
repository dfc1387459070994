/**
 * OBS-6 ApiObservability: an API Gateway stage that is cached, logged and alarmed on.
 *
 * API Gateway publishes `4XXError`, `5XXError` and `Latency` per stage, but no metric per status
 * code: a burst of 403s (a broken authorizer, a key that stopped working, someone probing) hides
 * inside `4XXError` with every 400 and 404. This construct deploys a REST API you define to one
 * stage with an encrypted response cache and a TTL, JSON access logs to an encrypted log group
 * with retention, execution logs (ERROR level) to an encrypted log group it creates before API
 * Gateway would, X-Ray tracing, alarms on the 4XX and 5XX error rates and on p99 latency, and a
 * metric filter that counts one status code (403 by default) in the access logs, with its own
 * alarm. API Gateway writes both kinds of logs through the account's CloudWatch role, a
 * per-account-and-region setting (`AWS::ApiGateway::Account`); the construct sets it, once per
 * stack, to a role limited to that account's and region's log groups, unless told that the
 * account already has one.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { EncryptedLogGroup } from '../core/log-group';
import { NotificationTopic } from '../core/notification-topic';
import { dataRemovalPolicy } from '../core/sandbox';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { ApiCacheSize } from './api-cache-size';

/** Props for {@link ApiObservability}. */
export interface ApiObservabilityProps {
  /**
   * The REST API to deploy and observe. Create it with `deploy: false` (this construct deploys
   * its stage) and `cloudWatchRole: false` (this construct sets the account's CloudWatch role,
   * unless `accountCloudWatchRole` is false). For a `RestApi` of this app the deployment depends
   * on its methods; an imported API's methods must exist before this stack deploys, and its
   * `restApiName` must be its real name (the API Gateway metrics are keyed by it).
   */
  readonly restApi: apigateway.IRestApi;

  /**
   * The stage name: the first path segment of the API's URL.
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * How long a cached response is served, between 1 second and 3600 seconds (API Gateway's
   * maximum). Caching applies to GET methods unless a method setting says otherwise.
   * @default Duration.minutes(5), API Gateway's default
   */
  readonly cacheTtl?: Duration;

  /**
   * The cache capacity. The cache is billed by the hour for its size.
   * @default ApiCacheSize.GB_0_5
   */
  readonly cacheSize?: ApiCacheSize;

  /**
   * The HTTP status code counted from the access logs, with its own alarm.
   * @default 403
   */
  readonly watchedStatusCode?: number;

  /**
   * How many responses with `watchedStatusCode` in 5 minutes raise the alarm.
   * @default 10
   */
  readonly watchedStatusThreshold?: number;

  /**
   * The share of requests answered with a 4XX error (0 to 1) over 5 minutes that raises the alarm.
   * @default 0.05
   */
  readonly clientErrorRateThreshold?: number;

  /**
   * The share of requests answered with a 5XX error (0 to 1) over 5 minutes that raises the alarm.
   * @default 0.01
   */
  readonly serverErrorRateThreshold?: number;

  /**
   * The p99 latency (request received to response sent) over 5 minutes that raises the alarm.
   * @default Duration.seconds(2)
   */
  readonly latencyThreshold?: Duration;

  /**
   * Whether API Gateway publishes metrics per method as well as per stage ("detailed metrics").
   * Each method's metrics are billed as custom metrics.
   * @default false
   */
  readonly detailedMetrics?: boolean;

  /**
   * How long access and execution log events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Whether this construct sets the account's API Gateway CloudWatch role in this region
   * (`AWS::ApiGateway::Account`) to a role it creates. API Gateway writes access and execution
   * logs only through that role, and it is one setting per account and region: the last stack
   * to set it wins. Set false when the account already has one (another stack, a landing zone).
   * @default true
   */
  readonly accountCloudWatchRole?: boolean;

  /**
   * The ARN of a regional AWS WAF web ACL to associate with the stage.
   * @default - no web ACL: the AwsSolutions-APIG3 and NIST.800.53.R5-APIGWAssociatedWithWAF
   * findings stay for you to fix or acknowledge on `stage`
   */
  readonly webAclArn?: string;

  /**
   * The id of the client certificate API Gateway presents to HTTP backends, which they can
   * verify to accept only calls from this stage.
   * @default - a new API Gateway-generated client certificate (it expires and must be rotated)
   */
  readonly clientCertificateId?: string;

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** API Gateway's maximum cache TTL (docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-caching.html). */
const MAX_CACHE_TTL_SECONDS = 3600;
/** Stage names: letters, digits, hyphens and underscores, up to 128 (docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html). */
const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** Where the metric filter's counts go. */
const NAMESPACE = 'DevOpsPatterns/ApiGateway';
/** The ids of the account's CloudWatch role and setting at the stack's root: one per stack. */
const ACCOUNT_ROLE_ID = 'DevOpsPatternsApiGatewayCloudWatchRole';
const ACCOUNT_SETTING_ID = 'DevOpsPatternsApiGatewayAccount';

/**
 * OBS-6: deploys a REST API to one cached, logged and alarmed stage, and counts one status code
 * from its access logs.
 *
 * ```ts
 * const api = new apigateway.RestApi(this, 'Api', { deploy: false, cloudWatchRole: false });
 * api.root.addMethod('GET', integration, { authorizationType: apigateway.AuthorizationType.IAM });
 * new ApiObservability(this, 'Observed', { restApi: api, cacheTtl: Duration.minutes(10) });
 * ```
 */
export class ApiObservability extends Construct {
  /** The stage, with caching, access logs, execution logs, tracing and alarms. */
  public readonly stage: apigateway.Stage;
  /** The deployment the stage points to. */
  public readonly deployment: apigateway.Deployment;
  /** The log group of the JSON access logs. */
  public readonly accessLogGroup: logs.ILogGroup;
  /** The log group API Gateway writes the stage's execution logs to, created first with a key and retention. */
  public readonly executionLogGroup: logs.ILogGroup;
  /** The metric filter that counts `watchedStatusCode` responses in the access logs. */
  public readonly statusCodeFilter: logs.MetricFilter;
  /** The count of `watchedStatusCode` responses, per 5 minutes. */
  public readonly statusCodeMetric: cloudwatch.IMetric;
  /** Alarms: 4XX rate, 5XX rate, p99 latency and the watched status code. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /**
   * The role the account's API Gateway logs through, when this construct sets it: one per stack,
   * shared by every ApiObservability of the stack.
   */
  public readonly cloudWatchRole?: iam.IRole;
  /** The id of the client certificate the stage presents to HTTP backends. */
  public readonly clientCertificateId: string;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: ApiObservabilityProps) {
    super(scope, id);
    const stageName = props.stageName ?? 'prod';
    const cacheTtl = props.cacheTtl ?? Duration.minutes(5);
    const cacheSize = props.cacheSize ?? ApiCacheSize.GB_0_5;
    const statusCode = props.watchedStatusCode ?? 403;
    const setsAccountRole = props.accountCloudWatchRole ?? true;

    const check = new PropsCheck(this, 'ApiObservability');
    check.matches('stageName', stageName, STAGE_NAME, 'letters, digits, hyphens and underscores, at most 128 characters');
    const ttl = cacheTtl.toSeconds({ integral: false });
    if (!Token.isUnresolved(ttl)) {
      check.require(ttl <= MAX_CACHE_TTL_SECONDS, `cacheTtl must be at most ${MAX_CACHE_TTL_SECONDS} seconds (API Gateway's maximum), got ${ttl}`);
      check.require(ttl >= 1 && Number.isInteger(ttl), `cacheTtl must be a whole number of seconds, at least 1 (a TTL of 0 disables caching while the cache is still billed), got ${ttl}`);
    }
    check.require((Object.values(ApiCacheSize) as string[]).includes(cacheSize),
      `cacheSize must be one of ${Object.values(ApiCacheSize).join(', ')} (GB), got ${cacheSize}`);
    if (!Token.isUnresolved(statusCode)) {
      check.require(Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599, `watchedStatusCode must be an HTTP status code (100-599), got ${statusCode}`);
    }
    check.positiveWholeNumber('watchedStatusThreshold', props.watchedStatusThreshold);
    for (const [name, value] of [['clientErrorRateThreshold', props.clientErrorRateThreshold], ['serverErrorRateThreshold', props.serverErrorRateThreshold]] as const) {
      check.require(value === undefined || Token.isUnresolved(value) || (value > 0 && value <= 1), `${name} is a share of requests, more than 0 and at most 1, got ${value}`);
    }
    if (props.restApi instanceof apigateway.RestApiBase) {
      check.require(props.restApi.deploymentStage === undefined,
        'restApi already deploys a stage of its own: create it with deploy: false, so the stage this construct observes is its only one');
      check.require(!setsAccountRole || !(props.restApi.node.tryFindChild('Account') instanceof apigateway.CfnAccount),
        'restApi sets the account\'s CloudWatch role itself (cloudWatchRole: true): create it with cloudWatchRole: false, or set accountCloudWatchRole: false here; the account holds one role per region');
    }
    check.throwIfAny();

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', { displayName: 'API alerts' }).topic;
    const stack = Stack.of(this);

    // Access logs: JSON, one object per request; `status` is the field the metric filter reads,
    // `apiId` and `stage` its dimensions (docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html).
    this.accessLogGroup = new EncryptedLogGroup(this, 'AccessLogs', { retention: props.logRetention }).logGroup;
    // Execution logs go to a group API Gateway names and would create itself, without key or
    // retention (docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html): create it first.
    this.executionLogGroup = new EncryptedLogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${props.restApi.restApiId}/${stageName}`,
      retention: props.logRetention,
    }).logGroup;

    this.deployment = new apigateway.Deployment(this, 'Deployment', {
      api: props.restApi,
      description: `Deployed by ${this.node.path}`,
    });
    // A certificate HTTP backends can verify, so they accept calls from this stage only
    // (docs.aws.amazon.com/apigateway/latest/developerguide/getting-started-client-side-ssl-authentication.html).
    this.clientCertificateId = props.clientCertificateId ?? new apigateway.CfnClientCertificate(this, 'ClientCertificate', {
      description: `Presented to HTTP backends by stage ${stageName} (${this.node.path})`,
    }).ref;
    const field = apigateway.AccessLogField;
    this.stage = new apigateway.Stage(this, 'Stage', {
      deployment: this.deployment,
      stageName,
      cacheClusterEnabled: true,
      cacheClusterSize: cacheSize,
      cachingEnabled: true,
      cacheDataEncrypted: true,
      cacheTtl,
      accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
      accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify({
        requestId: field.contextRequestId(),
        apiId: field.contextApiId(),
        stage: field.contextStage(),
        ip: field.contextIdentitySourceIp(),
        caller: field.contextIdentityCaller(),
        user: field.contextIdentityUser(),
        requestTime: field.contextRequestTime(),
        httpMethod: field.contextHttpMethod(),
        resourcePath: field.contextResourcePath(),
        status: field.contextStatus(),
        protocol: field.contextProtocol(),
        responseLength: field.contextResponseLength(),
        responseLatency: field.contextResponseLatency(),
      })),
      loggingLevel: apigateway.MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      metricsEnabled: props.detailedMetrics ?? false,
      tracingEnabled: true,
      clientCertificateId: this.clientCertificateId,
    });
    this.stage.node.addDependency(this.executionLogGroup);
    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.stage.stageArn, webAclArn: props.webAclArn });
    }

    if (setsAccountRole) {
      this.cloudWatchRole = this.accountRole(stack);
    } else {
      Annotations.of(this).addInfo(`${this.node.path} logs through the account's API Gateway CloudWatch role in ${stack.region}, which it does not set: without one, CloudFormation refuses the stage ("CloudWatch Logs role ARN must be set in account settings").`);
    }

    // The watched status code: API Gateway has no metric per code.
    this.statusCodeFilter = new logs.MetricFilter(this, `Status${statusCode}Filter`, {
      logGroup: this.accessLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', String(statusCode)),
      metricNamespace: NAMESPACE,
      metricName: `Status${statusCode}Responses`,
      metricValue: '1',
      dimensions: { ApiId: '$.apiId', Stage: '$.stage' },
    });
    this.statusCodeMetric = new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName: `Status${statusCode}Responses`,
      dimensionsMap: { ApiId: props.restApi.restApiId, Stage: stageName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });

    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string,
      comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD): void => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description} (stage ${stageName} of the API observed by ${this.node.path}).`,
      });
      addAlarmNotification(created, this.notificationTopic);
      this.alarms.push(created);
    };
    const fiveMinutes = { period: Duration.minutes(5) };
    const clientRate = props.clientErrorRateThreshold ?? 0.05;
    const serverRate = props.serverErrorRateThreshold ?? 0.01;
    const latency = props.latencyThreshold ?? Duration.seconds(2);
    // 4XXError and 5XXError are 1 or 0 per request, so their average is the error rate
    // (docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
    alarm('ClientErrorRateAlarm', this.stage.metricClientError({ ...fiveMinutes, statistic: 'Average' }), clientRate,
      `More than ${clientRate * 100}% of requests got a 4XX error`);
    alarm('ServerErrorRateAlarm', this.stage.metricServerError({ ...fiveMinutes, statistic: 'Average' }), serverRate,
      `More than ${serverRate * 100}% of requests got a 5XX error`);
    alarm('LatencyAlarm', this.stage.metricLatency({ ...fiveMinutes, statistic: 'p99' }), latency.toMilliseconds(),
      `p99 latency above ${latency.toHumanString()}`);
    const watched = props.watchedStatusThreshold ?? 10;
    alarm(`Status${statusCode}Alarm`, this.statusCodeMetric, watched, `${watched} or more responses with status ${statusCode} in 5 minutes`,
      cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
  }

  /**
   * The account's CloudWatch role for API Gateway in this region, and the setting that points to
   * it: one per stack, at the stack's root, whichever ApiObservability comes first. It serves
   * every API of the account in the region, so it may write to any log group of this account and
   * region (API Gateway creates `API-Gateway-Execution-Logs_*` groups for APIs that have not
   * created theirs), as the AmazonAPIGatewayPushToCloudWatchLogs managed policy does for every
   * account and region (docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html#set-up-access-logging-permissions).
   */
  private accountRole(stack: Stack): iam.IRole {
    const existing = stack.node.tryFindChild(ACCOUNT_ROLE_ID) as ServiceRole | undefined;
    const account = stack.node.tryFindChild(ACCOUNT_SETTING_ID) as apigateway.CfnAccount | undefined;
    if (existing && account) {
      this.stage.node.addDependency(account);
      return existing;
    }
    const role = new ServiceRole(stack, ACCOUNT_ROLE_ID, {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: `The API Gateway CloudWatch role of this account in ${stack.region}, set by stack ${stack.stackName}`.slice(0, 1000),
    });
    const logGroups = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`;
    const logStreams = `${logGroups}:log-stream:*`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ApiGatewayLogsOfThisAccountAndRegion',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogGroups', 'logs:DescribeLogStreams', 'logs:PutLogEvents', 'logs:GetLogEvents', 'logs:FilterLogEvents'],
      resources: [logGroups, logStreams],
    }));
    const reason = 'This is the account-wide API Gateway CloudWatch role of this region: API Gateway writes the access and execution logs of every REST API of the account through it, creating API-Gateway-Execution-Logs_* groups for APIs that have none, so it may write to any log group of this account and region, never another account\'s or region\'s.';
    role.acknowledgeWildcardResource(logGroups, reason);
    role.acknowledgeWildcardResource(logStreams, reason);
    role.applyRemovalPolicy(dataRemovalPolicy(stack));

    const setting = new apigateway.CfnAccount(stack, ACCOUNT_SETTING_ID, { cloudWatchRoleArn: role.roleArn });
    setting.applyRemovalPolicy(dataRemovalPolicy(stack));
    setting.node.addDependency(role.grantsDependable);
    // API Gateway refuses a stage with logging until the account has a CloudWatch role.
    this.stage.node.addDependency(setting);
    return role;
  }
}
