/**
 * Retries belong to the daemon, not the producer (issue #9): jobs added with BullMQ's default options
 * (one attempt) never end `failed` because IB was unavailable. Real Redis, real BullMQ, the simulator
 * over TCP.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, type Job } from 'bullmq';
import { startStack, type Stack } from '../../src/app/stack.js';
import { createSignalSource } from '../../src/ingest/bullmq-source.js';
import { createRedis, redisOptionsFor } from '../../src/infra/redis.js';
import { readStream } from '../../src/infra/streams.js';
import { jobIdForSignal } from '../../src/ingest/enqueue.js';
import { retryDelayMs } from '../../src/ingest/retry-policy.js';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import type { Outcome } from '../../src/domain/types.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { BUSINESS, PERSONAL, REDIS, resultFor, sig, simState, waitFor } from './pipeline-helpers.js';

const connection = { url: REDIS, ...redisOptionsFor({ role: 'worker' }) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('signal source: an outage moves the job back to delayed without using an attempt', () => {
  const name = `retry-src-${randomUUID().slice(0, 8)}`;
  const queue = new Queue(name, { connection });
  const source = createSignalSource({ queueName: name, connection, concurrency: 2 });
  const deliveries = new Map<string, number>();
  beforeAll(() => {
    source.jobs$.subscribe((j) => {
      const n = (deliveries.get(j.jobId) ?? 0) + 1;
      deliveries.set(j.jobId, n);
      if ((j.data as { invalid?: boolean }).invalid) j.fail(new Error('INVALID_SIGNAL: side: expected BUY or SELL'));
      else if (n < 3) j.retryLater(new Error('not connected to IB'), 300);
      else j.settle({ runs: n });
    });
    source.start();
  });
  afterAll(async () => {
    await source.close();
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('a default-options job (attempts 1) outlives two outages and completes; it is delayed in between', async () => {
    const job = await queue.add('signal', { n: 1 });
    await waitFor(async () => (await job.getState()) === 'delayed', 'the job in the delayed set');
    await waitFor(async () => (await job.getState()) === 'completed', 'the job completed');
    const done = (await queue.getJob(job.id ?? '')) as Job;
    expect(done.returnvalue).toEqual({ runs: 3 });
    // BullMQ counts the completing run; the two delayed runs used no attempt
    expect(done.attemptsMade).toBe(1);
    expect(deliveries.get(job.id ?? '')).toBe(3);
  });

  it('an invalid payload fails for good at once, whatever attempts the producer set', async () => {
    const job = await queue.add('signal', { invalid: true }, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    await waitFor(async () => (await job.getState()) === 'failed', 'the job failed');
    expect(deliveries.get(job.id ?? '')).toBe(1);
    expect((await queue.getJob(job.id ?? ''))?.failedReason).toContain('INVALID_SIGNAL');
  });

  it('the backoff doubles from the initial delay and is capped', () => {
    const b = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 50].map((n) => retryDelayMs(n, b))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});

describe('daemon: jobs with BullMQ default options survive IB outages longer than any producer retry budget', () => {
  let stack: Stack;
  let sim2: SimulatorHandle | undefined;
  const redis = createRedis(REDIS);
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: REDIS,
      daemon: { retryBackoff: { initialMs: 100, maxMs: 400 }, brokerWaitMs: 300, ibBackoff: { initialMs: 100, maxMs: 300 } },
    });
  });
  afterAll(async () => {
    await stack?.stop().catch(() => undefined);
    await sim2?.close();
    redis.disconnect();
  });

  /** Adds a job the way a plain producer does: no options but the job id. */
  const addPlain = (payload: Record<string, unknown>): Promise<Job> => stack.queue.add('signal', payload, { jobId: jobIdForSignal(String(payload.id)) });
  const outcomeOf = async (job: Job): Promise<Outcome> => (await job.waitUntilFinished(stack.queueEvents, 30_000)) as Outcome;

  it('while IB reports connectivity lost (1100) no new job is taken; once restored the job is placed, no attempt used', async () => {
    const broker = stack.daemon?.broker;
    await stack.admin('/fault', { action: 'connectivity-lost', ms: 2500 });
    await waitFor(async () => !broker?.isReadyForOrders(), 'IB to report 1100');
    const job = await addPlain(sig(`rt-1100-${randomUUID().slice(0, 6)}`, { accounts: [PERSONAL], size: { quantity: 1 } }));
    await sleep(800);
    expect(['waiting', 'delayed']).toContain(await job.getState());
    // not taken: the daemon did not even record receiving it
    const audit = await readStream(redis, `${stack.config.redis.prefix}:audit`);
    expect(audit.filter((e) => e.fields.type === 'signal' && e.fields.signalId === String(job.data.id))).toHaveLength(0);
    const outcome = await outcomeOf(job);
    expect(resultFor(outcome, PERSONAL).decision).toBe('PLACED');
    expect((await stack.queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
  });

  it('a fan-out whose first account was sent before the outage waits for the rest: one outcome, every account, one order each', async () => {
    // BUSINESS is kept busy by a job whose ack never comes (its tasks run one after another), so the
    // fan-out's PERSONAL leg is sent at once while its BUSINESS leg starts only inside the outage
    const id = randomUUID().slice(0, 6);
    await stack.admin('/fault', { action: 'drop-acks', count: 1 });
    const blocker = await addPlain(sig(`rt-block-${id}`, { accounts: [BUSINESS], size: { quantity: 1 } }));
    await waitFor(async () => (await simState(stack)).orders.some((o) => o.orderRef === orderRefFor(`rt-block-${id}`, BUSINESS, 'entry')), 'the blocking order at the broker');
    const fan = await addPlain(sig(`rt-fan-${id}`, { accounts: [PERSONAL, BUSINESS], size: { quantity: 1 } }));
    const personalRef = orderRefFor(`rt-fan-${id}`, PERSONAL, 'entry');
    await waitFor(async () => (await simState(stack)).orders.some((o) => o.orderRef === personalRef), 'the fan-out sent to PERSONAL');
    await stack.admin('/fault', { action: 'connectivity-lost', ms: 6_000 });
    const outcome = await outcomeOf(fan);
    expect(outcome.results.map((r) => [r.account, r.decision])).toEqual([[PERSONAL, 'PLACED'], [BUSINESS, 'PLACED']]);
    expect(resultFor(outcome, PERSONAL).notes.join(' ')).toMatch(/resumed after a redelivery/);
    const orders = (await simState(stack)).orders;
    for (const a of [PERSONAL, BUSINESS]) expect(orders.filter((o) => o.orderRef === orderRefFor(`rt-fan-${id}`, a, 'entry'))).toHaveLength(1);
    expect((await stack.queue.getJob(fan.id ?? ''))?.attemptsMade).toBe(1);
    expect(['UNRESOLVED', 'PLACED']).toContain(resultFor(await outcomeOf(blocker), BUSINESS).decision);
  });

  it('the gateway gone for longer than a one-attempt producer could bear: the job waits, then is placed once', async () => {
    const port = stack.sim.port;
    await stack.sim.close();
    const job = await addPlain(sig(`rt-down-${randomUUID().slice(0, 6)}`, { accounts: [PERSONAL], size: { quantity: 2 } }));
    await sleep(2000);
    expect(['waiting', 'delayed']).toContain(await job.getState());
    sim2 = await startSimulator({ port, adminPort: 0, tickIntervalMs: 0, seed: 7 });
    const outcome = await outcomeOf(job);
    const r = resultFor(outcome, PERSONAL);
    expect(r.decision).toBe('PLACED');
    expect((await stack.queue.getJob(job.id ?? ''))?.attemptsMade).toBe(1);
    const res = await fetch(`http://127.0.0.1:${sim2.adminPort}/state`);
    const state = (await res.json()) as Awaited<ReturnType<typeof simState>>;
    expect(state.orders.filter((o) => o.orderRef === r.orderRef)).toHaveLength(1);
  });
});
