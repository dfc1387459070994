/**
 * Reads the stacks of a local cloud assembly (`cdk.out`): where each one goes, its synthesized
 * template, and the bootstrap version it needs. Only `manifest.json` and the files it names are
 * read; nothing is synthesized.
 */
import * as fs from 'fs';
import * as path from 'path';
import { VerifyError } from './errors';

/** One stack of the cloud assembly, as `cdk deploy` would deploy it. */
export interface AssemblyStack {
  /** The artifact id: what `cdk deploy <id>` takes. */
  readonly id: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  /** The target account, or undefined for an environment-agnostic stack. */
  readonly account?: string;
  /** The target region, or undefined for an environment-agnostic stack. */
  readonly region?: string;
  /** The synthesized template. */
  readonly template: unknown;
  /** The lowest bootstrap stack version the stack and its assets need (0: no bootstrap needed). */
  readonly requiredBootstrapVersion: number;
  /** The bootstrap qualifier (from the bootstrap version SSM parameter name), if any. */
  readonly bootstrapQualifier?: string;
}

interface ManifestArtifact {
  readonly type?: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly dependencies?: string[];
  readonly properties?: {
    readonly templateFile?: string;
    readonly stackName?: string;
    readonly directoryName?: string;
    readonly requiresBootstrapStackVersion?: number;
    readonly bootstrapStackVersionSsmParameter?: string;
  };
}

interface Manifest {
  readonly artifacts?: Record<string, ManifestArtifact>;
}

const ENVIRONMENT = /^aws:\/\/([^/]+)\/(.+)$/;
const QUALIFIER = /^\/cdk-bootstrap\/([^/]+)\/version$/;

/**
 * Every stack of the cloud assembly in `dir`, in the manifest's order (dependencies first),
 * including the stacks of nested assemblies (stages).
 */
export function readAssembly(dir: string): AssemblyStack[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new VerifyError('assembly',
      `no cloud assembly in ${dir}`,
      'run `npx cdk synth` (with the same -c options you deploy with) first, or pass --app <dir>');
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  } catch (e) {
    throw new VerifyError('assembly', `cannot read ${manifestFile}: ${(e as Error).message}`,
      'run `npx cdk synth` again');
  }
  const artifacts = manifest.artifacts ?? {};
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(artifacts)) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readAssembly(path.join(dir, artifact.properties.directoryName)));
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const props = artifact.properties ?? {};
    if (!props.templateFile) {
      throw new VerifyError('assembly', `stack ${id} in ${manifestFile} has no templateFile`, 'run `npx cdk synth` again');
    }
    const templateFile = path.join(dir, props.templateFile);
    let template: unknown;
    try {
      template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
    } catch (e) {
      throw new VerifyError('assembly', `cannot read the template of ${id}: ${(e as Error).message}`,
        'run `npx cdk synth` again');
    }
    const env = ENVIRONMENT.exec(artifact.environment ?? '');
    const account = env && env[1] !== 'unknown-account' ? env[1] : undefined;
    const region = env && env[2] !== 'unknown-region' ? env[2] : undefined;

    // The stack and its asset manifests each say which bootstrap version they need.
    let required = props.requiresBootstrapStackVersion ?? 0;
    let parameter = props.bootstrapStackVersionSsmParameter;
    for (const dep of artifact.dependencies ?? []) {
      const depArtifact = artifacts[dep];
      if (depArtifact?.type !== 'cdk:asset-manifest') continue;
      required = Math.max(required, depArtifact.properties?.requiresBootstrapStackVersion ?? 0);
      parameter = parameter ?? depArtifact.properties?.bootstrapStackVersionSsmParameter;
    }
    const qualifier = parameter ? QUALIFIER.exec(parameter)?.[1] : undefined;
    stacks.push({
      id: artifact.displayName ?? id,
      stackName: props.stackName ?? id,
      account,
      region,
      template,
      requiredBootstrapVersion: required,
      bootstrapQualifier: qualifier,
    });
  }
  return stacks;
}

/**
 * The stacks named by `patterns` (artifact id, display name or stack name; `*` matches any
 * characters), in assembly order; every stack when `patterns` is empty. Throws naming the
 * patterns that match nothing, and the stacks there are.
 */
export function selectStacks(stacks: AssemblyStack[], patterns: string[]): AssemblyStack[] {
  if (patterns.length === 0) return stacks;
  const regexes = patterns.map((p) => ({
    pattern: p,
    regex: new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`),
  }));
  const unmatched = regexes.filter(({ regex }) => !stacks.some((s) => regex.test(s.id) || regex.test(s.stackName)));
  if (unmatched.length > 0) {
    throw new VerifyError('usage',
      `no stack matches ${unmatched.map((u) => `"${u.pattern}"`).join(', ')} in the cloud assembly`,
      `the stacks are: ${stacks.map((s) => s.id).join(', ') || '(none)'}`);
  }
  return stacks.filter((s) => regexes.some(({ regex }) => regex.test(s.id) || regex.test(s.stackName)));
}
