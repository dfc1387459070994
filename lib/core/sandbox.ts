import { RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The context key that turns sandbox mode on for a whole app (`cdk synth -c sandbox=true`). */
export const SANDBOX_CONTEXT_KEY = 'sandbox';

/**
 * Whether `scope` is in sandbox mode: the explicit prop wins, then the `sandbox` context value
 * (`true` or `"true"`), otherwise false.
 *
 * In sandbox mode every resource the library creates can be destroyed by `cdk destroy`, buckets
 * emptied first; outside it, data (buckets, keys, log groups, tables) is kept.
 */
export function isSandbox(scope: IConstruct, explicit?: boolean): boolean {
  if (explicit !== undefined) return explicit;
  const value: unknown = scope.node.tryGetContext(SANDBOX_CONTEXT_KEY);
  return value === true || value === 'true';
}

/** The removal policy for data-bearing resources: DESTROY in sandbox mode, RETAIN otherwise. */
export function dataRemovalPolicy(scope: IConstruct, sandbox?: boolean): RemovalPolicy {
  return isSandbox(scope, sandbox) ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}
