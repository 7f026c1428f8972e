/**
 * The simulator through IBApiNext (what the daemon's IB adapter uses): observables for positions,
 * account summary, account updates and open orders; placeNewOrder, getAllOpenOrders, cancelOrder,
 * getExecutionDetails, market data snapshot and history. Any 505 from the client fails the suite.
 */
import { EventName, IBApiNext, type IBApi, type IBApiNextError } from '@stoqey/ib';
import { firstValueFrom, filter } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { admin, startTestSim, waitFor } from './helpers.js';

let sim: SimulatorHandle;
let next: IBApiNext;
const errors: IBApiNextError[] = [];
const AAPL = { symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };

beforeAll(async () => {
  sim = await startTestSim();
  next = new IBApiNext({ host: '127.0.0.1', port: sim.port, reconnectInterval: 0, connectionWatchdogInterval: 0 });
  next.error.subscribe((e) => errors.push(e));
  next.connect(77);
  await next.getNextValidOrderId();
});
afterAll(async () => {
  next.disconnect();
  await sim.close();
});
afterEach(() => {
  expect(errors.filter((e) => e.code === 505).map((e) => e.error.message)).toEqual([]);
});

describe('IBApiNext over the simulator', () => {
  it('getPositions: per-account positions', async () => {
    const update = await firstValueFrom(next.getPositions().pipe(filter((u) => u.all.size >= 2)));
    expect(update.all.get('DU1000001')?.map((p) => [p.contract.symbol, p.pos, p.avgCost])).toEqual([['AAPL', 100, 150]]);
    expect(update.all.get('DU1000002')?.map((p) => [p.contract.symbol, p.pos])).toEqual([['MSFT', 50]]);
  });

  it('getAccountSummary: each account keeps its own values', async () => {
    const update = await firstValueFrom(next.getAccountSummary('All', 'AccountType,NetLiquidation,SettledCash').pipe(filter((u) => u.all.size === 3)));
    const value = (acct: string, tag: string, cur: string) => update.all.get(acct)?.get(tag)?.get(cur)?.value;
    expect(value('DU1000001', 'AccountType', '')).toBe('IRA');
    expect(value('DU1000003', 'AccountType', '')).toBe('CORPORATION');
    expect(value('DU1000001', 'SettledCash', 'USD')).toBe('50000.00');
    expect(value('DU1000003', 'SettledCash', 'USD')).toBe('250000.00');
  });

  it('getAccountUpdates: values and portfolio of one account', async () => {
    const update = await firstValueFrom(next.getAccountUpdates('DU1000002').pipe(filter((u) => (u.all.portfolio?.get('DU1000002')?.length ?? 0) > 0)));
    const pos = update.all.portfolio?.get('DU1000002')?.[0];
    expect([pos?.contract.symbol, pos?.pos, pos?.marketPrice]).toEqual(['MSFT', 50, 420]);
  });

  it('placeNewOrder, getAllOpenOrders, cancelOrder; a fill appears in getExecutionDetails', async () => {
    const id = await next.placeNewOrder(AAPL, { action: 'BUY' as never, orderType: 'LMT' as never, lmtPrice: 150, totalQuantity: 3, account: 'DU1000003', transmit: true, orderRef: 'next-lmt' });
    await waitFor(() => sim.engine.orders.size === 1, 'order in the engine');
    const open = await next.getAllOpenOrders();
    expect(open.map((o) => [o.orderId, o.order.orderRef, o.orderState.status])).toEqual([[id, 'next-lmt', 'Submitted']]);
    next.cancelOrder(id);
    await waitFor(() => [...sim.engine.orders.values()][0]?.status === 'Cancelled', 'cancelled');
    let live = 0;
    (next as unknown as { api: IBApi }).api.on(EventName.execDetails, () => live++); // `api` is private in the typings
    const id2 = await next.placeNewOrder(AAPL, { action: 'BUY' as never, orderType: 'MKT' as never, totalQuantity: 2, account: 'DU1000003', transmit: true, orderRef: 'next-mkt' });
    // IBApiNext adds every execDetails (also live reqId −1 ones) to a pending getExecutionDetails: wait for the live one first
    await waitFor(() => live === 1, 'live execution at the client');
    const details = await next.getExecutionDetails({ acctCode: 'DU1000003' });
    expect(details.map((d) => [d.execution.orderId, d.execution.orderRef, d.execution.shares])).toEqual([[id2, 'next-mkt', 2]]);
    expect(errors.filter((e) => e.code === 202).map((e) => e.reqId)).toContain(id);
  });

  it('getMarketDataSnapshot and getHistoricalData', async () => {
    await admin(sim, 'POST', '/price', { symbol: 'SPY', price: 605 });
    const snap = await next.getMarketDataSnapshot({ ...AAPL, symbol: 'SPY' }, '', false);
    expect(snap.get(4)?.value).toBe(605); // LAST
    const bars = await next.getHistoricalData(AAPL, '20261120 16:00:00', '5 D', '1 day' as never, 'TRADES' as never, 1, 1);
    expect(bars.length).toBe(5);
    expect(bars.every((b) => (b.high ?? 0) >= (b.low ?? 0))).toBe(true);
  });
});
