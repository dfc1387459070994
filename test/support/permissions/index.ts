/* eslint-disable @typescript-eslint/no-explicit-any -- CloudFormation templates are untyped JSON; the check walks them as such. */
/**
 * The permission test: every service-to-service edge of a cloud assembly, evaluated with a real
 * IAM policy evaluator (`@cloud-copilot/iam-simulate`) against the policies the templates hold,
 * with every intrinsic resolved to the ARNs the example accounts and regions would have.
 *
 * Same-account requests are allowed by the identity policy or the resource policy; cross-account
 * requests need both; KMS needs the key policy in every case (directly, or by delegating to the
 * account, and then an identity policy too). The evaluator implements those rules; this module
 * only assembles each request and its policies, and explains a denial: which ends, which policy,
 * and the statement that would allow it.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Edge, EdgeRequest, findEdges, OrganizationContext, StructuralProblem } from './edges';
import { checkLimits, LimitProblem } from './limits';
import { DeployedAssembly } from './model';
import { LocatedPolicy, parseArn, PolicyDocument, PolicyIndex } from './policies';

export { DeployedAssembly } from './model';
export type { Edge, EdgeRequest, OrganizationContext } from './edges';

/** Options of {@link checkPermissions}. */
export interface PermissionCheckOptions {
  /** The organization the assembly's accounts belong to (aws:PrincipalOrgID, organization trails). */
  readonly organization?: OrganizationContext;
  /**
   * Only edges that start in these stacks (and in StackSet instances they deploy), and only their
   * limits. Policies are still looked up across the whole assembly.
   * @default every stack
   */
  readonly stackNames?: string[];
}

/** One denied request of one edge. */
export interface PermissionFailure {
  readonly edge: Edge;
  readonly request: EdgeRequest;
  readonly message: string;
}

/**
 * Why one request is denied by the policies of `assembly`, or undefined when it is allowed: for
 * tests that prove a policy refuses what it must (another account's prefix, a listing).
 */
export async function explainDenial(assembly: DeployedAssembly, request: EdgeRequest, options: PermissionCheckOptions = {}): Promise<string | undefined> {
  return new Evaluator(assembly, new PolicyIndex(assembly), options.organization).explainDenial(request);
}

/** What the check found. */
export interface PermissionReport {
  /** The deployed view the check evaluated. */
  readonly assembly: DeployedAssembly;
  /** Every edge found. */
  readonly edges: Edge[];
  /** How many requests were evaluated. */
  readonly requestCount: number;
  /** Edges per kind. */
  readonly edgeKinds: Record<string, number>;
  /** Denied requests. */
  readonly failures: PermissionFailure[];
  /** Facts a service needs that no policy can grant (SSE-S3 log targets, ...). */
  readonly structural: StructuralProblem[];
  /** Names, sizes and values past a service's limits. */
  readonly limits: LimitProblem[];
  /** Places the check saw a service edge it does not know how to evaluate. */
  readonly uncovered: string[];
  /** Everything above as one message, or undefined when all is well. */
  readonly problems?: string;
}

/** Runs the permission and limits check over a synthesized assembly. */
export async function checkPermissions(assembly: cxapi.CloudAssembly | DeployedAssembly, options: PermissionCheckOptions = {}): Promise<PermissionReport> {
  const deployed = assembly instanceof DeployedAssembly ? assembly : DeployedAssembly.fromAssembly(assembly, { memberAccount: options.organization?.memberAccount });
  const policies = new PolicyIndex(deployed);
  const found = findEdges(deployed, policies, options.organization);
  const inScope = (stackName: string) => !options.stackNames || options.stackNames.some((n) => stackName === n || stackName.startsWith(`${n}.`));
  const edges = found.edges.filter((e) => inScope(e.from.stack.stackName));
  const structural = found.structural.filter((p) => inScope(p.from.stack.stackName));
  const uncovered = found.uncovered.filter((u) => inScope(u.split('/')[0]));
  const evaluator = new Evaluator(deployed, policies, options.organization);
  const failures: PermissionFailure[] = [];
  let requestCount = 0;
  for (const edge of edges) {
    for (const request of edge.requests) {
      requestCount += 1;
      const denial = await evaluator.explainDenial(request);
      if (denial) failures.push({ edge, request, message: `${edge.kind}: ${edge.from.label} -> ${edge.to}: ${denial}` });
    }
  }
  const limits = checkLimits(deployed).filter((l) => inScope(l.resource.stack.stackName));
  const edgeKinds: Record<string, number> = {};
  for (const edge of edges) edgeKinds[edge.kind] = (edgeKinds[edge.kind] ?? 0) + 1;
  const lines = [
    ...failures.map((f) => f.message),
    ...structural.map((s) => `${s.kind}: ${s.from.label}: ${s.message}`),
    ...limits.map((l) => `limit: ${l.resource.label}: ${l.message}`),
    ...uncovered.map((u) => `not covered by the permission check: ${u}`),
  ];
  return {
    assembly: deployed, edges, requestCount, edgeKinds, failures, structural, limits, uncovered,
    problems: lines.length > 0 ? `${lines.length} permission problem(s):\n  - ${lines.join('\n  - ')}` : undefined,
  };
}

/**
 * Synthesizes the app of `scope` and fails with every problem's text if any service edge is
 * denied, any name or size is past its limit, or any edge is of a kind the check cannot
 * evaluate. Given stacks, only the edges that start in them are checked. Returns the report for
 * further assertions.
 */
export async function expectPermissionsHold(scope: App | Stack | Stack[], options: PermissionCheckOptions = {}): Promise<PermissionReport> {
  const stacks = scope instanceof App ? undefined : Array.isArray(scope) ? scope : [scope];
  const app = (scope instanceof App ? scope : stacks![0].node.root) as App;
  const context = app.node.tryGetContext('organizationId') && app.node.tryGetContext('workloadAccount')
    ? organizationFromContext({ organizationId: app.node.tryGetContext('organizationId'), workloadAccount: app.node.tryGetContext('workloadAccount') })
    : undefined;
  const report = await checkPermissions(app.synth(), {
    organization: context, stackNames: stacks?.map((s) => s.stackName), ...options,
  });
  if (report.problems) throw new Error(report.problems);
  return report;
}

const ALLOW_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

class Evaluator {
  private readonly accounts: Set<string>;

  constructor(private readonly assembly: DeployedAssembly, private readonly policies: PolicyIndex, private readonly organization?: OrganizationContext) {
    this.accounts = new Set(assembly.stacks.map((s) => s.account));
  }

  /** Why `request` is denied, or undefined when it is allowed. */
  public async explainDenial(request: EdgeRequest): Promise<string | undefined> {
    const isService = !request.principal.startsWith('arn:');
    const lookup = this.policies.resourcePolicy(request.resource, isService ? undefined : parseArn(request.principal)?.account, request.action);
    if (lookup.kind === 'outside') return `${describe(request)} cannot be evaluated: ${lookup.why}`;
    // An AWS-owned document is used with the caller's identity policy alone, as a resource of
    // the caller's own account would be.
    const resourceAccount = AWS_OWNED_DOCUMENT.test(request.resource) && !isService ? parseArn(request.principal)!.account : lookup.account;
    let resourcePolicy: LocatedPolicy | undefined = lookup.kind === 'policy' ? lookup.policy : undefined;
    if (lookup.kind === 'none' && lookup.resource?.type === 'AWS::SNS::Topic') {
      resourcePolicy = { label: 'SNS default topic policy', document: defaultTopicPolicy(request, resourceAccount) };
    }

    let identity: LocatedPolicy[] = [];
    let unknownManaged: string[] = [];
    const context: Record<string, string | string[]> = { 'aws:SecureTransport': 'true' };
    if (isService) {
      context['aws:PrincipalIsAWSService'] = 'true';
      context['aws:PrincipalServiceName'] = request.principal;
    } else {
      const principalAccount = parseArn(request.principal)!.account;
      context['aws:PrincipalArn'] = request.principal;
      context['aws:PrincipalAccount'] = principalAccount;
      context['aws:PrincipalIsAWSService'] = 'false';
      if (this.organization && this.accounts.has(principalAccount)) context['aws:PrincipalOrgID'] = this.organization.organizationId;
      if (request.principal.includes(':role/aws-service-role/')) {
        // A service-linked role's permissions are AWS's own; only the resource side is ours.
        identity = [{ label: `service-linked role ${request.principal}`, document: ALLOW_ALL }];
      } else if (/^arn:aws:iam::\d{12}:root$/.test(request.principal)) {
        identity = [{ label: 'the other account', document: ALLOW_ALL }];
      } else {
        const role = this.assembly.findByArn(request.principal, 'AWS::IAM::Role');
        if (!role) return `${describe(request)} cannot be evaluated: the role ${request.principal} is not in the assembly`;
        const found = this.policies.identityPolicies(role);
        identity = found.policies;
        unknownManaged = found.unknown;
      }
    }
    if (request.action.startsWith('kms:') && lookup.resource?.type === 'AWS::KMS::Key') {
      // KMS puts the key's aliases in every request on it.
      context['kms:ResourceAliases'] = this.policies.aliasesOf(lookup.resource);
      if (!isService) context['kms:CallerAccount'] = parseArn(request.principal)!.account;
    }
    Object.assign(context, request.context ?? {});

    const result = await this.simulate(request, resourceAccount, identity, resourcePolicy?.document, context);
    if (result === 'Allowed') return undefined;

    const sameAccount = !isService && parseArn(request.principal)!.account === resourceAccount;
    const isKms = request.action.startsWith('kms:');
    const resourceLabel = resourcePolicy?.label ?? (lookup.kind === 'none' ? lookup.why : 'no resource policy');
    const parts: string[] = [`${describe(request)} is ${result === 'ExplicitlyDenied' ? 'explicitly denied' : 'not allowed'}`];
    if (isService) {
      parts.push(`${resourceLabel} needs ${JSON.stringify(suggest(request, context))}`);
    } else {
      const admitPrincipal: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: request.principal }, Action: '*', Resource: '*' }] };
      const identityAlone = await this.simulate(request, resourceAccount, identity, isKms || !sameAccount ? admitPrincipal : undefined, context);
      const resourceAlone = await this.simulate(request, resourceAccount, [{ label: 'all', document: ALLOW_ALL }], resourcePolicy?.document, context);
      if (identityAlone !== 'Allowed') {
        parts.push(`the identity policies of the role (${identity.map((p) => p.label).join(', ') || 'none'}) need ${JSON.stringify({ Effect: 'Allow', Action: request.action, Resource: request.resource })}`);
        if (unknownManaged.length > 0) parts.push(`(AWS managed policies not modelled by the check: ${unknownManaged.join(', ')})`);
      }
      if (resourceAlone !== 'Allowed' && (isKms || !sameAccount || identityAlone !== 'Allowed')) {
        parts.push(`${resourceLabel} needs ${JSON.stringify(suggest(request, context))}`);
      }
    }
    return parts.join('; ');
  }

  private async simulate(request: EdgeRequest, resourceAccount: string, identity: LocatedPolicy[], resourcePolicy: PolicyDocument | undefined, context: Record<string, string | string[]>): Promise<string> {
    const result = await runSimulation({
      request: { principal: request.principal, action: request.action, resource: { resource: mapResourceArn(request.resource), accountId: resourceAccount }, contextVariables: mapContextKeys(context) },
      identityPolicies: identity.map((p, i) => ({ name: `p${i}`, policy: mapConditionKeys(p.document) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy && mapConditionKeys(resourcePolicy),
    }, { simulationMode: 'Strict' });
    if (result.resultType === 'error') {
      throw new Error(`${describe(request)}: the simulator refused the input: ${result.errors.message} ${JSON.stringify(result.errors)}`);
    }
    return result.overallResult;
  }
}

/**
 * iam-simulate (0.1.173) only recognises variable condition keys written with a slash
 * (`aws:PrincipalTag/x`), so it drops KMS's colon-separated `kms:EncryptionContext:<key>` from
 * the request and every condition on it fails. The check writes those keys, in the policies and
 * in the request alike, as the string-valued `aws:RequestTag/kms-ec:<key>`, which the evaluator
 * compares with the same operators and the same values.
 */
const ENCRYPTION_CONTEXT = /^kms:encryptioncontext:/i;
const MAPPED_CONTEXT = 'aws:RequestTag/kms-ec:';

/**
 * iam-simulate (0.1.173) matches a resource ARN to its resource type only when the ARN has an
 * account, but the ARN of an AWS-owned SSM document has none (`arn:aws:ssm:<region>::document/AWS-RunShellScript`;
 * "The account ID shouldn't be specified in the ARN for Amazon owned public documents",
 * docs.aws.amazon.com/systems-manager/latest/userguide/automation-setup-identity-based-policies.html).
 * The check writes that empty account as `aws-owned`, in the policies and in the request alike,
 * so a policy naming the document matches it and a policy naming an account's document does not.
 */
const AWS_OWNED_DOCUMENT = /^(arn:aws:ssm:[^:]*)::document\//;

function mapResourceArn(arn: string): string {
  return arn.replace(AWS_OWNED_DOCUMENT, '$1:aws-owned:document/');
}

function mapContextKeys(context: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(context).map(([k, v]) => [k.replace(ENCRYPTION_CONTEXT, MAPPED_CONTEXT), v]));
}

function mapConditionKeys(document: PolicyDocument): PolicyDocument {
  const statements = (Array.isArray(document.Statement) ? document.Statement : [document.Statement]).map((statement: any) => {
    for (const key of ['Resource', 'NotResource']) {
      if (statement?.[key] !== undefined) {
        statement = { ...statement, [key]: Array.isArray(statement[key]) ? statement[key].map((r: unknown) => (typeof r === 'string' ? mapResourceArn(r) : r)) : typeof statement[key] === 'string' ? mapResourceArn(statement[key]) : statement[key] };
      }
    }
    if (!statement?.Condition) return statement;
    const condition = Object.fromEntries(Object.entries<Record<string, unknown>>(statement.Condition).map(([operator, block]) =>
      [operator, Object.fromEntries(Object.entries(block).map(([k, v]) => [k.replace(ENCRYPTION_CONTEXT, MAPPED_CONTEXT), v]))]));
    return { ...statement, Condition: condition };
  });
  return { ...document, Statement: statements };
}

function describe(request: EdgeRequest): string {
  return `${request.principal} ${request.action} on ${request.resource}`;
}

/** The statement that would allow the request, conditions from the context the service sends. */
function suggest(request: EdgeRequest, context: Record<string, string | string[]>): object {
  const principal = request.principal.startsWith('arn:') ? { AWS: request.principal } : { Service: request.principal };
  const condition: Record<string, Record<string, string | string[]>> = {};
  for (const key of ['aws:SourceAccount', 'aws:SourceArn']) {
    if (context[key]) condition[key === 'aws:SourceArn' ? 'ArnLike' : 'StringEquals'] = { [key]: context[key] };
  }
  return { Effect: 'Allow', Principal: principal, Action: request.action, Resource: request.resource, ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}) };
}

/**
 * SNS's default topic policy (docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html):
 * principals of the owning account, and AWS services acting for that account.
 */
function defaultTopicPolicy(request: EdgeRequest, owner: string): PolicyDocument {
  const statements: any[] = [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${owner}:root` }, Action: 'sns:Publish', Resource: request.resource }];
  if (!request.principal.startsWith('arn:')) {
    statements.push({ Effect: 'Allow', Principal: { Service: request.principal }, Action: 'sns:Publish', Resource: request.resource, Condition: { StringEquals: { 'aws:SourceAccount': owner } } });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The stacks among the values of an examples object (`{ source, replica, ... }`), for
 * {@link expectPermissionsHold}.
 */
export function stacksOf(examples: object): Stack[] {
  return Object.values(examples).filter((v): v is Stack => Stack.isStack(v));
}

/** Reads the organization of the example app from cdk.json-style context. */
export function organizationFromContext(context: Record<string, unknown>): OrganizationContext {
  return { organizationId: String(context.organizationId), memberAccount: String(context.workloadAccount) };
}

export type { LimitProblem } from './limits';
