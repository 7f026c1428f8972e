/**
 * SHELL: the producer side of the `signals` queue, used by `ibkr-exec signal`, the demo and tests.
 * Enqueue-side dedupe: the BullMQ job id is derived from the signal id, so the same signal added twice
 * while the first job is retained is ignored by BullMQ; after that window the outbox answers DUPLICATE.
 */
import type { JobsOptions, Queue } from 'bullmq';

/**
 * Completed jobs (and so the enqueue-side dedupe window) are kept a week; failed ones a month. No
 * `attempts` / `backoff`: retries are the daemon's (an outage moves a job back to delayed without using
 * an attempt), so BullMQ's default of one attempt is right; only an invalid payload fails.
 */
export const SIGNAL_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 7 * 24 * 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
};

/**
 * The BullMQ job id of a signal: `sig-` + the id with `:` mapped to `~` (BullMQ forbids `:` in
 * custom ids; `~` is not allowed in signal ids, so the mapping is one-to-one).
 */
export function jobIdForSignal(signalId: string): string {
  return `sig-${signalId.replaceAll(':', '~')}`;
}

/** Adds a signal payload (already validated by the caller) under its deterministic job id. */
export async function enqueueSignal(
  queue: Queue,
  payload: { readonly id: string } & Record<string, unknown>,
  options: JobsOptions = {},
): Promise<{ jobId: string }> {
  const jobId = jobIdForSignal(payload.id);
  await queue.add('signal', payload, { ...SIGNAL_JOB_OPTIONS, ...options, jobId });
  return { jobId };
}
