/**
 * The custom resource providers behind SEC-1 and SEC-2's organization calls (internal).
 *
 * CloudFormation has no resource for a GuardDuty delegated administrator, GuardDuty's
 * organization configuration, or an AWS Organizations delegated administrator registration, so
 * these go through one TypeScript handler (`handlers/organization-admin`) behind the CDK
 * `Provider` framework. Like aws-cdk and Landing Zone Accelerator, a stack has one provider per
 * resource type ({@link SharedProvider}): every `Custom::GuardDutyDelegatedAdmin` of a stack is
 * served by the same handler function, whose role holds the statements its resources asked for.
 */
import * as path from 'path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SharedProvider } from '../core/shared-provider';

/** The custom resource types the organization-admin handler serves; `Kind` selects the operation. */
export type OrganizationAdminKind = 'GuardDutyDelegatedAdmin' | 'GuardDutyOrganizationConfiguration' | 'OrganizationsDelegatedAdmin';

/** Options of {@link organizationAdminResource}. */
export interface OrganizationAdminResourceOptions {
  /** The resource type, `Custom::<kind>`, and the handler operation. */
  readonly kind: OrganizationAdminKind;
  /** What the provider's handler does, for the function description. */
  readonly description: string;
  /** The IAM statements the resource needs; the handler of the type gets them. */
  readonly statements: iam.PolicyStatement[];
  /** Why the statements name `Resource: "*"`, for the acknowledgement. */
  readonly wildcardReason: string;
  /** Other wildcard resources of the statements, each with why it is the narrowest that works. */
  readonly wildcardResources?: { readonly resource: string; readonly reason: string }[];
  /** The resource properties besides `Kind`. */
  readonly properties: Record<string, unknown>;
  /** Concurrency reserved for the handler and the provider framework; none when undefined. */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The handler's timeout. One invocation retries for at most 10 minutes in total (retry.ts
 * startBudget); the rest is room for the last call and the failure report. The Provider
 * framework's onEvent function waits for this one synchronously with a 15-minute timeout (no
 * isComplete handler, so no totalTimeout applies), so this must stay below 15 minutes.
 */
const HANDLER_TIMEOUT = Duration.minutes(14);

/** The Sids granted to each provider's handler, with the statement each stands for. */
const grantedSids = new WeakMap<SharedProvider, Map<string, string>>();

/**
 * Creates the custom resource `Resource` in `scope`, served by the stack's one provider of its
 * type, whose handler gets `options.statements`.
 */
export function organizationAdminResource(scope: Construct, options: OrganizationAdminResourceOptions): CustomResource {
  const provider = SharedProvider.of(scope, {
    resourceType: options.kind,
    handlerDir: path.join(__dirname, 'handlers', 'organization-admin'),
    description: options.description,
    timeout: HANDLER_TIMEOUT,
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
  });
  provider.grant(options.statements.map((s) => uniqueSid(provider, s)), options.wildcardReason);
  for (const w of options.wildcardResources ?? []) provider.handler.role.acknowledgeWildcardResource(w.resource, w.reason);
  return provider.resource(scope, 'Resource', { Kind: options.kind, ...options.properties });
}

/**
 * IAM requires the Sids of one policy to be unique. A second resource of the type in the stack
 * (another delegation with other regions) may ask for a statement under a Sid already granted
 * with other content: it gets a numbered Sid. Identical statements keep theirs (aws-cdk merges
 * them).
 */
function uniqueSid(provider: SharedProvider, statement: iam.PolicyStatement): iam.PolicyStatement {
  const sid = statement.sid;
  if (!sid) return statement;
  const granted = grantedSids.get(provider) ?? new Map<string, string>();
  grantedSids.set(provider, granted);
  const body = JSON.stringify({ ...statement.toStatementJson(), Sid: undefined });
  let candidate = sid;
  for (let n = 2; granted.has(candidate) && granted.get(candidate) !== body; n++) candidate = `${sid}${n}`;
  granted.set(candidate, body);
  if (candidate === sid) return statement;
  const copy = statement.copy();
  copy.sid = candidate;
  return copy;
}
