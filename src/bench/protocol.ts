/**
 * The IPC messages between the benchmark process and its child (the daemon, or the bare BullMQ worker
 * of the baseline). Plain JSON over `process.send`; timestamps are `epochNow()` values.
 */

/** CPU and memory of a process at one moment. */
export interface UsageSample {
  /** resident set size now, bytes */
  readonly rssBytes: number;
  /** peak resident set size since the process started, bytes (getrusage ru_maxrss) */
  readonly maxRssBytes: number;
  readonly heapUsedBytes: number;
  /** user + system CPU time since the process started, microseconds */
  readonly cpuMicros: number;
}

/** What the daemon child starts. `config` is raw config input for `parseConfig`. */
export type StartCommand =
  | { readonly cmd: 'start'; readonly mode: 'daemon'; readonly config: Record<string, unknown>; readonly workerConcurrency: number }
  | { readonly cmd: 'start'; readonly mode: 'baseline'; readonly redisUrl: string; readonly queueName: string; readonly concurrency: number };

/** Parent → child: start, sample usage, collect the marks so far, stop. */
export type ParentMessage = StartCommand | { readonly cmd: 'usage' } | { readonly cmd: 'collect' } | { readonly cmd: 'stop' };

/** Per-key first-seen timestamps, and call statistics of the broker methods (daemon mode). */
export interface ChildMarks {
  /** daemon: orderRef → first order status / rejection seen on the broker's event stream */
  readonly ack: Record<string, number>;
  /** daemon: `${auditType}|${signalId}` → first audit append of that type (signal, decision, order.intent, order.sent, outcome) */
  readonly audit: Record<string, number>;
  /** daemon: entry orderRef → start and end of the `placeOrders` call */
  readonly place: Record<string, readonly [number, number]>;
  /** daemon: broker query method → calls and total ms (quote, accountSummaries, positions, contractDetails) */
  readonly calls: Record<string, { count: number; totalMs: number; maxMs: number }>;
  /** baseline: job id → processor start */
  readonly processed: Record<string, number>;
}

/** Child → parent: one answer per request, or the error that request hit. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly usage: UsageSample }
  | { readonly type: 'usage'; readonly usage: UsageSample }
  | { readonly type: 'collected'; readonly marks: ChildMarks; readonly usage: UsageSample }
  | { readonly type: 'stopped'; readonly usage: UsageSample }
  | { readonly type: 'error'; readonly message: string };
