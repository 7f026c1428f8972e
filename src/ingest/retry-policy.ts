/**
 * How long a signal job waits before it runs again after an outage (pure). The daemon owns retries: a
 * job that met an outage goes back to BullMQ's delayed set without using an attempt, so this backoff,
 * not the producer's `attempts`/`backoff`, paces it, and it never runs out: the signal's age
 * (`expiresAt`, `execution.maxSignalAgeMs`) ends it with DENIED SIGNAL_EXPIRED instead.
 */

export interface RetryBackoff {
  /** the first delay (default 1 s) */
  readonly initialMs: number;
  /** the cap (default 60 s) */
  readonly maxMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 1_000, maxMs: 60_000 };

/** The delay before run `attemptsStarted + 1`: initial × 2^(runs so far − 1), capped. */
export function retryDelayMs(attemptsStarted: number, b: RetryBackoff = DEFAULT_RETRY_BACKOFF): number {
  const runs = Math.max(1, Math.floor(attemptsStarted));
  const exp = Math.min(runs - 1, 30);
  return Math.min(b.maxMs, b.initialMs * 2 ** exp);
}
