import { Stack, Validations } from 'aws-cdk-lib';
import { DependencyGroup, IDependable } from 'constructs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { checkAcknowledgementReason, renderForFinding } from './acknowledge';

/**
 * IAM's limit for one managed policy document, in characters without whitespace
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
const MANAGED_POLICY_LIMIT = 6144;
/**
 * What one grants policy may hold by estimate before the next one starts. Tokens are counted at
 * the length of a long ARN, so the estimate stays above the deployed size; the margin covers
 * statements an L2 construct extends after granting them. The permission test checks the real,
 * resolved size of every managed policy of the example app.
 */
const SPLIT_AT = 4500;
/** The length a token (Ref, Fn::GetAtt, Fn::Join ...) is counted at: a long ARN. */
const TOKEN_LENGTH = 160;

/**
 * An IAM role whose grants land in customer managed policies attached to it, instead of an
 * inline `DefaultPolicy`: managed policies are versioned, can be inspected and rolled back, and
 * are what NIST 800-53 (AC-6) asks for. Use it wherever a construct of this library creates a
 * role and grants to it; every `grant*()` call works unchanged.
 *
 * The first policy is created with the first grant, so a role that is never granted anything
 * has none (IAM refuses an empty policy document). When a policy's estimated size reaches the
 * split point, the next grant starts a new policy (`Grants`, `Grants2`, ...), so no policy
 * reaches IAM's 6,144-character limit.
 */
export class ServiceRole extends iam.Role {
  private readonly policies: iam.ManagedPolicy[] = [];
  private readonly acknowledgements: Array<{ id: string; reason: string }> = [];
  private readonly added: iam.PolicyStatement[] = [];
  private currentSize = 0;
  private readonly grantsDependables = new DependencyGroup();

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
  }

  /**
   * Depend on this to depend on every grants policy of the role, those created later included:
   * a resource that needs the role's permissions when it is created (a trail delivering to logs,
   * an environment whose instances start at once) depends on it.
   */
  public get grantsDependable(): IDependable {
    return this.grantsDependables;
  }

  /** The customer managed policies that hold the statements granted to this role, in order. */
  public get grantsPolicies(): iam.ManagedPolicy[] {
    return [...this.policies];
  }

  /**
   * The statements granted to this role so far, as the objects themselves, for assertions and
   * for constructs that must know what a grant added. Read them; a construct narrows what it
   * grants before granting it, never a statement someone else generated.
   */
  public get grantedStatements(): iam.PolicyStatement[] {
    return [...this.added];
  }

  /**
   * Acknowledges one check finding on every grants policy of this role, those created later
   * included, so a grant made after this call (an `addStage()`, a user's `grant*()`) is covered
   * the same way. For findings that hold for the construct that owns this role; the reason says
   * why in a sentence a security reviewer accepts.
   */
  public acknowledgeOnGrants(id: string, reason: string): void {
    checkAcknowledgementReason(this, id, reason);
    this.acknowledgements.push({ id, reason });
    for (const policy of this.policies) Validations.of(policy.node.defaultChild!).acknowledge({ id, reason });
  }

  /**
   * Acknowledges the `AwsSolutions-IAM5` finding for one wildcard resource granted to this role,
   * on every grants policy of the role, named exactly as cdk-nag prints it, so any other wildcard
   * still fails.
   */
  public acknowledgeWildcardResource(resource: string, reason: string): void {
    this.acknowledgeOnGrants(`AwsSolutions-IAM5[Resource::${renderForFinding(Stack.of(this).resolve(resource))}]`, reason);
  }

  /** Acknowledges the `AwsSolutions-IAM5` finding for one wildcard action (`service:Prefix*`) granted to this role. */
  public acknowledgeWildcardAction(action: string, reason: string): void {
    this.acknowledgeOnGrants(`AwsSolutions-IAM5[Action::${action}]`, reason);
  }

  /** Adds the statement to the role's current grants policy, starting a new one when it is full. */
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const size = estimateSize(Stack.of(this).resolve(statement.toStatementJson()));
    if (this.policies.length === 0 || this.currentSize + size > SPLIT_AT) this.newPolicy();
    this.currentSize += size;
    this.added.push(statement);
    const policy = this.policies[this.policies.length - 1];
    policy.addStatements(statement);
    return { statementAdded: true, policyDependable: policy };
  }

  private newPolicy(): void {
    const n = this.policies.length + 1;
    const policy = new iam.ManagedPolicy(this, n === 1 ? 'Grants' : `Grants${n}`, {
      description: `Permissions of ${this.node.path}${n === 1 ? '' : ` (part ${n})`}`.slice(0, 1000),
      roles: [this],
    });
    this.policies.push(policy);
    this.grantsDependables.add(policy);
    this.currentSize = 0;
    for (const { id, reason } of this.acknowledgements) Validations.of(policy.node.defaultChild!).acknowledge({ id, reason });
  }
}

/** Characters a resolved statement takes without whitespace, counting each intrinsic as a long ARN. */
function estimateSize(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (Array.isArray(value)) return 2 + value.reduce((sum: number, v) => sum + estimateSize(v) + 1, 0);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return TOKEN_LENGTH;
    return 2 + keys.reduce((sum, k) => sum + k.length + 3 + estimateSize((value as Record<string, unknown>)[k]) + 1, 0);
  }
  return 4;
}

export { MANAGED_POLICY_LIMIT };
