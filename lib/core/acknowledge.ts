import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PropsCheck } from './validation';

/**
 * Acknowledges one check finding on one construct, with the reason a security reviewer reads.
 *
 * Only for findings that are right for every user of the construct; the reason says why in a
 * full sentence. Never used on a stack or an app.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  checkAcknowledgementReason(construct, id, reason);
  Validations.of(construct).acknowledge({ id, reason });
}

/**
 * Refuses (with a `ConstructPropsError` naming `construct`) a reason too short for a reviewer to
 * accept: fewer than 30 characters.
 */
export function checkAcknowledgementReason(construct: IConstruct, id: string, reason: string): void {
  new PropsCheck(construct, 'acknowledgement')
    .require(reason.trim().length >= 30, `the acknowledgement of ${id} needs a reason a reviewer can accept, got "${reason}"`)
    .throwIfAny();
}

/**
 * Acknowledges the `AwsSolutions-IAM5` finding for one wildcard resource in a policy, naming the
 * resource exactly as cdk-nag prints it (`<LogicalId.Arn>/*` for a token), so only that resource
 * is acknowledged and any other wildcard still fails.
 *
 * @param policy the policy resource (or its L2 construct's default child) carrying the statement
 * @param resource the resource as passed to the statement, token or literal
 * @param reason why this wildcard is the narrowest that works
 */
export function acknowledgeWildcardResource(policy: IConstruct, resource: string, reason: string): void {
  const rendered = renderForFinding(Stack.of(policy).resolve(resource));
  acknowledge(policy, `AwsSolutions-IAM5[Resource::${rendered}]`, reason);
}

/** Acknowledges the `AwsSolutions-IAM5` finding for one wildcard action (`service:Prefix*`). */
export function acknowledgeWildcardAction(policy: IConstruct, action: string, reason: string): void {
  acknowledge(policy, `AwsSolutions-IAM5[Action::${action}]`, reason);
}

/** Renders a resolved value the way cdk-nag prints it in a finding id. */
export function renderForFinding(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::GetAtt'?: [string, string]; Ref?: string };
  if (v['Fn::Join']) return v['Fn::Join'][1].map(renderForFinding).join(v['Fn::Join'][0]);
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}>`;
  if (v.Ref) return `<${v.Ref}>`;
  return JSON.stringify(value);
}
