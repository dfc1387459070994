import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * An IAM role whose grants land in one customer managed policy attached to it, instead of an
 * inline `DefaultPolicy`: managed policies are versioned, can be inspected and rolled back, and
 * are what NIST 800-53 (AC-6) asks for. Use it wherever a construct of this library creates a
 * role and grants to it; every `grant*()` call works unchanged.
 */
export class ServiceRole extends iam.Role {
  /** The customer managed policy that holds every statement granted to this role. */
  public readonly grantsPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
    this.grantsPolicy = new iam.ManagedPolicy(this, 'Grants', {
      description: `Permissions of ${this.node.path}`,
      roles: [this],
    });
  }

  private readonly added: iam.PolicyStatement[] = [];

  /**
   * The statements granted to this role so far, as the objects themselves: until synthesis a
   * construct may still narrow one (`addCondition`), for example a grant that an L2 construct
   * could only make on `Resource: "*"`.
   */
  public get grantedStatements(): iam.PolicyStatement[] {
    return [...this.added];
  }

  /** Adds the statement to the role's managed policy. */
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.added.push(statement);
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}
