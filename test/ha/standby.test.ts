/**
 * A hot-standby group of two daemon processes (one IB login, own client ids) against the simulator and a
 * private Redis: the leader is frozen (SIGSTOP) mid-burst; the standby takes the lease within
 * `ha.takeoverSeconds`, reconciles and handles the rest of the burst (signals keep being handled while the
 * old leader is frozen); the old leader, woken (SIGCONT), finds its lease gone on its own monotonic clock,
 * sends nothing, writes nothing, disconnects and exits 1. No (signal, account) gets a second order; every
 * signal has an outcome; the audit chain verifies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import { collectStatus, formatStatus } from '../../src/cli/commands/status.js';
import { jobIdForSignal } from '../../src/ingest/enqueue.js';
import { keysFor } from '../../src/infra/keys.js';
import { readLeader } from '../../src/infra/lease.js';
import { createRedis, redisOptionsFor } from '../../src/infra/redis.js';
import { readStream } from '../../src/infra/streams.js';
import { verifyAudit } from '../../src/infra/audit.js';
import { loadKey } from '../../src/infra/secrets.js';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import { checkInvariants, type JobView, type SimState } from '../chaos/invariants.js';
import { ACCOUNTS, CHAOS_FIXTURE, planSignals, prng } from '../chaos/scenario.js';
import { freePort, startRedisProcess, type RedisProcess } from '../chaos/redis-process.js';
import type { HaChildSettings } from './ha-child.js';

const CHILD = fileURLToPath(new URL('./ha-child.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface Member {
  readonly proc: ChildProcess;
  readonly messages: Record<string, unknown>[];
  exit?: number | null;
}

function member(settings: HaChildSettings, clientId: number, log: string): Member {
  const fd = openSync(log, 'a');
  const config = { ...settings.config, ib: { ...(settings.config.ib as object), clientId } };
  const proc = fork(CHILD, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, HA_DAEMON: JSON.stringify({ ...settings, config }) }, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd);
  const m: Member = { proc, messages: [] };
  proc.on('message', (x) => m.messages.push(x as Record<string, unknown>));
  proc.on('exit', (code) => (m.exit = code));
  return m;
}

describe('hot standby: the leader frozen mid-burst', () => {
  const runId = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-ha-'));
  const prefix = `ha-${runId}`;
  const keys = keysFor(prefix);
  let redisProc: RedisProcess;
  let sim: SimulatorHandle;
  let queue: Queue;
  let redis: Redis;
  let settings: HaChildSettings;
  const members: Member[] = [];
  type Orders = SimState['orders'][number] & { clientId: number };
  const admin = async (path: string): Promise<Omit<SimState, 'orders'> & { orders: readonly Orders[] }> => (await fetch(`http://127.0.0.1:${sim.adminPort ?? 0}${path}`)).json() as never;

  beforeAll(async () => {
    redisProc = await startRedisProcess();
    const ibPort = await freePort();
    sim = await startSimulator({ port: ibPort, adminPort: 0, tickIntervalMs: 0, seed: 7, fixture: CHAOS_FIXTURE });
    settings = {
      config: {
        ...DEFAULT_CONFIG_INPUT,
        stateDir: join(dir, 'state'),
        ib: { host: '127.0.0.1', port: ibPort, clientId: 0 },
        redis: { url: redisProc.url, prefix },
        queue: { name: `signals-${prefix}` },
        http: { port: 0 },
        ha: { enabled: true, leaseSeconds: 10, takeoverSeconds: 15 },
        execution: { ackTimeoutMs: 1500, inflightCheckMs: 500, reconcileIntervalMs: 3000, shutdownTimeoutMs: 3000 },
      },
      lockDurationMs: 2000,
      stalledIntervalMs: 500,
    };
    queue = new Queue(`signals-${prefix}`, { connection: { url: redisProc.url, ...redisOptionsFor({ role: 'worker' }) } });
    redis = createRedis(redisProc.url, { role: 'worker' });
  }, 30_000);

  afterAll(async () => {
    for (const m of members) if (m.exit === undefined) m.proc.kill('SIGKILL');
    await queue?.close().catch(() => undefined);
    redis?.disconnect();
    await sim?.close();
    await redisProc?.stop();
  });

  it('takes over within ha.takeoverSeconds, and the woken old leader neither writes nor sends', async () => {
    const a = member(settings, 21, join(dir, 'a.log'));
    members.push(a);
    await until('daemon A leads', () => a.messages.some((m) => m.leading), 60_000);
    const b = member(settings, 22, join(dir, 'b.log'));
    members.push(b);
    await until('daemon B stands by', () => readFileSync(join(dir, 'b.log'), 'utf8').includes('another daemon leads'), 30_000);
    expect((await readLeader(redis, keys))?.holder).toMatch(/client 21$/);

    const plan = planSignals(prng(11), 40, runId, jobIdForSignal);
    const add = async (from: number, to: number) => {
      for (const p of plan.slice(from, to)) {
        await queue.add('signal', p.payload, { jobId: p.jobId });
        await sleep(40);
      }
    };
    await add(0, 15);
    await until('a few signals handled by A', async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= 5, 30_000);
    a.proc.kill('SIGSTOP');
    const stoppedAt = Date.now();
    await add(15, plan.length); // the burst goes on while the leader is frozen
    await until('daemon B leads', () => b.messages.some((m) => m.leading), 15_000 - (Date.now() - stoppedAt));
    expect((await readLeader(redis, keys))?.holder).toMatch(/client 22$/);
    const parsed = parseConfig(settings.config, {});
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const report = await collectStatus(parsed.config, { clientId: 99, timeoutMs: 100, connect: () => Promise.reject(new Error('no broker for status here')) });
    expect(formatStatus(report)).toMatch(/leader\s.*client 22 \(fencing token \d+/);

    const jobIds = new Set(plan.map((p) => p.jobId));
    await until('every job settled', async () => {
      const c = await queue.getJobCounts('completed', 'failed');
      return (c.completed ?? 0) + (c.failed ?? 0) >= jobIds.size;
    }, 60_000);
    const ofA = async () => (await admin('/state')).orders.filter((o) => o.clientId === 21).map((o) => o.orderRef).sort();
    const beforeWake = await ofA();

    a.proc.kill('SIGCONT');
    await until('the old leader exits', () => a.exit !== undefined, 30_000);
    expect(a.exit).toBe(1);
    expect(a.messages.some((m) => typeof m.lost === 'string')).toBe(true);
    await sleep(1000); // anything it could still have sent would have reached the simulator by now
    expect(await ofA()).toEqual(beforeWake);
    const logA = readFileSync(join(dir, 'a.log'), 'utf8');
    expect(logA).toContain('leader lease lost');
    expect(logA).toContain('FENCED'); // its in-flight jobs tried to write after waking and were refused

    const jobs: JobView[] = [];
    for (const p of plan) {
      const job = await queue.getJob(p.jobId);
      jobs.push({ planned: p, job, state: job ? await job.getState() : 'missing' });
    }
    const state = await admin('/state');
    const verdict = checkInvariants(jobs, state, await readStream(redis, keys.fills), await readStream(redis, keys.deadLetter), ACCOUNTS);
    expect(verdict.violations).toEqual([]);
    const perRef = new Map<string, number>();
    for (const o of state.orders) perRef.set(o.orderRef, (perRef.get(o.orderRef) ?? 0) + 1);
    expect([...perRef].filter(([, n]) => n > 1)).toEqual([]);
    expect(state.orders.some((o) => o.clientId === 22)).toBe(true);
    const audit = await verifyAudit(redis, keys.audit, loadKey('audit', { env: {}, stateDir: join(dir, 'state') }).key);
    expect(audit).toMatchObject({ ok: true });
    b.proc.kill('SIGTERM');
    await until('B stops', () => b.exit !== undefined, 30_000);
    expect(await readLeader(redis, keys)).toBeUndefined(); // a graceful stop gives the lease up
  }, 240_000);
});
