/**
 * A private Redis Sentinel group for tests: a master and a replica (`redis-server`, AOF on) and three
 * sentinels (`redis-server <conf> --sentinel`, the same binary Debian's redis-sentinel package runs) on
 * free loopback ports, each in its own temp dir (Sentinel rewrites its config file). Quorum 2, a master
 * is down after 1 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/app/demo.js';

const REDIS_BIN = process.env.CHAOS_REDIS_SERVER ?? 'redis-server';
export const MASTER_NAME = 'ha-test';

export interface SentinelGroup {
  readonly sentinels: { host: string; port: number }[];
  readonly ports: { readonly master: number; readonly replica: number };
  /** `redis://127.0.0.1:<port>` of the current master, asked from a sentinel */
  masterUrl(): Promise<string>;
  /** SENTINEL FAILOVER, then waits until the sentinels name the other server and it accepts writes */
  failover(): Promise<void>;
  /** stops one data server (by port) with SIGTERM */
  stopServer(port: number): Promise<void>;
  stop(): Promise<void>;
}

async function ping(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.ping();
      return;
    } catch (e) {
      if (Date.now() > end) throw new Error(`redis on ${port} did not answer: ${(e as Error).message}`);
      await new Promise((res) => setTimeout(res, 100));
    } finally {
      r.disconnect();
    }
  }
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > end) throw new Error(`sentinel group: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts master, replica and three sentinels; resolves once the sentinels see the replica. */
export async function startSentinelGroup(): Promise<SentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-sentinel-'));
  const procs = new Map<number, ChildProcess>();
  const launch = (port: number, args: string[]): void => {
    const p = spawn(REDIS_BIN, args, { stdio: 'ignore' });
    p.on('error', () => undefined);
    procs.set(port, p);
  };
  const server = (port: number, extra: string[]): void => {
    launch(port, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `${port}.rdb`, '--appendonly', 'yes', '--appendfilename', `${port}.aof`,
      '--appenddirname', `aof-${port}`, '--save', '', '--maxmemory-policy', 'noeviction', '--logfile', join(dir, `${port}.log`), ...extra]);
  };
  const master = await freePort();
  const replica = await freePort();
  server(master, []);
  await ping(master);
  server(replica, ['--replicaof', '127.0.0.1', String(master)]);
  await ping(replica);
  const sentinels: { host: string; port: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master} 2`, `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`, `logfile ${join(dir, `sentinel-${port}.log`)}`, ''].join('\n'));
    launch(port, [conf, '--sentinel']);
    sentinels.push({ host: '127.0.0.1', port });
  }
  for (const s of sentinels) await ping(s.port);
  const ask = async <T>(fn: (r: Redis) => Promise<T>): Promise<T> => {
    const r = new Redis({ port: sentinels[0]!.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    r.on('error', () => undefined);
    try {
      return await fn(r);
    } finally {
      r.disconnect();
    }
  };
  const masterPort = async (): Promise<number> => Number(((await ask((r) => r.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME))) as string[])[1]);
  const replicaCount = (): Promise<number> => ask(async (r) => ((await r.call('SENTINEL', 'replicas', MASTER_NAME)) as unknown[]).length);
  await waitFor('the sentinels to see the replica', async () => (await replicaCount()) >= 1);
  await waitFor('the sentinels to see each other', async () => ((await ask((r) => r.call('SENTINEL', 'sentinels', MASTER_NAME))) as unknown[]).length >= 2);
  return {
    sentinels,
    ports: { master, replica },
    masterUrl: async () => `redis://127.0.0.1:${await masterPort()}`,
    failover: async () => {
      const before = await masterPort();
      await waitFor('SENTINEL FAILOVER accepted', async () => (await ask((r) => r.call('SENTINEL', 'failover', MASTER_NAME))) === 'OK');
      await waitFor('the other server to be named master', async () => (await masterPort()) !== before);
      const now = await masterPort();
      await waitFor('the new master to accept writes', async () => {
        const r = new Redis({ port: now, host: '127.0.0.1', maxRetriesPerRequest: 1 });
        r.on('error', () => undefined);
        try {
          return (await r.set('sentinel-group:probe', '1')) === 'OK';
        } finally {
          r.disconnect();
        }
      });
    },
    stopServer: async (port) => {
      const p = procs.get(port);
      if (!p || p.exitCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      await exited;
    },
    stop: async () => {
      await Promise.all([...procs.values()].map((p) => (p.exitCode === null ? new Promise<void>((r) => (p.once('exit', () => r()), p.kill('SIGKILL'))) : Promise.resolve())));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
