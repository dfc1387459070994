/**
 * The custom resource provider behind SEC-1 and SEC-2's organization calls (internal).
 *
 * CloudFormation has no resource for a GuardDuty delegated administrator, GuardDuty's
 * organization configuration, or an AWS Organizations delegated administrator registration, so
 * these go through one TypeScript handler (`handlers/organization-admin`) behind the CDK
 * `Provider` framework. The framework answers CloudFormation's pre-signed URL for us, including
 * when the handler fails or times out, so a stack never hangs for an hour. Each construct gets
 * its own handler function with its own role holding only the statements it passes in.
 */
import * as path from 'path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from '../core/acknowledge';
import { HandlerFunction } from '../core/handler-function';
import { createCustomResourceProvider } from '../core/custom-resource-provider';

/** Options of {@link organizationAdminResource}. */
export interface OrganizationAdminResourceOptions {
  /** What the resource does, for the function description. */
  readonly description: string;
  /** The handler's IAM statements: the only permissions it gets. */
  readonly statements: iam.PolicyStatement[];
  /** Why the statements name `Resource: "*"`, for the acknowledgement. */
  readonly wildcardReason: string;
  /** Other wildcard resources of the statements, each with why it is the narrowest that works. */
  readonly wildcardResources?: { readonly resource: string; readonly reason: string }[];
  /** The resource properties; `Kind` selects the handler operation. */
  readonly properties: Record<string, unknown>;
  /** Sandbox mode. */
  readonly sandbox: boolean;
  /** Concurrency reserved for the handler and the provider framework; none when undefined. */
  readonly reservedConcurrentExecutions?: number;
}

/** The custom resource and the function that serves it. */
export interface OrganizationAdminResource {
  readonly resource: CustomResource;
  readonly handler: HandlerFunction;
  readonly provider: cr.Provider;
}

/** Creates the handler function, its Provider and the custom resource, in `scope`. */
export function organizationAdminResource(scope: Construct, options: OrganizationAdminResourceOptions): OrganizationAdminResource {
  const handler = new HandlerFunction(scope, 'Handler', {
    handlerDir: path.join(__dirname, 'handlers', 'organization-admin'),
    description: options.description,
    // One invocation retries for at most 10 minutes in total (retry.ts startBudget); the rest is
    // room for the last call and the failure report. The Provider framework's onEvent function
    // waits for this one synchronously with a 15-minute timeout (no isComplete handler, so no
    // totalTimeout applies), so this must stay below 15 minutes.
    timeout: Duration.minutes(14),
    reservedConcurrentExecutions: options.reservedConcurrentExecutions,
    sandbox: options.sandbox,
  });
  for (const statement of options.statements) handler.role.addToPrincipalPolicy(statement);
  const handlerPolicy = handler.role.grantsPolicy.node.defaultChild!;
  acknowledge(handlerPolicy, 'AwsSolutions-IAM5[Resource::*]', options.wildcardReason);
  for (const w of options.wildcardResources ?? []) acknowledgeWildcardResource(handlerPolicy, w.resource, w.reason);

  const provider = createCustomResourceProvider(scope, 'Provider', handler, options.sandbox, options.reservedConcurrentExecutions);
  const resource = new CustomResource(scope, 'Resource', {
    serviceToken: provider.serviceToken,
    resourceType: `Custom::${String(options.properties.Kind)}`,
    properties: options.properties,
  });
  return { resource, handler, provider };
}
