/**
 * IAC-2 OrganizationStackSet: one CDK stack, deployed to every account of the chosen OUs in
 * every chosen region, now and as accounts join, through a service-managed StackSet.
 *
 * The StackSet (`AWS::CloudFormation::StackSet`, permission model `SERVICE_MANAGED`) is created
 * in the management account or, with `callAs: DELEGATED_ADMIN`, in a delegated administrator
 * account for StackSets; CloudFormation then creates the stack instances in the member accounts
 * with the roles Organizations trusted access gives it. Its template comes from a CDK stack
 * defined in an app or Stage of its own ({@link StackSetTemplate.fromStack}) and goes inline
 * into `TemplateBody`, because the stack instances run in member accounts that have no CDK
 * bootstrap bucket to read assets or a template from; CloudFormation limits an inline template to
 * 51,200 bytes. Auto-deployment gives accounts that join a target OU their stack instances (and
 * removes them from accounts that leave); failure tolerance, maximum concurrency and region
 * order decide how an operation rolls out; managed execution queues operations instead of
 * refusing one while another runs. The same template creates its resources in every account and
 * region, so a fixed name of a resource whose names are global (S3 buckets across all accounts,
 * IAM roles, policies, users, groups and instance profiles across the regions of an account)
 * collides on the second stack instance: the construct refuses such names unless they embed
 * both `${AWS::AccountId}` and `${AWS::Region}`.
 */
import { CfnElement, Names, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import { Construct } from 'constructs';
import { PropsCheck } from '../core/validation';
import { StackSetTemplate } from './stack-set-template';

/**
 * The most bytes a StackSet's inline `TemplateBody` may have.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html (TemplateBody: 1-51,200 bytes)
 */
export const STACKSET_TEMPLATE_BODY_MAX_BYTES = 51200;

/**
 * Resource properties that name a resource whose names are unique beyond one region of one
 * account: S3 bucket names across every account of the partition, IAM names across the regions
 * of an account.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
 */
export const GLOBAL_NAME_PROPERTIES: { [resourceType: string]: string } = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
};

/** Who creates the StackSet. */
export enum StackSetCallAs {
  /** The organization's management account. */
  SELF = 'SELF',
  /** A member account registered as delegated administrator for CloudFormation StackSets. */
  DELEGATED_ADMIN = 'DELEGATED_ADMIN',
}

/** How an operation proceeds across regions. */
export enum RegionConcurrency {
  /** In every region at once. */
  PARALLEL = 'PARALLEL',
  /** One region after the other, in the order of `regions`. */
  SEQUENTIAL = 'SEQUENTIAL',
}

/**
 * How failure tolerance limits concurrency.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html
 */
export enum StackSetConcurrencyMode {
  /** At most failure tolerance + 1 accounts at a time, fewer as accounts fail (CloudFormation's default). */
  STRICT_FAILURE_TOLERANCE = 'STRICT_FAILURE_TOLERANCE',
  /** The maximum concurrency, whatever the failures. */
  SOFT_FAILURE_TOLERANCE = 'SOFT_FAILURE_TOLERANCE',
}

/** What the template is allowed to create, acknowledged for CloudFormation. */
export enum StackSetCapability {
  /** IAM resources with generated names. */
  IAM = 'CAPABILITY_IAM',
  /** IAM resources with names of the template's. */
  NAMED_IAM = 'CAPABILITY_NAMED_IAM',
  /** Macros and transforms. */
  AUTO_EXPAND = 'CAPABILITY_AUTO_EXPAND',
}

/** Props for {@link OrganizationStackSet}. */
export interface OrganizationStackSetProps {
  /** What every stack instance deploys. */
  readonly template: StackSetTemplate;

  /**
   * The OUs (`ou-...`) or the root (`r-...`) whose accounts get stack instances. May be empty
   * only with `autoDeployment: false`, for a StackSet whose instances are created otherwise (IAC-7
   * `AccountBaseline` creates them per account from Control Tower lifecycle events).
   */
  readonly organizationalUnitIds: string[];

  /** The regions each account gets a stack instance in; with SEQUENTIAL, in this order. */
  readonly regions: string[];

  /**
   * The StackSet's name (letters, digits and hyphens, starting with a letter, at most 128).
   * @default - generated from the construct path
   */
  readonly stackSetName?: string;

  /**
   * What the StackSet is for.
   * @default - none
   */
  readonly description?: string;

  /**
   * Accounts that join a target OU get stack instances, and accounts that leave lose them.
   * @default true
   */
  readonly autoDeployment?: boolean;

  /**
   * Keep the stacks (not just forget them) in accounts that leave a target OU. Only with
   * auto-deployment.
   * @default false
   */
  readonly retainStacksOnAccountRemoval?: boolean;

  /**
   * Managed execution: CloudFormation queues an operation while another runs, and runs
   * non-conflicting ones at the same time, instead of refusing them.
   * @default true
   */
  readonly managedExecution?: boolean;

  /**
   * Who creates the StackSet: the management account (SELF) or a delegated administrator
   * (DELEGATED_ADMIN; the stack must deploy to that account, registered for
   * `member.org.stacksets.cloudformation.amazonaws.com`).
   * @default StackSetCallAs.SELF
   */
  readonly callAs?: StackSetCallAs;

  /**
   * The percentage of accounts per region (0-100) whose stack operation may fail before
   * CloudFormation stops the operation in that region. Not with `failureToleranceCount`.
   * @default 10, unless failureToleranceCount is set
   */
  readonly failureTolerancePercentage?: number;

  /**
   * The number of accounts per region whose stack operation may fail before CloudFormation stops
   * the operation in that region. Not with `failureTolerancePercentage`.
   * @default - failureTolerancePercentage applies
   */
  readonly failureToleranceCount?: number;

  /**
   * The percentage of accounts (1-100) the operation runs in at a time, per region. Not with
   * `maxConcurrentCount`. In STRICT_FAILURE_TOLERANCE mode the concurrency is also at most the
   * failure tolerance + 1.
   * @default 25, unless maxConcurrentCount is set
   */
  readonly maxConcurrentPercentage?: number;

  /**
   * The number of accounts the operation runs in at a time, per region (at least 1). Not with
   * `maxConcurrentPercentage`.
   * @default - maxConcurrentPercentage applies
   */
  readonly maxConcurrentCount?: number;

  /**
   * Whether the regions are deployed at once or one after the other.
   * @default RegionConcurrency.PARALLEL
   */
  readonly regionConcurrency?: RegionConcurrency;

  /**
   * How failure tolerance limits concurrency.
   * @default - CloudFormation's default, STRICT_FAILURE_TOLERANCE
   */
  readonly concurrencyMode?: StackSetConcurrencyMode;

  /**
   * What the template is allowed to create.
   * @default - what the template needs: IAM for IAM resources, NAMED_IAM for IAM names,
   * AUTO_EXPAND for transforms
   */
  readonly capabilities?: StackSetCapability[];

  /**
   * Values for the template's parameters, the same in every stack instance. Every parameter
   * without a default needs one.
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
}

/**
 * IAC-2: a service-managed StackSet with auto-deployment to OUs, built from a CDK stack.
 *
 * ```ts
 * const memberApp = new App();
 * const member = new Stack(memberApp, 'Member', { synthesizer: new BootstraplessSynthesizer() });
 * // ... the member account's resources
 * new OrganizationStackSet(adminStack, 'Baseline', {
 *   template: StackSetTemplate.fromStack(member),
 *   organizationalUnitIds: ['ou-a1b2-c3d4e5f6'],
 *   regions: ['eu-west-1', 'eu-central-1'],
 *   callAs: StackSetCallAs.DELEGATED_ADMIN,
 * });
 * ```
 */
export class OrganizationStackSet extends Construct {
  /** The StackSet. */
  public readonly stackSet: cloudformation.CfnStackSet;
  /** The StackSet's name. */
  public readonly stackSetName: string;
  /** The template deployed to every stack instance (as rendered into `TemplateBody`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any CloudFormation template, as JSON
  public readonly template: { [key: string]: any };

  constructor(scope: Construct, id: string, props: OrganizationStackSetProps) {
    super(scope, id);
    const autoDeployment = props.autoDeployment ?? true;
    const regionConcurrency = props.regionConcurrency ?? RegionConcurrency.PARALLEL;

    const check = new PropsCheck(this, 'OrganizationStackSet');
    const ous = props.organizationalUnitIds;
    check.require(ous.length > 0 || !autoDeployment,
      'organizationalUnitIds is empty: a service-managed StackSet deploys to OUs (or the root), and auto-deployment follows them');
    ous.forEach((ou, i) => check.organizationTarget(`organizationalUnitIds[${i}]`, ou));
    check.require(new Set(ous).size === ous.length, 'organizationalUnitIds lists an OU more than once');
    check.require(props.regions.length > 0, 'regions is empty: the StackSet would deploy nowhere');
    props.regions.forEach((region, i) => check.matches(`regions[${i}]`, region, /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/, 'a region name such as eu-west-1'));
    const duplicates = props.regions.filter((r, i) => !Token.isUnresolved(r) && props.regions.indexOf(r) !== i);
    check.require(duplicates.length === 0, `regions lists ${[...new Set(duplicates)].join(', ')} more than once`);
    if (props.stackSetName !== undefined) {
      check.matches('stackSetName', props.stackSetName, /^[a-zA-Z][a-zA-Z0-9-]{0,127}$/, 'a name of letters, digits and hyphens that starts with a letter (at most 128)');
    }
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html
    check.require(props.failureTolerancePercentage === undefined || props.failureToleranceCount === undefined,
      'set failureTolerancePercentage or failureToleranceCount, not both');
    check.require(props.maxConcurrentPercentage === undefined || props.maxConcurrentCount === undefined,
      'set maxConcurrentPercentage or maxConcurrentCount, not both');
    wholeInRange(check, 'failureTolerancePercentage', props.failureTolerancePercentage, 0, 100);
    wholeInRange(check, 'failureToleranceCount', props.failureToleranceCount, 0, Number.MAX_SAFE_INTEGER);
    wholeInRange(check, 'maxConcurrentPercentage', props.maxConcurrentPercentage, 1, 100);
    wholeInRange(check, 'maxConcurrentCount', props.maxConcurrentCount, 1, Number.MAX_SAFE_INTEGER);
    check.require(autoDeployment || props.retainStacksOnAccountRemoval === undefined,
      'retainStacksOnAccountRemoval is about auto-deployment, which is off');

    const rendered = props.template._render(this);
    rendered.problems.forEach((p) => check.add(p));
    const template = rendered.template ?? {};
    const body = JSON.stringify(template);
    if (rendered.template !== undefined) {
      if (!Token.isUnresolved(body)) {
        const bytes = Buffer.byteLength(body, 'utf8');
        check.require(bytes <= STACKSET_TEMPLATE_BODY_MAX_BYTES,
          `the template is ${bytes} bytes, over the ${STACKSET_TEMPLATE_BODY_MAX_BYTES}-byte TemplateBody limit of CloudFormation (it must be inline: the stack instances cannot read CDK assets or templates from a bucket of theirs): split it into several StackSets`);
      }
      globalNameProblems(template, constructPaths(props.template)).forEach((p) => check.add(p));
      parameterProblems(template, props.parameters ?? {}).forEach((p) => check.add(p));
      if (props.capabilities !== undefined) {
        for (const needed of neededCapabilities(template)) {
          check.require(props.capabilities.includes(needed), `capabilities lacks ${needed}, which the template needs`);
        }
      }
    }
    check.throwIfAny();
    this.template = template;
    this.node.addValidation({ validate: () => props.template._changedSinceRendered() });

    const failureTolerance = props.failureToleranceCount !== undefined
      ? { failureToleranceCount: props.failureToleranceCount }
      : { failureTolerancePercentage: props.failureTolerancePercentage ?? 10 };
    const maxConcurrent = props.maxConcurrentCount !== undefined
      ? { maxConcurrentCount: props.maxConcurrentCount }
      : { maxConcurrentPercentage: props.maxConcurrentPercentage ?? 25 };

    const capabilities = props.capabilities ?? neededCapabilities(template);
    this.stackSetName = props.stackSetName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    // 'Default' keeps the logical id of a CfnStackSet created with this construct's id (IAC-7 and SEC-2 had one).
    this.stackSet = new cloudformation.CfnStackSet(this, 'Default', {
      stackSetName: this.stackSetName,
      description: props.description,
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: autoDeployment
        ? { enabled: true, retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? false }
        : { enabled: false },
      callAs: props.callAs ?? StackSetCallAs.SELF,
      capabilities: capabilities.length > 0 ? capabilities : undefined,
      managedExecution: { Active: props.managedExecution ?? true },
      operationPreferences: {
        ...failureTolerance,
        ...maxConcurrent,
        regionConcurrencyType: regionConcurrency,
        regionOrder: regionConcurrency === RegionConcurrency.SEQUENTIAL ? props.regions : undefined,
        concurrencyMode: props.concurrencyMode,
      },
      parameters: props.parameters === undefined ? undefined
        : Object.entries(props.parameters).map(([parameterKey, parameterValue]) => ({ parameterKey, parameterValue })),
      templateBody: body,
      stackInstancesGroup: ous.length > 0 ? [{ deploymentTargets: { organizationalUnitIds: ous }, regions: props.regions }] : undefined,
    });
  }
}

function wholeInRange(check: PropsCheck, name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  check.require(Number.isSafeInteger(value) && value >= min && value <= max,
    max === Number.MAX_SAFE_INTEGER ? `${name} must be a whole number of at least ${min}, got ${value}` : `${name} must be a whole number from ${min} to ${max}, got ${value}`);
}

type Json = { [key: string]: unknown };

function resources(template: Json): Array<[string, Json]> {
  const all = (template.Resources ?? {}) as { [id: string]: Json };
  return Object.entries(all).filter(([, r]) => r !== null && typeof r === 'object');
}

/** The pseudo parameters every value of `value` contains, or 'any' when it has no value (AWS::NoValue) or is unknown (a token). */
function embedded(value: unknown): Set<string> | 'any' {
  if (typeof value === 'string') return Token.isUnresolved(value) ? 'any' : new Set();
  if (Array.isArray(value)) return union(value);
  if (value === null || typeof value !== 'object') return new Set();
  const entries = Object.entries(value as Json);
  if (entries.length !== 1) return new Set();
  const [fn, arg] = entries[0];
  switch (fn) {
    case 'Ref':
      if (arg === 'AWS::NoValue') return 'any';
      // A stack id holds the account and the region (and a unique id).
      if (arg === 'AWS::StackId') return new Set(['AWS::AccountId', 'AWS::Region']);
      return new Set(typeof arg === 'string' && arg.startsWith('AWS::') ? [arg] : []);
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(arg) ? [arg[0], (arg[1] ?? {}) as Json] : [arg, {} as Json];
      if (typeof text !== 'string') return new Set();
      const found = new Set<string>();
      for (const match of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const name = match[1].trim();
        if (name in variables) {
          const e = embedded(variables[name]);
          if (e === 'any') return 'any';
          e.forEach((p) => found.add(p));
        } else if (name === 'AWS::StackId') {
          found.add('AWS::AccountId').add('AWS::Region');
        } else if (name.startsWith('AWS::')) {
          found.add(name);
        }
      }
      return found;
    }
    case 'Fn::If': {
      if (!Array.isArray(arg)) return new Set();
      const [a, b] = [embedded(arg[1]), embedded(arg[2])];
      if (a === 'any') return b;
      if (b === 'any') return a;
      return new Set([...a].filter((p) => b.has(p)));
    }
    default:
      return union([arg]);
  }
}

/** The pseudo parameters some value of `parts` contains, or 'any' when one of them is unknown. */
function union(parts: unknown[]): Set<string> | 'any' {
  const found = new Set<string>();
  for (const part of parts) {
    const e = embedded(part);
    if (e === 'any') return 'any';
    e.forEach((p) => found.add(p));
  }
  return found;
}

/** Fixed names of globally named resources, which collide between the stack instances. */
function globalNameProblems(template: Json, paths: { [logicalId: string]: string }): string[] {
  const problems: string[] = [];
  for (const [logicalId, resource] of resources(template)) {
    const property = GLOBAL_NAME_PROPERTIES[resource.Type as string];
    const value = property ? ((resource.Properties ?? {}) as Json)[property] : undefined;
    if (value === undefined) continue;
    const found = embedded(value);
    if (found === 'any') continue;
    const missing = ['AWS::AccountId', 'AWS::Region'].filter((p) => !found.has(p));
    if (missing.length === 0) continue;
    const path = paths[logicalId] ?? (resource.Metadata as Json | undefined)?.['aws:cdk:path'];
    const shown = typeof value === 'string' ? `the fixed ${property} "${value}"` : `a ${property} without ${missing.map((p) => `\${${p}}`).join(' and ')}`;
    problems.push(`${resource.Type} ${logicalId}${path ? ` (${path})` : ''} has ${shown}: the StackSet creates it in every account and region it deploys to, where the name must be unique (S3 across all accounts, IAM across the regions of an account); embed \${AWS::AccountId} and \${AWS::Region} (Aws.ACCOUNT_ID, Aws.REGION) or leave the name out`);
  }
  return problems;
}

/** The construct path of each resource of a template synthesized from a stack, by logical id. */
function constructPaths(template: StackSetTemplate): { [logicalId: string]: string } {
  const stack = template.stack;
  if (stack === undefined) return {};
  return Object.fromEntries(stack.node.findAll().filter(CfnElement.isCfnElement)
    .map((e) => [stack.resolve((e as CfnElement).logicalId) as string, e.node.path]));
}

/** Parameters without a value, and values for parameters the template does not declare. */
function parameterProblems(template: Json, values: { [name: string]: string }): string[] {
  const declared = (template.Parameters ?? {}) as { [name: string]: Json };
  const problems: string[] = [];
  for (const [name, parameter] of Object.entries(declared)) {
    if (parameter?.Default === undefined && !(name in values)) problems.push(`the template's parameter ${name} has no default: give it a value in parameters`);
  }
  for (const name of Object.keys(values)) {
    if (!(name in declared)) problems.push(`parameters sets ${name}, which the template does not declare`);
  }
  return problems;
}

/** The capabilities CloudFormation asks for to deploy `template`. */
function neededCapabilities(template: Json): StackSetCapability[] {
  const iam = resources(template).filter(([, r]) => typeof r.Type === 'string' && r.Type.startsWith('AWS::IAM::'));
  const named = iam.some(([, r]) => {
    const property = GLOBAL_NAME_PROPERTIES[r.Type as string];
    return property !== undefined && ((r.Properties ?? {}) as Json)[property] !== undefined;
  });
  return [
    ...(iam.length > 0 ? [StackSetCapability.IAM] : []),
    ...(named ? [StackSetCapability.NAMED_IAM] : []),
    ...(template.Transform !== undefined ? [StackSetCapability.AUTO_EXPAND] : []),
  ];
}
