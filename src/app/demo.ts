/**
 * `ibkr-exec demo`: the simulator and the daemon in one process on free ports, the example signals of
 * `examples/signals/` sent one by one, and a table of each account's outcome and of the fills.
 * Redis: `REDIS_URL`, else a private `redis-server` on a free port (when the binary exists).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Outcome } from '../domain/types.js';
import { readStream } from '../infra/streams.js';
import { startStack } from './stack.js';

export interface DemoRow {
  readonly file: string;
  readonly outcome?: Outcome;
  readonly failure?: string;
}

export interface DemoResult {
  readonly rows: readonly DemoRow[];
  readonly fills: readonly Readonly<Record<string, string>>[];
  readonly deadLetters: number;
}

/** The folder of example signals shipped with the package. */
export function examplesDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'signals');
}

/** `demo --dashboard`: the dashboard's port, and what to do with the results while the stack still runs. */
export interface DemoDashboard {
  readonly port: number;
  /** called with the results and the dashboard URL; the stack stops when it resolves */
  keepOpen(result: DemoResult, url: string): Promise<void>;
}

/** Runs the demo against `redisUrl`; returns what happened (the CLI prints it). */
export async function runDemo(redisUrl: string, dir = examplesDir(), dashboard?: DemoDashboard, broker: 'tws' | 'client-portal' = 'tws'): Promise<DemoResult> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const stack = await startStack({ redisUrl, broker, ...(dashboard ? { tickIntervalMs: 1000, config: { http: { port: dashboard.port } } } : {}) });
  try {
    const rows: DemoRow[] = [];
    for (const file of files) {
      const payload = stampNow(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>, Date.now());
      // one job per file: the duplicate example reaches the daemon, whose outbox answers DUPLICATE
      const job = await stack.send(payload, `demo-${basename(file, '.json')}`);
      try {
        rows.push({ file, outcome: await stack.outcome(job) });
      } catch (e) {
        rows.push({ file, failure: (e as Error).message });
      }
    }
    const redis = new Redis(redisUrl);
    try {
      const keys = stack.daemon?.infra.keys;
      // let the last fills reach the stream: until it stays unchanged for a quiet period (the Client Portal
      // reports fills by polling, so its quiet period spans several polls), at most 10 s
      if (keys) await settled(() => redis.xlen(keys.fills), broker === 'client-portal' ? 1200 : 200);
      const fills = keys ? (await readStream(redis, keys.fills)).map((e) => e.fields) : [];
      const deadLetters = keys ? (await readStream(redis, keys.deadLetter)).length : 0;
      if (dashboard && stack.daemon) await dashboard.keepOpen({ rows, fills, deadLetters }, stack.daemon.http.url);
      return { rows, fills, deadLetters };
    } finally {
      redis.disconnect();
    }
  } finally {
    await stack.stop();
  }
}

/** Resolves once `count()` returned the same value for `quietMs` (bounded by `maxMs`). */
async function settled(count: () => Promise<number>, quietMs: number, maxMs = 10_000): Promise<void> {
  const end = Date.now() + maxMs;
  let last = await count();
  let since = Date.now();
  while (Date.now() < end && Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 100));
    const n = await count();
    if (n !== last) [last, since] = [n, Date.now()];
  }
}

/**
 * The example files carry fixed dates; a signal is stamped when it is sent (`createdAt` = now), else
 * `execution.maxSignalAgeMs` would deny it SIGNAL_EXPIRED. A file with an `expiresAt` is left as it is:
 * it is there to show SIGNAL_EXPIRED.
 */
export function stampNow(payload: Record<string, unknown>, now: number): Record<string, unknown> {
  if (payload.expiresAt !== undefined || typeof payload.createdAt !== 'string') return payload;
  return { ...payload, createdAt: new Date(now).toISOString() };
}

/** A private redis-server on a free loopback port, or undefined when the binary is not installed. */
export async function startPrivateRedis(): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-demo-redis-'));
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
  });
  if (!spawned) return undefined;
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let i = 0; i < 50; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.disconnect();
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free loopback TCP port (bound and released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}
