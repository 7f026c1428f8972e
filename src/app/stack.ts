/**
 * The whole product in one process: the TWS simulator and the daemon on free loopback ports, a queue
 * producer, and helpers to send signals and wait for their outcomes. Used by `ibkr-exec demo`, the
 * end-to-end tests, the chaos suite and the benchmark. Every stack gets its own Redis key prefix and
 * queue name, so several can share one Redis.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeys } from '../infra/secrets.js';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { parseConfig, redisPassword, type Config, type Env } from '../config.js';
import { DEFAULT_CONFIG_INPUT } from '../config.js';
import type { Outcome } from '../domain/types.js';
import { createRedis, redisOptionsFor } from '../infra/redis.js';
import type { Redis } from 'ioredis';
import { SIGNAL_JOB_OPTIONS, jobIdForSignal } from '../ingest/enqueue.js';
import { startSimulator, type Fixture, type SimulatorHandle } from '../sim/index.js';
import { startDaemon, type DaemonHandle, type DaemonOptions } from './daemon.js';
import { createLogger, type Logger } from './logger.js';
import { attachClientPortal } from '../cp/stack-cp.js';

export interface StackOptions {
  readonly redisUrl: string;
  readonly fixture?: Fixture;
  readonly seed?: number;
  /** simulator random walk period (0 = prices move only when told) */
  readonly tickIntervalMs?: number;
  /** overrides merged into the default config (accounts, limits, ira, execution, readOnly, mode …) */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly env?: Env;
  readonly logger?: Logger;
  readonly daemon?: Partial<Omit<DaemonOptions, 'config' | 'env' | 'logger'>>;
  /** start without the daemon (tests that start it themselves) */
  readonly noDaemon?: boolean;
  /** "client-portal": the daemon talks to a Client Portal simulator on the same engine (src/cp/stack-cp.ts) */
  readonly broker?: 'tws' | 'client-portal';
}

export interface Stack {
  readonly sim: SimulatorHandle;
  readonly config: Config;
  /** the control and audit keys (in the stack's own state directory, a temp dir unless `config.stateDir`) */
  readonly secrets: { readonly controlKey: Buffer; readonly auditKey: Buffer };
  readonly queue: Queue;
  readonly queueEvents: QueueEvents;
  daemon: DaemonHandle | undefined;
  readonly adminUrl: string;
  /** enqueues a payload (job id from the signal id unless given) and returns the job */
  send(payload: Readonly<Record<string, unknown>>, jobId?: string): Promise<Job>;
  /** waits for the job's return value; rejects with the failure reason when the job fails */
  outcome(job: Job, timeoutMs?: number): Promise<Outcome>;
  /** starts (or restarts) the daemon */
  startDaemon(): Promise<DaemonHandle>;
  /** calls the simulator's admin API */
  admin<T = unknown>(path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const sim = await startSimulator({ port: 0, adminPort: 0, tickIntervalMs: o.tickIntervalMs ?? 0, seed: o.seed ?? 7, ...(o.fixture ? { fixture: o.fixture } : {}) });
  const id = randomUUID().slice(0, 8);
  // every stack has its own state directory and keys, so stacks never share an epoch or an anchor
  const cp = o.broker === 'client-portal' ? await attachClientPortal(sim.engine) : undefined;
  const ownStateDir = o.config?.stateDir === undefined ? mkdtempSync(join(tmpdir(), 'ibkr-exec-state-')) : undefined;
  const raw = {
    ...DEFAULT_CONFIG_INPUT,
    ...o.config,
    stateDir: ownStateDir ?? o.config?.stateDir,
    ib: { ...DEFAULT_CONFIG_INPUT.ib, port: sim.port, ...((o.config?.ib as object | undefined) ?? {}) },
    // a prefix / queue name of the caller's is kept (an ACL test names them in advance); else unique ones
    redis: { prefix: `ibkr-${id}`, ...((o.config?.redis as object | undefined) ?? {}), url: o.redisUrl },
    queue: { name: `signals-${id}`, ...((o.config?.queue as object | undefined) ?? {}) },
    http: { port: 0, ...((o.config?.http as object | undefined) ?? {}) },
    ...(cp ? cp.config : {}),
  };
  const parsed = parseConfig(raw, {});
  if (!parsed.ok) {
    await cp?.close();
    await sim.close();
    throw new Error(`stack config: ${parsed.errors.join('; ')}`);
  }
  const config = parsed.config;
  const keys = loadKeys({ env: o.env ?? {}, stateDir: config.stateDir, create: true });
  const password = redisPassword(o.env ?? {});
  const pw = password !== undefined ? { password } : {};
  const connection = { url: o.redisUrl, ...redisOptionsFor({ role: 'worker', ...pw }) };
  const queue = new Queue(config.queue.name, { connection });
  const queueEvents = new QueueEvents(config.queue.name, { connection });
  await queueEvents.waitUntilReady();
  const logger = o.logger ?? createLogger({ silent: true });
  const adminUrl = `http://127.0.0.1:${sim.adminPort ?? 0}`;

  const stack: Stack = {
    sim,
    config,
    secrets: { controlKey: keys.control.key, auditKey: keys.audit.key },
    queue,
    queueEvents,
    daemon: undefined,
    adminUrl,
    send: (payload, jobId) => queue.add('signal', payload, { ...SIGNAL_JOB_OPTIONS, jobId: jobId ?? jobIdForSignal(String(payload.id)) }),
    outcome: async (job, timeoutMs = 30_000) => (await job.waitUntilFinished(queueEvents, timeoutMs)) as Outcome,
    startDaemon: async () => {
      stack.daemon = await startDaemon({ config, env: o.env ?? {}, logger, ...(cp ? { clientPortal: cp.tuning } : {}), ...o.daemon });
      return stack.daemon;
    },
    admin: async <T>(path: string, body?: unknown): Promise<T> => {
      const res = await fetch(adminUrl + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`simulator admin ${path}: ${res.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    stop: async () => {
      await stack.daemon?.stop();
      await queueEvents.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      const cleaner = createRedis(o.redisUrl, pw);
      await deleteKeys(cleaner, `${config.redis.prefix}:*`).catch(() => undefined);
      cleaner.disconnect();
      await queue.close();
      await cp?.close();
      await sim.close();
      if (ownStateDir) rmSync(ownStateDir, { recursive: true, force: true });
    },
  };
  if (!o.noDaemon) await stack.startDaemon();
  return stack;
}

/** Deletes every key matching `pattern` (a stack's own prefix). */
async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
