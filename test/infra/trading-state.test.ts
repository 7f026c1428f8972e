import { afterAll, describe, expect, it } from 'vitest';
import type { TradingState } from '../../src/domain/types.js';
import { randomBytes } from 'node:crypto';
import {
  TradingStateStore,
  decodeState,
  diffSnapshots,
  effectiveState,
  encodeState,
  type TradingStateChange,
} from '../../src/infra/trading-state.js';
import { redisFixture } from './redis-fixture.js';

const fx = redisFixture('trading-state');
const redis = fx.connect();
const KEY = randomBytes(32);
const store = new TradingStateStore(redis, fx.keys, KEY);
const seed = (accounts: string[]) => store.seedActive(accounts, { by: 'test', reason: 'first start' });
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
  it('decodes stored values failing closed: missing, unsigned, forged, moved, replayed → HALTED', () => {
    const k = 'p:trading-state';
    const good = encodeState(KEY, k, 'REDUCE_ONLY', 1000, { by: 'cli' });
    expect(decodeState(KEY, k, good)).toMatchObject({ state: 'REDUCE_ONLY', ts: 1000, by: 'cli' });
    expect(decodeState(KEY, k, null)).toMatchObject({ state: 'HALTED', problem: expect.stringMatching(/missing/) });
    expect(decodeState(KEY, k, 'ACTIVE')).toMatchObject({ state: 'HALTED', problem: expect.stringMatching(/not a signed/) });
    expect(decodeState(KEY, k, '')).toMatchObject({ state: 'HALTED' });
    expect(decodeState(KEY, k, 'halted')).toMatchObject({ state: 'HALTED' });
    // the same value with another key, under another Redis key, or with an edited field does not verify
    expect(decodeState(randomBytes(32), k, good)).toMatchObject({ state: 'HALTED', problem: expect.stringMatching(/signature/) });
    expect(decodeState(KEY, 'p:trading-state:DU1', good)).toMatchObject({ state: 'HALTED', problem: expect.stringMatching(/signature/) });
    expect(decodeState(KEY, k, good.replace('REDUCE_ONLY', 'ACTIVE'))).toMatchObject({ state: 'HALTED', problem: expect.stringMatching(/signature/) });
    // an older (validly signed) value than one already seen is a replay
    expect(decodeState(KEY, k, good, 2000)).toMatchObject({ state: 'HALTED', problem: expect.stringMatching(/replayed/) });
  });
});

describe('TradingStateStore', () => {
  it('uses the CONTRACT key names; nothing stored is HALTED, seeded (first start) is ACTIVE', async () => {
    expect(fx.keys.tradingState).toBe(`${fx.prefix}:trading-state`);
    expect(fx.keys.tradingStateFor('DU1')).toBe(`${fx.prefix}:trading-state:DU1`);
    expect(await store.effective('DU1')).toEqual({ global: 'HALTED', account: 'HALTED', effective: 'HALTED' });
    expect(await seed(['DU1', 'DU2', 'DU3', 'DU4', 'DU5', 'DU6'])).toEqual(['global', 'DU1', 'DU2', 'DU3', 'DU4', 'DU5', 'DU6']);
    expect(await seed(['DU1'])).toEqual([]); // never overwrites
    expect(await store.effective('DU1')).toEqual({ global: 'ACTIVE', account: 'ACTIVE', effective: 'ACTIVE' });
  });

  it('set returns the previous value and the stricter scope wins', async () => {
    expect(await store.setAccount('DU2', 'REDUCE_ONLY')).toBe('ACTIVE');
    expect(JSON.parse((await redis.get(fx.keys.tradingStateFor('DU2'))) ?? '')).toMatchObject({ state: 'REDUCE_ONLY', sig: expect.any(String) });
    expect(await store.effective('DU2')).toEqual({ global: 'ACTIVE', account: 'REDUCE_ONLY', effective: 'REDUCE_ONLY' });
    expect(await store.setGlobal('HALTED')).toBe('ACTIVE');
    expect(await store.effective('DU2')).toMatchObject({ effective: 'HALTED' });
    expect(await store.effective('DU3')).toMatchObject({ effective: 'HALTED' });
    expect(await store.setGlobal('ACTIVE')).toBe('HALTED');
    expect(await store.getGlobal()).toBe('ACTIVE');
    expect(await store.setAccount('DU2', 'ACTIVE')).toBe('REDUCE_ONLY');
    expect(await store.getAccount('DU2')).toBe('ACTIVE');
  });

  it('reads a hand-typed, a forged and a replayed value as HALTED', async () => {
    const k = fx.keys.tradingStateFor('DU4');
    await redis.set(k, 'paused');
    expect(await store.effective('DU4')).toMatchObject({ account: 'HALTED', effective: 'HALTED' });
    await redis.set(k, 'ACTIVE'); // the unsigned CONTRACT word is not enough any more
    expect(await store.getAccount('DU4')).toBe('HALTED');
    await redis.set(k, encodeState(randomBytes(32), k, 'ACTIVE', Date.now(), { by: 'attacker' }));
    expect(await store.getAccount('DU4')).toBe('HALTED');
    // lift a halt by putting back the ACTIVE value seen before it: the store saw the newer HALTED value
    await store.setAccount('DU4', 'ACTIVE');
    const old = await redis.get(k);
    expect(await store.getAccount('DU4')).toBe('ACTIVE');
    await store.setAccount('DU4', 'HALTED');
    expect(await store.getAccount('DU4')).toBe('HALTED');
    await redis.set(k, old ?? '');
    expect(await store.getAccount('DU4')).toBe('HALTED');
    await store.setAccount('DU4', 'ACTIVE');
  });

  it('an undeclared account (never seeded, never traded) adds no HALTED of its own; a declared one does', async () => {
    const declared = new TradingStateStore(redis, fx.keys, KEY, undefined, new Set(['DU7']));
    expect(await declared.effective('DU8')).toMatchObject({ global: 'ACTIVE', account: 'ACTIVE' });
    expect(await declared.effective('DU7')).toMatchObject({ account: 'HALTED', effective: 'HALTED' });
    await redis.set(fx.keys.tradingStateFor('DU8'), 'ACTIVE'); // present but unsigned: HALTED even so
    expect(await declared.effective('DU8')).toMatchObject({ account: 'HALTED' });
    await redis.del(fx.keys.tradingStateFor('DU8'));
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
