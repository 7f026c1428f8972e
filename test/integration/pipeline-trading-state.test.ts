/**
 * End to end: the kill switch as an operator uses it — the `<prefix>:trading-state` keys written from
 * another connection (TradingStateStore) while the daemon runs. HALTED part-way through a stream of
 * signals denies the rest; REDUCE_ONLY lets a reducing SELL through and denies a BUY; a per-account halt
 * leaves the other accounts trading.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import { keysFor } from '../../src/infra/keys.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { BUSINESS, IRA, PERSONAL, REDIS, codes, reader, resultFor, run, sig, simState } from './pipeline-helpers.js';

describe('pipeline: trading state (kill switch)', () => {
  let stack: Stack;
  let redis: Redis;
  let states: TradingStateStore;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS });
    redis = reader();
    states = new TradingStateStore(redis, keysFor(stack.config.redis.prefix), stack.secrets.controlKey);
  });
  afterEach(async () => {
    await states.setGlobal('ACTIVE');
    for (const a of [IRA, PERSONAL, BUSINESS]) await states.setAccount(a, 'ACTIVE');
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  const orderCount = async (): Promise<number> => (await simState(stack)).orders.length;

  it('HALTED part-way through a stream: earlier signals trade, every later one (even already queued) is DENIED HALTED and nothing more reaches the broker', async () => {
    const early = await Promise.all(['halt-1', 'halt-2', 'halt-3'].map((id) => stack.send(sig(id, { accounts: [PERSONAL], size: { quantity: 1 } }))));
    for (const job of early) expect(resultFor(await stack.outcome(job), PERSONAL).decision).toBe('PLACED');
    const placed = await orderCount();
    expect(placed).toBe(3);

    // later signals are already waiting in the queue when the switch flips
    await stack.queue.pause();
    const late = await Promise.all(['halt-4', 'halt-5', 'halt-6'].map((id) => stack.send(sig(id, { size: { quantity: 1 } }))));
    expect(await states.setGlobal('HALTED')).toBe('ACTIVE');
    await stack.queue.resume();
    for (const job of late) {
      const outcome = await stack.outcome(job);
      expect(outcome.results).toHaveLength(3);
      for (const r of outcome.results) {
        expect(r.decision).toBe('DENIED');
        expect(codes(r)).toEqual(['HALTED']);
      }
    }
    const after = await run(stack, sig('halt-7', { size: { quantity: 1 } }));
    expect(after.results.every((r) => r.decision === 'DENIED' && codes(r).includes('HALTED'))).toBe(true);
    expect(await orderCount()).toBe(placed);
  });

  it('REDUCE_ONLY allows a SELL that reduces a long position and denies a BUY', async () => {
    await states.setGlobal('REDUCE_ONLY');
    const before = await orderCount();
    const buy = resultFor(await run(stack, sig('ro-buy', { accounts: [IRA], size: { quantity: 5 } })), IRA);
    expect(buy.decision).toBe('DENIED');
    expect(codes(buy)).toEqual(['REDUCE_ONLY']);
    expect(await orderCount()).toBe(before);

    const sell = await run(stack, sig('ro-sell', { side: 'SELL', accounts: [IRA, BUSINESS], size: { quantity: 5 } }));
    expect(resultFor(sell, IRA)).toMatchObject({ decision: 'PLACED', quantity: 5 });
    // the business account holds no AAPL: a SELL would open a short position
    expect(codes(resultFor(sell, BUSINESS))).toContain('REDUCE_ONLY');
    const orders = (await simState(stack)).orders;
    expect(orders).toHaveLength(before + 1);
    expect(orders.find((o) => o.orderRef === orderRefFor('ro-sell', IRA, 'entry'))).toMatchObject({ action: 'SELL', totalQuantity: 5 });
  });

  it('a per-account halt stops that account only', async () => {
    await states.setAccount(PERSONAL, 'HALTED');
    const outcome = await run(stack, sig('acct-halt-1', { size: { quantity: 2 } }));
    expect(outcome.results.map((r) => [r.account, r.decision, codes(r)])).toEqual([
      [IRA, 'PLACED', []],
      [PERSONAL, 'DENIED', ['HALTED']],
      [BUSINESS, 'PLACED', []],
    ]);
    const orders = (await simState(stack)).orders;
    expect(orders.some((o) => o.orderRef === orderRefFor('acct-halt-1', PERSONAL, 'entry'))).toBe(false);
    expect(orders.filter((o) => [orderRefFor('acct-halt-1', IRA, 'entry'), orderRefFor('acct-halt-1', BUSINESS, 'entry')].includes(o.orderRef))).toHaveLength(2);

    await states.setAccount(PERSONAL, 'ACTIVE');
    expect(resultFor(await run(stack, sig('acct-halt-2', { accounts: [PERSONAL], size: { quantity: 2 } })), PERSONAL).decision).toBe('PLACED');
  });
});
