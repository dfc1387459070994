import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { createEncryptionKey } from './encryption-key';
import { EncryptedLogGroup } from './log-group';
import { acknowledgeNoReservedConcurrency, checkReservedConcurrency } from './reserved-concurrency';
import { ServiceRole } from './service-role';
import { ConstructPropsError, PropsCheck } from './validation';

/**
 * Lambda code for a TypeScript handler that ships with this library, with no bundler at synth.
 *
 * Installed from npm, the handler directory holds the compiled `.js` files and they are used as
 * they are. Run from a checkout, the directory holds only `.ts` sources; each is transpiled
 * (TypeScript's `transpileModule`, a devDependency) into a content-addressed folder under the
 * OS temp directory, so the asset hash depends only on the source. Handlers may import Node.js
 * built-ins, the AWS SDK for JavaScript v3 that the Lambda Node.js runtime provides, and each
 * other (relative imports within the directory).
 */
export function handlerCode(handlerDir: string): lambda.Code {
  if (fs.existsSync(path.join(handlerDir, 'index.js'))) {
    return lambda.Code.fromAsset(handlerDir, { exclude: ['*.ts', '*.map'] });
  }
  return lambda.Code.fromAsset(transpileHandler(handlerDir));
}

/**
 * Transpiles the TypeScript handler in `handlerDir` (every `.ts` file but tests and
 * declarations) into a content-addressed folder under the OS temp directory, and returns it.
 */
export function transpileHandler(handlerDir: string): string {
  const files = fs.readdirSync(handlerDir);
  const sources = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts')).sort();
  if (!sources.includes('index.ts')) {
    throw new ConstructPropsError(handlerDir, 'handlerCode', ['the handler directory has neither index.js nor index.ts']);
  }
  const hash = crypto.createHash('sha256');
  const contents = sources.map((file) => {
    const source = fs.readFileSync(path.join(handlerDir, file), 'utf8');
    hash.update(file).update('\0').update(source).update('\0');
    return { file, source };
  });
  const outDir = path.join(os.tmpdir(), 'devops-patterns-handlers', hash.digest('hex').slice(0, 32));
  // The folder is named by the sources' hash, so one that exists holds their output: transpile
  // (and load TypeScript) only when it does not.
  if (!fs.existsSync(path.join(outDir, 'index.js'))) {
    // Loaded lazily: only a checkout (where TypeScript is installed) takes this path.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ts = require('typescript') as typeof import('typescript');
    const staging = `${outDir}.${process.pid}.tmp`;
    fs.mkdirSync(staging, { recursive: true });
    for (const { file, source } of contents) {
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: file,
      }).outputText;
      fs.writeFileSync(path.join(staging, file.replace(/\.ts$/, '.js')), js);
    }
    try {
      fs.renameSync(staging, outDir);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return outDir;
}

/**
 * The execution role and log group of a Lambda function this library creates (ids `Role` and
 * `Logs` in `scope`): a `ServiceRole` only Lambda can assume, an `EncryptedLogGroup` it may write
 * to, and X-Ray tracing (whose actions have no resource-level permissions, acknowledged on this
 * role only). Used by `HandlerFunction` and by constructs whose function code is inline (IAC-1).
 */
export function functionRoleAndLogs(scope: Construct, description?: string): { role: ServiceRole; logGroup: logs.ILogGroup } {
  const role = new ServiceRole(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  const logGroup = new EncryptedLogGroup(scope, 'Logs').logGroup;
  logGroup.grantWrite(role);
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    resources: ['*'],
  }));
  role.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]',
    'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so their statement must name every resource.');
  return { role, logGroup };
}

/**
 * Props for {@link HandlerFunction}.
 */
export interface HandlerFunctionProps {
  /** The directory of the handler (`index.ts` exporting `handler`), usually `path.join(__dirname, 'handlers', 'name')`. */
  readonly handlerDir: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /**
   * How long one invocation may run.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Environment variables.
   * @default - none
   */
  readonly environment?: { [key: string]: string };
  /**
   * Whether the function is invoked asynchronously (an EventBridge rule, S3, SNS). Asynchronous
   * invocations that fail all retries go to an encrypted dead-letter queue; synchronous ones
   * (a custom resource provider, Step Functions) return their error to the caller instead.
   * @default false
   */
  readonly asyncInvocation?: boolean;
  /**
   * Reserved concurrency: the number of concurrent executions set aside for this function, which
   * is also the most it can run at once. A positive whole number. Opt-in, because Lambda refuses
   * a reservation that leaves fewer than 100 of the account's concurrent executions unreserved,
   * so it fails the deployment in accounts with a low concurrency quota, such as new accounts.
   * @default - none; the function runs within the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * A Node.js Lambda function for the few jobs no service integration can do (custom resources for
 * APIs CloudFormation lacks). Latest Node.js runtime, its own role whose grants go to a managed
 * policy, an explicit encrypted log group with retention (no `logRetention` helper Lambda),
 * X-Ray tracing, a KMS-encrypted DLQ for asynchronous invocations, and reserved concurrency only
 * when asked for (`reservedConcurrentExecutions`).
 */
export class HandlerFunction extends Construct {
  /** The function. */
  public readonly function: lambda.Function;
  /** The function's role; grant to it with the usual `grant*()` methods. */
  public readonly role: ServiceRole;
  /** The function's log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The dead-letter queue, for asynchronously invoked functions. */
  public readonly deadLetterQueue?: sqs.IQueue;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const check = new PropsCheck(this, 'HandlerFunction');
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    check.throwIfAny();
    ({ role: this.role, logGroup: this.logGroup } = functionRoleAndLogs(this, props.description));

    let deadLetterQueue: sqs.Queue | undefined;
    if (props.asyncInvocation) {
      const dlqKey: kms.IKey = createEncryptionKey(this, 'DeadLetterKey', { description: `Encrypts failed events of ${this.node.path}` });
      deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: dlqKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(deadLetterQueue.node.defaultChild!, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of the function; a dead-letter queue of its own would only move the same failed events again.');
    }
    this.deadLetterQueue = deadLetterQueue;

    this.function = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_LATEST,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: handlerCode(props.handlerDir),
      description: props.description,
      timeout: props.timeout ?? Duration.minutes(1),
      memorySize: 256,
      environment: props.environment,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      deadLetterQueue,
    });
    const fn = this.function.node.defaultChild!;
    acknowledge(fn, 'NIST.800.53.R5-LambdaInsideVPC',
      'The function only calls public AWS APIs and reaches no resource inside a VPC, so placing it in one would add NAT cost and failure modes without narrowing its access.');
    if (props.reservedConcurrentExecutions === undefined) acknowledgeNoReservedConcurrency(fn);
    if (!props.asyncInvocation) {
      acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ',
        'The function is invoked synchronously, so a failure returns to its caller (CloudFormation or Step Functions), which records and retries it; a dead-letter queue only receives failed asynchronous invocations.');
    }
  }
}
