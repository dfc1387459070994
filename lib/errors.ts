/**
 * The errors the constructs throw, for code that catches them: an entry point of its own, like
 * the checks, because jsii cannot carry a class that extends `Error` into the construct API.
 *
 * ```ts
 * import { ConstructPropsError } from '@devops-patterns/cdk-reference/dist/lib/errors';
 *
 * try {
 *   new ReplicatedBucket(stack, 'Data', props);
 * } catch (e) {
 *   if (e instanceof ConstructPropsError) console.error(e.constructPath, e.problems);
 *   throw e;
 * }
 * ```
 */
export { ConstructPropsError } from './core/validation';
