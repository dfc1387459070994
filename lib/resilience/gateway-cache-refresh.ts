/**
 * RES-9 GatewayCacheRefresh: keeps an S3 File Gateway file share's view of its bucket up to date.
 *
 * A file share lists what is in its bucket once and caches that inventory; objects that other
 * writers put into the bucket directly (not through the share) stay invisible to the share's
 * clients until `RefreshCache` runs (docs.aws.amazon.com/storagegateway/latest/APIReference/API_RefreshCache.html).
 * This construct refreshes it in two ways, without a Lambda function:
 * - on a schedule, EventBridge Scheduler calls `RefreshCache` directly (a universal target) for
 *   the whole share, recursively: the backstop that catches everything;
 * - when objects are created or deleted in the bucket, S3's EventBridge events are buffered in an
 *   encrypted SQS queue and handed in batches by an EventBridge pipe to a Step Functions workflow,
 *   which refreshes only the folders the batch touched (relative to the share's prefix), one call
 *   at a time with a minute between calls, retrying with backoff when the gateway is busy.
 * `RefreshCache` accepts at most two refreshes in progress per gateway, asks for 60 seconds
 * between calls, and refuses more with `InvalidGatewayRequestException`
 * (docs.aws.amazon.com/storagegateway/latest/APIReference/API_RefreshCache.html): batching
 * turns a burst of uploads into one call per batch instead of one per object.
 *
 * The file share is passed in: a gateway is activated by a call from inside the network that
 * reaches the gateway appliance (an activation key from the VM), which CloudFormation alone
 * cannot do, so gateways and shares are created outside this construct.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { addAlarmNotification } from '../core/alarm-notification';
import { createEncryptionKey } from '../core/encryption-key';
import { addEventNotification } from '../core/event-notification';
import { LoggedStateMachine } from '../core/logged-state-machine';
import { NotificationTopic } from '../core/notification-topic';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** Props for {@link GatewayCacheRefresh}. */
export interface GatewayCacheRefreshProps {
  /**
   * The ARN of the S3 File Gateway file share to refresh
   * (`arn:aws:storagegateway:<region>:<account>:share/share-XXXXXXXX`), in the stack's account and
   * region.
   */
  readonly fileShareArn: string;

  /**
   * The bucket behind the file share. For the event-driven refresh it must send its events to
   * EventBridge: for a bucket defined in this app, turn that on before passing it
   * (`eventBridgeEnabled: true`, or `NotificationConfiguration.EventBridgeConfiguration` on its
   * `CfnBucket`); an imported bucket's owner must turn it on where the bucket is defined.
   */
  readonly bucket: s3.IBucket;

  /**
   * The prefix of the bucket the file share maps (the part of its location after the bucket name,
   * ending with `/`, such as `projects/`). Only objects under it are the share's, and folders are
   * refreshed relative to it.
   * @default - the share maps the whole bucket
   */
  readonly sharePrefix?: string;

  /**
   * When the whole share is refreshed, recursively.
   * @default - every day at 03:00 UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Also refresh the folders where objects are created or deleted, as S3 reports them to
   * EventBridge.
   * @default true
   */
  readonly refreshOnObjectEvents?: boolean;

  /**
   * How long the pipe gathers object events into one batch (one workflow execution, one
   * `RefreshCache` call per 50 folders), 60-300 seconds in whole seconds.
   * @default Duration.seconds(60)
   */
  readonly batchWindow?: Duration;

  /**
   * Where a person is told (a refresh workflow failed, the scheduled refresh failed, events could
   * not be handed to the workflow).
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** A file share ARN (docs.aws.amazon.com/storagegateway/latest/APIReference/API_FileShareInfo.html): share- and 8 characters. */
const FILE_SHARE_ARN = /^arn:aws[a-z-]*:storagegateway:([a-z0-9-]+):(\d{12}):share\/share-[0-9A-Z]{8}$/;
/** RefreshCache takes 1-50 folders per call (API_RefreshCache.html, FolderList). */
const MAX_FOLDERS_PER_CALL = 50;
/** "Wait at least 60 seconds between consecutive RefreshCache API requests" (API_RefreshCache.html). */
const SECONDS_BETWEEN_CALLS = 60;
/** EventBridge Pipes batches SQS messages for at most 300 seconds (API PipeSourceSqsQueueParameters). */
const MAX_BATCH_WINDOW = 300;
/** Messages per batch: small enough for Step Functions' 256 KiB input with 1,024-byte keys. */
const BATCH_SIZE = 100;

/**
 * RES-9: refreshes an S3 File Gateway file share's cache on a schedule (EventBridge Scheduler
 * calling `RefreshCache` directly) and, for the folders where objects land in the bucket directly,
 * through S3 events, an SQS buffer, a pipe and a Step Functions workflow.
 *
 * ```ts
 * new GatewayCacheRefresh(this, 'Refresh', {
 *   fileShareArn: 'arn:aws:storagegateway:eu-west-1:111111111111:share/share-AB12CD34',
 *   bucket,
 *   sharePrefix: 'projects/',
 * });
 * ```
 */
export class GatewayCacheRefresh extends Construct {
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** The schedule group of the scheduled refresh (its metrics are this construct's only). */
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** The scheduled, recursive refresh of the whole share. */
  public readonly schedule: scheduler.Schedule;
  /** The role Scheduler calls RefreshCache with (that one file share only). */
  public readonly schedulerRole: ServiceRole;
  /** The rule on the bucket's object events, when `refreshOnObjectEvents` is on. */
  public readonly objectRule?: events.Rule;
  /** The queue that buffers object events, when `refreshOnObjectEvents` is on. */
  public readonly queue?: sqs.Queue;
  /** The pipe that hands batches of object events to the workflow, when `refreshOnObjectEvents` is on. */
  public readonly pipe?: pipes.CfnPipe;
  /** The workflow that refreshes the folders of a batch, when `refreshOnObjectEvents` is on. */
  public readonly workflow?: LoggedStateMachine;

  constructor(scope: Construct, id: string, props: GatewayCacheRefreshProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const eventDriven = props.refreshOnObjectEvents ?? true;
    const check = new PropsCheck(this, 'GatewayCacheRefresh');
    check.matches('fileShareArn', props.fileShareArn, FILE_SHARE_ARN, 'a file share ARN (arn:aws:storagegateway:<region>:<account>:share/share-XXXXXXXX)');
    const arn = Token.isUnresolved(props.fileShareArn) ? undefined : FILE_SHARE_ARN.exec(props.fileShareArn);
    if (arn) {
      // Scheduler and Step Functions call RefreshCache in their own account and region.
      check.require(Token.isUnresolved(stack.region) || arn[1] === stack.region,
        `fileShareArn is in region ${arn[1]}, the stack in ${stack.region}: deploy this construct in the file share's region`);
      check.require(Token.isUnresolved(stack.account) || arn[2] === stack.account,
        `fileShareArn is in account ${arn[2]}, the stack in ${stack.account}: deploy this construct in the file share's account`);
    }
    const prefix = props.sharePrefix ?? '';
    if (props.sharePrefix !== undefined && !Token.isUnresolved(props.sharePrefix)) {
      check.require(/^[^/].*\/$/.test(prefix) && !prefix.includes('//') && !prefix.includes("'"),
        `sharePrefix must be a key prefix such as projects/ (no leading /, ending with /, no // or '), got "${prefix}"`);
    }
    check.require(props.sharePrefix === undefined || !Token.isUnresolved(props.sharePrefix),
      'sharePrefix must be known at synth time: the workflow strips it from object keys');
    const windowSeconds = props.batchWindow?.toSeconds({ integral: false });
    if (windowSeconds !== undefined) {
      check.require(Number.isInteger(windowSeconds) && windowSeconds >= SECONDS_BETWEEN_CALLS && windowSeconds <= MAX_BATCH_WINDOW,
        `batchWindow must be ${SECONDS_BETWEEN_CALLS}-${MAX_BATCH_WINDOW} whole seconds (RefreshCache asks for 60 seconds between calls; pipes batch for at most 300), got ${props.batchWindow!.toHumanString()}`);
    }
    if (eventDriven) {
      const delivery = eventBridgeDelivery(props.bucket);
      check.require(delivery !== false,
        `bucket ${props.bucket.node.path} does not send its events to EventBridge: set eventBridgeEnabled: true on it (or NotificationConfiguration.EventBridgeConfiguration on its CfnBucket), or set refreshOnObjectEvents: false`);
      if (delivery === undefined) {
        Annotations.of(this).addWarningV2('@devops-patterns/resilience:gateway-cache-refresh-bucket-events',
          `The bucket ${props.bucket.bucketName} is not defined in this app, so this construct cannot see whether it sends its events to EventBridge. `
          + 'Its owner must turn on EventBridge delivery where the bucket is defined (eventBridgeEnabled); without it only the scheduled refresh runs.');
      }
    }
    check.throwIfAny();

    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'File Gateway cache refresh',
    }).topic;
    const topic = this.notificationTopic;
    const refreshOnShare = new iam.PolicyStatement({ actions: ['storagegateway:RefreshCache'], resources: [props.fileShareArn] });

    // Scheduled: the whole share, recursively. A group of its own, so the alarm below counts only its errors.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Group');
    this.schedulerRole = new ServiceRole(this, 'SchedulerRole', {
      // Scheduler sends aws:SourceAccount when it assumes the role
      // (docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: `EventBridge Scheduler refreshes the file share cache (${this.node.path})`.slice(0, 1000),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `RefreshCache of the whole file share, recursively (${this.node.path})`.slice(0, 512),
      scheduleGroup: this.scheduleGroup,
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '3' }),
      target: new schedulerTargets.Universal({
        service: 'storagegateway',
        action: 'refreshCache',
        role: this.schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject({ FileShareARN: props.fileShareArn, FolderList: ['/'], Recursive: true }),
        policyStatements: [refreshOnShare],
      }),
    });
    // Scheduler's errors calling the target, by schedule group
    // (docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html).
    const scheduleErrors = new cloudwatch.Metric({
      namespace: 'AWS/Scheduler',
      metricName: 'TargetErrorCount',
      dimensionsMap: { ScheduleGroup: this.scheduleGroup.scheduleGroupName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    }).createAlarm(this, 'ScheduleErrors', {
      alarmDescription: `The scheduled RefreshCache of ${this.node.path} failed (the gateway refused or the call was not allowed).`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    addAlarmNotification(scheduleErrors, topic);

    if (!eventDriven) return;

    // Event-driven: S3 object events -> SQS -> pipe (batches) -> workflow.
    const key = createEncryptionKey(this, 'QueueKey', { description: `Object events buffered for ${this.node.path}` });
    // EventBridge encrypts what it sends to an SSE-KMS queue with the queue's key
    // (docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions);
    // the statement the SqsQueue target adds is conditioned on aws:SourceAccount, which that
    // request is not documented to carry. This key encrypts these two queues only.
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowEventBridgeToEncryptEvents',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }), false);
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Events', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      // Longer than the batch window, so a batch being handed to the workflow is not received twice.
      visibilityTimeout: Duration.seconds(MAX_BATCH_WINDOW + 60),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    const deadLetterAlarm = deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, 'UndeliveredEvents', {
        alarmDescription: `Object events of ${this.node.path} could not be handed to the refresh workflow; their folders are refreshed at the next scheduled refresh.`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    addAlarmNotification(deadLetterAlarm, topic);

    // S3 "Object Created" / "Object Deleted" events (docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html);
    // only the key is queued.
    this.objectRule = new events.Rule(this, 'ObjectEvents', {
      description: `Objects created or deleted under the file share of ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created', 'Object Deleted'],
        detail: {
          bucket: { name: [props.bucket.bucketName] },
          ...(prefix ? { object: { key: [{ prefix }] } } : {}),
        },
      },
      targets: [new targets.SqsQueue(this.queue, {
        message: events.RuleTargetInput.fromObject({ key: events.EventField.fromPath('$.detail.object.key') }),
      })],
    });

    // The workflow's input is the batch: SQS messages whose body is {"key": "..."}. JSONata with
    // Step Functions' $parse and $partition (docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html):
    // each key's folder relative to the share ("/" for the share's root), distinct, in groups of 50.
    const folders = sfn.Pass.jsonata(this, 'FoldersOfBatch', {
      outputs: {
        groups: `{% (
  $prefix := '${prefix}';
  $partition($distinct([$states.input.(
    $key := $parse(body).key;
    $relative := $prefix = '' ? $key : $substringAfter($key, $prefix);
    $contains($relative, '/') ? $replace($relative, /\\/[^\\/]*$/, '') : '/'
  )]), ${MAX_FOLDERS_PER_CALL})
) %}`,
      },
    });
    const refresh = tasks.CallAwsService.jsonata(this, 'RefreshFolders', {
      service: 'storagegateway',
      action: 'refreshCache',
      parameters: {
        FileShareARN: props.fileShareArn,
        FolderList: '{% $states.input %}',
        // The objects are in these folders themselves; new subfolders are found by the scheduled,
        // recursive refresh.
        Recursive: false,
      },
      iamResources: [props.fileShareArn],
      outputs: {},
    });
    // The gateway refuses a third refresh in progress with InvalidGatewayRequestException; the
    // scheduled refresh or an earlier batch may be running: wait and try again, spread out.
    // Step Functions names SDK errors ServiceName.ExceptionName
    // (docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html).
    refresh.addRetry({
      errors: ['StorageGateway.InvalidGatewayRequestException'],
      interval: Duration.seconds(SECONDS_BETWEEN_CALLS),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(15),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const pause = sfn.Wait.jsonata(this, 'MinuteBetweenCalls', { time: sfn.WaitTime.duration(Duration.seconds(SECONDS_BETWEEN_CALLS)) });
    // One group at a time (MaxConcurrency 1), a minute apart.
    const eachGroup = sfn.Map.jsonata(this, 'EachGroupOfFolders', {
      items: sfn.ProvideItems.jsonata('{% $states.input.groups %}'),
      maxConcurrency: 1,
      outputs: {},
    });
    eachGroup.itemProcessor(refresh.next(pause));
    this.workflow = new LoggedStateMachine(this, 'Workflow', {
      definition: folders.next(eachGroup),
      description: `Refreshes the file share folders where objects landed (${this.node.path})`.slice(0, 1000),
      // 2 groups of 50 folders, 6 attempts each with waits up to 15 minutes: well within 2 hours.
      timeout: Duration.hours(2),
    });

    const pipeRole = new ServiceRole(this, 'PipeRole', {
      // EventBridge Pipes assumes the role with aws:SourceAccount
      // (docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html).
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': stack.account } }),
      description: `EventBridge Pipes hands object events to the refresh workflow (${this.node.path})`.slice(0, 1000),
    });
    this.queue.grantConsumeMessages(pipeRole);
    this.workflow.stateMachine.grantStartExecution(pipeRole);
    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      description: `Batches of object events to the refresh workflow (${this.node.path})`.slice(0, 512),
      roleArn: pipeRole.roleArn,
      source: this.queue.queueArn,
      sourceParameters: {
        sqsQueueParameters: { batchSize: BATCH_SIZE, maximumBatchingWindowInSeconds: windowSeconds ?? SECONDS_BETWEEN_CALLS },
      },
      target: this.workflow.stateMachine.stateMachineArn,
      // A standard workflow is started and not waited for (docs.aws.amazon.com/eventbridge/latest/pipes-reference/pipes-targets.html).
      targetParameters: { stepFunctionStateMachineParameters: { invocationType: 'FIRE_AND_FORGET' } },
    });
    this.pipe.node.addDependency(pipeRole.grantsDependable);

    // A failed, timed-out or aborted execution: its folders wait for the next scheduled refresh.
    const failed = new events.Rule(this, 'WorkflowFailed', {
      description: `A cache refresh workflow of ${this.node.path} did not succeed`.slice(0, 512),
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.workflow.stateMachine.stateMachineArn] },
      },
    });
    const field = (path: string) => events.EventField.fromPath(path);
    addEventNotification(failed, topic,
      `The File Gateway cache refresh ${field('$.detail.name')} ended ${field('$.detail.status')} at ${field('$.time')} `
      + `(state machine ${field('$.detail.stateMachineArn')}). The folders of that batch are refreshed at the next scheduled refresh; `
      + 'see the execution for the error (InvalidGatewayRequestException: the gateway was busy with other refreshes).');
  }
}

/**
 * Whether `bucket` sends its events to EventBridge: true or false for a bucket defined in this
 * app, undefined when the construct cannot see it (an imported bucket).
 */
function eventBridgeDelivery(bucket: s3.IBucket): boolean | undefined {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket)) return undefined;
  // eventBridgeEnabled on the L2 (kept on the instance, set through CDK's notifications resource).
  if ((bucket as unknown as { eventBridgeEnabled?: boolean }).eventBridgeEnabled === true) return true;
  const config = cfn.notificationConfiguration as s3.CfnBucket.NotificationConfigurationProperty | undefined;
  const eventBridge = config && !Token.isUnresolved(config) ? config.eventBridgeConfiguration as s3.CfnBucket.EventBridgeConfigurationProperty | undefined : undefined;
  if (eventBridge && Token.isUnresolved(eventBridge)) return undefined;
  return eventBridge?.eventBridgeEnabled === true;
}
