/**
 * A private `redis-server` for the chaos suite: AOF on with `appendfsync always`, loopback only, its own
 * temp dir, restartable on the same port and dir so the data must survive through the AOF.
 * Pitfalls: the port is picked free before the first start and reused after a restart; a restart waits
 * until the old process has exited (SIGTERM = SHUTDOWN with a final fsync) before starting again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/app/demo.js';

export { freePort };

/** The running private Redis. */
export interface RedisProcess {
  readonly url: string;
  readonly dir: string;
  /** how many times it was restarted */
  readonly restarts: number;
  /** SIGTERM, wait for exit, start again on the same port and dir; resolves when it answers PING */
  restart(downMs?: number): Promise<void>;
  /** SIGTERM and wait for the exit (then `up()`) */
  down(): Promise<void>;
  /** start again after `down()`; resolves when it answers PING */
  up(): Promise<void>;
  /** stops it and removes the temp dir (unless `keepDir`) */
  stop(keepDir?: boolean): Promise<void>;
}

const REDIS_BIN = process.env.CHAOS_REDIS_SERVER ?? 'redis-server';

/** Starts redis-server with AOF (`appendfsync always`) in a new temp dir on a free port. */
export async function startRedisProcess(): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-chaos-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess | undefined;
  let restarts = 0;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always',
    '--save', '', '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')];

  const launch = async (): Promise<void> => {
    const p = spawn(REDIS_BIN, args, { stdio: 'ignore' });
    proc = p;
    let spawnError: Error | undefined;
    p.once('error', (e) => (spawnError = e));
    await waitForPing(url, 10_000, () => spawnError && new Error(`cannot start ${REDIS_BIN} (set CHAOS_REDIS_SERVER to its path): ${spawnError.message}`));
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  await launch();
  return {
    url,
    dir,
    get restarts() {
      return restarts;
    },
    restart: async (downMs = 0) => {
      await kill();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await launch();
      restarts += 1;
    },
    down: kill,
    up: async () => {
      await launch();
      restarts += 1;
    },
    stop: async (keepDir = false) => {
      await kill();
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(url: string, timeoutMs: number, failed: () => Error | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const err = failed();
    if (err) throw err;
    const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    r.on('error', () => undefined);
    try {
      await r.connect();
      // loading the AOF answers LOADING until done
      if ((await r.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      r.disconnect();
    }
    if (Date.now() > deadline) throw new Error(`redis-server on ${url} did not answer PING within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
