/**
 * IAC-1 InlineCustomResource: a CloudFormation custom resource backed by an inline Lambda
 * function that answers CloudFormation itself, on every outcome.
 *
 * CloudFormation sends a custom resource's Create, Update and Delete requests to the function
 * with a pre-signed S3 URL (`ResponseURL`) and then waits for a JSON document PUT there: SUCCESS
 * or FAILED, a PhysicalResourceId, Data. A function that throws, hangs or answers with the
 * wrong id leaves the stack waiting for an hour, or replaces or orphans the resource. This
 * construct takes the user's business logic as the body of a Node.js or Python function and
 * wraps it in a response wrapper the library owns and tests (`handlers/inline-custom-resource/`):
 * it answers FAILED with the error, answers before the function's timeout, keeps the
 * PhysicalResourceId stable, answers the rollback Delete of a failed Create without running
 * the code, and refuses a response over CloudFormation's 4,096-byte limit. The function's code
 * lives in the template (`Code.ZipFile`), which CloudFormation supports for Node.js and Python
 * only, and the resource points at the function directly: no Provider framework, whose extra
 * Lambda functions would defeat the point of one small inline function.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { CustomResource, Duration, Reference, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { functionRoleAndLogs } from '../core/handler-function';
import { acknowledgeNoReservedConcurrency, checkReservedConcurrency } from '../core/reserved-concurrency';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';
import { PYTHON_WRAPPER } from './handlers/inline-custom-resource/python-wrapper';

/**
 * The most bytes the function's code (wrapper and user code, as JSON in the template) may take.
 *
 * The 4,096-character limit of `Code.ZipFile` that older guides quote was lifted in 2022
 * (github.com/aws/aws-cdk/pull/20624); the property reference now says "This zip file cannot
 * exceed 4MB" (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html).
 * The code is part of the template, though, and a template passed through S3 holds at most 1 MB
 * (CreateStack TemplateURL, docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html):
 * that is the limit that binds, read here as 1,000,000 bytes, the stricter reading of "1 MB".
 */
export const MAX_INLINE_CODE_BYTES = 1_000_000;

/** The shortest timeout: the wrapper keeps 10 seconds to answer, the code gets the rest. */
const MIN_TIMEOUT_SECONDS = 30;
/** Lambda's longest timeout (docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html). */
const MAX_TIMEOUT_SECONDS = 900;

/** Props for {@link InlineCustomResource}. */
export interface InlineCustomResourceProps {
  /**
   * The business logic: the body of a function of `(event, context)`.
   *
   * Node.js: the body of an `async function (event, context)`; it may `require()` Node.js
   * built-ins and the AWS SDK for JavaScript v3 that the runtime provides, and may return
   * `{ PhysicalResourceId?, Data?, NoEcho? }`.
   * Python: the body of `def on_event(event, context)` (indented by the construct); it may
   * import the standard library and boto3, and may return a dict with the same keys.
   *
   * `event` is CloudFormation's request (`RequestType`, `ResourceProperties`,
   * `OldResourceProperties`, `PhysicalResourceId`, ...). Throwing answers FAILED with the error's
   * message. Without a returned `PhysicalResourceId`, Create answers `<stack id>/<logical id>`
   * and Update and Delete keep the existing id; returning another id on Update replaces the
   * resource, and CloudFormation then deletes the old one. The code should be idempotent: a
   * Create that fails after changing something must undo it, because the rollback Delete of a
   * failed Create is answered without running the code.
   */
  readonly code: string;

  /**
   * The runtime: a Node.js or a Python runtime, the only ones CloudFormation inlines.
   * @default lambda.Runtime.NODEJS_LATEST
   */
  readonly runtime?: lambda.Runtime;

  /**
   * The properties CloudFormation passes to the code as `event.ResourceProperties`; a change
   * sends an Update.
   * @default - none
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any JSON value, as CustomResourceProps.properties takes
  readonly properties?: { [key: string]: any };

  /**
   * The resource type, `Custom::` and up to 60 characters in all.
   * @default 'Custom::Inline'
   */
  readonly resourceType?: string;

  /**
   * How long one request may run. The wrapper answers CloudFormation 10 seconds before it, so at
   * least 30 seconds and at most Lambda's 15 minutes.
   * @default Duration.minutes(2)
   */
  readonly timeout?: Duration;

  /**
   * What the function does, shown in the Lambda console.
   * @default - 'Inline custom resource <construct path>'
   */
  readonly description?: string;

  /**
   * Reserved concurrency for the function: a positive whole number. Opt-in, because Lambda
   * refuses a reservation that leaves fewer than 100 unreserved concurrent executions, which
   * fails the deployment in accounts with a low quota.
   * @default - none
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * IAC-1: a custom resource whose inline Lambda function answers CloudFormation on the
 * pre-signed URL on every outcome (success, error, timeout), with a stable PhysicalResourceId.
 *
 * ```ts
 * const sum = new InlineCustomResource(this, 'Sum', {
 *   properties: { Numbers: [1, 2, 3] },
 *   code: 'return { Data: { Total: event.ResourceProperties.Numbers.reduce((a, b) => a + Number(b), 0) } };',
 * });
 * new CfnOutput(this, 'Total', { value: sum.getAttString('Total') });
 * ```
 */
export class InlineCustomResource extends Construct implements iam.IGrantable {
  /** The function that answers CloudFormation. */
  public readonly function: lambda.Function;
  /** The function's role; grant it what the code needs with `addToRolePolicy()` or a `grant*()` method. */
  public readonly role: ServiceRole;
  /** The function's log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The custom resource. */
  public readonly resource: CustomResource;
  /** The principal to grant to: the function's role. */
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: InlineCustomResourceProps) {
    super(scope, id);
    const runtime = props.runtime ?? lambda.Runtime.NODEJS_LATEST;
    const python = runtime.name.startsWith('python');
    const check = new PropsCheck(this, 'InlineCustomResource');
    check.require(python || runtime.name.startsWith('nodejs'),
      `runtime must be a Node.js or Python runtime (CloudFormation inlines code only for those), got ${runtime.name}`);
    const codeIsToken = Token.isUnresolved(props.code);
    check.require(codeIsToken || props.code.trim().length > 0, 'code must not be empty');
    const timeout = props.timeout ?? Duration.minutes(2);
    if (!timeout.isUnresolved()) {
      check.inRange('timeout (seconds)', timeout.toSeconds(), MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
    }
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    let source = '';
    if (!codeIsToken && props.code.trim().length > 0 && (python || runtime.name.startsWith('nodejs'))) {
      source = python ? pythonSource(props.code) : nodeSource(props.code);
      if (!python) {
        const problem = syntaxProblem(props.code);
        if (problem) check.add(`code must be the body of a Node.js function: ${problem}`);
      }
      // The code's share of the template: its JSON string, without the quotes.
      const bytes = Buffer.byteLength(JSON.stringify(source)) - 2;
      check.require(bytes <= MAX_INLINE_CODE_BYTES,
        `code takes ${bytes} bytes in the template with the response wrapper, over the ${MAX_INLINE_CODE_BYTES.toLocaleString('en-US')} bytes a template can hold (1 MB through S3): `
        + 'deploy code this large as an asset instead of inline');
    }
    check.throwIfAny();
    if (codeIsToken) source = python ? pythonSource(props.code) : nodeSource(props.code);

    const description = props.description ?? `Inline custom resource ${this.node.path}`;
    ({ role: this.role, logGroup: this.logGroup } = functionRoleAndLogs(this, description));
    this.grantPrincipal = this.role;

    this.function = new lambda.Function(this, 'Function', {
      runtime,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(source),
      description,
      timeout,
      memorySize: 256,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });
    // The function must be able to write its logs before CloudFormation first invokes it.
    this.function.node.addDependency(this.role.grantsDependable);
    const fn = this.function.node.defaultChild!;
    acknowledge(fn, 'NIST.800.53.R5-LambdaInsideVPC',
      'The function answers CloudFormation on a pre-signed S3 URL on the internet and calls only what its code calls; the construct cannot know of a VPC resource the code needs, '
      + 'and placing it in a VPC would add NAT cost and a way to never answer CloudFormation without narrowing its access.');
    if (props.reservedConcurrentExecutions === undefined) acknowledgeNoReservedConcurrency(fn);
    acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ',
      'CloudFormation invokes this function asynchronously, but the response wrapper catches every error and timeout of the code, answers FAILED on the pre-signed URL itself '
      + 'and returns normally, so Lambda has no failed invocation to dead-letter; the outcome of every request is in the stack events and the encrypted log group.');

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: props.resourceType ?? 'Custom::Inline',
      properties: props.properties,
    });
  }

  /** The resource's PhysicalResourceId (its `Ref`). */
  public get physicalResourceId(): string {
    return this.resource.ref;
  }

  /** A value of the code's `Data`, by name, as a token. */
  public getAtt(name: string): Reference {
    return this.resource.getAtt(name);
  }

  /** A value of the code's `Data`, by name, as a string token. */
  public getAttString(name: string): string {
    return this.resource.getAttString(name);
  }

  /** Lets the function do what `statement` allows: grant what the code needs, nothing more. */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.role.addToPrincipalPolicy(statement);
  }
}

/** The Node.js wrapper as plain CommonJS: the compiled module when installed, else transpiled from its TypeScript source. */
export function nodeWrapperSource(): string {
  if (cachedWrapper === undefined) {
    const dir = path.join(__dirname, 'handlers', 'inline-custom-resource');
    const compiled = path.join(dir, 'index.js');
    if (fs.existsSync(compiled)) {
      cachedWrapper = fs.readFileSync(compiled, 'utf8');
    } else {
      // A checkout holds only the TypeScript source; TypeScript is a devDependency there.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ts = require('typescript') as typeof import('typescript');
      cachedWrapper = ts.transpileModule(fs.readFileSync(path.join(dir, 'index.ts'), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, removeComments: true },
        fileName: 'index.ts',
      }).outputText;
    }
  }
  return cachedWrapper;
}
let cachedWrapper: string | undefined;

function nodeSource(code: string): string {
  return `${nodeWrapperSource().trimEnd()}\nexports.handler = respondingHandler(async function userCode(event, context) {\n${dedent(code)}\n});\n`;
}

function pythonSource(code: string): string {
  const body = dedent(code).split('\n').map((line) => (line.trim() ? `    ${line}` : '')).join('\n');
  // JSON string escapes (\n, \", \\, \uXXXX) are valid Python string escapes too.
  return `${PYTHON_WRAPPER}\n\nUSER_CODE = ${JSON.stringify(`def on_event(event, context):\n${body}\n`)}\n`;
}

/** Why `body` does not compile as the body of an async function, or undefined. Compiles only; nothing runs. */
function syntaxProblem(body: string): string | undefined {
  try {
    new vm.Script(`(async function (event, context) {\n${body}\n})`);
    return undefined;
  } catch (error) {
    // vm errors come from another realm: not `instanceof Error` here, but with a message.
    return (error as { message?: string }).message ?? String(error);
  }
}

/** Removes the indentation that all non-blank lines share (code written in a template literal). */
function dedent(code: string): string {
  const lines = code.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[0].trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(common)).join('\n');
}
