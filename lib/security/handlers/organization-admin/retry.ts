/**
 * Retries with exponential backoff and full jitter, bounded in time, for the eventually
 * consistent organization APIs (a freshly delegated administrator is not usable at once) and
 * for throttling. Timing is a mutable object so unit tests replace `sleep` and `now`.
 */
export const timing = {
  /** Waits `ms` milliseconds. */
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
  /** The clock. */
  now: (): number => Date.now(),
  /**
   * How long one invocation may keep retrying, all its calls together (see {@link startBudget}).
   * 10 minutes, against the handler function's 14-minute timeout (organization-admin-provider.ts)
   * and the Provider framework's 15-minute onEvent function: the last attempt and the failure
   * report fit in the time left, so a stuck call fails with its own message, not a timeout.
   */
  budgetMs: 10 * 60 * 1000,
  /** The first delay. */
  baseDelayMs: 2000,
  /** The longest single delay. */
  maxDelayMs: 30000,
  /** Random in [0, 1), for the jitter. */
  random: (): number => Math.random(),
};

/** The deadline of the current invocation, set by {@link startBudget}. */
let invocationDeadline: number | undefined;

/**
 * Starts the retry budget of one invocation: every {@link withRetry} until the next call shares
 * the same deadline, so an invocation that makes several calls in a row (one per region, or
 * find the detector, then configure it) still stops retrying within `timing.budgetMs` in total.
 */
export function startBudget(): void {
  invocationDeadline = timing.now() + timing.budgetMs;
}

/** Thrown by an operation that found the service not ready yet (for example no detector yet). */
export class NotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotReadyError';
  }
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ConcurrentModificationException',
  'InternalServerErrorException',
  'ServiceException',
  'ServiceUnavailableException',
  'NotReadyError',
]);

const NOT_YET = /not yet|try again|in progress|currently being|is being|eventual/i;

/** The error's name, as AWS SDK v3 sets it. */
export function errorName(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? '';
}

/** The error's message. */
export function errorMessage(error: unknown): string {
  return (error as { message?: string } | undefined)?.message ?? String(error);
}

/** Whether another attempt may succeed: throttling, concurrent changes, or "not yet" answers. */
export function isRetryable(error: unknown): boolean {
  const name = errorName(error);
  if (RETRYABLE_NAMES.has(name)) return true;
  return (name === 'BadRequestException' || name === 'AccessDeniedException') && NOT_YET.test(errorMessage(error));
}

/**
 * Runs `operation` until it succeeds, a non-retryable error is thrown, or the time budget is
 * spent (then the last error is thrown, naming the attempts). The budget is the invocation's
 * (from {@link startBudget}); without one, this call gets `timing.budgetMs` of its own.
 */
export async function withRetry<T>(description: string, operation: () => Promise<T>, retryable: (e: unknown) => boolean = isRetryable): Promise<T> {
  const deadline = invocationDeadline ?? timing.now() + timing.budgetMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!retryable(error)) throw error;
      const cap = Math.min(timing.maxDelayMs, timing.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.floor(timing.random() * cap) + 1;
      if (timing.now() + delay > deadline) {
        throw new Error(`${description}: gave up after ${attempt} attempts in ${Math.round(timing.budgetMs / 1000)} s: ${errorName(error)}: ${errorMessage(error)}`, { cause: error });
      }
      console.log(JSON.stringify({ retry: description, attempt, delayMs: delay, error: errorName(error), message: errorMessage(error) }));
      await timing.sleep(delay);
    }
  }
}
