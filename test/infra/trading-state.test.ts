import { afterAll, describe, expect, it } from 'vitest';
import type { TradingState } from '../../src/domain/types.js';
import {
  TradingStateStore,
  diffSnapshots,
  effectiveState,
  parseTradingState,
  type TradingStateChange,
} from '../../src/infra/trading-state.js';
import { redisFixture } from './redis-fixture.js';

const fx = redisFixture('trading-state');
const redis = fx.connect();
const store = new TradingStateStore(redis, fx.keys);
afterAll(() => fx.cleanup());

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('effectiveState (pure)', () => {
  const S: TradingState[] = ['ACTIVE', 'REDUCE_ONLY', 'HALTED'];
  it.each(S.flatMap((g) => S.map((a) => [g, a] as const)))('global %s + account %s → the stricter', (g, a) => {
    const rank = (s: TradingState) => S.indexOf(s);
    expect(effectiveState(g, a)).toBe(rank(g) >= rank(a) ? g : a);
  });
  it('parses stored values failing closed', () => {
    expect(parseTradingState(null)).toBe('ACTIVE');
    expect(parseTradingState('REDUCE_ONLY')).toBe('REDUCE_ONLY');
    expect(parseTradingState('halted')).toBe('HALTED');
    expect(parseTradingState('')).toBe('HALTED');
  });
});

describe('TradingStateStore', () => {
  it('uses the CONTRACT key names and defaults to ACTIVE', async () => {
    expect(fx.keys.tradingState).toBe(`${fx.prefix}:trading-state`);
    expect(fx.keys.tradingStateFor('DU1')).toBe(`${fx.prefix}:trading-state:DU1`);
    expect(await store.effective('DU1')).toEqual({ global: 'ACTIVE', account: 'ACTIVE', effective: 'ACTIVE' });
  });

  it('set returns the previous value and the stricter scope wins', async () => {
    expect(await store.setAccount('DU2', 'REDUCE_ONLY')).toBe('ACTIVE');
    expect(await redis.get(fx.keys.tradingStateFor('DU2'))).toBe('REDUCE_ONLY');
    expect(await store.effective('DU2')).toEqual({ global: 'ACTIVE', account: 'REDUCE_ONLY', effective: 'REDUCE_ONLY' });
    expect(await store.setGlobal('HALTED')).toBe('ACTIVE');
    expect(await store.effective('DU2')).toMatchObject({ effective: 'HALTED' });
    expect(await store.effective('DU3')).toMatchObject({ effective: 'HALTED' });
    expect(await store.setGlobal('ACTIVE')).toBe('HALTED');
    expect(await store.getGlobal()).toBe('ACTIVE');
    expect(await store.setAccount('DU2', 'ACTIVE')).toBe('REDUCE_ONLY');
    expect(await store.getAccount('DU2')).toBe('ACTIVE');
  });

  it('reads a hand-typed invalid value as HALTED', async () => {
    await redis.set(fx.keys.tradingStateFor('DU4'), 'paused');
    expect(await store.effective('DU4')).toMatchObject({ account: 'HALTED', effective: 'HALTED' });
    await redis.del(fx.keys.tradingStateFor('DU4'));
  });

  it('refuses to store an invalid state', async () => {
    await expect(store.setGlobal('STOP' as TradingState)).rejects.toThrow(/invalid trading state/);
  });

  it('snapshot and watch report changes per scope', async () => {
    const initial = await store.snapshot(['DU5', 'DU6']);
    expect(initial).toEqual({ global: 'ACTIVE', accounts: { DU5: 'ACTIVE', DU6: 'ACTIVE' } });
    const changes: TradingStateChange[] = [];
    let polls = 0;
    const stop = store.watch(['DU5', 'DU6'], (c) => changes.push(c), { intervalMs: 20, onError: () => polls++, initial });
    await store.setAccount('DU6', 'HALTED');
    await until(() => changes.length >= 1);
    await store.setGlobal('REDUCE_ONLY');
    await until(() => changes.length >= 2);
    stop();
    expect(changes).toEqual([
      { scope: 'DU6', previous: 'ACTIVE', current: 'HALTED' },
      { scope: 'global', previous: 'ACTIVE', current: 'REDUCE_ONLY' },
    ]);
    expect(polls).toBe(0);
    await store.setGlobal('ACTIVE');
  });

  it('diffSnapshots lists only changed scopes', () => {
    expect(
      diffSnapshots({ global: 'ACTIVE', accounts: { A: 'ACTIVE', B: 'HALTED' } }, { global: 'ACTIVE', accounts: { A: 'ACTIVE', B: 'ACTIVE' } }),
    ).toEqual([{ scope: 'B', previous: 'HALTED', current: 'ACTIVE' }]);
  });
});
