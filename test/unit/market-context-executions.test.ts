/**
 * MarketContext and our own executions: a stock BUY keeps the cached snapshot and reserves the orders
 * that executed since it was requested; everything else (and every case where that would not be
 * conservative) gets a fresh snapshot, as before. The broker is a counting fake of the port.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { Decimal, type Instrument, type PositionSnapshot } from '../../src/domain/types.js';
import type { BrokerAccountSummary, BrokerPort } from '../../src/execution/broker-port.js';
import { MarketContext, type OwnOrder } from '../../src/execution/market-context.js';

const ACC = 'DU1';
const AAPL: Instrument = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' };

function fakeBroker(positions: PositionSnapshot[] = []) {
  const calls = { summaries: 0, positions: 0 };
  let release: (() => void) | undefined;
  const gate = { hold: false };
  const summary: BrokerAccountSummary = { account: ACC, baseCurrency: 'USD', settledCash: new Decimal(1000), buyingPower: new Decimal(1000), cashByCurrency: {} };
  const broker = {
    accountSummaries: async () => {
      calls.summaries += 1;
      if (gate.hold) await new Promise<void>((r) => (release = r));
      return [summary];
    },
    positions: async () => {
      calls.positions += 1;
      return positions;
    },
  } as unknown as BrokerPort;
  return { broker, calls, gate, release: () => release?.() };
}

const order = (over: Partial<OwnOrder> = {}): OwnOrder => ({
  orderRef: 'ref-1', account: ACC, symbol: 'AAPL', secType: 'STK', currency: 'USD', side: 'BUY', quantity: 3, price: new Decimal(190), multiplier: 1, ...over,
});

function context(positions: PositionSnapshot[] = []) {
  const f = fakeBroker(positions);
  const market = new MarketContext(f.broker, [{ id: ACC, type: 'PERSONAL' }], new ManualClock(1_000), { snapshotMaxAgeMs: 5_000 });
  return { market, ...f };
}

describe('MarketContext with our own executions', () => {
  it('a stock BUY keeps the snapshot and reserves an execution since it in full', async () => {
    const { market, calls } = context();
    await market.account(ACC);
    market.noteActivity(ACC, { order: order(), executed: true });
    const ctx = await market.accountForBuy(ACC, AAPL);
    expect(calls.summaries).toBe(1);
    expect(ctx.snapshot?.id).toBe(ACC);
    expect(ctx.pending).toHaveLength(1);
    expect(ctx.pending[0]).toMatchObject({ orderRef: 'ref-1', side: 'BUY', remaining: 3 });
    expect(ctx.pending[0]?.reservedCash.toString()).toBe('570');
  });

  it('a strict reader loads a fresh snapshot after an execution, which then clears the pending list', async () => {
    const { market, calls } = context();
    await market.account(ACC);
    market.noteActivity(ACC, { order: order(), executed: true });
    await market.account(ACC);
    expect(calls.summaries).toBe(2);
    await new Promise((r) => setTimeout(r, 0));
    expect((await market.accountForBuy(ACC, AAPL)).pending).toEqual([]);
    expect(calls.summaries).toBe(2);
  });

  it('an execution noted while a load is in flight stays pending after that load', async () => {
    const { market, gate, release } = context();
    gate.hold = true;
    const first = market.account(ACC);
    await new Promise((r) => setTimeout(r, 0));
    market.noteActivity(ACC, { order: order(), executed: true });
    release();
    await first;
    gate.hold = false;
    expect((await market.accountForBuy(ACC, AAPL)).pending.map((w) => w.orderRef)).toEqual(['ref-1']);
  });

  it.each([
    ['a SELL executed since the snapshot', order({ side: 'SELL' }), AAPL, []],
    ['a non-stock execution', order({ secType: 'OPT', multiplier: 100 }), AAPL, []],
    ['a BUY of a future', order(), { ...AAPL, symbol: 'ES', secType: 'FUT' as const }, []],
    ['a short position in the instrument', order(), AAPL, [{ account: ACC, symbol: 'AAPL', secType: 'STK' as const, currency: 'USD', quantity: -5, avgCost: new Decimal(1) }]],
  ])('falls back to a fresh snapshot after %s', async (_why, executed, instrument, positions) => {
    const { market, calls } = context(positions);
    await market.account(ACC);
    market.noteActivity(ACC, { order: executed, executed: true });
    const ctx = await market.accountForBuy(ACC, instrument);
    expect(calls.summaries).toBe(2);
    expect(ctx.pending).toEqual([]);
  });

  it('a state change without an execution keeps the snapshot; unattributed activity drops it', async () => {
    const { market, calls } = context();
    await market.account(ACC);
    market.noteActivity(ACC, { order: order(), executed: false });
    await market.account(ACC);
    expect(calls.summaries).toBe(1);
    market.noteActivity(ACC);
    await market.accountForBuy(ACC, AAPL);
    expect(calls.summaries).toBe(2);
  });
});
