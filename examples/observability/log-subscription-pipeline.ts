/**
 * OBS-1 example: in the workload account, an application log group subscribed to Firehose, which
 * writes the events to an encrypted bucket, with an alarm on ERROR lines; and a second log group
 * subscribed to a KMS-encrypted Kinesis data stream of one shard, for a consumer that processes
 * events as they arrive.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EncryptedLogGroup, LogSubscriptionPipeline } from '../../lib';
import { env, ExampleConfig } from '../config';

/** An application log group archived to S3 through Firehose, with an alarm on errors. */
export class LogArchiveStack extends Stack {
  public readonly pipeline: LogSubscriptionPipeline;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const appLogs = new EncryptedLogGroup(this, 'AppLogs', { retention: logs.RetentionDays.ONE_MONTH }).logGroup;
    this.pipeline = new LogSubscriptionPipeline(this, 'AppLogsToS3', {
      logGroups: [appLogs],
      s3Destination: { prefix: 'app/' },
      metricAlarms: [{ metricName: 'AppErrors', filterPattern: logs.FilterPattern.anyTerm('ERROR', 'Exception'), threshold: 5 }],
    });
  }
}

/** A log group streamed to Kinesis Data Streams for near-real-time processing. */
export class LogStreamStack extends Stack {
  public readonly pipeline: LogSubscriptionPipeline;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const auditLogs = new EncryptedLogGroup(this, 'AuditLogs', { retention: logs.RetentionDays.THREE_MONTHS }).logGroup;
    this.pipeline = new LogSubscriptionPipeline(this, 'AuditLogsToStream', {
      logGroups: [auditLogs],
      filterPattern: logs.FilterPattern.stringValue('$.level', '=', 'AUDIT'),
      kinesisDestination: { distribution: logs.Distribution.RANDOM },
    });
  }
}

/** The OBS-1 example stacks. */
export interface LogSubscriptionPipelineExamples {
  readonly logArchive: LogArchiveStack;
  readonly logStream: LogStreamStack;
}

/** Adds the OBS-1 example stacks to `app`. */
export function addLogSubscriptionPipelineExamples(app: App, config: ExampleConfig): LogSubscriptionPipelineExamples {
  const logArchive = new LogArchiveStack(app, 'Obs1-Workload-LogsToS3', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'OBS-1 LogSubscriptionPipeline: application log group -> subscription filter -> Firehose -> encrypted S3 bucket, with an error alarm (workload account)',
  });
  const logStream = new LogStreamStack(app, 'Obs1-Workload-LogsToKinesis', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'OBS-1 LogSubscriptionPipeline: audit log group -> subscription filter -> KMS-encrypted Kinesis data stream (workload account)',
  });
  return { logArchive, logStream };
}
