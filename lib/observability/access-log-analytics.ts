/**
 * OBS-3 AccessLogAnalytics: S3 server access logs that a person can query with SQL on day one.
 *
 * Server access logs record every request to a bucket (who, from where, which operation, which
 * key, which status), but as text objects they answer nothing until something reads them. This
 * construct creates the log bucket (SSE-S3, as S3 log delivery requires), turns on server access
 * logging for the source buckets with date-partitioned object keys
 * (`[prefix][account]/[region]/[bucket]/[YYYY]/[MM]/[DD]/...`), and lays a Glue database and table
 * over exactly that layout with partition projection, so no crawler runs and no partition is
 * ever added by hand. An Athena workgroup enforces its own result location (a KMS-encrypted
 * bucket whose results expire) and a bytes-scanned cutoff per query, and named queries answer
 * the first questions: who makes the most requests, who is denied (403), who deleted what, and
 * which key prefixes are used. The table is an Athena data source for QuickSight as it is.
 */
import { Duration, Lazy, Names, Size, Stack, Token } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { acknowledgeNotReplicated } from '../core/not-replicated';
import { isSandbox } from '../core/sandbox';
import { SecureBucket, SecureBucketEncryption } from '../core/secure-bucket';
import { ConstructPropsError, PropsCheck } from '../core/validation';

/** Props for {@link AccessLogAnalytics}. */
export interface AccessLogAnalyticsProps {
  /**
   * The buckets whose server access logs are analysed. Each must be defined in this app, in the
   * stack of this construct (S3 delivers logs only to a bucket of the same account and region);
   * an imported bucket is refused, because its logging configuration is not in this template.
   * More can be added with {@link AccessLogAnalytics.addSourceBucket}.
   * @default - none here; at least one must be added with `addSourceBucket()` before synthesis
   */
  readonly sourceBuckets?: s3.IBucket[];

  /**
   * How long access logs are kept. The table's date projection covers the same period.
   * @default Duration.days(365)
   */
  readonly logRetention?: Duration;

  /**
   * How long Athena query results are kept in the results bucket.
   * @default Duration.days(30)
   */
  readonly resultRetention?: Duration;

  /**
   * The most data one query of the workgroup may scan; a query that would scan more is cancelled
   * (and billed for what it scanned). At least 10 MB, Athena's minimum.
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;

  /**
   * The Glue database name: lowercase letters, digits and underscores, at most 255 characters.
   * @default - derived from the construct path
   */
  readonly databaseName?: string;
}

/** One column of the access log table. */
export interface AccessLogColumn {
  /** The column name. */
  readonly name: string;
  /** The Hive data type (`string`, `bigint`). */
  readonly dataType: string;
}

/** One named query the construct creates. */
export interface AccessLogQuery {
  /** The query's name in the Athena console. */
  readonly name: string;
  /** What the query answers. */
  readonly description: string;
  /** The SQL. */
  readonly sql: string;
}

/**
 * The S3 server access log fields, in log order, as the S3 User Guide's Athena table names them
 * (docs.aws.amazon.com/AmazonS3/latest/userguide/using-s3-access-logs-to-identify-requests.html;
 * field meanings: docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html).
 */
export const ACCESS_LOG_COLUMNS: AccessLogColumn[] = [
  'bucketowner', 'bucket_name', 'requestdatetime', 'remoteip', 'requester', 'requestid', 'operation', 'key',
  'request_uri', 'httpstatus', 'errorcode', 'bytessent', 'objectsize', 'totaltime', 'turnaroundtime', 'referrer',
  'useragent', 'versionid', 'hostid', 'sigv', 'ciphersuite', 'authtype', 'endpoint', 'tlsversion', 'accesspointarn',
  'aclrequired', 'sourceregion',
].map((name) => ({ name, dataType: name === 'bytessent' || name === 'objectsize' ? 'bigint' : 'string' }));

/**
 * The RegexSerDe expression for that format, one group per column, from the same S3 User Guide
 * page (there written inside a SQL string literal, so with its backslashes and quotes escaped
 * once more). The last nine fields are optional, so older log lines still parse.
 */
export const ACCESS_LOG_REGEX = String.raw`([^ ]*) ([^ ]*) \[(.*?)\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ("[^"]*"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$`;

/** The partition keys: the source bucket (enum projection) and the event day (date projection). */
export const ACCESS_LOG_PARTITION_KEYS: AccessLogColumn[] = [
  { name: 'source_bucket', dataType: 'string' },
  { name: 'dt', dataType: 'string' },
];

/** The prefix of every log object in the log bucket. */
const LOG_PREFIX = 'access-logs/';
/** The table's name in the database. */
const TABLE_NAME = 's3_access_logs';
/**
 * Athena's smallest per-query cutoff: BytesScannedCutoffPerQuery, minimum 10000000
 * (docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html).
 */
const MIN_CUTOFF_BYTES = 10_000_000;
/** Athena and Glue database names: lowercase, digits, underscore (docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html). */
const DATABASE_NAME = /^[a-z0-9_]{1,255}$/;

/**
 * OBS-3: S3 server access logs with date-partitioned keys, a Glue table over them with partition
 * projection, an Athena workgroup with encrypted results and a scan cutoff, and named queries.
 *
 * ```ts
 * const data = new s3.Bucket(this, 'Data', { encryption: s3.BucketEncryption.S3_MANAGED });
 * const analytics = new AccessLogAnalytics(this, 'AccessLogs', { sourceBuckets: [data] });
 * // Athena console: workgroup analytics.workGroupName, saved queries "Top requesters", ...
 * ```
 */
export class AccessLogAnalytics extends Construct {
  /** The bucket S3 delivers server access logs to (SSE-S3). */
  public readonly logBucket: s3.IBucket;
  /** The bucket Athena writes query results to (SSE-KMS). */
  public readonly resultsBucket: s3.IBucket;
  /** The key that encrypts query results. */
  public readonly resultsKey: kms.IKey;
  /** The Glue database. */
  public readonly databaseName: string;
  /** The table of access log records, in {@link databaseName}. */
  public readonly tableName: string = TABLE_NAME;
  /** The Athena workgroup's name. */
  public readonly workGroupName: string;
  /** The Athena workgroup. */
  public readonly workGroup: athena.CfnWorkGroup;
  /** The Glue table. */
  public readonly table: glue.CfnTable;
  /** The named queries, as created. */
  public readonly queries: AccessLogQuery[];

  private readonly sourceBucketNames: string[] = [];
  private readonly sources = new Set<s3.IBucket>();

  constructor(scope: Construct, id: string, props: AccessLogAnalyticsProps = {}) {
    super(scope, id);
    const { account, region } = Stack.of(this);
    const logRetention = props.logRetention ?? Duration.days(365);
    const resultRetention = props.resultRetention ?? Duration.days(30);
    const cutoff = props.bytesScannedCutoffPerQuery ?? Size.gibibytes(10);

    const check = new PropsCheck(this, 'AccessLogAnalytics');
    if (!cutoff.isUnresolved()) {
      const bytes = cutoff.toBytes();
      check.require(bytes >= MIN_CUTOFF_BYTES,
        `bytesScannedCutoffPerQuery must be at least 10 MB (10,000,000 bytes), Athena's minimum, got ${bytes} bytes`);
    }
    check.matches('databaseName', props.databaseName, DATABASE_NAME, 'lowercase letters, digits and underscores, 1-255 characters');
    check.require(Token.isUnresolved(logRetention.toDays()) || logRetention.toDays() >= 1, `logRetention must be at least 1 day, got ${logRetention.toHumanString()}`);
    check.require(Token.isUnresolved(resultRetention.toDays()) || resultRetention.toDays() >= 1, `resultRetention must be at least 1 day, got ${resultRetention.toHumanString()}`);
    for (const bucket of props.sourceBuckets ?? []) {
      for (const problem of this.sourceBucketProblems(bucket)) check.add(problem);
    }
    check.throwIfAny();

    // Log delivery writes only to SSE-S3 (or unencrypted) targets, never SSE-KMS
    // (docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
    const logs = new SecureBucket(this, 'LogBucket', {
      encryption: SecureBucketEncryption.S3_MANAGED,
      bucketProps: {
        lifecycleRules: [{ id: 'expire-access-logs', expiration: logRetention, noncurrentVersionExpiration: Duration.days(1) }],
      },
    });
    this.logBucket = logs.bucket;
    acknowledge(logs.bucket.node.defaultChild!, 'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'S3 server access log delivery only writes to buckets encrypted with SSE-S3, so this log target cannot use a KMS key.');
    acknowledgeNotReplicated(logs.bucket, 'Server access logs are operational records analysed in this region and expire; a second-region copy protects nothing a query needs.');

    const results = new SecureBucket(this, 'Results', {
      bucketProps: {
        // Failed or cancelled queries can leave multipart uploads behind
        // (docs.aws.amazon.com/athena/latest/ug/workgroups-setting-control-limits-cloudwatch.html).
        lifecycleRules: [{ id: 'expire-query-results', expiration: resultRetention, noncurrentVersionExpiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      },
    });
    this.resultsBucket = results.bucket;
    this.resultsKey = results.encryptionKey!;
    acknowledgeNotReplicated(results.bucket, 'Athena query results are re-created by running the query again and expire; replicating them protects nothing.');

    this.databaseName = props.databaseName
      ?? Names.uniqueResourceName(this, { maxLength: 64, allowedSpecialCharacters: '_', separator: '_' }).toLowerCase();
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: this.databaseName, description: `S3 server access logs of the buckets of ${this.node.path}` },
    });

    // The partitioned key format: [prefix][SourceAccountId]/[SourceRegion]/[SourceBucket]/[YYYY]/[MM]/[DD]/...
    // (docs.aws.amazon.com/AmazonS3/latest/API/API_PartitionedPrefix.html); sources are in this
    // stack's account and region, so only the bucket and the day vary.
    const root = `s3://${this.logBucket.bucketName}/${LOG_PREFIX}${account}/${region}/`;
    const days = Math.ceil(logRetention.toDays());
    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: database.ref,
      tableInput: {
        name: TABLE_NAME,
        description: 'S3 server access log records, one row per request',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: ACCESS_LOG_PARTITION_KEYS.map(glueColumn),
        // Partition projection instead of a crawler or ADD PARTITION
        // (docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html).
        parameters: {
          'EXTERNAL': 'TRUE',
          'projection.enabled': 'true',
          'projection.source_bucket.type': 'enum',
          'projection.source_bucket.values': Lazy.string({ produce: () => this.sourceBucketNames.join(',') }),
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy/MM/dd',
          'projection.dt.range': `NOW-${days}DAYS,NOW`,
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${root}\${source_bucket}/\${dt}/`,
        },
        storageDescriptor: {
          location: root,
          columns: ACCESS_LOG_COLUMNS.map(glueColumn),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.serde2.RegexSerDe',
            parameters: { 'input.regex': ACCESS_LOG_REGEX },
          },
        },
      },
    });

    this.workGroupName = Names.uniqueResourceName(this, { maxLength: 128, allowedSpecialCharacters: '-_.' });
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `Queries over the S3 server access logs of ${this.node.path}`,
      // Query history and saved queries of other users go with the workgroup only in sandbox mode.
      recursiveDeleteOption: isSandbox(this),
      workGroupConfiguration: {
        // Users cannot send results elsewhere or unencrypted
        // (docs.aws.amazon.com/athena/latest/ug/workgroups-settings-override.html).
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff.toBytes(),
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          expectedBucketOwner: account,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.resultsKey.keyArn },
        },
      },
    });

    this.queries = namedQueries(`"${this.databaseName}"."${TABLE_NAME}"`);
    this.queries.forEach((q, i) => {
      const query = new athena.CfnNamedQuery(this, `Query${i}`, {
        name: q.name,
        description: q.description,
        database: this.databaseName,
        workGroup: this.workGroup.ref,
        queryString: q.sql,
      });
      query.node.addDependency(this.table);
    });

    for (const bucket of props.sourceBuckets ?? []) this.enableLogging(bucket);
    this.node.addValidation({
      validate: () => this.sourceBucketNames.length > 0
        ? []
        : ['AccessLogAnalytics needs at least one source bucket (sourceBuckets, or addSourceBucket()): the table\'s bucket projection cannot be empty'],
    });
  }

  /**
   * Sends the server access logs of `bucket` to the log bucket with date-partitioned keys, allows
   * S3 log delivery to write them (for this bucket's partition only) and adds the bucket to the
   * table's projection. The bucket must be defined in this construct's stack; an imported bucket
   * is refused, because its logging configuration is not part of this template.
   */
  public addSourceBucket(bucket: s3.IBucket): void {
    const problems = this.sourceBucketProblems(bucket);
    if (problems.length > 0) throw new ConstructPropsError(this.node.path, 'AccessLogAnalytics', problems);
    this.enableLogging(bucket);
  }

  private sourceBucketProblems(bucket: s3.IBucket): string[] {
    const resource = bucket.node.defaultChild;
    if (!(resource instanceof s3.CfnBucket)) {
      return [`source bucket ${bucket.node.path} is imported: its server access logging is configured outside this app, so AccessLogAnalytics cannot turn it on; set its logging where the bucket is defined, or define the bucket in this stack`];
    }
    if (Stack.of(bucket) !== Stack.of(this)) {
      return [`source bucket ${bucket.node.path} is in stack ${Stack.of(bucket).stackName}: S3 delivers server access logs only within one account and region, and the log bucket's policy and the bucket's logging refer to each other, so the bucket must be in this construct's stack (${Stack.of(this).stackName})`];
    }
    return [];
  }

  private enableLogging(bucket: s3.IBucket): void {
    if (this.sources.has(bucket)) return;
    this.sources.add(bucket);
    const { account, region } = Stack.of(this);
    const resource = bucket.node.defaultChild as s3.CfnBucket;
    resource.loggingConfiguration = {
      destinationBucketName: this.logBucket.bucketName,
      logFilePrefix: LOG_PREFIX,
      targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
    };
    // Log delivery by bucket policy, with the source bucket and account as conditions
    // (docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general).
    this.logBucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: `S3ServerAccessLogs${this.sources.size}`,
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [this.logBucket.arnForObjects(`${LOG_PREFIX}${account}/${region}/${bucket.bucketName}/*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': account },
      },
    }));
    this.sourceBucketNames.push(bucket.bucketName);
  }
}

function glueColumn(c: AccessLogColumn): glue.CfnTable.ColumnProperty {
  return { name: c.name, type: c.dataType };
}

/**
 * The day-one queries over `table`, each limited to the last seven days of partitions so a run
 * scans one week of logs, not all of them. Deletes match every operation with DELETE in its name,
 * as the S3 User Guide's example does: REST.DELETE.OBJECT, BATCH.DELETE.OBJECT (one record per key
 * of a DeleteObjects request), REST.POST.MULTI_OBJECT_DELETE and lifecycle delete markers.
 */
function namedQueries(table: string): AccessLogQuery[] {
  const lastWeek = "dt >= date_format(current_date - interval '7' day, '%Y/%m/%d')";
  return [
    {
      name: 'Top requesters',
      description: 'Who made the most requests in the last 7 days, from which address, and how many bytes they received.',
      sql: `SELECT requester, remoteip, count(*) AS requests, sum(coalesce(bytessent, 0)) AS bytes_sent
FROM ${table}
WHERE ${lastWeek}
GROUP BY requester, remoteip
ORDER BY requests DESC
LIMIT 100`,
    },
    {
      name: 'Access denied (403)',
      description: 'Requests refused with HTTP 403 in the last 7 days, by requester, operation and key.',
      sql: `SELECT source_bucket, requester, remoteip, operation, key, errorcode, count(*) AS denied
FROM ${table}
WHERE ${lastWeek} AND httpstatus = '403'
GROUP BY source_bucket, requester, remoteip, operation, key, errorcode
ORDER BY denied DESC
LIMIT 100`,
    },
    {
      name: 'Deletes',
      description: 'Every delete in the last 7 days (DeleteObject, DeleteObjects, lifecycle), newest first: when, who, from where, which key and version.',
      sql: `SELECT requestdatetime, source_bucket, requester, remoteip, operation, key, versionid, httpstatus
FROM ${table}
WHERE ${lastWeek} AND operation LIKE '%DELETE%'
ORDER BY parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z') DESC
LIMIT 1000`,
    },
    {
      name: 'Requests by key prefix',
      description: 'Requests, errors and bytes in the last 7 days by bucket, top-level key prefix and operation.',
      sql: `SELECT source_bucket, regexp_extract(key, '^[^/]*/?') AS key_prefix, operation, count(*) AS requests,
  count_if(httpstatus LIKE '4%' OR httpstatus LIKE '5%') AS errors, sum(coalesce(bytessent, 0)) AS bytes_sent
FROM ${table}
WHERE ${lastWeek}
GROUP BY source_bucket, regexp_extract(key, '^[^/]*/?'), operation
ORDER BY requests DESC
LIMIT 100`,
    },
  ];
}
