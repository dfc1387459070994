/* eslint-disable @typescript-eslint/no-explicit-any -- synthesized templates are untyped JSON; the tests walk them as such. */
import { App, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ACCESS_LOG_COLUMNS, ACCESS_LOG_PARTITION_KEYS, ACCESS_LOG_REGEX, AccessLogAnalytics, acknowledgeNotReplicated, SecureBucket } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addAccessLogAnalyticsExamples } from '../../examples/observability/access-log-analytics';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Logs', { env: ENV });
}

/** A construct on a small stack with one source bucket of a fixed name. */
function built(): { s: Stack; analytics: AccessLogAnalytics; t: Template } {
  const s = stack();
  const data = new s3.Bucket(s, 'Data', { bucketName: 'app-data' });
  const analytics = new AccessLogAnalytics(s, 'AccessLogs', { sourceBuckets: [data] });
  return { s, analytics, t: Template.fromStack(s) };
}

/** Renders a resolved CloudFormation string (Fn::Join, Ref) with `<LogicalId>` for references. */
function render(value: unknown, names: Record<string, string> = {}): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; Ref?: string };
  if (v['Fn::Join']) return v['Fn::Join'][1].map((x) => render(x, names)).join(v['Fn::Join'][0]);
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v.Ref) return v.Ref === 'AWS::AccountId' ? ENV.account : v.Ref === 'AWS::Region' ? ENV.region : names[v.Ref] ?? `<${v.Ref}>`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

/** The source bucket's `Ref`, named as CloudFormation names it. */
function dataName(t: Template): Record<string, string> {
  const [id] = Object.entries(t.findResources('AWS::S3::Bucket')).find(([, b]: [string, any]) => b.Properties?.BucketName === 'app-data')!;
  return { [id]: 'app-data' };
}

function only(t: Template, type: string): any {
  const all = Object.values(t.findResources(type));
  expect(all).toHaveLength(1);
  return all[0].Properties;
}

/** SQL words that are not columns: keywords, functions, units. */
const SQL_WORDS = new Set(['select', 'from', 'where', 'and', 'or', 'as', 'group', 'by', 'order', 'desc', 'asc', 'limit', 'like', 'in', 'is', 'not', 'null',
  'count', 'sum', 'coalesce', 'date_format', 'current_date', 'interval', 'day', 'parse_datetime', 'regexp_extract', 'count_if']);

describe('OBS-3 AccessLogAnalytics', () => {
  const app = exampleTestApp();
  const { accessLogs } = addAccessLogAnalyticsExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(accessLogs);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold([accessLogs]);
    // Two application buckets into the analytics log bucket, and the construct's own buckets into the stack's access log bucket.
    expect(report.edgeKinds['S3 server access logs -> bucket']).toBeGreaterThanOrEqual(4);
  });

  test('source buckets log to the SSE-S3 log bucket with date-partitioned keys by event time', () => {
    for (const id of ['Uploads', 'Reports']) {
      example.hasResourceProperties('AWS::S3::Bucket', {
        LoggingConfiguration: {
          DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogsLogBucket') },
          LogFilePrefix: 'access-logs/',
          TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
        },
        BucketEncryption: Match.anyValue(),
      });
      expect(Object.keys(example.findResources('AWS::S3::Bucket')).some((k) => k.startsWith(`${id}Bucket`))).toBe(true);
    }
    const logs = Object.entries(example.findResources('AWS::S3::Bucket')).find(([k]) => k.startsWith('AccessLogsLogBucket'))![1];
    expect(logs.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(logs.Properties.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 365, Status: 'Enabled' })]));
  });

  test('log delivery may write each source bucket\'s own partition only, with SourceArn and SourceAccount', () => {
    const { t } = built();
    const policy = Object.values(t.findResources('AWS::S3::BucketPolicy')).map((r: any) => r.Properties)
      .find((p: any) => p.Bucket.Ref.startsWith('AccessLogsLogBucket'));
    const delivery = policy.PolicyDocument.Statement.filter((st: any) => st.Principal?.Service === 'logging.s3.amazonaws.com');
    expect(delivery).toHaveLength(1);
    expect(delivery[0].Action).toBe('s3:PutObject');
    expect(render(delivery[0].Resource, dataName(t))).toMatch(/^<AccessLogsLogBucket\w+\.Arn>\/access-logs\/111111111111\/eu-west-1\/app-data\/\*$/);
    expect(delivery[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': '111111111111' });
    expect(delivery[0].Condition.ArnLike['aws:SourceArn']).toEqual({ 'Fn::GetAtt': [Object.keys(dataName(t))[0], 'Arn'] });
  });

  test('the table location and projection template match the key S3 writes for a source bucket on a given day', () => {
    const { t } = built();
    const input = only(t, 'AWS::Glue::Table').TableInput;
    const p = input.Parameters;
    expect(p['projection.enabled']).toBe('true');
    expect(p['projection.source_bucket.type']).toBe('enum');
    expect(render(p['projection.source_bucket.values'], dataName(t))).toBe('app-data');
    expect(p['projection.dt.type']).toBe('date');
    expect(p['projection.dt.format']).toBe('yyyy/MM/dd');
    expect(p['projection.dt.range']).toBe('NOW-365DAYS,NOW');
    expect(p['projection.dt.interval.unit']).toBe('DAYS');
    expect(input.PartitionKeys).toEqual([{ Name: 'source_bucket', Type: 'string' }, { Name: 'dt', Type: 'string' }]);

    // What S3 writes: [prefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/[YYYY]/[MM]/[DD]/[YYYY]-[MM]-[DD]-[hh]-[mm]-[ss]-[UniqueString]
    const logging = Object.values(t.findResources('AWS::S3::Bucket')).find((b: any) => b.Properties?.BucketName === 'app-data')!.Properties.LoggingConfiguration;
    const logBucket = `<${logging.DestinationBucketName.Ref}>`;
    const written = `s3://${logBucket}/${logging.LogFilePrefix}111111111111/eu-west-1/app-data/2026/03/15/2026-03-15-00-00-00-0123456789ABCDEF`;
    const template = render(p['storage.location.template'], dataName(t)).replace('${source_bucket}', 'app-data').replace('${dt}', '2026/03/15');
    expect(written.startsWith(template)).toBe(true);
    expect(written.startsWith(render(input.StorageDescriptor.Location))).toBe(true);
  });

  test('the RegexSerDe splits a documented log line into exactly the table\'s columns', () => {
    const { t } = built();
    const sd = only(t, 'AWS::Glue::Table').TableInput.StorageDescriptor;
    expect(sd.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.serde2.RegexSerDe');
    expect(sd.Columns.map((c: any) => c.Name)).toEqual(ACCESS_LOG_COLUMNS.map((c) => c.name));
    const regex = new RegExp(sd.SerdeInfo.Parameters['input.regex']);
    // A record in the format of docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html.
    const line = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be app-data [06/Feb/2019:00:00:38 +0000] 192.0.2.3 '
      + 'arn:aws:iam::111111111111:user/alice 3E57427F3EXAMPLE REST.DELETE.OBJECT reports/2019/q1.csv "DELETE /app-data/reports/2019/q1.csv HTTP/1.1" 204 - - 113 7 - "-" "aws-cli/2.0" '
      + '3HL4kqtJvjVBH40Nrjfkd s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader '
      + 'app-data.s3.eu-west-1.amazonaws.com TLSv1.2 - - eu-west-1';
    const m = regex.exec(line)!;
    expect(m).not.toBeNull();
    expect(m.length - 1).toBe(ACCESS_LOG_COLUMNS.length);
    const row = Object.fromEntries(ACCESS_LOG_COLUMNS.map((c, i) => [c.name, m[i + 1]]));
    expect(row).toMatchObject({
      bucket_name: 'app-data', requestdatetime: '06/Feb/2019:00:00:38 +0000', remoteip: '192.0.2.3', requester: 'arn:aws:iam::111111111111:user/alice',
      operation: 'REST.DELETE.OBJECT', key: 'reports/2019/q1.csv', httpstatus: '204', versionid: '3HL4kqtJvjVBH40Nrjfkd', tlsversion: 'TLSv1.2', sourceregion: 'eu-west-1',
    });
    expect(ACCESS_LOG_REGEX).toBe(sd.SerdeInfo.Parameters['input.regex']);
  });

  test('the workgroup enforces KMS-encrypted results in its own bucket and a bytes-scanned cutoff', () => {
    example.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 5 * 1024 ** 3,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^AccessLogsResultsBucket') }, '/results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessLogsResultsKey'), 'Arn'] } },
          ExpectedBucketOwner: Match.anyValue(),
        },
      },
    });
    example.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessLogsResultsKey'), 'Arn'] } } })] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })]) },
    });
  });

  test('named queries for top requesters, 403s, deletes and key prefixes, in the workgroup, on the table', () => {
    const { t, analytics } = built();
    const queries = Object.values(t.findResources('AWS::Athena::NamedQuery')).map((q: any) => q.Properties);
    expect(queries.map((q) => q.Name)).toEqual(['Top requesters', 'Access denied (403)', 'Deletes', 'Requests by key prefix']);
    for (const q of queries) {
      expect(q.Database).toBe(analytics.databaseName);
      expect(q.WorkGroup).toEqual({ Ref: expect.stringMatching(/^AccessLogsWorkGroup/) });
      expect(q.QueryString).toContain(`FROM "${analytics.databaseName}"."s3_access_logs"`);
      expect(q.QueryString).toContain("dt >= date_format(current_date - interval '7' day, '%Y/%m/%d')");
    }
    expect(queries[1].QueryString).toContain("httpstatus = '403'");
    expect(queries[2].QueryString).toContain("operation LIKE '%DELETE%'");
  });

  test('every identifier the named queries use is a column or partition key of the table (or an alias they define)', () => {
    const { t } = built();
    const input = only(t, 'AWS::Glue::Table').TableInput;
    const known = new Set<string>([...input.StorageDescriptor.Columns, ...input.PartitionKeys].map((c: any) => c.Name));
    expect(known).toEqual(new Set([...ACCESS_LOG_COLUMNS, ...ACCESS_LOG_PARTITION_KEYS].map((c) => c.name)));
    for (const q of Object.values(t.findResources('AWS::Athena::NamedQuery')).map((r: any) => r.Properties.QueryString as string)) {
      const code = q.replace(/'[^']*'/g, ' ').replace(/"[^"]*"\."[^"]*"/g, ' ');
      const aliases = new Set([...code.matchAll(/\bAS\s+([a-z_]+)/gi)].map((m) => m[1].toLowerCase()));
      const unknown = [...code.matchAll(/\b[a-z_][a-z0-9_]*\b/gi)].map((m) => m[0].toLowerCase())
        .filter((w) => !SQL_WORDS.has(w) && !aliases.has(w) && !known.has(w));
      expect({ query: q.split('\n')[0], unknown }).toEqual({ query: q.split('\n')[0], unknown: [] });
    }
  });

  test('a Glue database and table, no crawler', () => {
    const { t, analytics } = built();
    t.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: analytics.databaseName } });
    expect(analytics.databaseName).toMatch(/^[a-z0-9_]{1,64}$/);
    t.resourceCountIs('AWS::Glue::Crawler', 0);
    t.hasResourceProperties('AWS::Glue::Table', { DatabaseName: { Ref: Match.stringLikeRegexp('^AccessLogsDatabase') }, TableInput: { Name: 's3_access_logs', TableType: 'EXTERNAL_TABLE' } });
  });

  test('generated names stay within Athena and Glue limits for a long construct path', () => {
    const s = stack();
    const deep = new Stack(s.node.root as App, 'A'.repeat(120), { env: ENV });
    const analytics = new AccessLogAnalytics(deep, 'B'.repeat(200), { sourceBuckets: [new s3.Bucket(deep, 'Data')] });
    expect(analytics.databaseName).toMatch(/^[a-z0-9_]{1,64}$/);
    expect(analytics.workGroupName).toMatch(/^[a-zA-Z0-9._-]{1,128}$/);
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a);
    const data = new SecureBucket(s, 'Data', { disableServerAccessLogs: true });
    acknowledgeNotReplicated(data.bucket, 'Test bucket standing for a user\'s bucket, which replicates or not by the user\'s choice.');
    new AccessLogAnalytics(s, 'AccessLogs', { sourceBuckets: [data.bucket] });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['S3 server access logs -> bucket']).toBeGreaterThanOrEqual(1);
  });
});

describe('OBS-3 AccessLogAnalytics refusals', () => {
  test('refuses a bytes-scanned cutoff below Athena\'s 10 MB minimum', () => {
    const s = stack();
    expect(() => new AccessLogAnalytics(s, 'AccessLogs', { sourceBuckets: [new s3.Bucket(s, 'Data')], bytesScannedCutoffPerQuery: Size.mebibytes(9) }))
      .toThrow('Logs/AccessLogs: invalid AccessLogAnalytics props (1 problem):\n  - bytesScannedCutoffPerQuery must be at least 10 MB (10,000,000 bytes), Athena\'s minimum, got 9437184 bytes');
  });

  test('refuses an imported source bucket instead of skipping it', () => {
    const s = stack();
    const imported = s3.Bucket.fromBucketName(s, 'Imported', 'someone-elses-bucket');
    expect(() => new AccessLogAnalytics(s, 'AccessLogs', { sourceBuckets: [imported] }))
      .toThrow('Logs/AccessLogs: invalid AccessLogAnalytics props (1 problem):\n  - source bucket Logs/Imported is imported: its server access logging is configured outside this app, so AccessLogAnalytics cannot turn it on; set its logging where the bucket is defined, or define the bucket in this stack');
  });

  test('refuses an imported bucket passed to addSourceBucket too', () => {
    const s = stack();
    const analytics = new AccessLogAnalytics(s, 'AccessLogs', { sourceBuckets: [new s3.Bucket(s, 'Data')] });
    expect(() => analytics.addSourceBucket(s3.Bucket.fromBucketName(s, 'Imported', 'other')))
      .toThrow(/^Logs\/AccessLogs: invalid AccessLogAnalytics props \(1 problem\):\n {2}- source bucket Logs\/Imported is imported/);
  });

  test('refuses a source bucket of another stack', () => {
    const s = stack();
    const other = new Stack(s.node.root as App, 'Other', { env: ENV });
    expect(() => new AccessLogAnalytics(s, 'AccessLogs', { sourceBuckets: [new s3.Bucket(other, 'Data')] }))
      .toThrow('Logs/AccessLogs: invalid AccessLogAnalytics props (1 problem):\n  - source bucket Other/Data is in stack Other: S3 delivers server access logs only within one account and region, and the log bucket\'s policy and the bucket\'s logging refer to each other, so the bucket must be in this construct\'s stack (Logs)');
  });

  test('refuses a database name Athena cannot use', () => {
    const s = stack();
    expect(() => new AccessLogAnalytics(s, 'AccessLogs', { sourceBuckets: [new s3.Bucket(s, 'Data')], databaseName: 'Access-Logs' }))
      .toThrow('Logs/AccessLogs: invalid AccessLogAnalytics props (1 problem):\n  - databaseName must be lowercase letters, digits and underscores, 1-255 characters, got "Access-Logs"');
  });

  test('refuses synthesis with no source bucket at all', () => {
    const app = new App({ context: cdkJsonContext() });
    new AccessLogAnalytics(stack(app), 'AccessLogs');
    expect(() => app.synth()).toThrow(/AccessLogAnalytics needs at least one source bucket \(sourceBuckets, or addSourceBucket\(\)\)/);
  });
});
