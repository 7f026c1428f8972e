/**
 * Market data over TCP with @stoqey/ib: contract details (stockType, industry, category, longName; 200
 * when unknown), streaming and snapshot ticks (236 shortable; delayed types for 3/4), and historical
 * bars for every whatToShow, deterministic for a seed.
 */
import { IBApiNext } from '@stoqey/ib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { admin, connectClient, installDecodeGuard, startTestSim, waitFor, type TestClient } from './helpers.js';

const AAPL = { symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startTestSim({ seed: 7 });
});
afterAll(async () => {
  await sim.close();
});
installDecodeGuard();

describe('contract details', () => {
  it('returns stockType, industry, category and longName; 200 for an unknown contract', async () => {
    const c = await connectClient(sim.port, 1);
    c.ib.reqContractDetails(1, { symbol: 'ET', secType: 'STK' as never, currency: 'USD', exchange: 'SMART' });
    await c.until('contractDetailsEnd', (a) => a[0] === 1);
    const d = c.of('contractDetails')[0]?.[1];
    expect([d.contract.symbol, d.contract.conId > 0, d.stockType, d.longName, d.industry, d.category]).toEqual(['ET', true, 'MLP', 'ENERGY TRANSFER LP', 'Energy', 'Pipelines']);
    c.ib.reqContractDetails(2, { conId: 265598, exchange: 'SMART' } as never);
    await c.until('contractDetailsEnd', (a) => a[0] === 2);
    expect(c.of('contractDetails')[1]?.[1].contract.symbol).toBe('AAPL');
    c.ib.reqContractDetails(3, { symbol: 'ES', secType: 'FUT' as never, exchange: 'CME', lastTradeDateOrContractMonth: '202612' });
    await c.until('contractDetailsEnd', (a) => a[0] === 3);
    expect(c.of('contractDetails')[2]?.[1].contract.multiplier).toBe(50);
    c.ib.reqContractDetails(4, { symbol: 'NOPE', secType: 'STK' as never, currency: 'USD', exchange: 'SMART' });
    const [err] = await c.until('error', (a) => a[2] === 4);
    expect([c.of('error').at(-1)?.[1], err.message]).toEqual([200, 'No security definition has been found for the request']);
  });

  it('IBApiNext.getContractDetails rejects an unknown contract with code 200', async () => {
    const next = new IBApiNext({ host: '127.0.0.1', port: sim.port, reconnectInterval: 0, connectionWatchdogInterval: 0 });
    next.connect(2);
    try {
      const details = await next.getContractDetails({ symbol: 'SAP', secType: 'STK' as never, currency: 'EUR', exchange: 'SMART' });
      expect(details[0]?.contract.primaryExch).toBe('IBIS');
      await expect(next.getContractDetails({ symbol: 'NOPE', secType: 'STK' as never })).rejects.toMatchObject({ code: 200 });
    } finally {
      next.disconnect();
    }
  });
});

function ticks(c: TestClient, reqId: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const name of ['tickPrice', 'tickSize', 'tickGeneric']) for (const a of c.of(name)) if (a[0] === reqId) m.set(a[1], a[2]);
  return m;
}

describe('market data', () => {
  it('snapshot: bid, ask, last, sizes, close, shortable (236), then tickSnapshotEnd', async () => {
    const c = await connectClient(sim.port, 3);
    c.ib.reqMktData(5, AAPL, '236', true, false);
    await c.until('tickSnapshotEnd', (a) => a[0] === 5);
    const t = ticks(c, 5);
    expect([t.get(1), t.get(2), t.get(4), t.get(9)]).toEqual([189.99, 190.01, 190, 190]);
    expect(t.get(0)).toBeGreaterThan(0);
    expect(t.get(3)).toBeGreaterThan(0);
    expect(t.get(46)).toBe(3);
    expect(t.get(89)).toBe(50_000_000);
  });

  it('streaming: new ticks follow a price change; cancel stops them', async () => {
    const c = await connectClient(sim.port, 4);
    c.ib.reqMktData(6, { symbol: 'SPY', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' }, '', false, false);
    await c.until('tickPrice', (a) => a[0] === 6 && a[1] === 9);
    await admin(sim, 'POST', '/price', { symbol: 'SPY', price: 601 });
    await c.until('tickPrice', (a) => a[0] === 6 && a[1] === 4 && a[2] === 601);
    c.ib.cancelMktData(6);
    c.ib.reqCurrentTime();
    await c.until('currentTime');
    const n = c.of('tickPrice').length;
    await admin(sim, 'POST', '/price', { symbol: 'SPY', price: 602 });
    c.ib.reqCurrentTime();
    await waitFor(() => c.of('currentTime').length === 2, 'second time');
    expect(c.of('tickPrice').length).toBe(n);
  });

  it('market data type 3 gives delayed tick types and a marketDataType message', async () => {
    const c = await connectClient(sim.port, 5);
    c.ib.reqMarketDataType(3);
    c.ib.reqMktData(7, AAPL, '', true, false);
    await c.until('tickSnapshotEnd', (a) => a[0] === 7);
    expect(c.of('marketDataType')[0]).toEqual([7, 3]);
    const t = ticks(c, 7);
    expect([t.get(66), t.get(67), t.get(68), t.get(75)]).toEqual([189.99, 190.01, 190, 190]);
    expect(t.has(1)).toBe(false);
  });

  it('unknown contract: error 200 with the request id', async () => {
    const c = await connectClient(sim.port, 6);
    c.ib.reqMktData(8, { symbol: 'NOPE', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' }, '', true, false);
    await c.until('error', (a) => a[2] === 8 && a[1] === 200);
  });
});

describe('historical data', () => {
  async function bars(c: TestClient, reqId: number, whatToShow: string, bar = '1 day', duration = '1 M'): Promise<any[][]> {
    c.ib.reqHistoricalData(reqId, AAPL, '20261120 16:00:00', duration, bar as never, whatToShow as never, 1, 1, false);
    await c.until('historicalData', (a) => a[0] === reqId && String(a[1]).startsWith('finished'));
    return c.of('historicalData').filter((a) => a[0] === reqId && !String(a[1]).startsWith('finished'));
  }

  it('TRADES, MIDPOINT, BID, ASK and FEE_RATE bars', async () => {
    const c = await connectClient(sim.port, 7);
    const trades = await bars(c, 10, 'TRADES');
    expect(trades.length).toBeGreaterThan(15);
    expect(trades.at(-1)?.[1]).toBe('20261120');
    for (const [, , o, h, l, cl, v] of trades) {
      expect(h).toBeGreaterThanOrEqual(Math.max(o, cl));
      expect(l).toBeLessThanOrEqual(Math.min(o, cl));
      expect(v).toBeGreaterThan(0);
    }
    const bid = await bars(c, 11, 'BID');
    const ask = await bars(c, 12, 'ASK');
    expect(ask[0]?.[5]).toBeCloseTo((bid[0]?.[5] as number) + 0.02, 6);
    expect((await bars(c, 13, 'MIDPOINT'))[0]?.[5]).toBe(trades[0]?.[5]);
    const fee = await bars(c, 14, 'FEE_RATE');
    expect(fee[0]?.[5]).toBeGreaterThan(0);
    const intraday = await bars(c, 15, 'TRADES', '5 mins', '3600 S');
    expect(intraday).toHaveLength(12);
    expect(intraday[0]?.[1]).toMatch(/^20261120 15:00:00/);
  });

  it('is deterministic for a seed and differs for another seed', async () => {
    const c = await connectClient(sim.port, 8);
    const a = await bars(c, 20, 'TRADES');
    const b = await bars(c, 21, 'TRADES');
    expect(b.map((x) => x.slice(1))).toEqual(a.map((x) => x.slice(1)));
    const other = await startTestSim({ seed: 8 });
    try {
      const d = await connectClient(other.port, 9);
      const o = await bars(d, 22, 'TRADES');
      expect(o.map((x) => x.slice(1))).not.toEqual(a.map((x) => x.slice(1)));
      const same = await startTestSim({ seed: 7 });
      try {
        const e = await connectClient(same.port, 10);
        expect((await bars(e, 23, 'TRADES')).map((x) => x.slice(1))).toEqual(a.map((x) => x.slice(1)));
      } finally {
        await same.close();
      }
    } finally {
      await other.close();
    }
  });

  it('keepUpToDate sends HISTORICAL_DATA_UPDATE on price changes until cancelled', async () => {
    const c = await connectClient(sim.port, 12);
    c.ib.reqHistoricalData(31, { ...AAPL, symbol: 'MSFT' }, '', '1 D', '5 mins' as never, 'TRADES' as never, 1, 2, true);
    await c.until('historicalData', (a) => a[0] === 31 && String(a[1]).startsWith('finished'));
    await admin(sim, 'POST', '/price', { symbol: 'MSFT', price: 421.5 });
    const [, date, , , , close] = await c.until('historicalDataUpdate', (a) => a[0] === 31);
    expect([typeof date, close]).toEqual(['string', 421.5]);
    c.ib.cancelHistoricalData(31);
  });

  it('a bad bar size is answered with error 321', async () => {
    const c = await connectClient(sim.port, 11);
    c.ib.reqHistoricalData(30, AAPL, '', '1 D', '7 parsecs' as never, 'TRADES' as never, 1, 1, false);
    await c.until('error', (a) => a[2] === 30 && a[1] === 321);
  });
});
