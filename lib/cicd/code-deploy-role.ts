/**
 * The CodeDeploy role of CICD-5 (LambdaCanaryRelease) and CICD-6 (EcsBlueGreenService).
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ServiceRole } from '../core/service-role';
import { ConstructPropsError } from '../core/validation';

/** The AWS managed CodeDeploy service role policies (`AWSCodeDeployRole`, `...ForLambda*`, `...ForECS*`). */
const CODEDEPLOY_SERVICE_POLICY = /:iam::aws:policy\/(service-role\/)?(AWSCodeDeployRole[A-Za-z]*)$/;

/** Props for {@link CodeDeployRole}. */
export interface CodeDeployRoleProps {
  /** What the role deploys, for its description. */
  readonly description: string;
}

/**
 * The role CodeDeploy assumes for the deployments of one release construct: a {@link ServiceRole}
 * that only CodeDeploy of this account can assume (`aws:SourceAccount`), granted CodeDeploy's
 * actions on the construct's own function, service, listeners and alarms.
 *
 * It never holds the AWS managed `AWSCodeDeployRole*` policies, which allow the same actions on
 * every function, service and load balancer of the account: the aws-cdk-lib deployment group
 * attaches one to its role when it is created, and the construct leaves that attachment out
 * while it creates its group. Adding one later is refused with an error; any other managed
 * policy is attached as usual.
 */
export class CodeDeployRole extends ServiceRole {
  private creatingDeploymentGroup = false;

  constructor(scope: Construct, id: string, props: CodeDeployRoleProps) {
    super(scope, id, {
      // Confused-deputy protection: only CodeDeploy acting for this account may assume the role
      // (docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
      assumedBy: new iam.ServicePrincipal('codedeploy.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
      }),
      description: props.description.slice(0, 1000),
    });
  }

  /**
   * Attaches `policy` to the role. Refuses the AWS managed CodeDeploy service role policies:
   * the construct grants their actions on its own resources only.
   */
  public addManagedPolicy(policy: iam.IManagedPolicy): void {
    const match = CODEDEPLOY_SERVICE_POLICY.exec(policy.managedPolicyArn);
    if (match) {
      // The deployment group L2 attaches it unconditionally while it is created; leave it out.
      if (this.creatingDeploymentGroup) return;
      throw new ConstructPropsError(this.node.path, 'CodeDeployRole', [
        `the AWS managed policy ${match[1] ?? ''}${match[2]} allows CodeDeploy's actions on every resource of the account; `
        + 'this role is granted them on its own deployment\'s resources only, so attach a policy of your own that names the resources instead',
      ]);
    }
    super.addManagedPolicy(policy);
  }

  /**
   * Runs `create`, which creates the deployment group that uses this role, leaving out the AWS
   * managed policy the aws-cdk-lib deployment group attaches to its role.
   * @internal
   */
  public _createDeploymentGroup(create: () => void): void {
    this.creatingDeploymentGroup = true;
    try {
      create();
    } finally {
      this.creatingDeploymentGroup = false;
    }
  }
}
