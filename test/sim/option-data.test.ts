/**
 * Option data over TCP with @stoqey/ib: reqSecDefOptParams (expirations, strikes, multiplier, trading
 * class), tickOptionComputation on option market data (live 10..13 and delayed 80..83) with greeks that
 * agree with Black-Scholes, and what-if margin for a short option in a margin account.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecType } from '@stoqey/ib';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { blackScholes } from '../../src/sim/engine/black-scholes.js';
import { EXP, OPTIONS_FIXTURE } from './options-fixture.js';
import { connectClient, installDecodeGuard, startTestSim } from './helpers.js';

const opt = (strike: number, right: 'C' | 'P'): never =>
  ({ symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: EXP, strike, right, multiplier: 100 }) as never;

let sim: SimulatorHandle;
beforeEach(async () => {
  sim = await startTestSim({ fixture: OPTIONS_FIXTURE });
});
afterEach(async () => {
  await sim.close();
});
installDecodeGuard();

describe('option data', () => {
  it('reqSecDefOptParams answers the chain per exchange, then END; an unknown underlying gets 200', async () => {
    const c = await connectClient(sim.port, 1);
    c.ib.reqSecDefOptParams(1, 'AAPL', '', SecType.STK, 265598);
    await c.until('securityDefinitionOptionParameterEnd', (a) => a[0] === 1);
    const msgs = c.of('securityDefinitionOptionParameter').filter((a) => a[0] === 1);
    expect(msgs.map((a) => a[1])).toEqual(['SMART', 'CBOE']);
    expect(msgs[0]).toEqual([1, 'SMART', 265598, 'AAPL', 100, [EXP, '20280121'], [180, 190, 200, 210, 220]]);
    c.ib.reqSecDefOptParams(2, 'NOPE', '', SecType.STK, 0);
    await c.until('error', (a) => a[2] === 2 && a[1] === 200);
  });

  it('option market data carries bid/ask/last/model computations consistent with Black-Scholes', async () => {
    const c = await connectClient(sim.port, 2);
    c.ib.reqMktData(1, opt(200, 'C'), '', false, false);
    c.ib.reqMktData(2, opt(200, 'P'), '', false, false);
    const comp = async (reqId: number, tick: number) => c.until('tickOptionComputation', (a) => a[0] === reqId && a[1] === tick);
    const callModel = await comp(1, 13);
    const putModel = await comp(2, 13);
    const callBid = await comp(1, 10);
    await comp(1, 11);
    await comp(1, 12);
    // [reqId, tickType, attrib, iv, delta, optPrice, pvDividend, gamma, vega, theta, undPrice]
    expect(callModel[3]).toBeCloseTo(0.3, 6);
    expect(callModel[10]).toBe(190);
    expect(callModel[4]).toBeGreaterThan(0);
    expect(callModel[4]).toBeLessThan(1);
    expect(putModel[4]).toBeCloseTo(callModel[4] - 1, 5);
    const t = (Date.UTC(2027, 11, 17, 21) - Date.now()) / (365 * 86_400_000);
    const bs = blackScholes({ right: 'C', spot: 190, strike: 200, t, vol: 0.3, rate: 0.04 });
    expect(callModel[5]).toBeCloseTo(bs.price, 1);
    expect(callModel[7]).toBeCloseTo(bs.gamma, 4);
    expect(callModel[8]).toBeCloseTo(bs.vega, 3);
    expect(callModel[9]).toBeLessThan(0);
    // put-call parity on the model prices
    expect(callModel[5] - putModel[5]).toBeCloseTo(190 - 200 * Math.exp(-0.04 * t), 1);
    // the bid's implied volatility is a little below the model's
    expect(callBid[3]).toBeLessThan(0.3);
    expect(callBid[3]).toBeGreaterThan(0.29);
  });

  it('calculateImpliedVolatility and calculateOptionPrice answer tick 53 consistent with Black-Scholes', async () => {
    const c = await connectClient(sim.port, 5);
    const t = (Date.UTC(2027, 11, 17, 21) - Date.now()) / (365 * 86_400_000);
    const price = blackScholes({ right: 'C', spot: 195, strike: 200, t, vol: 0.42, rate: 0.04 }).price;
    c.ib.calculateImpliedVolatility(1, opt(200, 'C'), price, 195);
    c.ib.calculateOptionPrice(2, opt(200, 'C'), 0.42, 195);
    c.ib.calculateOptionPrice(3, { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' } as never, 0.42, 195);
    const iv = await c.until('tickOptionComputation', (a) => a[0] === 1);
    const px = await c.until('tickOptionComputation', (a) => a[0] === 2);
    expect(iv[1]).toBe(53);
    expect(iv[3]).toBeCloseTo(0.42, 4);
    expect(px[5]).toBeCloseTo(price, 2);
    expect(px[10]).toBe(195);
    await c.until('error', (a) => a[2] === 3 && a[1] === 200);
  });

  it('generic tick 106 gives the implied volatility (tick 24) of an option and of its underlying', async () => {
    const c = await connectClient(sim.port, 6);
    c.ib.reqMktData(1, opt(200, 'C'), '106', true, false);
    c.ib.reqMktData(2, { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' } as never, '106', true, false);
    await c.until('tickSnapshotEnd', (a) => a[0] === 1);
    await c.until('tickSnapshotEnd', (a) => a[0] === 2);
    const iv = (id: number) => c.of('tickGeneric').find((a) => a[0] === id && a[1] === 24)?.[2];
    expect(iv(1)).toBeCloseTo(0.3, 6);
    expect(iv(2)).toBeCloseTo(0.3, 6);
  });

  it('delayed market data sends the delayed computation ticks (80..83)', async () => {
    const c = await connectClient(sim.port, 3);
    c.ib.reqMarketDataType(3);
    c.ib.reqMktData(1, opt(190, 'P'), '', true, false);
    await c.until('tickSnapshotEnd', (a) => a[0] === 1);
    const ticks = c.of('tickOptionComputation').filter((a) => a[0] === 1).map((a) => a[1]);
    expect(ticks).toEqual([80, 81, 82, 83]);
  });

  it('what-if: a short call in a margin account needs option margin; a long call its premium', async () => {
    const c = await connectClient(sim.port, 4);
    c.ib.placeOrder(1, opt(200, 'C'), { action: 'SELL', totalQuantity: 2, orderType: 'MKT', account: 'DU1000002', whatIf: true, transmit: true } as never);
    c.ib.placeOrder(2, opt(200, 'C'), { action: 'BUY', totalQuantity: 2, orderType: 'MKT', account: 'DU1000002', whatIf: true, transmit: true } as never);
    const short = await c.until('openOrder', (a) => a[0] === 1);
    const long = await c.until('openOrder', (a) => a[0] === 2);
    const shortMargin = Number(short[3].initMarginChange);
    // premium (~22) + max(20 % × 190 − 10 OTM, 10 % × 190) = ~22 + 28 = ~50 per share → ~10,000 for 2 contracts
    expect(shortMargin).toBeGreaterThan(9_000);
    expect(shortMargin).toBeLessThan(11_500);
    const longMargin = Number(long[3].initMarginChange);
    expect(longMargin).toBeGreaterThan(3_500);
    expect(longMargin).toBeLessThan(5_500);
    expect(short[3].commission).toBe(1.3);
  });
});

describe('expired options', () => {
  it('are left out of reqSecDefOptParams and of contract details unless includeExpired', async () => {
    await sim.close();
    sim = await startTestSim({ fixture: { ...OPTIONS_FIXTURE, chains: [{ underlying: 'AAPL', expiries: ['20200117', EXP], strikes: [190, 200], rights: ['C'] }] } });
    const c = await connectClient(sim.port, 7);
    c.ib.reqSecDefOptParams(1, 'AAPL', '', SecType.STK, 265598);
    await c.until('securityDefinitionOptionParameterEnd', (a) => a[0] === 1);
    expect(c.of('securityDefinitionOptionParameter')[0]?.[5]).toEqual([EXP]);
    const old = { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: '20200117', strike: 190, right: 'C' };
    c.ib.reqContractDetails(2, old as never);
    await c.until('error', (a) => a[2] === 2 && a[1] === 200);
    c.ib.reqContractDetails(3, { ...old, includeExpired: true } as never);
    await c.until('contractDetailsEnd', (a) => a[0] === 3);
    expect(c.of('contractDetails').filter((a) => a[0] === 3)).toHaveLength(1);
  });
});
