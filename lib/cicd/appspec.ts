/**
 * CICD-4 AppSpec: a typed builder for the `appspec.yml` of CodeDeploy EC2/on-premises deployments.
 *
 * CodeDeploy reads `appspec.yml` from the root of the revision and refuses, at deployment time,
 * a file that names a hook it does not know, a hook that cannot run for the deployment type, a
 * script timeout over 3600 seconds, or Linux-only sections on Windows. This builder refuses the
 * same things when the app is synthesized, and writes the hooks in the order CodeDeploy runs
 * them, so the file reads like the deployment it describes. A build puts the text into the
 * revision (see {@link AppSpec.toShellCommand} and `ReleasePipeline`'s `appSpec` prop).
 */
import { Duration } from 'aws-cdk-lib';
import { ConstructPropsError } from '../core/validation';

/** A lifecycle event of an EC2/on-premises deployment that can run scripts. */
export enum DeploymentHook {
  /** Before the revision is downloaded: stop the running application (runs the previous revision's script). */
  APPLICATION_STOP = 'ApplicationStop',
  /** Before files are copied: decrypt files, back up the current version. */
  BEFORE_INSTALL = 'BeforeInstall',
  /** After files are copied: configure the application, change permissions. */
  AFTER_INSTALL = 'AfterInstall',
  /** Start the services stopped in ApplicationStop. */
  APPLICATION_START = 'ApplicationStart',
  /** Verify the deployment completed successfully. */
  VALIDATE_SERVICE = 'ValidateService',
  /** Before the instance is deregistered from the load balancer (needs a load balancer). */
  BEFORE_BLOCK_TRAFFIC = 'BeforeBlockTraffic',
  /** After the instance is deregistered from the load balancer (needs a load balancer). */
  AFTER_BLOCK_TRAFFIC = 'AfterBlockTraffic',
  /** Before the instance is registered with the load balancer (needs a load balancer). */
  BEFORE_ALLOW_TRAFFIC = 'BeforeAllowTraffic',
  /** After the instance is registered with the load balancer (needs a load balancer). */
  AFTER_ALLOW_TRAFFIC = 'AfterAllowTraffic',
}

/** The kind of deployment the AppSpec file is written for: it decides which hooks may run. */
export enum AppSpecDeploymentType {
  /** In-place, without a load balancer: only the application hooks run. */
  IN_PLACE = 'IN_PLACE',
  /** In-place behind a load balancer: the traffic hooks run around deregistration and registration. */
  IN_PLACE_WITH_LOAD_BALANCER = 'IN_PLACE_WITH_LOAD_BALANCER',
  /**
   * Blue/green (always behind a load balancer): the application hooks and the allow-traffic hooks
   * run on the replacement (green) instances, the block-traffic hooks on the original (blue) ones.
   */
  BLUE_GREEN = 'BLUE_GREEN',
}

/** The operating system of the instances. */
export enum AppSpecOperatingSystem {
  /** Amazon Linux, Ubuntu Server, RHEL. */
  LINUX = 'linux',
  /** Windows Server. */
  WINDOWS = 'windows',
}

/** What CodeDeploy does with a file that already exists at a destination and was not deployed by it. */
export enum FileExistsBehavior {
  /** Fail the deployment (CodeDeploy's default). */
  DISALLOW = 'DISALLOW',
  /** Replace the file with the revision's version. */
  OVERWRITE = 'OVERWRITE',
  /** Keep the file on the instance. */
  RETAIN = 'RETAIN',
}

/** The kinds of object a permissions entry applies to. */
export enum PermissionObjectType {
  /** Files. */
  FILE = 'file',
  /** Directories. */
  DIRECTORY = 'directory',
}

/** A file or directory of the revision and where it goes on the instance. */
export interface AppSpecFile {
  /** The path in the revision (`/` for everything). */
  readonly source: string;
  /** The absolute path on the instance. */
  readonly destination: string;
}

/** Permissions CodeDeploy applies to copied files (Linux only). */
export interface AppSpecPermission {
  /** The file or directory on the instance, an absolute path (AppSpec's `object`). */
  readonly path: string;
  /**
   * A glob pattern of the objects under `path` it applies to.
   * @default - every object
   */
  readonly pattern?: string;
  /**
   * Patterns of objects it does not apply to (AppSpec's `except`).
   * @default - none
   */
  readonly exclude?: string[];
  /**
   * The owner.
   * @default - unchanged
   */
  readonly owner?: string;
  /**
   * The group.
   * @default - unchanged
   */
  readonly group?: string;
  /**
   * The mode, three or four octal digits (`644`, `0755`).
   * @default - unchanged
   */
  readonly mode?: string;
  /**
   * Whether it applies to files, directories or both (AppSpec's `type`).
   * @default - both
   */
  readonly appliesTo?: PermissionObjectType[];
}

/** One script a hook runs. */
export interface AppSpecScript {
  /** The path of the script in the revision. */
  readonly location: string;
  /**
   * How long the script may run before the deployment fails. CodeDeploy allows 3600 seconds for
   * all the scripts of one lifecycle event together, so the timeouts set on the scripts of one
   * hook must add up to at most 3600 seconds.
   * @default - CodeDeploy's default, 3600 seconds (written out when the script is alone in its hook)
   */
  readonly timeout?: Duration;
  /**
   * The user the script runs as (Linux only).
   * @default - the CodeDeploy agent's user (root)
   */
  readonly runas?: string;
}

/** The scripts of one lifecycle hook. */
export interface AppSpecHook {
  /** The lifecycle event. */
  readonly hook: DeploymentHook;
  /** The scripts, run in this order. */
  readonly scripts: AppSpecScript[];
}

/** Props for {@link AppSpec}. */
export interface AppSpecProps {
  /**
   * The operating system of the instances.
   * @default AppSpecOperatingSystem.LINUX
   */
  readonly os?: AppSpecOperatingSystem;
  /**
   * The deployment type, which decides which hooks may run.
   * @default AppSpecDeploymentType.IN_PLACE_WITH_LOAD_BALANCER
   */
  readonly deploymentType?: AppSpecDeploymentType;
  /**
   * Files to copy.
   * @default - none
   */
  readonly files?: AppSpecFile[];
  /**
   * What to do with files that exist at a destination but were not deployed by CodeDeploy.
   * @default - CodeDeploy's default (DISALLOW)
   */
  readonly fileExistsBehavior?: FileExistsBehavior;
  /**
   * Permissions of copied files (Linux only).
   * @default - none
   */
  readonly permissions?: AppSpecPermission[];
  /**
   * Lifecycle hooks; more can be added with {@link AppSpec.addHook}.
   * @default - none
   */
  readonly hooks?: AppSpecHook[];
}

/** The most a script may run, in seconds: CodeDeploy's limit. */
const MAX_SCRIPT_TIMEOUT_SECONDS = 3600;

const APPLICATION_HOOKS = [
  DeploymentHook.APPLICATION_STOP, DeploymentHook.BEFORE_INSTALL, DeploymentHook.AFTER_INSTALL,
  DeploymentHook.APPLICATION_START, DeploymentHook.VALIDATE_SERVICE,
];
const BLOCK_HOOKS = [DeploymentHook.BEFORE_BLOCK_TRAFFIC, DeploymentHook.AFTER_BLOCK_TRAFFIC];
const ALLOW_HOOKS = [DeploymentHook.BEFORE_ALLOW_TRAFFIC, DeploymentHook.AFTER_ALLOW_TRAFFIC];
/** Lifecycle events CodeDeploy keeps for itself: no script can run in them. */
const RESERVED_EVENTS = ['Start', 'DownloadBundle', 'Install', 'BlockTraffic', 'AllowTraffic', 'End'];

/** The hooks that can run, in the order CodeDeploy runs them, per deployment type. */
function hookOrder(type: AppSpecDeploymentType): DeploymentHook[] {
  switch (type) {
    case AppSpecDeploymentType.IN_PLACE:
      return APPLICATION_HOOKS;
    case AppSpecDeploymentType.IN_PLACE_WITH_LOAD_BALANCER:
      // The instance leaves the load balancer, is updated, and comes back.
      return [...BLOCK_HOOKS, ...APPLICATION_HOOKS, ...ALLOW_HOOKS];
    case AppSpecDeploymentType.BLUE_GREEN:
      // Green instances are installed and registered, then blue instances are deregistered.
      return [...APPLICATION_HOOKS, ...ALLOW_HOOKS, ...BLOCK_HOOKS];
  }
}

/**
 * CICD-4: the `appspec.yml` of an EC2/on-premises CodeDeploy revision, typed and checked.
 *
 * ```ts
 * const appSpec = new AppSpec({
 *   files: [{ source: '/', destination: '/var/www/app' }],
 *   hooks: [{ hook: DeploymentHook.APPLICATION_START, scripts: [{ location: 'scripts/start.sh', timeout: Duration.minutes(5) }] }],
 * });
 * appSpec.toYaml();
 * ```
 *
 * Every refusal throws one error listing every problem. Hooks are written in the order
 * CodeDeploy runs them for the deployment type; for in-place deployments behind a load balancer
 * that is BeforeBlockTraffic and AfterBlockTraffic first, then ApplicationStop to ValidateService,
 * then BeforeAllowTraffic and AfterAllowTraffic. In blue/green deployments the block-traffic hooks
 * run on the original (blue) instances, every other hook on the replacement (green) instances.
 */
export class AppSpec {
  /** The most a script may run, in seconds (CodeDeploy's limit and the default timeout). */
  public static readonly MAX_SCRIPT_TIMEOUT_SECONDS = MAX_SCRIPT_TIMEOUT_SECONDS;

  /** The operating system the file is written for. */
  public readonly os: AppSpecOperatingSystem;
  /** The deployment type the file is written for. */
  public readonly deploymentType: AppSpecDeploymentType;
  private readonly files: AppSpecFile[];
  private readonly permissions: AppSpecPermission[];
  private readonly fileExistsBehavior?: FileExistsBehavior;
  private readonly hooks = new Map<DeploymentHook, AppSpecScript[]>();

  constructor(props: AppSpecProps = {}) {
    this.os = props.os ?? AppSpecOperatingSystem.LINUX;
    this.deploymentType = props.deploymentType ?? AppSpecDeploymentType.IN_PLACE_WITH_LOAD_BALANCER;
    this.files = [...(props.files ?? [])];
    this.permissions = [...(props.permissions ?? [])];
    this.fileExistsBehavior = props.fileExistsBehavior;

    const problems: string[] = [];
    if (!Object.values(AppSpecOperatingSystem).includes(this.os)) problems.push(`unknown operating system "${this.os}"`);
    if (!Object.values(AppSpecDeploymentType).includes(this.deploymentType)) problems.push(`unknown deployment type "${this.deploymentType}"`);
    this.files.forEach((f, i) => {
      if (!f.source) problems.push(`files[${i}] needs a source`);
      if (!f.destination) problems.push(`files[${i}] needs a destination`);
    });
    if (this.os === AppSpecOperatingSystem.WINDOWS && this.permissions.length > 0) {
      problems.push('permissions are only applied on Linux instances: CodeDeploy refuses a permissions section for Windows Server');
    }
    this.permissions.forEach((p, i) => {
      if (!p.path) problems.push(`permissions[${i}] needs a path`);
      if (p.mode !== undefined && !/^[0-7]{3,4}$/.test(p.mode)) problems.push(`permissions[${i}].mode must be three or four octal digits, got "${p.mode}"`);
    });
    for (const hook of props.hooks ?? []) {
      problems.push(...this.checkHook(hook.hook, hook.scripts));
      this.store(hook.hook, hook.scripts ?? []);
    }
    throwIfProblems(problems);
  }

  /**
   * Adds scripts to a lifecycle hook (after any it already has). Throws if CodeDeploy would refuse
   * them for this deployment type.
   */
  public addHook(hook: DeploymentHook, ...scripts: AppSpecScript[]): AppSpec {
    throwIfProblems(this.checkHook(hook, scripts));
    this.store(hook, scripts);
    return this;
  }

  /** The hooks that have scripts, in the order CodeDeploy runs them. */
  public get hookNames(): string[] {
    return hookOrder(this.deploymentType).filter((h) => this.hooks.has(h));
  }

  /** The text of `appspec.yml`. */
  public toYaml(): string {
    const lines: string[] = ['version: 0.0', `os: ${this.os}`];
    if (this.files.length > 0) {
      lines.push('files:');
      for (const f of this.files) {
        lines.push(`  - source: ${scalar(f.source)}`, `    destination: ${scalar(f.destination)}`);
      }
    }
    if (this.fileExistsBehavior) lines.push(`file_exists_behavior: ${this.fileExistsBehavior}`);
    if (this.permissions.length > 0) {
      lines.push('permissions:');
      for (const p of this.permissions) {
        lines.push(`  - object: ${scalar(p.path)}`);
        if (p.pattern !== undefined) lines.push(`    pattern: ${scalar(p.pattern)}`);
        if (p.exclude && p.exclude.length > 0) lines.push(`    except: [${p.exclude.map(scalar).join(', ')}]`);
        if (p.owner !== undefined) lines.push(`    owner: ${scalar(p.owner)}`);
        if (p.group !== undefined) lines.push(`    group: ${scalar(p.group)}`);
        if (p.mode !== undefined) lines.push(`    mode: ${p.mode}`);
        if (p.appliesTo && p.appliesTo.length > 0) {
          lines.push('    type:');
          for (const t of p.appliesTo) lines.push(`      - ${t}`);
        }
      }
    }
    const names = this.hookNames;
    if (names.length > 0) {
      lines.push('hooks:');
      for (const name of names) {
        if (this.deploymentType === AppSpecDeploymentType.BLUE_GREEN) {
          lines.push(`  # runs on the ${BLOCK_HOOKS.includes(name as DeploymentHook) ? 'original (blue)' : 'replacement (green)'} instances`);
        }
        lines.push(`  ${name}:`);
        for (const s of this.hooks.get(name as DeploymentHook)!) {
          lines.push(`    - location: ${scalar(s.location)}`);
          // A script alone in its hook gets the default written out; next to other scripts it is
          // left to CodeDeploy, so the timeouts written for one event never add up past its limit.
          const scripts = this.hooks.get(name as DeploymentHook)!;
          if (s.timeout) lines.push(`      timeout: ${s.timeout.toSeconds()}`);
          else if (scripts.length === 1) lines.push(`      timeout: ${MAX_SCRIPT_TIMEOUT_SECONDS}`);
          if (s.runas !== undefined) lines.push(`      runas: ${scalar(s.runas)}`);
        }
      }
    }
    return lines.join('\n') + '\n';
  }

  /**
   * A shell command that writes `appspec.yml` (or `fileName`) into the current directory, for a
   * build's commands: the text travels base64-encoded, so no quoting can break it.
   *
   * @param fileName the file to write
   * @default 'appspec.yml'
   */
  public toShellCommand(fileName: string = 'appspec.yml'): string {
    const encoded = Buffer.from(this.toYaml(), 'utf8').toString('base64');
    return `echo ${encoded} | base64 -d > ${fileName}`;
  }

  private checkHook(hook: DeploymentHook, scripts: AppSpecScript[]): string[] {
    const problems: string[] = [];
    const name = String(hook);
    if (RESERVED_EVENTS.includes(name)) {
      problems.push(`${name} is reserved for CodeDeploy: no script can run in it`);
      return problems;
    }
    if (!Object.values(DeploymentHook).includes(hook)) {
      problems.push(`unknown hook "${name}": CodeDeploy knows ${Object.values(DeploymentHook).join(', ')}`);
      return problems;
    }
    if (!hookOrder(this.deploymentType).includes(hook)) {
      problems.push(`${name} does not run in an in-place deployment without a load balancer: traffic hooks need a load balancer (use IN_PLACE_WITH_LOAD_BALANCER or BLUE_GREEN)`);
    }
    if (!scripts || scripts.length === 0) problems.push(`${name} needs at least one script`);
    (scripts ?? []).forEach((s, i) => {
      if (!s.location) problems.push(`${name} script ${i} needs a location`);
      if (s.timeout !== undefined) {
        const seconds = s.timeout.toSeconds();
        if (seconds < 1 || seconds > MAX_SCRIPT_TIMEOUT_SECONDS) {
          problems.push(`${name} script ${s.location} has a timeout of ${seconds} s: CodeDeploy allows 1 to ${MAX_SCRIPT_TIMEOUT_SECONDS} s per script`);
        }
      }
      if (s.runas !== undefined && this.os === AppSpecOperatingSystem.WINDOWS) {
        problems.push(`${name} script ${s.location} sets runas: CodeDeploy supports runas only on Linux instances`);
      }
    });
    const total = [...(this.hooks.get(hook) ?? []), ...(scripts ?? [])]
      .reduce((sum, s) => sum + (s.timeout ? s.timeout.toSeconds() : 0), 0);
    if (total > MAX_SCRIPT_TIMEOUT_SECONDS) {
      problems.push(`${name} scripts have timeouts that add up to ${total} s: CodeDeploy allows ${MAX_SCRIPT_TIMEOUT_SECONDS} s for all the scripts of one lifecycle event`);
    }
    return problems;
  }

  private store(hook: DeploymentHook, scripts: AppSpecScript[]): void {
    this.hooks.set(hook, [...(this.hooks.get(hook) ?? []), ...scripts]);
  }
}

function throwIfProblems(problems: string[]): void {
  if (problems.length > 0) throw new ConstructPropsError('AppSpec', 'AppSpec', problems);
}

/** A YAML scalar: plain when safe, otherwise double-quoted (JSON strings are valid YAML). */
function scalar(value: string): string {
  const plain = /^[A-Za-z0-9_/.][A-Za-z0-9_/.\-*]*$/.test(value)
    && !/^(true|false|yes|no|on|off|null|~|[-+]?[0-9.]+)$/i.test(value);
  return plain ? value : JSON.stringify(value);
}
