/**
 * Chaos suite (issue "Exactly-once execution … a chaos suite that proves it"). One run:
 *  - a private redis-server with AOF (`appendfsync always`), restarted mid-run;
 *  - the simulator in this process (it outlives every daemon);
 *  - the daemon as a child process with a fixed IB client id, SIGKILLed at random moments and restarted;
 *  - hundreds of signals enqueued over time while a seeded scheduler injects simulator faults
 *    (disconnect, connectivity-lost, drop-acks, reject-next, restart with rolled-back order ids) and
 *    price moves that fill resting limit orders, whoever is up at that moment;
 *  - the producer adds jobs with BullMQ's default options (one attempt): retries are the daemon's;
 *  - the daemon starts before Redis and before the simulator (start in any order);
 *  - faults added for issue #9: the gateway down (socket, then 1100) longer than the daemon's broker wait
 *    and a one-attempt producer's budget, a duplicate order for one orderRef booked by the simulator, and
 *    an orphan INTENT (a job that died after writing it and was removed);
 *  - then the faults stop, the system settles (bounded), and the invariants of `invariants.ts` plus the
 *    audit chain are checked: 0 lost, 0 duplicates left live, 0 orphans, every job completed with an
 *    outcome or failed as invalid. One line of counts is printed.
 * Sizes from the environment: CHAOS_SIGNALS (default 300), CHAOS_SEED (default: random, printed),
 * CHAOS_KILLS (6), CHAOS_REDIS_RESTARTS (2; every second one also SIGKILLs the daemon while Redis is down), CHAOS_SIM_FAULTS (each simulator fault this often, 2),
 * CHAOS_RATE (signals per second, 8), CHAOS_GATEWAY_DOWNS (1) of CHAOS_GATEWAY_DOWN_MS (6000), CHAOS_DUPLICATES (2),
 * CHAOS_ORPHANS (1), CHAOS_KEEP=1 keeps the temp dir (daemon log, AOF), CHAOS_LOG_LEVEL (info).
 * Replay a failure with its printed seed (the processes' timing still varies between runs).
 * Every fill on the stream has an audit record (`unauditedFills` is 0): the audit record is written before the
 * once-per-execId stream write, so a crash between the two repeats the audit record rather than losing it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_INPUT } from '../../src/config.js';
import { jobIdForSignal } from '../../src/ingest/enqueue.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { Decimal } from '../../src/domain/types.js';
import { keysFor } from '../../src/infra/keys.js';
import { createRedis, redisOptionsFor } from '../../src/infra/redis.js';
import { readStream } from '../../src/infra/streams.js';
import { verifyAudit } from '../../src/infra/audit.js';
import { loadKey } from '../../src/infra/secrets.js';
import { Outbox } from '../../src/infra/outbox.js';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import { daemonProcess, type DaemonProcess } from './daemon-process.js';
import { checkAuditTrail, checkInvariants, missingFills, type JobView, type SimState } from './invariants.js';
import { faultInjector } from './faults.js';
import { ACCOUNTS, BASE_PRICES, CHAOS_FIXTURE, planFaults, planSignals, prng, type PlannedFault, type PlannedJob } from './scenario.js';
import { freePort, startRedisProcess, type RedisProcess } from './redis-process.js';

const envInt = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && process.env[name] !== '' && process.env[name] !== undefined ? v : dflt;
};

const SEED = envInt('CHAOS_SEED', Math.floor(Math.random() * 2 ** 31));
const SIGNALS = envInt('CHAOS_SIGNALS', 300);
const RATE = envInt('CHAOS_RATE', 8);
const KILLS = envInt('CHAOS_KILLS', 6);
const REDIS_RESTARTS = envInt('CHAOS_REDIS_RESTARTS', 2);
const SIM_FAULTS = envInt('CHAOS_SIM_FAULTS', 2);
const KEEP = process.env.CHAOS_KEEP === '1';
const SETTLE_MS = envInt('CHAOS_SETTLE_MS', 150_000);
const GATEWAY_DOWNS = envInt('CHAOS_GATEWAY_DOWNS', 1);
const GATEWAY_DOWN_MS = envInt('CHAOS_GATEWAY_DOWN_MS', 6_000);
const DUPLICATES = envInt('CHAOS_DUPLICATES', 2);
const ORPHANS = envInt('CHAOS_ORPHANS', 1);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it is true or `timeoutMs` passed; returns the last result. */
async function until(cond: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

describe('chaos: exactly-once execution under crashes and faults', () => {
  const runId = randomBytes(3).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-chaos-'));
  const prefix = `chaos-${runId}`;
  const queueName = `signals-chaos-${runId}`;
  let redisProc: RedisProcess;
  let sim: SimulatorHandle;
  let daemon: DaemonProcess;
  let queue: Queue;
  let redis: Redis;
  let adminUrl = '';

  let daemonReady: Promise<void> = Promise.resolve();
  beforeAll(async () => {
    console.log(`chaos: seed=${SEED} signals=${SIGNALS} kills=${KILLS} dir=${dir}`);
    // start in any order: the daemon first (Redis down, nothing on the TWS port), then Redis, then the simulator
    redisProc = await startRedisProcess();
    await redisProc.down();
    const ibPort = await freePort();
    daemon = daemonProcess(
      {
        config: {
          ...DEFAULT_CONFIG_INPUT,
          stateDir: join(dir, 'state'),
          ib: { host: '127.0.0.1', port: ibPort, clientId: 17 },
          redis: { url: redisProc.url, prefix },
          queue: { name: queueName },
          http: { port: 0 },
          // periodic pass shorter than the default 60 s: events lost while Redis restarts (e.g. a fill of an
          // ACCEPTED order, which the in-flight monitor does not look at) are recovered by it
          execution: { ackTimeoutMs: 1500, inflightCheckMs: 500, reconcileIntervalMs: 15_000, shutdownTimeoutMs: 5000 },
        },
        lockDurationMs: 2000,
        stalledIntervalMs: 500,
        logLevel: process.env.CHAOS_LOG_LEVEL ?? 'info',
        ibBackoff: { initialMs: 200, maxMs: 1000 },
        // a short clock: the gateway-down fault outlasts the broker wait and several retry delays
        retryBackoff: { initialMs: 250, maxMs: 2000 },
        brokerWaitMs: 1500,
        orphanIntentMs: 20_000,
      },
      join(dir, 'daemon.log'),
    );
    daemonReady = daemon.start();
    daemonReady.catch(() => undefined);
    await sleep(1000);
    await redisProc.up();
    await sleep(1000);
    sim = await startSimulator({ port: ibPort, adminPort: 0, tickIntervalMs: 0, seed: SEED, fixture: CHAOS_FIXTURE });
    adminUrl = `http://127.0.0.1:${sim.adminPort ?? 0}`;
    queue = new Queue(queueName, { connection: { url: redisProc.url, ...redisOptionsFor({ role: 'worker' }) } });
    queue.on('error', () => undefined);
    redis = createRedis(redisProc.url, { role: 'worker' });
    redis.on('error', () => undefined);
  }, 90_000);

  afterAll(async () => {
    await daemon?.stop().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    redis?.disconnect();
    await sim?.close();
    await redisProc?.stop(KEEP);
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('never places an order twice and never loses a signal', async () => {
    const r = prng(SEED);
    const plan = planSignals(r, SIGNALS, runId, jobIdForSignal);
    const faults = planFaults(r, { kills: KILLS, redisRestarts: REDIS_RESTARTS, perSimFault: SIM_FAULTS, gatewayDowns: GATEWAY_DOWNS, gatewayDownMs: GATEWAY_DOWN_MS, duplicates: DUPLICATES, orphans: ORPHANS });
    const durationMs = (SIGNALS / RATE) * 1000;
    const gaps = plan.map(() => r() * 2 * (1000 / RATE)); // mean 1/RATE s
    const faultCounts: Record<string, number> = {};

    await daemonReady; // it waited for Redis and the simulator, started after it
    const admin = async (path: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(adminUrl + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      if (!res.ok) throw new Error(`admin ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as unknown;
    };

    const t0 = Date.now();
    const produce = async (): Promise<void> => {
      for (const [i, p] of plan.entries()) {
        await sleep(gaps[i] ?? 0);
        // BullMQ's default job options (one attempt, no backoff): the daemon owns retries
        await queue.add('signal', p.payload, { jobId: p.jobId });
      }
    };
    const orphanRefs: string[] = [];
    const orphan = async (signalId: string, account: string, symbol: string): Promise<string> => {
      const orderRef = orderRefFor(signalId, account, 'entry');
      await new Outbox(redis, keysFor(prefix)).createIntent({ orderRef, signalId, account, leg: 'entry', symbol, secType: 'STK', currency: 'USD', side: 'BUY', quantity: 100, price: new Decimal(BASE_PRICES[symbol] ?? 100), multiplier: 1, payload: JSON.stringify({ jobId: jobIdForSignal(signalId) }), createdAt: Date.now() });
      orphanRefs.push(orderRef);
      return orderRef;
    };
    const injectFault = faultInjector({ daemon, redisProc, redis, ordersKey: keysFor(prefix).orders, admin, orphan, runId });
    const inject = async (f: PlannedFault): Promise<void> => {
      await injectFault(f);
      faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
    };
    const chaos = async (): Promise<void> => {
      for (const f of faults) {
        const wait = t0 + f.at * durationMs - Date.now();
        if (wait > 0) await sleep(wait);
        await inject(f);
      }
    };
    await Promise.all([produce(), chaos()]);
    // the faults stop here; the daemon must be up for the system to settle
    if (!daemon.running) await daemon.start();

    // settle: every job completed or failed (bounded)
    const settled = await until(async () => {
      const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'completed', 'failed');
      return (c.completed ?? 0) + (c.failed ?? 0) >= new Set(plan.map((p) => p.jobId)).size;
    }, SETTLE_MS, 500);

    // settle: nothing in flight in the outbox, every execution of ours on the fills stream (bounded)
    const keys = keysFor(prefix);
    const outbox = new Outbox(redis, keys);
    const inflight = async () => (await outbox.listByState(['INTENT', 'SUBMITTED', 'UNRESOLVED'])).map((x) => `${x.orderRef}:${x.state}`);
    await until(async () => (await inflight()).length === 0, 30_000, 500);
    await until(async () => missingFills((await admin('/state')) as SimState, await readStream(redis, keys.fills)).length === 0, 45_000, 500);

    const jobs: JobView[] = [];
    for (const p of plan as PlannedJob[]) {
      const job = await queue.getJob(p.jobId);
      jobs.push({ planned: p, job, state: job ? await job.getState() : 'missing' });
    }
    const state = (await admin('/state')) as SimState;
    const fills = await readStream(redis, keys.fills);
    const dead = await readStream(redis, keys.deadLetter);
    const verdict = checkInvariants(jobs, state, fills, dead, ACCOUNTS);
    const audit = await verifyAudit(redis, keys.audit, loadKey('audit', { env: {}, stateDir: join(dir, 'state') }).key);
    // every order of ours at the broker has an outbox record (the intent is written before the send)
    for (const o of state.orders.filter((x) => x.orderRef.startsWith('ix1-'))) {
      if (!(await outbox.get(o.orderRef))) verdict.violations.push(`order ${o.orderId} (${o.orderRef}) at the simulator has no outbox record`);
    }
    const auditEntries = await readStream(redis, keys.audit);
    const trail = checkAuditTrail(auditEntries, fills);
    verdict.violations.push(...trail.violations);
    // orphans: every injected INTENT settled as never sent (the in-flight check above covers "none left")
    const settledOrphans = new Set(auditEntries.filter((e) => e.fields.type === 'order.orphan-settled').map((e) => e.fields.orderRef));
    for (const ref of orphanRefs) if (!settledOrphans.has(ref)) verdict.violations.push(`ORPHAN: the injected INTENT ${ref} was not settled`);
    // every second booking the simulator made was seen and handled by the daemon
    const handled = new Set(auditEntries.filter((e) => e.fields.type === 'order.duplicate').map((e) => e.fields.orderRef));
    for (const o of state.orders.filter((x) => x.orderId <= 0 && x.orderRef.startsWith('ix1-'))) {
      if (!handled.has(o.orderRef)) verdict.violations.push(`DUPLICATE NOT REPORTED: the second booking ${o.orderId} of ${o.orderRef} has no order.duplicate audit record`);
    }
    const stillInflight = await inflight();
    const c = verdict.counts;
    const faultLine = Object.entries(faultCounts).filter(([k]) => k !== 'daemon-kill').map(([k, n]) => `${k}=${n}`).join(',');
    console.log(
      `chaos: seed=${SEED} signals=${c.signals} jobs=${c.jobs} (invalid=${c.invalid} replays=${c.replays}) kills=${faultCounts['daemon-kill'] ?? 0} ` +
        `faults[${faultLine}] orders=${c.orders} duplicates=${c.duplicates} rebooked=${c.rebooked} duplicatesLive=${c.duplicatesLive} orphans=${orphanRefs.filter((x) => !settledOrphans.has(x)).length} lost=${c.lost} unresolved=${c.unresolved} ` +
        `fills=${c.fills}/${c.executions} untracked=${trail.untracked} unauditedFills=${trail.unauditedFills} results=${JSON.stringify(c.results)} inflight=${stillInflight.length} audit=${audit.ok ? `ok(${audit.count})` : 'BAD'} ` +
        `settled=${settled} daemonStarts=${daemon.starts} ${((Date.now() - t0) / 1000).toFixed(0)}s`,
    );
    if (verdict.violations.length > 0 || !audit.ok || stillInflight.length > 0) {
      console.log(`chaos: seed=${SEED} violations:\n  ${[...verdict.violations, ...(audit.ok ? [] : [`audit: seq ${audit.seq}: ${audit.reason}`]), ...stillInflight.map((x) => `still in flight: ${x}`)].slice(0, 50).join('\n  ')}\n  logs: ${dir}`);
    }
    expect(verdict.violations).toEqual([]);
    expect(audit).toMatchObject({ ok: true });
    expect(stillInflight).toEqual([]);
    expect(settled).toBe(true);
    expect(trail.unauditedFills).toBe(0);
  }, 420_000);
});
