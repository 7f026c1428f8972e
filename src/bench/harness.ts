/**
 * The benchmark's world: the simulator (in this process, over TCP), the daemon in a child process, a
 * producer, and the observers every phase reads:
 *  - `wire`: orderRef → when the simulator engine received the order (its first `openOrder` event,
 *    emitted synchronously while the PLACE_ORDER frame is handled — a subscriber, no simulator change);
 *  - `completed`: job id → when QueueEvents reported the job completed or failed;
 *  - `fills()`: orderRef → when the fill entry was added to `<prefix>:fills` (its stream id, Redis time).
 *
 * The fixture has one corporate account with a billion dollars, so every MKT BUY of a few shares is
 * PLACED and fills at once. Instruments are the simulator's defaults (AAPL, MSFT, SPY, …).
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { DEFAULT_CONFIG_INPUT } from '../config.js';
import { startStack, type Stack } from '../app/stack.js';
import { orderRefFor } from '../domain/order-ref.js';
import { createRedis } from '../infra/redis.js';
import { keysFor } from '../infra/keys.js';
import { SIGNAL_JOB_OPTIONS, jobIdForSignal } from '../ingest/enqueue.js';
import type { Fixture } from '../sim/index.js';
import { spawnBenchChild, type BenchChild } from './child-handle.js';
import { epochNow } from './clock.js';

/** The one account every benchmark signal targets. */
export const BENCH_ACCOUNT = 'DU9000001';

/** The simulator household of the benchmark: one corporate account with $1 billion, default instruments. */
export const BENCH_FIXTURE: Fixture = {
  nextOrderId: 1,
  accounts: [{ id: BENCH_ACCOUNT, accountType: 'CORPORATION', baseCurrency: 'USD', cash: { USD: 1_000_000_000 }, positions: [] }],
};

/** What `startHarness` needs; see `BenchOptions` for the meaning of each figure. */
export interface HarnessOptions {
  readonly redisUrl: string;
  readonly symbols: readonly string[];
  readonly quantity: number;
  readonly workerConcurrency: number;
  readonly maxMessagesPerSecond: number;
  readonly cpuProfDir?: string;
}

/** One signal as the benchmark sent it. */
export interface SentSignal {
  readonly id: string;
  readonly jobId: string;
  readonly orderRef: string;
  readonly t0: number;
}

/** The running world of one benchmark; `close()` stops the daemon child and removes every key. */
export interface Harness {
  readonly stack: Stack;
  readonly daemon: BenchChild;
  readonly runId: string;
  readonly wire: Map<string, number>;
  readonly completed: Map<string, { at: number; ok: boolean; value?: string }>;
  /** the payload of signal number `i` with this id */
  payload(id: string, i: number): Record<string, unknown>;
  /** a SentSignal for `id` stamped now (call right before enqueueing) */
  stamp(id: string): SentSignal;
  /** enqueues one signal (the stack's producer, the daemon's job options) */
  add(s: SentSignal, i: number): Promise<unknown>;
  /** orderRef → time the fill was published on the fills stream */
  fills(): Promise<Map<string, number>>;
  /** the simulator's counters for the daemon's connections */
  simStats(): { messages: number; maxPerSecond: number; violations: number };
  redisVersion(): Promise<string>;
  close(): Promise<void>;
}

/** Starts the simulator, the producer and observers, and the daemon child; resolves once the daemon consumes. */
export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const runId = randomUUID().slice(0, 6);
  const stack = await startStack({
    redisUrl: o.redisUrl,
    fixture: BENCH_FIXTURE,
    tickIntervalMs: 0,
    noDaemon: true,
    config: { accounts: [{ id: BENCH_ACCOUNT, type: 'BUSINESS', label: 'Benchmark' }] },
  });
  const wire = new Map<string, number>();
  const unsubscribe = stack.sim.engine.subscribe((e) => {
    if (e.kind === 'openOrder' && !wire.has(e.order.orderRef)) wire.set(e.order.orderRef, epochNow());
  });
  const completed = new Map<string, { at: number; ok: boolean; value?: string }>();
  stack.queueEvents.on('completed', ({ jobId, returnvalue }) => completed.set(jobId, { at: epochNow(), ok: true, value: typeof returnvalue === 'string' ? returnvalue : JSON.stringify(returnvalue) }));
  stack.queueEvents.on('failed', ({ jobId, failedReason }) => completed.set(jobId, { at: epochNow(), ok: false, value: failedReason }));

  const c = stack.config;
  const raw = {
    ...DEFAULT_CONFIG_INPUT,
    ib: { ...DEFAULT_CONFIG_INPUT.ib, port: stack.sim.port, maxMessagesPerSecond: o.maxMessagesPerSecond },
    redis: { url: o.redisUrl, prefix: c.redis.prefix },
    queue: { name: c.queue.name },
    http: { port: 0 },
    accounts: c.accounts.map((a) => ({ id: a.id, type: a.type, ...(a.label ? { label: a.label } : {}) })),
  };
  let daemon: BenchChild;
  try {
    daemon = await spawnBenchChild({ cmd: 'start', mode: 'daemon', config: raw, workerConcurrency: o.workerConcurrency }, o.cpuProfDir ? { cpuProfDir: o.cpuProfDir } : {});
  } catch (e) {
    unsubscribe();
    await stack.stop();
    throw e;
  }
  const keys = keysFor(c.redis.prefix);
  const redis = createRedis(o.redisUrl);
  const clientId = c.ib.clientId;

  const payload = (id: string, i: number): Record<string, unknown> => ({
    id,
    createdAt: new Date().toISOString(),
    source: 'benchmark',
    instrument: { symbol: o.symbols[i % o.symbols.length] ?? 'AAPL' },
    side: 'BUY',
    size: { quantity: o.quantity },
    order: { type: 'MKT', tif: 'DAY' },
    accounts: [BENCH_ACCOUNT],
  });

  return {
    stack,
    daemon,
    runId,
    wire,
    completed,
    payload,
    stamp: (id) => ({ id, jobId: jobIdForSignal(id), orderRef: orderRefFor(id, BENCH_ACCOUNT, 'entry'), t0: epochNow() }),
    add: (s, i) => stack.queue.add('signal', payload(s.id, i), { ...SIGNAL_JOB_OPTIONS, jobId: s.jobId }),
    fills: async () => {
      const out = new Map<string, number>();
      const entries = await redis.xrange(keys.fills, '-', '+');
      for (const [id, fields] of entries) {
        const f = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
        const ref = f.get('orderRef');
        if (!ref || f.get('type') === 'COMMISSION' || out.has(ref)) continue;
        out.set(ref, Number(id.split('-')[0]));
      }
      return out;
    },
    simStats: () => {
      const mine = stack.sim.engine.stats.snapshot().connections.filter((s) => s.clientId === clientId);
      return {
        messages: mine.reduce((n, s) => n + s.messages, 0),
        maxPerSecond: mine.reduce((n, s) => Math.max(n, s.maxPerSecond), 0),
        violations: mine.reduce((n, s) => n + s.violations, 0),
      };
    },
    redisVersion: async () => /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown',
    close: async () => {
      await daemon.stop().catch(() => undefined);
      unsubscribe();
      redis.disconnect();
      await stack.stop();
    },
  };
}

/** A bare BullMQ queue on the same Redis for the baseline, cleaned up by `close`. */
export function baselineQueue(redisUrl: string, name: string): { queue: Queue; close(): Promise<void> } {
  const queue = new Queue(name, { connection: { url: redisUrl, maxRetriesPerRequest: null } });
  return {
    queue,
    close: async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    },
  };
}
