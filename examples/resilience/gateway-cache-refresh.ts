/**
 * RES-9 example: in the workload account, the bucket behind an S3 File Gateway file share (with
 * its events sent to EventBridge), and the share's cache refreshed every night and whenever
 * objects land in the share's prefix directly. The file share itself is created with the gateway,
 * outside CloudFormation: set the context key res9FileShareArn to its ARN.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { acknowledgeNotReplicated, GatewayCacheRefresh, SecureBucket } from '../../lib';
import { env, ExampleConfig } from '../config';

/** Props for {@link GatewayCacheRefreshStack}. */
export interface GatewayCacheRefreshStackProps extends StackProps {
  /** The file share's ARN. */
  readonly fileShareArn: string;
}

/** The file share bucket and its cache refresh. */
export class GatewayCacheRefreshStack extends Stack {
  public readonly bucket: SecureBucket;
  public readonly refresh: GatewayCacheRefresh;

  constructor(scope: Construct, id: string, props: GatewayCacheRefreshStackProps) {
    super(scope, id, props);
    this.bucket = new SecureBucket(this, 'ShareBucket');
    acknowledgeNotReplicated(this.bucket.bucket,
      'The bucket behind this example file share holds the working copy the on-premises clients see; copying it to a second region is RES-1 ReplicatedBucket\'s job and is left out to keep this example to the cache refresh.');
    // EventBridge delivery set on the bucket resource itself, so no notifications Lambda is needed.
    (this.bucket.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
    this.refresh = new GatewayCacheRefresh(this, 'Refresh', {
      fileShareArn: props.fileShareArn,
      bucket: this.bucket.bucket,
      sharePrefix: 'projects/',
      schedule: scheduler.ScheduleExpression.cron({ minute: '30', hour: '2' }),
    });
  }
}

/** The RES-9 example stacks. */
export interface GatewayCacheRefreshExamples {
  readonly cacheRefresh: GatewayCacheRefreshStack;
}

/** Adds the RES-9 example stack to `app`. */
export function addGatewayCacheRefreshExamples(app: App, config: ExampleConfig): GatewayCacheRefreshExamples {
  // A placeholder share of the workload account and primary region.
  const fileShareArn = (app.node.tryGetContext('res9FileShareArn') as string | undefined)
    ?? `arn:aws:storagegateway:${config.primaryRegion}:${config.workloadAccount}:share/share-AB12CD34`;
  return {
    cacheRefresh: new GatewayCacheRefreshStack(app, 'Res9-GatewayCacheRefresh', {
      env: env(config.workloadAccount, config.primaryRegion),
      description: 'RES-9 GatewayCacheRefresh: nightly RefreshCache by EventBridge Scheduler and folder refreshes from S3 object events (SQS, a pipe, Step Functions)',
      fileShareArn,
    }),
  };
}
