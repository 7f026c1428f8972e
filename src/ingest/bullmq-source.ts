/**
 * SHELL: the bridge from a BullMQ Worker on the `signals` queue to an RxJS stream of jobs.
 *
 * A job completes only when the pipeline settles it with an outcome that has already been recorded in
 * Redis, so a crash at any earlier point leaves the job active; BullMQ's stall check then hands it to
 * the next worker (at-least-once), and the outbox makes that redelivery harmless (see execution/).
 * The worker is built with `autorun: false`: the daemon reconciles with the broker before it consumes.
 */
import { Worker, UnrecoverableError } from 'bullmq';
import type { Job, ConnectionOptions } from 'bullmq';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';

/** One delivery of a signal job. Exactly one of `settle` / `fail` must be called. */
export interface SignalJob {
  readonly jobId: string;
  readonly data: unknown;
  /** how many times BullMQ already ran this job and it failed (0 on the first attempt) */
  readonly attemptsMade: number;
  /** BullMQ's timestamp when the job was added (epoch ms) */
  readonly enqueuedAt: number;
  /** completes the job with this value as its return value */
  settle(outcome: unknown): void;
  /** fails the job; `permanent` skips the remaining attempts (bad payload) */
  fail(error: Error, permanent?: boolean): void;
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
}

export interface SignalSource {
  readonly jobs$: Observable<SignalJob>;
  readonly worker: Worker;
  /** starts consuming; call once the stream is subscribed and reconciliation is done */
  start(): void;
  /** stops fetching and waits for the jobs in flight to settle */
  close(): Promise<void>;
}

/** Creates the worker (not yet running) and the stream of its jobs. */
export function createSignalSource(opts: SignalSourceOptions): SignalSource {
  const jobs = new Subject<SignalJob>();
  const processor = (job: Job): Promise<unknown> =>
    new Promise((resolve, reject) => {
      jobs.next({
        jobId: job.id ?? '',
        data: job.data as unknown,
        attemptsMade: job.attemptsMade,
        enqueuedAt: job.timestamp,
        settle: resolve,
        fail: (error, permanent) => reject(permanent ? new UnrecoverableError(error.message) : error),
      });
    });
  const worker = new Worker(opts.queueName, processor, {
    connection: opts.connection,
    autorun: false,
    concurrency: opts.concurrency,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    // A stalled job is re-run: the outbox guarantees the re-run never sends an order twice.
    maxStalledCount: opts.maxStalledCount ?? 10,
    ...(opts.prefix ? { prefix: opts.prefix } : {}),
  });
  return {
    jobs$: jobs.asObservable(),
    worker,
    start: () => {
      void worker.run();
    },
    close: async () => {
      await worker.close();
      jobs.complete();
    },
  };
}
