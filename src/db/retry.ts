import { isRetryableTransactionError } from './errors.js';

/** How often, and how patiently, a whole transaction is run again. */
export type RetryOptions = { attempts?: number; baseDelayMs?: number };

/**
 * Runs `fn` (a whole transaction) again when it failed with a retryable error: a few attempts with a
 * short, jittered, growing pause. Any other error, or the last retryable one, is thrown as it is.
 */
export async function withTransactionRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const baseDelayMs = opts.baseDelayMs ?? 20;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !isRetryableTransactionError(err)) throw err;
      const delay = baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
