/** IbBroker against the simulator over TCP: accounts, summaries, positions, contracts, market data. */
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/execution/broker-port.js';
import type { IbBroker } from '../../src/ib/ib-broker.js';
import { AAPL, HOUSEHOLD, makeBroker, simState, startSim } from './support/sim.js';
import type { Sim } from './support/sim.js';

const ACCOUNTS = ['DU1000001', 'DU1000002', 'DU1000003'];
let sim: Sim;
let broker: IbBroker;

beforeAll(async () => {
  sim = await startSim(11, { fixture: HOUSEHOLD });
  broker = makeBroker(sim.port);
  await broker.connect();
});

afterAll(async () => {
  await broker?.disconnect();
  await sim?.close();
});

describe('three linked accounts', () => {
  it('lists every managed account', async () => {
    expect([...(await broker.managedAccounts())].sort()).toEqual(ACCOUNTS);
  });

  it('keeps one account summary per account, matching the fixture', async () => {
    const sums = await broker.accountSummaries();
    expect(sums.map((s) => s.account).sort()).toEqual(ACCOUNTS);
    const by = Object.fromEntries(sums.map((s) => [s.account, s]));
    expect(by.DU1000001!.accountType).toBe('IRA');
    expect(by.DU1000002!.accountType).toBe('INDIVIDUAL');
    expect(by.DU1000003!.accountType).toBe('CORPORATION');
    expect(by.DU1000001!.totalCashValue?.toNumber()).toBe(50_000);
    expect(by.DU1000003!.totalCashValue?.toNumber()).toBe(250_000);
    // net liquidation is each account's own: cash + its own positions
    expect(by.DU1000001!.netLiquidation!.toNumber()).toBeCloseTo(50_000 + 100 * 190, -2);
    expect(by.DU1000003!.netLiquidation!.toNumber()).toBeCloseTo(250_000 + 20 * 600, -2);
    expect(new Set(sums.map((s) => s.netLiquidation?.toString())).size).toBe(3);
    expect(by.DU1000002!.cashByCurrency.EUR?.toNumber()).toBe(1_000);
    expect(by.DU1000002!.cashByCurrency.USD?.toNumber()).toBe(100_000);
    expect(by.DU1000001!.cashByCurrency.EUR).toBeUndefined();
    for (const s of sums) expect(s.buyingPower).toBeDefined();
    expect(broker.stats().decoderErrors).toBe(0);
  });

  it('reports every position of every account, as the simulator holds them', async () => {
    const mine = (await broker.positions()).map((p) => `${p.account}:${p.symbol}:${p.quantity}`).sort();
    const state = await simState(sim);
    const theirs = state.positions.filter((p) => p.quantity !== 0).map((p) => `${p.account}:${p.symbol}:${p.quantity}`).sort();
    expect(mine).toEqual(theirs);
    expect(mine).toContain('DU1000001:AAPL:100');
    expect(mine).toContain('DU1000002:MSFT:50');
    expect(mine).toContain('DU1000002:SAP:10');
    expect(mine).toContain('DU1000003:SPY:20');
    expect(mine).toContain('DU1000003:ES:1');
    expect(mine).toHaveLength(5);
  });
});

describe('contracts and market data', () => {
  it('returns contract details with the IRA-relevant fields, cached', async () => {
    const ci = await broker.contractDetails(AAPL);
    expect(ci).toMatchObject({ symbol: 'AAPL', conId: 265598, stockType: 'COMMON', longName: 'APPLE INC' });
    const et = await broker.contractDetails({ ...AAPL, symbol: 'ET' });
    expect(et.stockType).toBe('MLP');
    const sent = broker.stats().messagesSent;
    await broker.contractDetails(AAPL);
    expect(broker.stats().messagesSent).toBe(sent);
  });

  it('rejects an unknown contract with error 200', async () => {
    const err = await broker.contractDetails({ ...AAPL, symbol: 'ZZZZNOPE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe(200);
  });

  it('quotes AAPL around the simulator price', async () => {
    const q = await broker.quote(AAPL);
    const mid = q.bid && q.ask ? q.bid.add(q.ask).div(2).toNumber() : q.last?.toNumber();
    expect(mid).toBeGreaterThan(150);
    expect(mid).toBeLessThan(230);
    expect(q.stale).toBe(false);
  });

  it('falls back to delayed data after 354 and flags the quote delayed', async () => {
    // the simulator has no "not subscribed" fault: inject IB's 354 for our request id the moment it leaves
    const hub = (broker as unknown as { conn: { hub: EventEmitter } }).conn.hub;
    let injected = 0;
    const onSent = (tokens: unknown[]): void => {
      if (Number(tokens[0]) === 1 && injected === 0) {
        injected = Number(tokens[2]);
        hub.emit('error', new Error('Requested market data is not subscribed.'), 354, injected);
      }
    };
    hub.on('sent', onSent);
    try {
      const q = await broker.quote({ ...AAPL, symbol: 'MSFT' });
      expect(injected).toBeGreaterThan(0);
      expect(q.delayed).toBe(true);
      expect(q.last ?? q.bid).toBeDefined();
    } finally {
      hub.off('sent', onSent);
    }
  });

  it('returns a borrow fee from FEE_RATE history', async () => {
    const fee = await broker.borrowFee(AAPL);
    expect(fee).toBeDefined();
    expect(fee!.toNumber()).toBeGreaterThanOrEqual(0);
  });

  it('returns historical daily bars', async () => {
    const bars = await broker.historicalBars(AAPL, { barSize: '1 day', duration: '1 M', whatToShow: 'TRADES' });
    expect(bars.length).toBeGreaterThan(5);
    for (const b of bars) expect(b.high.gte(b.low)).toBe(true);
  });

  it('reports shortable shares (generic tick 236)', async () => {
    expect(await broker.shortableShares(AAPL)).toBe(50_000_000);
  });

  it('answers a what-if order with margin and commission, placing nothing', async () => {
    const before = (await simState(sim)).orders.length;
    const { leg } = await import('./support/sim.js');
    const w = await broker.whatIf(leg({ account: 'DU1000002', quantity: 10 }));
    expect(w.initMarginChange ?? w.commission).toBeDefined();
    expect((await simState(sim)).orders.length).toBe(before);
    expect(broker.stats().decoderErrors).toBe(0);
  });
});
