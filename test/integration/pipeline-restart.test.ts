/**
 * End to end across a daemon restart (same Redis, same simulator, same client id): what the previous run
 * placed is still known — a repeated signal is DUPLICATE, its resting order is adopted, it fills and is
 * published once, and the kill switch's cancel reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { verifyAudit } from '../../src/infra/audit.js';
import { BUSINESS, PERSONAL, REDIS, fillEntries, orderEvents, reader, resultFor, run, sig, simState, waitFor } from './pipeline-helpers.js';
import { runCli } from '../cli/helpers.js';

describe('pipeline: daemon restart', () => {
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

  it('orders of the previous run stay ours: DUPLICATE on resend, fills published once, cancellable by the kill switch', async () => {
    const lmt = (id: string, account: string, price: number) => sig(id, { accounts: [account], size: { quantity: 4 }, order: { type: 'LMT', limitPrice: price, tif: 'GTC' } });
    expect(resultFor(await run(stack, lmt('rs-fill', PERSONAL, 186)), PERSONAL).decision).toBe('PLACED');
    expect(resultFor(await run(stack, lmt('rs-cancel', BUSINESS, 185)), BUSINESS).decision).toBe('PLACED');
    const fillRef = orderRefFor('rs-fill', PERSONAL, 'entry');
    const cancelRef = orderRefFor('rs-cancel', BUSINESS, 'entry');

    await stack.daemon?.stop();
    await stack.startDaemon();

    const dup = resultFor(await run(stack, lmt('rs-fill', PERSONAL, 186), 'rs-fill-again'), PERSONAL);
    expect(dup.decision).toBe('DUPLICATE');
    expect(dup.orderRef).toBe(fillRef);

    await stack.admin('/price', { symbol: 'AAPL', price: 185.9 });
    await waitFor(async () => (await orderEvents(redis, stack, fillRef)).some((e) => e.fields.event === 'FILLED'), 'the resting order FILLED after the restart');
    expect((await orderEvents(redis, stack, fillRef)).map((e) => e.fields.event)).toEqual(['SUBMITTED', 'ACCEPTED', 'FILLED']);
    expect(await fillEntries(redis, stack, fillRef)).toHaveLength(1);

    await runCli(stack.config, ['halt', '--account', BUSINESS, '--cancel']);
    await waitFor(async () => (await simState(stack)).orders.find((o) => o.orderRef === cancelRef)?.status === 'Cancelled', 'the previous run’s order Cancelled');
    await runCli(stack.config, ['resume', '--account', BUSINESS]);

    const orders = (await simState(stack)).orders.filter((o) => o.orderRef.startsWith('ix1-'));
    expect(orders).toHaveLength(2);
    expect(await verifyAudit(redis, `${stack.config.redis.prefix}:audit`, stack.secrets.auditKey)).toMatchObject({ ok: true });
  });

  it('a fill that happens while the daemon is down is published once after it restarts', async () => {
    const placed = resultFor(await run(stack, sig('rs-offline', { accounts: [PERSONAL], size: { quantity: 3 }, order: { type: 'LMT', limitPrice: 184, tif: 'GTC' } })), PERSONAL);
    expect(placed.decision).toBe('PLACED');
    const ref = orderRefFor('rs-offline', PERSONAL, 'entry');
    await stack.daemon?.stop();
    await stack.admin('/price', { symbol: 'AAPL', price: 183.5 });
    await waitFor(async () => (await simState(stack)).orders.find((o) => o.orderRef === ref)?.status === 'Filled', 'the order Filled at the simulator');
    expect(await fillEntries(redis, stack, ref)).toHaveLength(0);

    await stack.startDaemon();
    await waitFor(async () => (await orderEvents(redis, stack, ref)).some((e) => e.fields.event === 'FILLED'), 'FILLED published after the restart');
    await waitFor(async () => (await fillEntries(redis, stack, ref)).length > 0, 'the fill published after the restart');
    const fills = await fillEntries(redis, stack, ref);
    expect(fills).toHaveLength(1);
    expect(fills[0]?.fields).toMatchObject({ signalId: 'rs-offline', account: PERSONAL, shares: '3', side: 'BOT' });
    const filled = (await orderEvents(redis, stack, ref)).find((e) => e.fields.event === 'FILLED');
    expect(filled?.fields).toMatchObject({ filled: '3', remaining: '0', avgFillPrice: fills[0]?.fields.avgPrice });
    expect(Number(filled?.fields.avgFillPrice)).toBeGreaterThan(0);
  });
});

describe('pipeline: stop while signals are queued', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a stop drains in-flight signals; the rest wait in the queue and the next run handles each exactly once', async () => {
    const ids = [1, 2, 3, 4, 5, 6].map((i) => `drain-${i}`);
    const jobs = await Promise.all(ids.map((id) => stack.send(sig(id, { accounts: [PERSONAL], size: { quantity: 1 } }))));
    await stack.daemon?.stop();
    const counts = await stack.queue.getJobCounts('waiting', 'active', 'completed', 'failed');
    expect(counts.active).toBe(0);
    expect(counts.failed).toBe(0);
    expect((counts.waiting ?? 0) + (counts.completed ?? 0)).toBe(ids.length);

    await stack.startDaemon();
    for (const job of jobs) expect(resultFor(await stack.outcome(job), PERSONAL).decision).toBe('PLACED');
    const orders = (await simState(stack)).orders;
    expect(orders).toHaveLength(ids.length);
    expect(new Set(orders.map((o) => o.orderRef)).size).toBe(ids.length);
  });
});

describe('pipeline: broker faults between signals', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, daemon: { ibBackoff: { initialMs: 100, maxMs: 500 } } });
    expect(resultFor(await run(stack, sig('fault-warmup', { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL).decision).toBe('PLACED');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const FAULTS: readonly [string, Record<string, unknown>][] = [
    ['every socket dropped', { action: 'disconnect' }],
    ['gateway restart with nextValidId rolled back', { action: 'restart', rollbackOrderIds: true }],
    ['connectivity lost (1100, then 1102)', { action: 'connectivity-lost', ms: 500 }],
  ];

  it.each(FAULTS)('%s: the next signal is placed exactly once, with an order id never used before', async (name, fault) => {
    const id = `fault-${name.split(' ')[0]}`;
    const before = (await simState(stack)).orders;
    await stack.admin('/fault', fault);
    const r = resultFor(await run(stack, sig(id, { accounts: [PERSONAL], size: { quantity: 1 } })), PERSONAL);
    expect(r.decision).toBe('PLACED');
    const after = (await simState(stack)).orders;
    expect(after).toHaveLength(before.length + 1);
    expect(after.filter((o) => o.orderRef === r.orderRef)).toHaveLength(1);
    expect(before.every((o) => o.orderId < (r.orderId ?? 0))).toBe(true);
  });
});
