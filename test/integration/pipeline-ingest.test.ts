/**
 * End to end: what happens to a signal besides a clean placement — an invalid payload (dead-letter, no
 * retry, the daemon keeps going), a repeated signal id (DUPLICATE, or BullMQ's job-id dedupe), the
 * broker's own refusal (REJECTED with its code and text), and an order the broker never acknowledges
 * (UNRESOLVED, then RESOLVED by the in-flight monitor on the orders stream).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { PERSONAL, REDIS, codes, entries, orderEvents, reader, resultFor, run, sig, simState, waitFor } from './pipeline-helpers.js';

describe('pipeline: invalid, duplicate and refused signals', () => {
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
    redis = reader();
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('an invalid payload goes to the dead-letter stream naming each bad field, fails its job without retry, and the next signal is processed', async () => {
    const bad = { id: 'bad-1', createdAt: 'yesterday', instrument: { symbol: 'AAPL', secTyp: 'STK' }, side: 'HOLD', size: { quantity: -3 } };
    const job = await stack.send(bad);
    await expect(stack.outcome(job)).rejects.toThrow(/INVALID_SIGNAL/);

    const failed = await stack.queue.getJob(job.id as string);
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.attemptsMade).toBe(1);
    const reason = failed?.failedReason ?? '';
    for (const field of ['createdAt', 'instrument.secTyp', 'side', 'size.quantity']) expect(reason).toContain(field);

    const dead = await waitFor(async () => {
      const all = await entries(redis, `${stack.config.redis.prefix}:dead-letter`);
      return all.find((e) => e.fields.jobId === job.id);
    }, 'the dead-letter entry');
    expect(Object.keys(dead.fields).sort()).toEqual(['errors', 'jobId', 'payload', 'ts']);
    expect(JSON.parse(dead.fields.payload ?? '')).toEqual(bad);
    const errors = JSON.parse(dead.fields.errors ?? '') as string[];
    for (const field of ['createdAt', 'instrument.secTyp', 'side', 'size.quantity']) expect(errors.some((e) => e.startsWith(`${field}:`))).toBe(true);
    expect(Number.isNaN(Date.parse(dead.fields.ts ?? ''))).toBe(false);
    expect((await simState(stack)).orders).toHaveLength(0);

    const next = await run(stack, sig('after-bad', { accounts: [PERSONAL] }));
    expect(resultFor(next, PERSONAL).decision).toBe('PLACED');
  });

  it('the same signal id from another job answers DUPLICATE and places nothing new; the same job id is deduped by BullMQ', async () => {
    const payload = sig('dup-1', { size: { quantity: 4 } });
    const first = await run(stack, payload);
    expect(first.results.map((r) => r.decision)).toEqual(['PLACED', 'PLACED', 'PLACED']);
    const count = (await simState(stack)).orders.length;

    const again = await run(stack, payload, 'other-job');
    expect(again.signalId).toBe('dup-1');
    expect(again.results.map((r) => [r.account, r.decision])).toEqual(first.results.map((r) => [r.account, 'DUPLICATE']));
    for (const [i, r] of again.results.entries()) expect(r.orderRef).toBe(first.results[i]?.orderRef);
    expect((await simState(stack)).orders).toHaveLength(count);

    const sameJob = await stack.send(payload);
    expect(sameJob.id).toBe('sig-dup-1');
    const replay = await stack.outcome(sameJob);
    expect(replay.results.map((r) => r.decision)).toEqual(['PLACED', 'PLACED', 'PLACED']);
    expect(await stack.queue.getJobCountByTypes('completed')).toBeGreaterThan(0);
    const audit = await entries(redis, `${stack.config.redis.prefix}:audit`);
    // received once by the first job, once by 'other-job'; the BullMQ-deduped add never reached the daemon
    expect(audit.filter((e) => e.fields.type === 'signal' && e.fields.signalId === 'dup-1')).toHaveLength(2);
    expect((await simState(stack)).orders).toHaveLength(count);
  });

  it("the broker's refusal is REJECTED with BROKER_REJECTED carrying its code and text", async () => {
    await stack.admin('/fault', { action: 'reject-next', code: 201, message: 'Order rejected - reason:simulated test refusal' });
    const r = resultFor(await run(stack, sig('rej-1', { accounts: [PERSONAL] })), PERSONAL);
    expect(r.decision).toBe('REJECTED');
    expect(codes(r)).toEqual(['BROKER_REJECTED']);
    expect(r.reasons[0]).toMatchObject({ brokerCode: 201 });
    expect(r.reasons[0]?.message).toContain('simulated test refusal');
    const events = await waitFor(async () => {
      const ev = await orderEvents(redis, stack, orderRefFor('rej-1', PERSONAL, 'entry'));
      return ev.some((e) => e.fields.event === 'REJECTED') ? ev : undefined;
    }, 'REJECTED on the orders stream');
    expect(events[0]?.fields.event).toBe('SUBMITTED');
  });
});

describe('pipeline: unacknowledged order', () => {
  let stack: Stack;
  let redis: Redis;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, config: { execution: { ackTimeoutMs: 500, inflightCheckMs: 200 } } });
    redis = reader();
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  it('drop-acks → UNRESOLVED outcome, never re-sent; reconciliation publishes RESOLVED on the orders stream', async () => {
    await stack.admin('/fault', { action: 'drop-acks', count: 1 });
    const r = resultFor(await run(stack, sig('noack-1', { accounts: [PERSONAL], size: { quantity: 3 } })), PERSONAL);
    expect(r.decision).toBe('UNRESOLVED');
    const ref = orderRefFor('noack-1', PERSONAL, 'entry');
    expect(r.orderRef).toBe(ref);

    const events = await waitFor(async () => {
      const ev = await orderEvents(redis, stack, ref);
      return ev.some((e) => e.fields.event === 'RESOLVED') ? ev : undefined;
    }, 'RESOLVED on the orders stream', 15_000);
    const names = events.map((e) => e.fields.event);
    expect(names[0]).toBe('SUBMITTED');
    expect(names).toContain('UNRESOLVED');
    expect(names.indexOf('UNRESOLVED')).toBeLessThan(names.indexOf('RESOLVED'));
    const resolved = events.find((e) => e.fields.event === 'RESOLVED');
    expect(resolved?.fields).toMatchObject({ signalId: 'noack-1', account: PERSONAL, orderRef: ref, quantity: '3' });
    expect(resolved?.fields.reason).toMatch(/resolved as/);

    const atSim = (await simState(stack)).orders.filter((o) => o.orderRef === ref);
    expect(atSim).toHaveLength(1);

    // the same signal from another job is not sent again
    const again = resultFor(await run(stack, sig('noack-1', { accounts: [PERSONAL], size: { quantity: 3 } }), 'noack-1-again'), PERSONAL);
    expect(again).toMatchObject({ decision: 'DUPLICATE', orderRef: ref });
    expect((await simState(stack)).orders).toHaveLength(1);
  });
});
