/**
 * SHELL: the bridge from a BullMQ Worker on the `signals` queue to an RxJS stream of jobs.
 *
 * A job completes only when the pipeline settles it with an outcome that has already been recorded in
 * Redis, so a crash at any earlier point leaves the job active; BullMQ's stall check then hands it to
 * the next worker (at-least-once), and the outbox makes that redelivery harmless (see execution/).
 * The worker is built with `autorun: false`: the daemon reconciles with the broker before it consumes.
 *
 * Retries are the daemon's, not the producer's: whatever job options a producer set (BullMQ's defaults,
 * `attempts: 1`, included), a job that met an outage goes back to BullMQ's delayed set with
 * `job.moveToDelayed(ts, token)` + `DelayedError`, which does NOT use up an attempt, and runs again after
 * a capped exponential backoff. Only an invalid payload fails (permanently, `UnrecoverableError`).
 */
import { DelayedError, Queue, Worker, UnrecoverableError } from 'bullmq';
import type { Job, ConnectionOptions } from 'bullmq';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';

/** One delivery of a signal job. Exactly one of `settle` / `fail` / `retryLater` must be called. */
export interface SignalJob {
  readonly jobId: string;
  readonly data: unknown;
  /** how many times BullMQ already ran this job and it failed (0 on the first attempt) */
  readonly attemptsMade: number;
  /** how many times a worker started this job, delays and stalls included (1 on the first run) */
  readonly attemptsStarted: number;
  /** BullMQ's timestamp when the job was added (epoch ms) */
  readonly enqueuedAt: number;
  /** completes the job with this value as its return value */
  settle(outcome: unknown): void;
  /** fails the job for good (an invalid payload); never used for outages */
  fail(error: Error): void;
  /** puts the job back in the delayed set for `delayMs` without using an attempt (an outage) */
  retryLater(reason: Error, delayMs: number): void;
}

export interface SignalSourceOptions {
  readonly queueName: string;
  readonly connection: ConnectionOptions;
  /** how many jobs may be in the pipeline at once (per-account order is kept downstream) */
  readonly concurrency: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  readonly maxStalledCount?: number;
  readonly prefix?: string;
  /** told when moving a job back to delayed failed (Redis gone); the stall check then redelivers it */
  readonly onDelayError?: (jobId: string, err: unknown) => void;
  /** a job fetched just as fetching was switched off goes back to delayed for this long (default 1 s) */
  readonly gatedDelayMs?: number;
}

export interface SignalSource {
  readonly jobs$: Observable<SignalJob>;
  readonly worker: Worker;
  /** starts consuming; call once the stream is subscribed and reconciliation is done */
  start(): void;
  /**
   * Gates fetching: `false` pauses this worker locally (jobs in flight carry on; nothing new is
   * fetched), `true` resumes it. Idempotent; effective only after `start()`.
   */
  setFetching(on: boolean): void;
  /** stops fetching and waits for the jobs in flight to settle */
  close(): Promise<void>;
}

/**
 * A stalled job is re-run: the outbox guarantees the re-run never sends an order twice. Each Redis outage
 * or daemon crash during a job costs it one stall, so the bound is high: a job must never fail because
 * its infrastructure was down.
 */
const MAX_STALLED = 100_000;

/** Creates the worker (not yet running) and the stream of its jobs. */
export function createSignalSource(opts: SignalSourceOptions): SignalSource {
  const jobs = new Subject<SignalJob>();
  let started = false;
  let fetching = true;
  const delay = async (job: Job, token: string | undefined, ms: number, reason: string): Promise<never> => {
    try {
      await job.moveToDelayed(Date.now() + ms, token);
    } catch (err) {
      // Redis gone or the lock lost: leave the job active; the stall check moves it back to wait
      opts.onDelayError?.(job.id ?? '', err);
    }
    throw new DelayedError(reason);
  };
  const processor = (job: Job, token?: string): Promise<unknown> => {
    // a blocking fetch already under way when fetching was switched off still hands over a job: put it back untouched
    if (!fetching) return delay(job, token, opts.gatedDelayMs ?? 1_000, 'the daemon takes no new signals while IB is not ready');
    return new Promise((resolve, reject) => {
      jobs.next({
        jobId: job.id ?? '',
        data: job.data as unknown,
        attemptsMade: job.attemptsMade,
        attemptsStarted: job.attemptsStarted,
        enqueuedAt: job.timestamp,
        settle: resolve,
        fail: (error) => reject(new UnrecoverableError(error.message)),
        retryLater: (reason, delayMs) => void delay(job, token, delayMs, reason.message).catch(reject),
      });
    });
  };
  const worker = new Worker(opts.queueName, processor, {
    connection: opts.connection,
    autorun: false,
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? MAX_STALLED,
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
  });
  return {
    jobs$: jobs.asObservable(),
    worker,
    start: () => {
      started = true;
      if (!fetching) return;
      void worker.run();
    },
    setFetching: (on) => {
      if (on === fetching) return;
      fetching = on;
      if (!started) return;
      if (on) {
        worker.resume();
        // a resume in the instant between the paused main loop ending and the worker marking itself stopped
        // would leave it stopped for good: check once more
        setTimeout(() => {
          if (fetching && !worker.isRunning() && !worker.closing) worker.run().catch(() => undefined);
        }, 200).unref();
      } else void worker.pause(true);
    },
    close: async () => {
      await worker.close();
      jobs.complete();
    },
  };
}

/** Looks signal jobs up by id (for orphan INTENTs: is the job that wrote one still going to run?). */
export interface JobLookup {
  /** true while the job exists and is not finished (waiting, delayed, active, prioritized…) */
  isLive(jobId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** A `JobLookup` over its own BullMQ `Queue` handle (no jobs are added through it). */
export function createJobLookup(queueName: string, connection: ConnectionOptions, prefix?: string): JobLookup {
  const queue = new Queue(queueName, { connection, ...(prefix ? { prefix } : {}) });
  queue.on('error', () => undefined);
  return {
    isLive: async (jobId) => {
      const state = await queue.getJobState(jobId);
      return state !== 'completed' && state !== 'failed' && state !== 'unknown';
    },
    close: () => queue.close(),
  };
}
