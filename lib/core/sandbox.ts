import { RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ConstructPropsError } from './validation';

/** The context key that turns sandbox mode on (`cdk synth -c sandbox=true`). */
export const SANDBOX_CONTEXT_KEY = 'sandbox';

/**
 * Sandbox mode: one switch, read from construct context, for whether everything the library
 * creates can be destroyed.
 *
 * Outside sandbox mode data is kept on `cdk destroy` (buckets, keys, log groups, tables). In
 * sandbox mode every resource the library creates is destroyable, buckets emptied first. It is
 * context, not a prop, so it reaches every construct the same way, and the stack-wide shared
 * resources (the access-log bucket, the logs key), which live at the stack's root, follow the
 * stack's setting whichever construct creates them first:
 *
 * - for a whole app: `cdk synth -c sandbox=true`, or `"sandbox": true` in cdk.json;
 * - for one stack: `Sandbox.enable(stack)` right after creating it, before adding constructs.
 */
export class Sandbox {
  /**
   * Turns sandbox mode on for `scope` and everything created in it afterwards. Call it before
   * adding children (construct context cannot change once a scope has children).
   */
  public static enable(scope: IConstruct): void {
    scope.node.setContext(SANDBOX_CONTEXT_KEY, true);
  }

  /**
   * Whether `scope` is in sandbox mode: the `sandbox` context value, `true` or `"true"`; `false`,
   * `"false"` or no value is off. Any other value is refused, so `-c sandbox=yes` cannot silently
   * keep everything.
   */
  public static isEnabled(scope: IConstruct): boolean {
    const value: unknown = scope.node.tryGetContext(SANDBOX_CONTEXT_KEY);
    if (value === undefined || value === false || value === 'false') return false;
    if (value === true || value === 'true') return true;
    throw new ConstructPropsError(scope.node.path || 'App', 'sandbox context', [
      `the "${SANDBOX_CONTEXT_KEY}" context value must be true or false, got ${JSON.stringify(value)}`,
    ]);
  }

  /** The removal policy for data-bearing resources: DESTROY in sandbox mode, RETAIN otherwise. */
  public static removalPolicy(scope: IConstruct): RemovalPolicy {
    return Sandbox.isEnabled(scope) ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
  }

  private constructor() {}
}

/** Whether `scope` is in sandbox mode (see {@link Sandbox.isEnabled}). */
export function isSandbox(scope: IConstruct): boolean {
  return Sandbox.isEnabled(scope);
}

/** The removal policy for data-bearing resources (see {@link Sandbox.removalPolicy}). */
export function dataRemovalPolicy(scope: IConstruct): RemovalPolicy {
  return Sandbox.removalPolicy(scope);
}
