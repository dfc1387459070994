/**
 * OBS-3 example: in a workload account, two application buckets whose server access logs go to
 * one log bucket with date-partitioned keys, a Glue table over them and an Athena workgroup with
 * the day-one queries.
 */
import { App, Size, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AccessLogAnalytics, acknowledgeNotReplicated, SecureBucket } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The access log analytics stack. */
export class AccessLogAnalyticsStack extends Stack {
  public readonly analytics: AccessLogAnalytics;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    // The application's buckets; AccessLogAnalytics turns their server access logging on.
    const uploads = new SecureBucket(this, 'Uploads', { disableServerAccessLogs: true });
    const reports = new SecureBucket(this, 'Reports', { disableServerAccessLogs: true });
    for (const b of [uploads, reports]) {
      acknowledgeNotReplicated(b.bucket, 'Example application bucket holding no data; a production bucket replicates with ReplicatedBucket (RES-7).');
    }
    this.analytics = new AccessLogAnalytics(this, 'AccessLogs', {
      sourceBuckets: [uploads.bucket],
      bytesScannedCutoffPerQuery: Size.gibibytes(5),
    });
    this.analytics.addSourceBucket(reports.bucket);
  }
}

/** The OBS-3 example stacks. */
export interface AccessLogAnalyticsExamples {
  readonly accessLogs: AccessLogAnalyticsStack;
}

/** Adds the OBS-3 example stack to `app`. */
export function addAccessLogAnalyticsExamples(app: App, config: ExampleConfig): AccessLogAnalyticsExamples {
  const accessLogs = new AccessLogAnalyticsStack(app, 'Obs3-Workload-AccessLogAnalytics', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'OBS-3 AccessLogAnalytics: S3 server access logs with partitioned keys, a Glue table with partition projection, an Athena workgroup with encrypted results and named queries (workload account)',
  });
  return { accessLogs };
}
