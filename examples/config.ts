import { App, Environment } from 'aws-cdk-lib';
import { Sandbox } from '../lib';
import { ConstructPropsError } from '../lib/errors';

/**
 * The example app's settings, read from cdk.json context (override with `-c key=value` or in
 * `cdk.context.json`). The defaults are placeholders, so `cdk synth` needs no credentials.
 */
export interface ExampleConfig {
  /** The organization's management account. */
  readonly managementAccount: string;
  /** The delegated security administrator account. */
  readonly securityAccount: string;
  /** The log archive account. */
  readonly logArchiveAccount: string;
  /** The account that runs workloads. */
  readonly workloadAccount: string;
  /** The region the examples run in. */
  readonly primaryRegion: string;
  /** The second region, for replicas and failover. */
  readonly secondaryRegion: string;
  /** The organization's id (`o-...`). */
  readonly organizationId: string;
  /** The organization's root id (`r-...`). */
  readonly organizationRootId: string;
  /** The OU that holds the workload (member) accounts (`ou-...`). */
  readonly workloadOuId: string;
  /** Whether every example stack is fully destroyable. */
  readonly sandbox: boolean;
  /**
   * Whether the organization runs Control Tower (context `controlTower`, true unless false): SEC-2
   * then reuses Control Tower's Config recorders instead of deploying its own.
   */
  readonly controlTower: boolean;
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** Reads and checks the example app's context. */
export function exampleConfig(app: App): ExampleConfig {
  const text = (key: string): string => {
    const value: unknown = app.node.tryGetContext(key);
    if (typeof value !== 'string' || value.length === 0) {
      throw new ConstructPropsError('App', 'example app context', [`context "${key}" is missing: set it in cdk.json or with -c ${key}=...`]);
    }
    return value;
  };
  const config: ExampleConfig = {
    managementAccount: text('managementAccount'),
    securityAccount: text('securityAccount'),
    logArchiveAccount: text('logArchiveAccount'),
    workloadAccount: text('workloadAccount'),
    primaryRegion: text('primaryRegion'),
    secondaryRegion: text('secondaryRegion'),
    organizationId: text('organizationId'),
    organizationRootId: text('organizationRootId'),
    workloadOuId: text('workloadOuId'),
    sandbox: Sandbox.isEnabled(app),
    controlTower: flag(app, 'controlTower', true),
  };
  const problems: string[] = [];
  for (const key of ['managementAccount', 'securityAccount', 'logArchiveAccount', 'workloadAccount'] as const) {
    if (!ACCOUNT.test(config[key])) problems.push(`${key} must be a 12-digit account id, got "${config[key]}"`);
  }
  for (const key of ['primaryRegion', 'secondaryRegion'] as const) {
    if (!REGION.test(config[key])) problems.push(`${key} must be a region name such as eu-west-1, got "${config[key]}"`);
  }
  if (!/^o-[a-z0-9]{10,32}$/.test(config.organizationId)) problems.push(`organizationId must look like o-a1b2c3d4e5, got "${config.organizationId}"`);
  if (!/^r-[0-9a-z]{4,32}$/.test(config.organizationRootId)) problems.push(`organizationRootId must look like r-ab12, got "${config.organizationRootId}"`);
  if (!/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(config.workloadOuId)) problems.push(`workloadOuId must look like ou-a1b2-c3d4e5f6, got "${config.workloadOuId}"`);
  if (config.primaryRegion === config.secondaryRegion) problems.push(`secondaryRegion must differ from primaryRegion (replicas and failover need a second region), both are "${config.primaryRegion}"`);
  if (problems.length > 0) throw new ConstructPropsError('App', 'example app context', problems);
  return config;
}

/** A true/false context value: `true`/`"true"`, `false`/`"false"`, or the default when unset. */
function flag(app: App, key: string, byDefault: boolean): boolean {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return byDefault;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConstructPropsError('App', 'example app context', [`the "${key}" context value must be true or false, got ${JSON.stringify(value)}`]);
}

/** The environment of `account` in the primary or secondary region. */
export function env(account: string, region: string): Environment {
  return { account, region };
}
