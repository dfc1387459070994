/**
 * The checks `verify` runs against CloudFormation, one function each: bootstrap (preflight),
 * stack status, template currency and drift. Each returns a {@link CheckResult}; AWS errors are
 * turned into results with state `error` and advice, so one failing stack does not hide the rest.
 */
import {
  CloudFormationClient,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceDriftsCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  GetTemplateCommand,
  Stack,
  StackResourceDrift,
} from '@aws-sdk/client-cloudformation';
import { AssemblyStack } from './assembly';
import { CallContext, classifyError, VerifyError, VerifyErrorKind } from './errors';

/** The checks, in the order they run. */
export type CheckName = 'bootstrap' | 'status' | 'template' | 'drift';

/** ok: as expected; finding: not in sync (exit 1); error: could not check (exit 2); skipped: not run. */
export type CheckState = 'ok' | 'finding' | 'error' | 'skipped';

/** A failed stack event, newest first. */
export interface FailedEvent {
  readonly timestamp?: string;
  readonly logicalId?: string;
  readonly resourceType?: string;
  readonly status?: string;
  readonly reason?: string;
}

/** One property of a drifted resource. */
export interface PropertyDifference {
  readonly path: string;
  readonly type: string;
  readonly expected?: string;
  readonly actual?: string;
}

/** A resource whose actual configuration differs from the template, or that was deleted. */
export interface DriftedResource {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly resourceType: string;
  /** MODIFIED or DELETED. */
  readonly status: string;
  readonly differences: PropertyDifference[];
}

/** A path where the deployed template differs from the synthesized one. */
export interface TemplateDifference {
  readonly path: string;
  /** changed, only-synthesized (not deployed yet) or only-deployed (removed since). */
  readonly change: 'changed' | 'only-synthesized' | 'only-deployed';
}

/** The result of one check. */
export interface CheckResult {
  readonly name: CheckName;
  readonly state: CheckState;
  /** A few words for the table. */
  readonly cell: string;
  /** One sentence on what was found. */
  readonly summary: string;
  /** What to do, when there is something to do. */
  readonly advice?: string;
  /** The kind of error, when state is `error`. */
  readonly errorKind?: VerifyErrorKind;
  readonly stackStatus?: string;
  readonly failedEvents?: FailedEvent[];
  readonly bootstrapVersion?: number;
  readonly requiredBootstrapVersion?: number;
  readonly templateDifferences?: TemplateDifference[];
  readonly driftDetectionId?: string;
  readonly driftedResources?: DriftedResource[];
}

/** Progress of a drift detection, reported while waiting. */
export interface DriftProgress {
  readonly stack: string;
  readonly elapsedSeconds: number;
  readonly timeoutSeconds: number;
}

/** What a check needs: the client for the stack's account and region, and time. */
export interface CheckContext {
  readonly cloudFormation: CloudFormationClient;
  readonly account: string;
  readonly region: string;
  readonly profile?: string;
  readonly roleArn?: string;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** How long to wait for drift detection. */
  readonly timeoutSeconds: number;
  /** How often to ask whether drift detection has finished. */
  readonly pollIntervalSeconds: number;
  readonly onProgress?: (progress: DriftProgress) => void;
}

/** How many failed events to show for an unstable stack. */
export const FAILED_EVENTS_SHOWN = 5;
/** How many template differences to list. */
export const TEMPLATE_DIFFERENCES_SHOWN = 10;

async function call<T>(ctx: CheckContext, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw classifyError(e, errorContext(ctx, action));
  }
}

function errorContext(ctx: CheckContext, action: string): CallContext {
  return { action, account: ctx.account, region: ctx.region, profile: ctx.profile, roleArn: ctx.roleArn };
}

/** An `error` result for `name` from any thrown error. */
export function errorResult(name: CheckName, error: unknown, ctx: CallContext): CheckResult {
  const e = classifyError(error, ctx);
  return { name, state: 'error', cell: `error: ${e.kind}`, summary: e.message, advice: e.advice, errorKind: e.kind };
}

/** A `skipped` result for `name`. */
export function skippedResult(name: CheckName, why: string): CheckResult {
  return { name, state: 'skipped', cell: 'not checked', summary: why };
}

function isMissingStack(e: unknown): boolean {
  const err = e as { name?: string; message?: string };
  return err?.name === 'ValidationError' && /does not exist/.test(err.message ?? '');
}

/** The stack, or undefined when it does not exist. */
async function describeStack(ctx: CheckContext, stackName: string): Promise<Stack | undefined> {
  try {
    const out = await ctx.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    return stack && stack.StackStatus !== 'DELETE_COMPLETE' ? stack : undefined;
  } catch (e) {
    if (isMissingStack(e)) return undefined;
    throw classifyError(e, errorContext(ctx, 'cloudformation:DescribeStacks'));
  }
}

const STABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE']);

/**
 * Preflight: the bootstrap stack exists in the account and region, is stable, and its
 * `BootstrapVersion` output is at least `required`. The version is read from the bootstrap
 * stack's output rather than the SSM parameter, so no SSM permission or client is needed.
 */
export async function checkBootstrap(
  ctx: CheckContext, required: number, toolkitStackName: string, trustAccount?: string,
): Promise<CheckResult> {
  const env = `aws://${ctx.account}/${ctx.region}`;
  const trust = trustAccount && trustAccount !== ctx.account
    ? ` --trust ${trustAccount} --trust-for-lookup ${trustAccount} --cloudformation-execution-policies arn:aws:iam::aws:policy/AdministratorAccess`
    : '';
  if (required === 0) {
    return { name: 'bootstrap', state: 'ok', cell: 'not needed', requiredBootstrapVersion: 0, summary: `no stack needs a bootstrap stack in ${env}` };
  }
  const command = `\`npx cdk bootstrap ${env}${trust}\`${trust ? ` with credentials for account ${ctx.account}` : ''}`;
  try {
    const stack = await describeStack(ctx, toolkitStackName);
    if (!stack) {
      return {
        name: 'bootstrap', state: 'finding', cell: 'not bootstrapped', requiredBootstrapVersion: required,
        summary: `${env} is not bootstrapped: there is no ${toolkitStackName} stack`,
        advice: `bootstrap with ${command}`,
      };
    }
    if (!STABLE.has(stack.StackStatus ?? '')) {
      return {
        name: 'bootstrap', state: 'finding', cell: `bootstrap ${stack.StackStatus}`, stackStatus: stack.StackStatus,
        requiredBootstrapVersion: required,
        summary: `the ${toolkitStackName} stack in ${env} is ${stack.StackStatus}`,
        advice: `wait for it to finish, or fix it and bootstrap again with ${command}`,
      };
    }
    const output = stack.Outputs?.find((o) => o.OutputKey === 'BootstrapVersion')?.OutputValue;
    const version = output !== undefined && /^\d+$/.test(output) ? Number(output) : 0;
    if (version < required) {
      return {
        name: 'bootstrap', state: 'finding', cell: `v${version} < v${required}`,
        bootstrapVersion: version, requiredBootstrapVersion: required,
        summary: `${env} is bootstrapped with version ${version}${output === undefined ? ' (legacy, no BootstrapVersion output)' : ''}, ` +
          `but the assembly needs version ${required} or later`,
        advice: `update the bootstrap stack with ${command}`,
      };
    }
    return {
      name: 'bootstrap', state: 'ok', cell: `v${version} (needs v${required})`,
      bootstrapVersion: version, requiredBootstrapVersion: required,
      summary: `${env} is bootstrapped with version ${version} (the assembly needs ${required})`,
    };
  } catch (e) {
    return errorResult('bootstrap', e, errorContext(ctx, 'cloudformation:DescribeStacks'));
  }
}

/** Status: the stack exists and is in a stable `*_COMPLETE` state; the latest failed events if not. */
export async function checkStatus(ctx: CheckContext, stack: AssemblyStack): Promise<CheckResult> {
  try {
    const deployed = await describeStack(ctx, stack.stackName);
    if (!deployed) {
      return {
        name: 'status', state: 'finding', cell: 'NOT DEPLOYED',
        summary: `stack ${stack.stackName} does not exist in aws://${ctx.account}/${ctx.region}`,
        advice: `deploy it: \`npx cdk deploy ${stack.id}\``,
      };
    }
    const status = deployed.StackStatus ?? 'UNKNOWN';
    if (STABLE.has(status)) {
      return { name: 'status', state: 'ok', cell: status, stackStatus: status, summary: `stack ${stack.stackName} is ${status}` };
    }
    if (status === 'REVIEW_IN_PROGRESS') {
      return {
        name: 'status', state: 'finding', cell: status, stackStatus: status,
        summary: `stack ${stack.stackName} has only a change set (${status}): it was never deployed`,
        advice: `deploy it: \`npx cdk deploy ${stack.id}\``,
      };
    }
    if (status.endsWith('_IN_PROGRESS')) {
      return {
        name: 'status', state: 'finding', cell: status, stackStatus: status,
        summary: `stack ${stack.stackName} is ${status}`,
        advice: 'an operation is running: wait for it to finish and run verify again',
      };
    }
    const failedEvents = await call(ctx, 'cloudformation:DescribeStackEvents', () => latestFailedEvents(ctx, stack.stackName));
    return {
      name: 'status', state: 'finding', cell: status, stackStatus: status, failedEvents,
      summary: `stack ${stack.stackName} is ${status}${deployed.StackStatusReason ? ` (${deployed.StackStatusReason})` : ''}`,
      advice: adviceForStatus(status, stack),
    };
  } catch (e) {
    return errorResult('status', e, errorContext(ctx, 'cloudformation:DescribeStacks'));
  }
}

function adviceForStatus(status: string, stack: AssemblyStack): string {
  switch (status) {
    case 'ROLLBACK_COMPLETE':
    case 'ROLLBACK_FAILED':
      return `the first deployment failed and the stack cannot be updated: fix the cause in the events above, ` +
        `delete it (\`npx cdk destroy ${stack.id}\`) and deploy again`;
    case 'UPDATE_ROLLBACK_FAILED':
      return `finish the rollback (\`aws cloudformation continue-update-rollback --stack-name ${stack.stackName}\`), ` +
        'then fix the cause in the events above and deploy again';
    case 'DELETE_FAILED':
      return `fix the cause in the events above and run \`npx cdk destroy ${stack.id}\` again`;
    default:
      return `the last deployment was rolled back: fix the cause in the events above and run \`npx cdk deploy ${stack.id}\``;
  }
}

async function latestFailedEvents(ctx: CheckContext, stackName: string): Promise<FailedEvent[]> {
  // Events come newest first; the first page (100 events) covers the last operation.
  const out = await ctx.cloudFormation.send(new DescribeStackEventsCommand({ StackName: stackName }));
  return (out.StackEvents ?? [])
    .filter((e) => (e.ResourceStatus ?? '').endsWith('_FAILED'))
    .slice(0, FAILED_EVENTS_SHOWN)
    .map((e) => ({
      timestamp: e.Timestamp?.toISOString(),
      logicalId: e.LogicalResourceId,
      resourceType: e.ResourceType,
      status: e.ResourceStatus,
      reason: e.ResourceStatusReason,
    }));
}

/**
 * Currency: the deployed template (stage Original: as submitted, before transforms such as SAM
 * are expanded, which is what `cdk synth` writes) equals the synthesized one, compared as JSON
 * values, so key order and whitespace do not matter.
 */
export async function checkTemplate(ctx: CheckContext, stack: AssemblyStack): Promise<CheckResult> {
  try {
    const out = await call(ctx, 'cloudformation:GetTemplate', () => ctx.cloudFormation.send(
      new GetTemplateCommand({ StackName: stack.stackName, TemplateStage: 'Original' })));
    let deployed: unknown;
    try {
      deployed = JSON.parse(out.TemplateBody ?? '');
    } catch {
      return {
        name: 'template', state: 'finding', cell: 'not CDK', templateDifferences: [],
        summary: `the deployed template of ${stack.stackName} is not JSON, so it was not deployed from this app`,
        advice: `deploy this version: \`npx cdk deploy ${stack.id}\``,
      };
    }
    const differences: TemplateDifference[] = [];
    diffJson(stack.template, deployed, '', differences);
    if (differences.length === 0) {
      return { name: 'template', state: 'ok', cell: 'current', templateDifferences: [], summary: 'the deployed template is the synthesized one' };
    }
    return {
      name: 'template', state: 'finding', cell: 'OUT OF DATE',
      templateDifferences: differences.slice(0, TEMPLATE_DIFFERENCES_SHOWN),
      summary: `the deployed template of ${stack.stackName} differs from the synthesized one in ${differences.length} place(s)`,
      advice: `deploy this version (\`npx cdk deploy ${stack.id}\`), or synthesize with the -c options it was deployed with; ` +
        `\`npx cdk diff ${stack.id}\` shows the changes`,
    };
  } catch (e) {
    return errorResult('template', e, errorContext(ctx, 'cloudformation:GetTemplate'));
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects the paths where `synthesized` and `deployed` differ (objects by key, arrays by index). */
export function diffJson(synthesized: unknown, deployed: unknown, path: string, out: TemplateDifference[]): void {
  if (isObject(synthesized) && isObject(deployed)) {
    const keys = [...new Set([...Object.keys(synthesized), ...Object.keys(deployed)])].sort();
    for (const key of keys) {
      const sub = path ? `${path}.${key}` : key;
      if (!(key in deployed)) out.push({ path: sub, change: 'only-synthesized' });
      else if (!(key in synthesized)) out.push({ path: sub, change: 'only-deployed' });
      else diffJson(synthesized[key], deployed[key], sub, out);
    }
    return;
  }
  if (Array.isArray(synthesized) && Array.isArray(deployed) && synthesized.length === deployed.length) {
    synthesized.forEach((v, i) => diffJson(v, deployed[i], `${path}[${i}]`, out));
    return;
  }
  if (JSON.stringify(synthesized) !== JSON.stringify(deployed)) out.push({ path: path || '(template)', change: 'changed' });
}

/**
 * Drift: starts drift detection, waits for it (reporting progress) up to the timeout, then lists
 * each drifted resource with its property differences.
 */
export async function checkDrift(ctx: CheckContext, stack: AssemblyStack): Promise<CheckResult> {
  let detectionId: string | undefined;
  try {
    const started = await call(ctx, 'cloudformation:DetectStackDrift', () => ctx.cloudFormation.send(
      new DetectStackDriftCommand({ StackName: stack.stackName })));
    detectionId = started.StackDriftDetectionId;
    if (!detectionId) throw new VerifyError('aws', 'DetectStackDrift returned no detection id', 'run verify again');
    const id = detectionId;
    const start = ctx.now();
    let status = await pollDetection(ctx, id);
    while (status.DetectionStatus === 'DETECTION_IN_PROGRESS') {
      const elapsedSeconds = Math.round((ctx.now() - start) / 1000);
      if (elapsedSeconds >= ctx.timeoutSeconds) {
        return {
          name: 'drift', state: 'error', errorKind: 'timeout', cell: 'TIMED OUT', driftDetectionId: id,
          summary: `drift detection of ${stack.stackName} did not finish within ${ctx.timeoutSeconds} s (detection ${id})`,
          advice: `run again with a longer --timeout (e.g. ${ctx.timeoutSeconds * 2}), or see the result later with ` +
            `\`aws cloudformation describe-stack-drift-detection-status --stack-drift-detection-id ${id}\``,
        };
      }
      ctx.onProgress?.({ stack: stack.stackName, elapsedSeconds, timeoutSeconds: ctx.timeoutSeconds });
      await ctx.sleep(ctx.pollIntervalSeconds * 1000);
      status = await pollDetection(ctx, id);
    }
    const driftedResources = await call(ctx, 'cloudformation:DescribeStackResourceDrifts',
      () => listDrifts(ctx, stack.stackName));
    if (driftedResources.length > 0) {
      const failedNote = status.DetectionStatus === 'DETECTION_FAILED'
        ? `; detection failed for some resources: ${status.DetectionStatusReason ?? 'no reason given'}` : '';
      return {
        name: 'drift', state: 'finding', cell: `DRIFTED (${driftedResources.length})`, driftDetectionId: id, driftedResources,
        summary: `${driftedResources.length} resource(s) of ${stack.stackName} changed outside CloudFormation${failedNote}`,
        advice: 'undo the changes made outside CloudFormation, or redeploy to put the template\'s values back ' +
          `(\`npx cdk deploy ${stack.id}\`; properties not in the template are not reset); if a change is wanted, ` +
          'put it in the code',
      };
    }
    if (status.DetectionStatus === 'DETECTION_FAILED') {
      return {
        name: 'drift', state: 'error', errorKind: 'detection-failed', cell: 'DETECTION FAILED', driftDetectionId: id,
        driftedResources: [],
        summary: `drift detection of ${stack.stackName} failed: ${status.DetectionStatusReason ?? 'no reason given'}`,
        advice: 'the caller must be able to read every resource of the stack (the bootstrap lookup role can: ' +
          'pass it with --role-arn-template); resources that do not support drift detection are not the cause',
      };
    }
    return {
      name: 'drift', state: 'ok', cell: status.StackDriftStatus ?? 'IN_SYNC', driftDetectionId: id, driftedResources: [],
      summary: status.StackDriftStatus === 'NOT_CHECKED'
        ? `no resource of ${stack.stackName} supports drift detection` : `no resource of ${stack.stackName} has drifted`,
    };
  } catch (e) {
    return { ...errorResult('drift', e, errorContext(ctx, 'cloudformation:DetectStackDrift')), driftDetectionId: detectionId };
  }
}

async function pollDetection(ctx: CheckContext, id: string) {
  return call(ctx, 'cloudformation:DescribeStackDriftDetectionStatus', () => ctx.cloudFormation.send(
    new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: id })));
}

async function listDrifts(ctx: CheckContext, stackName: string): Promise<DriftedResource[]> {
  const drifts: StackResourceDrift[] = [];
  let nextToken: string | undefined;
  do {
    const out = await ctx.cloudFormation.send(new DescribeStackResourceDriftsCommand({
      StackName: stackName,
      StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
      NextToken: nextToken,
    }));
    drifts.push(...(out.StackResourceDrifts ?? []));
    nextToken = out.NextToken;
  } while (nextToken);
  return drifts.map((d) => ({
    logicalId: d.LogicalResourceId ?? '?',
    physicalId: d.PhysicalResourceId,
    resourceType: d.ResourceType ?? '?',
    status: d.StackResourceDriftStatus ?? '?',
    differences: (d.PropertyDifferences ?? []).map((p) => ({
      path: p.PropertyPath ?? '?',
      type: p.DifferenceType ?? '?',
      expected: p.ExpectedValue,
      actual: p.ActualValue,
    })),
  }));
}
