/**
 * Reserved concurrency of the Lambda functions this library creates is opt-in, never a default.
 *
 * Lambda keeps at least 100 concurrent executions of the account's quota unreserved and refuses a
 * reservation that would leave fewer: "You can reserve up to the Unreserved account concurrency
 * value minus 100" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 * New AWS accounts start with reduced concurrency quotas that AWS raises with use
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html); in an account whose
 * quota is 100 or less, every reservation fails, and with it the deployment of the stack.
 */
import { IConstruct } from 'constructs';
import { acknowledge } from './acknowledge';
import { PropsCheck } from './validation';

/** The name of the prop that opts in to reserved concurrency, the same on every construct. */
export const RESERVED_CONCURRENCY_PROP = 'reservedConcurrentExecutions';

/** Records a problem unless `value` (the opt-in reservation) is absent or a positive whole number. */
export function checkReservedConcurrency(check: PropsCheck, value: number | undefined): void {
  check.positiveWholeNumber(RESERVED_CONCURRENCY_PROP, value);
}

/**
 * Acknowledges `NIST.800.53.R5-LambdaConcurrency` on a function the library created without a
 * reservation. Never call it on a function the user passed in.
 *
 * @param fn the function's `AWS::Lambda::Function` resource
 */
export function acknowledgeNoReservedConcurrency(fn: IConstruct): void {
  acknowledge(fn, 'NIST.800.53.R5-LambdaConcurrency',
    'This function reserves no concurrency by default because a reservation fails the deployment in accounts with a low Lambda concurrency quota, such as new accounts: '
    + 'Lambda refuses any reservation that leaves fewer than 100 unreserved concurrent executions. The function still runs within the account\'s concurrency quota, '
    + `and users whose account has room opt in with the ${RESERVED_CONCURRENCY_PROP} prop of the construct that creates it.`);
}
