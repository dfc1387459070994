/**
 * IAC-5 DeploymentRoles: developers deploy through CloudFormation without holding the
 * permissions their stacks need.
 *
 * `iam:PassRole` passes a role to a service. Here a developer role may pass exactly one role, the
 * CloudFormation service role, and only to `cloudformation.amazonaws.com` (`iam:PassedToService`);
 * its stack operations must name that role (`cloudformation:RoleArn`), so every change runs with
 * the service role's permissions, not the developer's. Roles that the deployments create must
 * carry the construct's permissions boundary and live under the construct's IAM path; the
 * boundary cannot be removed or replaced, and the service role may pass only roles under that
 * path, so neither passing the service role nor a role a stack creates can escalate privilege.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** Props for {@link DeploymentRoles}. */
export interface DeploymentRolesProps {
  /** Who may assume the developer role (an SSO permission set's role, another account, ...). */
  readonly developers: iam.IPrincipal;
  /**
   * What stacks deployed through the service role may do, besides creating roles (which the
   * construct grants itself, boundary required). Keep it to the services the stacks use.
   */
  readonly deployStatements: iam.PolicyStatement[];
  /**
   * The most any role created by a deployment may do: its permissions boundary.
   * @default - the same as `deployStatements`
   */
  readonly boundaryStatements?: iam.PolicyStatement[];
  /**
   * The stacks developers may deploy, as stack name patterns (`orders-*`).
   * @default - every stack of this account and region
   */
  readonly stackNamePatterns?: string[];
  /**
   * The IAM path of every role the deployments create (`path` of `iam.Role`). The service role
   * may create, change and pass roles under this path only, so a stack cannot hand an existing,
   * more powerful role to a function or an instance.
   * @default '/deployed/'
   */
  readonly rolePath?: string;
}

/**
 * IAC-5: a CloudFormation service role, and a developer role that may pass only that role, only
 * to CloudFormation; roles the deployments create must carry a permissions boundary.
 *
 * ```ts
 * const roles = new DeploymentRoles(this, 'Deploy', {
 *   developers: new iam.AccountPrincipal('111111111111'),
 *   deployStatements: [new iam.PolicyStatement({ actions: ['s3:*', 'lambda:*'], resources: ['*'] })],
 * });
 * // aws cloudformation deploy ... --role-arn <roles.serviceRole.roleArn>, as roles.developerRole
 * ```
 */
export class DeploymentRoles extends Construct {
  /** The role CloudFormation works with. */
  public readonly serviceRole: ServiceRole;
  /** The role developers assume to deploy. */
  public readonly developerRole: ServiceRole;
  /** The permissions boundary every role created by a deployment must carry. */
  public readonly permissionsBoundary: iam.ManagedPolicy;
  /**
   * The IAM path every role created by a deployment must have. Give the stacks' roles
   * `path: rolePath`, and the boundary with `iam.PermissionsBoundary.of(stack).apply(permissionsBoundary)`.
   */
  public readonly rolePath: string;

  constructor(scope: Construct, id: string, props: DeploymentRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const check = new PropsCheck(this, 'DeploymentRoles');
    check.require(props.deployStatements.length > 0, 'deployStatements must grant something: a service role that may do nothing deploys nothing');
    check.require(props.stackNamePatterns === undefined || props.stackNamePatterns.length > 0, 'stackNamePatterns must name at least one pattern (leave it out for every stack)');
    // IAM paths: 1-512 characters, starting and ending with / (docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
    check.require(props.rolePath === undefined || /^\/([\x21-\x7E]+\/)?$/.test(props.rolePath) && props.rolePath.length <= 512 && props.rolePath !== '/',
      `rolePath must be an IAM path other than / that starts and ends with / (such as /deployed/), got "${props.rolePath}"`);
    check.throwIfAny();

    this.permissionsBoundary = new iam.ManagedPolicy(this, 'Boundary', {
      description: `Permissions boundary of the roles deployments through ${this.node.path} create`.slice(0, 1000),
      statements: props.boundaryStatements ?? props.deployStatements,
    });
    const boundaryCondition = { StringEquals: { 'iam:PermissionsBoundary': this.permissionsBoundary.managedPolicyArn } };

    this.serviceRole = new ServiceRole(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      description: `CloudFormation service role of ${this.node.path}`.slice(0, 1000),
    });
    for (const statement of props.deployStatements) this.serviceRole.addToPrincipalPolicy(statement);
    this.rolePath = props.rolePath ?? '/deployed/';
    // Only roles under the path: CreateRole's resource is the new role's ARN, path included.
    const roleArns = stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `${this.rolePath.slice(1)}*` });
    // Roles a deployment creates carry the boundary from their first moment on, and keep it.
    this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'CreateRolesWithTheBoundaryOnly',
      actions: ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePermissionsBoundary'],
      resources: [roleArns],
      conditions: boundaryCondition,
    }));
    this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ManageRolesItCreates',
      actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:DeleteRole', 'iam:TagRole', 'iam:UntagRole', 'iam:UpdateRoleDescription', 'iam:PassRole'],
      resources: [roleArns],
    }));
    this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'KeepTheBoundary',
      effect: iam.Effect.DENY,
      actions: ['iam:DeleteRolePermissionsBoundary'],
      resources: ['*'],
    }));
    this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'NoChangingTheBoundaryOrTheseRoles',
      effect: iam.Effect.DENY,
      actions: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
      resources: [this.permissionsBoundary.managedPolicyArn],
    }));

    const stacks = (props.stackNamePatterns ?? ['*']).map((pattern) =>
      stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${pattern}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
    this.developerRole = new ServiceRole(this, 'DeveloperRole', {
      assumedBy: props.developers,
      description: `Developers deploying through ${this.node.path}`.slice(0, 1000),
    });
    this.developerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassOnlyTheServiceRoleOnlyToCloudFormation',
      actions: ['iam:PassRole'],
      resources: [this.serviceRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    }));
    this.developerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ChangeStacksOnlyThroughTheServiceRole',
      actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:CreateChangeSet'],
      resources: stacks,
      conditions: { StringEquals: { 'cloudformation:RoleArn': this.serviceRole.roleArn } },
    }));
    this.developerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RunAndReadTheirStacks',
      actions: ['cloudformation:ExecuteChangeSet', 'cloudformation:DeleteChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:DescribeStacks',
        'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStackResources', 'cloudformation:GetTemplate', 'cloudformation:ListChangeSets'],
      resources: stacks,
    }));
    this.developerRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ValidateTemplates',
      actions: ['cloudformation:ValidateTemplate'],
      resources: ['*'],
    }));
    this.developerRole.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]',
      'cloudformation:ValidateTemplate has no resource-level permissions, so its statement must name every resource; it reads a template and changes nothing.');
    for (const arn of stacks) {
      this.developerRole.acknowledgeWildcardResource(arn,
        'A stack ARN ends in an id CloudFormation makes at creation, so the stacks developers may deploy are named by their name and any id.');
    }
    this.serviceRole.acknowledgeWildcardResource(roleArns,
      'Roles a deployment creates get names CloudFormation generates, so creating, changing and passing them is granted on the roles under this construct\'s own IAM path, created only with the permissions boundary attached.');
    this.serviceRole.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]',
      'The only statement on every resource is a Deny (removing a permissions boundary), which narrows and grants nothing.');
  }
}
