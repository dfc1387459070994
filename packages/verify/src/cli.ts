#!/usr/bin/env node
/**
 * The `verify` command line: `cdk-patterns-verify [stack ...] [options]` (or `npm run verify --`).
 * Exit codes: 0 all in sync, 1 drift / unstable or missing stack / old template or bootstrap,
 * 2 an error (credentials, access, throttling, timeout, bad arguments, no cloud assembly).
 */
import { ClientFactory } from './clients';
import { DriftProgress } from './checks';
import { renderJson, renderTable } from './report';
import { DEFAULT_TIMEOUT_SECONDS, verify, VerifyOptions } from './verify';

/** The usage text. */
export const USAGE = `usage: cdk-patterns-verify [stack ...] [options]

Checks the stacks of a synthesized cloud assembly against what is deployed: the stack is in a
stable *_COMPLETE state, its deployed template is the synthesized one, and it has not drifted.

  stack ...                  stack ids or names, * as a wildcard (default: every stack)
  --preflight                check the CDK bootstrap stack of each target account/region instead
  --json                     print JSON instead of a table
  --profile <name>           AWS profile (default: the standard credential chain)
  --region <region>          region for environment-agnostic stacks and STS
  --app <dir>                cloud assembly directory (default: cdk.out)
  --timeout <seconds>        how long to wait for each drift detection (default: ${DEFAULT_TIMEOUT_SECONDS})
  --role-arn-template <arn>  role to assume per stack, with {account} and {region}, e.g.
                             'arn:aws:iam::{account}:role/cdk-hnb659fds-lookup-role-{account}-{region}'
  --toolkit-stack-name <n>   bootstrap stack name (default: CDKToolkit)
  -h, --help                 this text

Exit codes: 0 all in sync; 1 drift, an unstable or missing stack, an out-of-date template or
bootstrap; 2 an error (credentials, access denied, throttling, timeout, arguments).
`;

/** The parsed command line. */
export interface CliArguments {
  readonly stacks: string[];
  readonly preflight: boolean;
  readonly json: boolean;
  readonly help: boolean;
  readonly profile?: string;
  readonly region?: string;
  readonly app: string;
  readonly timeoutSeconds: number;
  readonly roleArnTemplate?: string;
  readonly toolkitStackName?: string;
}

/** Thrown for a command line that does not parse. */
export class UsageError extends Error {}

const VALUE_OPTIONS = new Set(['--profile', '--region', '--app', '--timeout', '--role-arn-template', '--toolkit-stack-name']);

/** Parses `argv` (without node and the script); throws {@link UsageError}. */
export function parseArguments(argv: string[]): CliArguments {
  const values = new Map<string, string>();
  const stacks: string[] = [];
  let preflight = false;
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '--preflight') preflight = true;
    else if (name === '--json') json = true;
    else if (name === '--help' || name === '-h') help = true;
    else if (VALUE_OPTIONS.has(name)) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
      values.set(name, value);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option ${arg}`);
    } else {
      stacks.push(arg);
    }
  }
  const timeoutText = values.get('--timeout');
  const timeoutSeconds = timeoutText === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(timeoutText);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`--timeout must be a whole number of seconds, got "${timeoutText}"`);
  }
  const roleArnTemplate = values.get('--role-arn-template');
  if (roleArnTemplate !== undefined && !roleArnTemplate.includes('{account}')) {
    throw new UsageError('--role-arn-template must contain {account} (and usually {region})');
  }
  return {
    stacks, preflight, json, help, timeoutSeconds, roleArnTemplate,
    profile: values.get('--profile'),
    region: values.get('--region'),
    app: values.get('--app') ?? 'cdk.out',
    toolkitStackName: values.get('--toolkit-stack-name'),
  };
}

/** Where the CLI writes, and what tests inject. */
export interface CliEnvironment {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress is redrawn in place). */
  readonly interactive?: boolean;
  readonly clients?: ClientFactory;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Runs the command; resolves to the exit code. */
export async function main(argv: string[], env: CliEnvironment = processEnvironment()): Promise<number> {
  let args: CliArguments;
  try {
    args = parseArguments(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    env.stderr(`error: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    env.stdout(USAGE);
    return 0;
  }
  const options: VerifyOptions = {
    assemblyDir: args.app,
    stacks: args.stacks,
    preflight: args.preflight,
    profile: args.profile,
    region: args.region,
    timeoutSeconds: args.timeoutSeconds,
    roleArnTemplate: args.roleArnTemplate,
    toolkitStackName: args.toolkitStackName,
    clients: env.clients,
    now: env.now,
    sleep: env.sleep,
    onProgress: progressReporter(env),
  };
  const report = await verify(options);
  if (env.interactive) env.stderr('\r\x1b[K');
  env.stdout(args.json ? `${renderJson(report)}\n` : renderTable(report));
  return report.exitCode;
}

/**
 * Progress on stderr while drift detection runs (stdout stays clean for --json): one line redrawn
 * in place on a terminal, else a line per stack every 30 seconds.
 */
function progressReporter(env: CliEnvironment): (p: DriftProgress) => void {
  const waiting = new Map<string, number>();
  const lastLine = new Map<string, number>();
  return (p) => {
    waiting.set(p.stack, p.elapsedSeconds);
    if (env.interactive) {
      const spin = '|/-\\'[p.elapsedSeconds % 4];
      const list = [...waiting].map(([s, t]) => `${s} ${t}s`).join(', ');
      env.stderr(`\r\x1b[K${spin} drift detection (timeout ${p.timeoutSeconds}s): ${list}`);
    } else if (p.elapsedSeconds - (lastLine.get(p.stack) ?? -30) >= 30) {
      lastLine.set(p.stack, p.elapsedSeconds);
      env.stderr(`drift detection of ${p.stack}: ${p.elapsedSeconds}s of at most ${p.timeoutSeconds}s\n`);
    }
  };
}

function processEnvironment(): CliEnvironment {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    interactive: process.stderr.isTTY === true,
  };
}

/** Runs {@link main} for this process and sets its exit code. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) run();
