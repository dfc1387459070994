/**
 * CICD-5 LambdaCanaryRelease: shift traffic to a new Lambda version gradually, with CodeDeploy.
 *
 * Every change to the function's code or configuration publishes a new version; the `live` alias
 * points at the version users call. CloudFormation hands the alias update to CodeDeploy (the
 * `CodeDeployLambdaAliasUpdate` update policy), which moves traffic with alias weights: a canary
 * (one step, then the rest), linear steps, or all at once. Alarms on the alias (errors, throttles,
 * duration) stop the deployment and shift every request back to the old version, and optional
 * pre- and post-traffic hook functions test the new version before and after it takes traffic.
 * The CodeDeploy role is limited to this alias, its alarms and its hooks.
 */
import { Duration, Names, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';
import { CodeDeployRole } from './code-deploy-role';
import { TrafficShift } from './traffic-shift';

/** Lambda's timeout for a function that sets none, in seconds. */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/** The predefined CodeDeploy Lambda configurations, by {@link TrafficShift} key. */
const LAMBDA_PREDEFINED: Record<string, codedeploy.ILambdaDeploymentConfig> = {
  'ALL_AT_ONCE': codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
  'CANARY-10-5': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  'CANARY-10-10': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  'CANARY-10-15': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_15MINUTES,
  'CANARY-10-30': codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_30MINUTES,
  'LINEAR-10-1': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
  'LINEAR-10-2': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
  'LINEAR-10-3': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_3MINUTES,
  'LINEAR-10-10': codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_10MINUTES,
};

/**
 * Props for {@link LambdaCanaryRelease}.
 */
export interface LambdaCanaryReleaseProps {
  /**
   * The function to release. A `lambda.Function` of this app gets a new version whenever its code
   * or configuration changes (`currentVersion`); an imported function needs `codeSha256`.
   */
  readonly function: lambda.IFunction;

  /**
   * The SHA-256 (base64) of the code to publish, for a function imported into this app. It names
   * the version, so a new hash publishes a new version and starts a deployment, and Lambda
   * refuses to publish if the function's code does not match it.
   * @default - none; required when `function` is not a `lambda.Function` of this app
   */
  readonly codeSha256?: string;

  /**
   * The alias that callers invoke and CodeDeploy moves between versions.
   * @default 'live'
   */
  readonly aliasName?: string;

  /**
   * How traffic moves to the new version.
   * @default TrafficShift.canary10Percent10Minutes()
   */
  readonly trafficShift?: TrafficShift;

  /**
   * Alarm when the alias has at least this many errors in one minute.
   * @default 1
   */
  readonly errorsThreshold?: number;

  /**
   * Alarm when the alias is throttled at least this many times in one minute.
   * @default 1
   */
  readonly throttlesThreshold?: number;

  /**
   * Alarm when the 99th percentile duration of the alias exceeds this for three minutes in a row.
   * @default - 80 % of the function's timeout for a `lambda.Function` (of Lambda's default 3 s
   * timeout when it sets none), else 3 seconds
   */
  readonly durationThreshold?: Duration;

  /**
   * More alarms that stop the deployment and roll it back (add more later with `addAlarm`).
   * @default - only the alias alarms the construct creates
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * A function CodeDeploy runs before it shifts traffic, to test the new version through its
   * version ARN. It must report `Succeeded` or `Failed` with
   * `codedeploy:PutLifecycleEventHookExecutionStatus`; the construct grants that.
   * @default - no pre-traffic hook
   */
  readonly preTrafficHook?: lambda.IFunction;

  /**
   * A function CodeDeploy runs after all traffic moved, to test the alias end to end.
   * @default - no post-traffic hook
   */
  readonly postTrafficHook?: lambda.IFunction;

  /**
   * Where the alarms notify a person (the deployment rolls back on its own either way). A topic
   * passed in must let CloudWatch use its key.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/**
 * CICD-5: a Lambda version and alias released by CodeDeploy with canary, linear or all-at-once
 * traffic shifting, rolled back automatically when an alarm on the alias fires.
 *
 * ```ts
 * const release = new LambdaCanaryRelease(this, 'Release', { function: fn });
 * release.addAlarm(myLatencyAlarm);
 * // callers invoke release.alias
 * ```
 */
export class LambdaCanaryRelease extends Construct {
  /** The version this deployment publishes. */
  public readonly version: lambda.IVersion;
  /** The alias callers invoke; CodeDeploy moves it between versions. */
  public readonly alias: lambda.Alias;
  /** The CodeDeploy application. */
  public readonly application: codedeploy.LambdaApplication;
  /** The CodeDeploy deployment group. */
  public readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** The deployment configuration (predefined or custom). */
  public readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  /** The role CodeDeploy assumes, limited to this alias, its alarms and hooks. */
  public readonly deploymentRole: CodeDeployRole;
  /** The alarm on errors of the alias. */
  public readonly errorsAlarm: cloudwatch.Alarm;
  /** The alarm on throttles of the alias. */
  public readonly throttlesAlarm: cloudwatch.Alarm;
  /** The alarm on the 99th percentile duration of the alias. */
  public readonly durationAlarm: cloudwatch.Alarm;
  /** Where the alarms notify a person. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: LambdaCanaryReleaseProps) {
    super(scope, id);
    const shift = props.trafficShift ?? TrafficShift.canary10Percent10Minutes();
    const ownFunction = props.function instanceof lambda.Function ? props.function : undefined;

    const check = new PropsCheck(this, 'LambdaCanaryRelease');
    for (const problem of shift._problems()) check.add(problem);
    check.require(ownFunction !== undefined || props.codeSha256 !== undefined,
      `function ${props.function.node.path} is not a lambda.Function of this app: pass codeSha256 so each new code publishes a new version`);
    check.inRange('errorsThreshold', props.errorsThreshold, 1, Number.MAX_SAFE_INTEGER);
    check.inRange('throttlesThreshold', props.throttlesThreshold, 1, Number.MAX_SAFE_INTEGER);
    if (props.durationThreshold && !Token.isUnresolved(props.durationThreshold.toMilliseconds())) {
      check.require(props.durationThreshold.toMilliseconds() > 0, 'durationThreshold must be longer than 0 ms');
    }
    check.throwIfAny();

    // A version is immutable: CloudFormation only publishes a new one when the Version resource
    // is replaced, so its logical id must change with the code. `currentVersion` hashes the
    // function's configuration; for an imported function the code hash names the version.
    this.version = ownFunction
      ? ownFunction.currentVersion
      : new lambda.Version(this, `Version${props.codeSha256!.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}`, {
        lambda: props.function,
        codeSha256: props.codeSha256,
      });
    this.alias = new lambda.Alias(this, 'Alias', {
      aliasName: props.aliasName ?? 'live',
      version: this.version,
    });

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Alarms', { displayName: `Release alarms of ${this.node.path}` }).topic;
    // A lambda.Function without a timeout runs with Lambda's default of 3 seconds: 80 % of that,
    // since a p99 duration can never exceed the timeout and an alarm at the timeout never fires.
    const ownTimeout = ownFunction ? (ownFunction.timeout ?? Duration.seconds(LAMBDA_DEFAULT_TIMEOUT_SECONDS)) : undefined;
    const defaultDuration = ownTimeout ? Duration.millis(ownTimeout.toMilliseconds() * 0.8) : Duration.seconds(3);
    const what = `${this.node.path} (alias ${this.alias.aliasName})`;
    this.errorsAlarm = this.alias.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }).createAlarm(this, 'ErrorsAlarm', {
      alarmDescription: `The new version of ${what} returns errors; CodeDeploy rolls the deployment back.`,
      threshold: props.errorsThreshold ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.throttlesAlarm = this.alias.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }).createAlarm(this, 'ThrottlesAlarm', {
      alarmDescription: `Invocations of ${what} are throttled; CodeDeploy rolls the deployment back.`,
      threshold: props.throttlesThreshold ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.durationAlarm = this.alias.metricDuration({ period: Duration.minutes(1), statistic: 'p99' }).createAlarm(this, 'DurationAlarm', {
      alarmDescription: `The 99th percentile duration of ${what} is too long; CodeDeploy rolls the deployment back.`,
      threshold: (props.durationThreshold ?? defaultDuration).toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.errorsAlarm, this.throttlesAlarm, this.durationAlarm]) {
      addAlarmNotification(alarm, this.notificationTopic);
    }

    this.deploymentRole = new CodeDeployRole(this, 'DeploymentRole', { description: `CodeDeploy releases of ${this.node.path}` });
    // What the AWS managed AWSCodeDeployRoleForLambdaLimited allows on every function of the
    // account, limited to this function and its alias.
    this.deploymentRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['lambda:GetAlias', 'lambda:UpdateAlias', 'lambda:GetProvisionedConcurrencyConfig'],
      resources: [props.function.functionArn, this.alias.functionArn],
    }));

    this.application = new codedeploy.LambdaApplication(this, 'Application');
    const predefined = LAMBDA_PREDEFINED[shift._key()];
    this.deploymentConfig = predefined ?? new codedeploy.LambdaDeploymentConfig(this, 'DeploymentConfig', {
      deploymentConfigName: `${Names.uniqueResourceName(this, { maxLength: 80 })}-${shift._key()}`,
      trafficRouting: shift._trafficRouting(),
    });
    let deploymentGroup!: codedeploy.LambdaDeploymentGroup;
    this.deploymentRole._createDeploymentGroup(() => {
      deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'DeploymentGroup', {
        application: this.application,
        alias: this.alias,
        deploymentConfig: this.deploymentConfig,
        role: this.deploymentRole,
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
    });
    this.deploymentGroup = deploymentGroup;

    for (const alarm of [this.errorsAlarm, this.throttlesAlarm, this.durationAlarm, ...(props.alarms ?? [])]) {
      this.addAlarm(alarm);
    }
    if (props.preTrafficHook) this.addHook(props.preTrafficHook, true);
    if (props.postTrafficHook) this.addHook(props.postTrafficHook, false);
  }

  private addHook(hook: lambda.IFunction, pre: boolean): void {
    if (pre) this.deploymentGroup.addPreHook(hook);
    else this.deploymentGroup.addPostHook(hook);
    this.deploymentRole.acknowledgeWildcardResource(`${hook.functionArn}:*`,
      'CodeDeploy invokes the hook function by the name in the deployment, qualified or not, so the role may invoke that one function and its versions and aliases and nothing else.');
  }

  /**
   * Adds an alarm that stops a running deployment and shifts traffic back to the old version.
   * CodeDeploy may read its state.
   */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    this.deploymentGroup.addAlarm(alarm);
    this.deploymentRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:DescribeAlarms'],
      resources: [alarm.alarmArn],
    }));
  }
}
