import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from './acknowledge';
import { HandlerFunction } from './handler-function';
import { EncryptedLogGroup } from './log-group';
import { acknowledgeNoReservedConcurrency, checkReservedConcurrency } from './reserved-concurrency';
import { ServiceRole } from './service-role';
import { PropsCheck } from './validation';

/**
 * The CDK custom resource `Provider` framework in front of a {@link HandlerFunction}, the way
 * every custom resource of this library uses it: the framework answers CloudFormation's
 * pre-signed URL (also when the handler fails or times out, so a stack never hangs for an hour),
 * runs with a {@link ServiceRole} and logs to an {@link EncryptedLogGroup}. Creates
 * `ProviderRole`, `ProviderLogs` and the provider (`id`) in `scope`.
 *
 * @param sandbox sandbox mode for the framework's log group (default: the `sandbox` context value)
 * @param reservedConcurrentExecutions concurrency reserved for the framework function, a positive
 *   whole number. Opt-in (default: none), because Lambda refuses a reservation that leaves fewer
 *   than 100 of the account's concurrent executions unreserved, so it fails the deployment in
 *   accounts with a low concurrency quota, such as new accounts. Give the handler the same value:
 *   each running framework execution waits on one handler execution.
 */
export function createCustomResourceProvider(
  scope: Construct, id: string, handler: HandlerFunction, sandbox?: boolean, reservedConcurrentExecutions?: number,
): cr.Provider {
  const check = new PropsCheck(scope, 'createCustomResourceProvider');
  checkReservedConcurrency(check, reservedConcurrentExecutions);
  check.throwIfAny();
  const frameworkRole = new ServiceRole(scope, 'ProviderRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Custom resource provider framework of ${scope.node.path}`,
  });
  const frameworkLogs = new EncryptedLogGroup(scope, 'ProviderLogs', { sandbox }).logGroup;
  frameworkLogs.grantWrite(frameworkRole);
  const provider = new cr.Provider(scope, id, {
    onEventHandler: handler.function,
    frameworkOnEventRole: frameworkRole,
    logGroup: frameworkLogs,
  });
  acknowledgeWildcardResource(frameworkRole.grantsPolicy.node.defaultChild!, `${handler.function.functionArn}:*`,
    'The provider framework invokes the one handler function of this custom resource; the wildcard only adds that function\'s versions and aliases.');
  const frameworkFunction = provider.node.findChild('framework-onEvent').node.defaultChild as lambda.CfnFunction;
  if (reservedConcurrentExecutions === undefined) {
    acknowledgeNoReservedConcurrency(frameworkFunction);
  } else {
    frameworkFunction.reservedConcurrentExecutions = reservedConcurrentExecutions;
  }
  acknowledge(frameworkFunction, 'NIST.800.53.R5-LambdaDLQ',
    'CloudFormation invokes the provider framework synchronously and the framework reports every failure back to CloudFormation, which fails the deployment; a dead-letter queue only receives failed asynchronous invocations.');
  acknowledge(frameworkFunction, 'NIST.800.53.R5-LambdaInsideVPC',
    'The provider framework only calls the Lambda API and the pre-signed CloudFormation response URL and reaches no resource inside a VPC, so placing it in one would add NAT cost and failure modes without narrowing its access.');
  return provider;
}
