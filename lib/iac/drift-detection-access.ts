/**
 * IAC-3 (and SEC-2's drift check): what a role needs so that CloudFormation drift detection
 * runs with it. Internal: {@link StackDriftDetection} and `ConfigCompliance` both use it, so the
 * drift permissions are written once.
 *
 * CloudFormation detects drift with the caller's permissions: the caller needs
 * `cloudformation:DetectStackDrift` and `cloudformation:DetectStackResourceDrift` on the stack,
 * and read permission on every resource of the stack that supports drift detection (an
 * `AWS::EC2::Instance` needs `ec2:DescribeInstances`)
 * (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html#drift-considerations).
 * A resource the caller cannot read ends the detection as DETECTION_FAILED for that resource.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge } from '../core/acknowledge';
import { ServiceRole } from '../core/service-role';

/** What a drift detection role may read on the resources of the stacks it checks. */
export interface DriftReadAccess {
  /**
   * Exact read actions (`service:Get...`, `Describe...`, `List...`); undefined means the AWS
   * managed `ReadOnlyAccess` policy.
   */
  readonly resourceReadActions?: string[];
}

/** A read action: the verbs drift detection uses to read a resource's configuration. */
export const READ_ACTION = /^[a-z0-9-]+:(Get|Describe|List|BatchGet)[A-Za-z0-9*]*$/;

/** What starting a detection on `stackArns` needs: both Detect actions (using-cfn-stack-drift.html#drift-considerations). */
export function driftCallsOn(stackArns: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['cloudformation:DetectStackDrift', 'cloudformation:DetectStackResourceDrift'],
    resources: stackArns,
  });
}

/**
 * Lets `role` run drift detection on `stackArns` (none: the caller grants {@link driftCallsOn}
 * itself): the Detect calls on those stacks only; with `readResults`, the detection's status (no
 * resource-level permissions) and the resource drifts of those stacks; and read access to the
 * stacks' resources.
 *
 * The CloudFormation calls are exact actions on the named stacks rather than a managed policy
 * such as `AWSCloudFormationReadOnlyAccess`: the role must start detections (not a read) and
 * needs nothing else of CloudFormation. The resources' reads are exact too when the caller
 * lists them; otherwise the role gets `ReadOnlyAccess`, which the rule's documentation and
 * aws-cdk-lib name, because the resource types of the stacks are not known here.
 */
export function allowDriftDetection(role: ServiceRole, stackArns: string[], access: DriftReadAccess = {}, readResults = true): void {
  if (stackArns.length > 0) {
    const calls = driftCallsOn(stackArns);
    if (readResults) calls.addActions('cloudformation:DescribeStackResourceDrifts');
    role.addToPrincipalPolicy(calls);
  }
  // DescribeStackDriftDetectionStatus takes a detection id and has no resource type
  // (docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html).
  const anyResource: string[] = readResults ? ['cloudformation:DescribeStackDriftDetectionStatus'] : [];
  anyResource.push(...access.resourceReadActions ?? []);
  if (anyResource.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: anyResource, resources: ['*'] }));
    role.acknowledgeWildcardResource('*', access.resourceReadActions
      ? 'Drift detection reads the live configuration of resources whose ARNs are not known until the stacks are deployed (and DescribeStackDriftDetectionStatus has no resource-level permissions); the statement holds only read actions (Get, Describe, List), checked when the construct is built.'
      : 'DescribeStackDriftDetectionStatus has no resource-level permissions: it reads the status of a detection by its id, and grants nothing else.');
  }
  for (const action of access.resourceReadActions ?? []) {
    if (action.includes('*')) {
      role.acknowledgeWildcardAction(action, `${action} is a read-only action family that drift detection needs to read the resources of the checked stacks; write actions are refused.`);
    }
  }
  if (!access.resourceReadActions) {
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
    acknowledge(role.node.defaultChild!, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]',
      'Drift detection reads the live configuration of every resource type a stack can contain, so AWS documents ReadOnlyAccess for the drift check\'s role; it grants no write and the role is assumable only by its service in this account.');
  }
}
