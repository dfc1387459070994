/**
 * `verify`: checks what is deployed against the local cloud assembly. For each stack, in its own
 * account and region: status, template currency and drift; with `preflight`, the bootstrap stack
 * of every target environment instead. Returns a {@link VerifyReport}; never throws for AWS errors.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { AssemblyStack, readAssembly, selectStacks } from './assembly';
import {
  CheckContext, CheckResult, checkBootstrap, checkDrift, checkStatus, checkTemplate, DriftProgress, skippedResult,
} from './checks';
import { ClientFactory, defaultClientFactory, roleArnFor } from './clients';
import { classifyError, VerifyError, VerifyErrorKind } from './errors';

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** The cloud assembly directory. Default `cdk.out`. */
  readonly assemblyDir?: string;
  /** Stack ids or names (`*` wildcards); default every stack. */
  readonly stacks?: string[];
  /** Check the bootstrap stacks instead of the deployed stacks. */
  readonly preflight?: boolean;
  /** The AWS profile; default the standard credential chain. */
  readonly profile?: string;
  /** The region for environment-agnostic stacks and for STS. */
  readonly region?: string;
  /** Seconds to wait for each drift detection. Default 300. */
  readonly timeoutSeconds?: number;
  /** Seconds between drift detection status calls. Default 5. */
  readonly pollIntervalSeconds?: number;
  /** A role to assume per target, with `{account}` and `{region}` placeholders. */
  readonly roleArnTemplate?: string;
  /** The bootstrap stack's name. Default `CDKToolkit`. */
  readonly toolkitStackName?: string;
  /** Where the AWS clients come from (tests inject theirs). */
  readonly clients?: ClientFactory;
  /** Milliseconds since the epoch (injectable for tests). */
  readonly now?: () => number;
  /** Waits (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called while drift detection runs. */
  readonly onProgress?: (progress: DriftProgress) => void;
}

/** in-sync: every check ok; not-in-sync: a finding; error: a check could not run; skipped: not checked. */
export type TargetResult = 'in-sync' | 'not-in-sync' | 'error' | 'skipped';

/** The checks of one stack (verify) or one environment (preflight). */
export interface TargetReport {
  readonly kind: 'stack' | 'environment';
  /** The stack id, or `aws://account/region`. */
  readonly name: string;
  readonly stackName?: string;
  readonly account?: string;
  readonly region?: string;
  /** For an environment: the stacks that go there. */
  readonly stacks?: string[];
  readonly result: TargetResult;
  readonly checks: CheckResult[];
}

/** What `verify` found. */
export interface VerifyReport {
  readonly mode: 'verify' | 'preflight';
  /** 0: all in sync; 1: drift, an unstable or missing stack, an old template or bootstrap; 2: an error. */
  readonly exitCode: 0 | 1 | 2;
  readonly result: 'in-sync' | 'not-in-sync' | 'error';
  /** The account of the credentials, when known. */
  readonly callerAccount?: string;
  readonly targets: TargetReport[];
  /** An error that stopped verify before any target was checked. */
  readonly error?: { readonly kind: VerifyErrorKind; readonly message: string; readonly advice: string };
}

/** The default drift detection timeout, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** Checks the stacks of the cloud assembly against what is deployed. */
export async function verify(options: VerifyOptions = {}): Promise<VerifyReport> {
  const mode = options.preflight ? 'preflight' : 'verify';
  let stacks: AssemblyStack[];
  try {
    stacks = selectStacks(readAssembly(options.assemblyDir ?? 'cdk.out'), options.stacks ?? []);
    if (stacks.length === 0) {
      throw new VerifyError('assembly', 'the cloud assembly has no stacks', 'run `npx cdk synth` in the project first');
    }
  } catch (e) {
    return failed(mode, classifyError(e, { action: 'read the cloud assembly' }));
  }
  const clients = options.clients ?? defaultClientFactory({ profile: options.profile });
  const stsRegion = options.region ?? stacks.find((s) => s.region)?.region ?? process.env.AWS_REGION ?? 'us-east-1';
  let callerAccount: string;
  try {
    const identity = await clients.sts(stsRegion).send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new VerifyError('aws', 'sts:GetCallerIdentity returned no account', 'run again');
    callerAccount = identity.Account;
  } catch (e) {
    return failed(mode, classifyError(e, { action: 'sts:GetCallerIdentity', region: stsRegion, profile: options.profile }));
  }

  const base = {
    profile: options.profile,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    timeoutSeconds: options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    pollIntervalSeconds: options.pollIntervalSeconds ?? 5,
    onProgress: options.onProgress,
  };
  /** The context for account/region, or why it cannot be checked. */
  const contextFor = (account: string, region: string, qualifier: string | undefined): CheckContext | string => {
    if (account !== callerAccount && !options.roleArnTemplate) {
      const q = qualifier ?? 'hnb659fds';
      return `skipped: credentials are for account ${callerAccount}, the target is account ${account}; run with credentials ` +
        `for ${account} (--profile), or pass --role-arn-template 'arn:aws:iam::{account}:role/cdk-${q}-lookup-role-{account}-{region}'`;
    }
    const roleArn = options.roleArnTemplate ? roleArnFor(options.roleArnTemplate, account, region) : undefined;
    return { ...base, account, region, roleArn, cloudFormation: clients.cloudFormation(region, roleArn) };
  };

  let targets: TargetReport[];
  if (options.preflight) {
    targets = await Promise.all(environments(stacks, callerAccount, options.region).map(async (env) => {
      const name = env.region ? `aws://${env.account}/${env.region}` : `aws://${env.account}/?`;
      if (!env.region) return regionMissing('environment', name, env.account, env.stacks);
      const ctx = contextFor(env.account, env.region, env.qualifier);
      const checks = typeof ctx === 'string'
        ? [skippedResult('bootstrap', ctx)]
        : [await checkBootstrap(ctx, env.required, options.toolkitStackName ?? 'CDKToolkit', callerAccount)];
      return target({ kind: 'environment', name, account: env.account, region: env.region, stacks: env.stacks }, checks);
    }));
  } else {
    targets = await Promise.all(stacks.map(async (stack) => {
      const account = stack.account ?? callerAccount;
      const region = stack.region ?? options.region;
      if (!region) return regionMissing('stack', stack.id, account);
      const head = { kind: 'stack' as const, name: stack.id, stackName: stack.stackName, account, region };
      const ctx = contextFor(account, region, stack.bootstrapQualifier);
      if (typeof ctx === 'string') return target(head, [skippedResult('status', ctx)]);
      const status = await checkStatus(ctx, stack);
      if (status.state !== 'ok') {
        const why = `not checked: the stack is ${status.stackStatus ?? (status.state === 'error' ? 'unreadable' : 'not deployed')}`;
        return target(head, [status, skippedResult('template', why), skippedResult('drift', why)]);
      }
      const template = await checkTemplate(ctx, stack);
      const drift = await checkDrift(ctx, stack);
      return target(head, [status, template, drift]);
    }));
  }
  const exitCode = exitCodeOf(targets);
  return { mode, exitCode, result: exitCode === 0 ? 'in-sync' : exitCode === 1 ? 'not-in-sync' : 'error', callerAccount, targets };
}

function failed(mode: 'verify' | 'preflight', e: VerifyError): VerifyReport {
  return { mode, exitCode: 2, result: 'error', targets: [], error: { kind: e.kind, message: e.message, advice: e.advice } };
}

function regionMissing(kind: 'stack' | 'environment', name: string, account: string, stacks?: string[]): TargetReport {
  return target({ kind, name, account, stacks }, [{
    name: kind === 'stack' ? 'status' : 'bootstrap', state: 'error', errorKind: 'usage', cell: 'no region',
    summary: `${name} is environment-agnostic and no region was given`, advice: 'pass --region <region>',
  }]);
}

function target(head: Omit<TargetReport, 'result' | 'checks'>, checks: CheckResult[]): TargetReport {
  const states = checks.map((c) => c.state);
  const result: TargetResult = states.includes('error') ? 'error'
    : states.includes('finding') ? 'not-in-sync'
      : states.every((s) => s === 'skipped') ? 'skipped' : 'in-sync';
  return { ...head, result, checks };
}

/** 2 if anything could not be checked (errors and skipped targets), else 1 on any finding, else 0. */
export function exitCodeOf(targets: TargetReport[]): 0 | 1 | 2 {
  if (targets.some((t) => t.result === 'error' || t.result === 'skipped')) return 2;
  if (targets.some((t) => t.result === 'not-in-sync')) return 1;
  return 0;
}

interface Environment {
  readonly account: string;
  readonly region?: string;
  readonly qualifier?: string;
  required: number;
  readonly stacks: string[];
}

/** The distinct environments of `stacks`, with the highest bootstrap version each needs. */
function environments(stacks: AssemblyStack[], callerAccount: string, defaultRegion?: string): Environment[] {
  const byKey = new Map<string, Environment>();
  for (const s of stacks) {
    const account = s.account ?? callerAccount;
    const region = s.region ?? defaultRegion;
    const key = `${account}/${region ?? ''}`;
    const env = byKey.get(key) ?? { account, region, qualifier: s.bootstrapQualifier, required: 0, stacks: [] };
    env.required = Math.max(env.required, s.requiredBootstrapVersion);
    env.stacks.push(s.id);
    byKey.set(key, env);
  }
  return [...byKey.values()];
}
