/**
 * Account data over TCP with @stoqey/ib: positions (and multi), account summary with $LEDGER:ALL per
 * account (the household's three accounts never collapse), account updates (single and multi) with
 * portfolio values, and pushes after a fill.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { connectClient, installDecodeGuard, startTestSim, type TestClient } from './helpers.js';

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(async () => {
  await sim.close();
});
installDecodeGuard();

const AAPL = { symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };

async function summary(c: TestClient, reqId: number, tags: string): Promise<[string, string, string, string][]> {
  c.ib.reqAccountSummary(reqId, 'All', tags);
  await c.until('accountSummaryEnd', (a) => a[0] === reqId);
  return c.of('accountSummary').filter((a) => a[0] === reqId).map((a) => [a[1], a[2], a[3], a[4]]);
}

describe('positions', () => {
  it('lists every account position with average cost, then positionEnd', async () => {
    const c = await connectClient(sim.port, 1);
    c.ib.reqPositions();
    await c.until('positionEnd');
    const rows = c.of('position').map(([acct, con, pos, avg]) => [acct, con.symbol, con.conId, pos, avg]);
    expect(rows).toEqual([['DU1000001', 'AAPL', 265598, 100, 150], ['DU1000002', 'MSFT', 272093, 50, 300]]);
  });

  it('positions multi filters by account', async () => {
    const c = await connectClient(sim.port, 2);
    c.ib.reqPositionsMulti(7, 'DU1000002', '');
    await c.until('positionMultiEnd', (a) => a[0] === 7);
    const rows = c.of('positionMulti').map(([req, acct, , con, pos, avg]) => [req, acct, con.symbol, pos, avg]);
    expect(rows).toEqual([[7, 'DU1000002', 'MSFT', 50, 300]]);
  });
});

describe('account summary', () => {
  it('reports the required tags per account, keyed by account', async () => {
    const c = await connectClient(sim.port, 3);
    const tags = 'AccountType,NetLiquidation,TotalCashValue,SettledCash,AvailableFunds,BuyingPower,ExcessLiquidity,InitMarginReq,MaintMarginReq,GrossPositionValue';
    const rows = await summary(c, 9, tags);
    const get = (acct: string, tag: string) => rows.find((r) => r[0] === acct && r[1] === tag)?.[2];
    for (const acct of ['DU1000001', 'DU1000002', 'DU1000003']) {
      for (const t of tags.split(',')) expect(get(acct, t), `${acct} ${t}`).toBeDefined();
    }
    expect([get('DU1000001', 'AccountType'), get('DU1000002', 'AccountType'), get('DU1000003', 'AccountType')]).toEqual(['IRA', 'INDIVIDUAL', 'CORPORATION']);
    expect(get('DU1000001', 'TotalCashValue')).toBe('50000.00');
    expect(get('DU1000002', 'TotalCashValue')).toBe('100000.00');
    expect(get('DU1000003', 'TotalCashValue')).toBe('250000.00');
    expect(get('DU1000001', 'NetLiquidation')).toBe('69000.00'); // 50k + 100 AAPL @ 190
    expect(get('DU1000003', 'GrossPositionValue')).toBe('0.00');
  });

  it('$LEDGER:ALL gives CashBalance per currency and BASE for each account', async () => {
    const c = await connectClient(sim.port, 4);
    const rows = await summary(c, 10, '$LEDGER:ALL');
    const cash = rows.filter((r) => r[1] === 'CashBalance').map((r) => [r[0], r[3], r[2]]);
    expect(cash).toEqual([
      ['DU1000001', 'USD', '50000.00'], ['DU1000001', 'BASE', '50000.00'],
      ['DU1000002', 'USD', '100000.00'], ['DU1000002', 'BASE', '100000.00'],
      ['DU1000003', 'USD', '250000.00'], ['DU1000003', 'BASE', '250000.00'],
    ]);
  });

  it('pushes new values to a live subscription after a fill', async () => {
    const c = await connectClient(sim.port, 5);
    await summary(c, 11, 'TotalCashValue');
    const before = c.of('accountSummary').length;
    c.ib.placeOrder(c.nextValidId!, AAPL, { action: 'BUY' as never, totalQuantity: 10, orderType: 'MKT' as never, account: 'DU1000003', transmit: true });
    await c.until('accountSummary', (a) => a[1] === 'DU1000003' && a[3] !== '250000.00');
    expect(c.of('accountSummary').length).toBeGreaterThan(before);
    // 250,000 − 10 × 190.01 − $1 commission
    expect(c.of('accountSummary').at(-1)?.[3]).toBe('248098.90');
  });
});

describe('account updates', () => {
  it('single: values, portfolio with P&L, time, download end', async () => {
    const c = await connectClient(sim.port, 6);
    c.ib.reqAccountUpdates(true, 'DU1000001');
    await c.until('accountDownloadEnd');
    const values = c.of('updateAccountValue');
    expect(values.find((v) => v[0] === 'NetLiquidation' && v[2] === 'USD')?.[1]).toBeDefined();
    expect(values.find((v) => v[0] === 'CashBalance' && v[2] === 'USD')).toEqual(['CashBalance', '50000.00', 'USD', 'DU1000001']);
    expect(values.every((v) => v[3] === 'DU1000001')).toBe(true);
    const [contract, pos, price, value, avg, unreal, realized, acct] = c.of('updatePortfolio')[0] ?? [];
    expect([contract.symbol, pos, price, value, avg, unreal, realized, acct]).toEqual(['AAPL', 100, 190, 19000, 150, 4000, 0, 'DU1000001']);
    expect(c.of('updateAccountTime')[0]?.[0]).toMatch(/^\d\d:\d\d$/);
    expect(c.of('accountDownloadEnd')[0]).toEqual(['DU1000001']);
    c.ib.reqAccountUpdates(false, 'DU1000001');
  });

  it('multi: values per account (ledgerAndNLV subset), then end', async () => {
    const c = await connectClient(sim.port, 7);
    c.ib.reqAccountUpdatesMulti(12, 'DU1000002', '', false);
    c.ib.reqAccountUpdatesMulti(13, 'DU1000003', '', true);
    await c.until('accountUpdateMultiEnd', (a) => Number(a[0]) === 13); // stoqey passes this reqId as a string
    const rows12 = c.of('accountUpdateMulti').filter((a) => a[0] === 12);
    const rows13 = c.of('accountUpdateMulti').filter((a) => a[0] === 13);
    expect(rows12.every((r) => r[1] === 'DU1000002')).toBe(true);
    expect(rows12.some((r) => r[3] === 'AccountType' && r[4] === 'INDIVIDUAL')).toBe(true);
    expect(rows13.every((r) => r[1] === 'DU1000003')).toBe(true);
    expect(rows13.some((r) => r[3] === 'AccountType')).toBe(false);
    expect(rows13.some((r) => r[3] === 'NetLiquidation')).toBe(true);
    c.ib.cancelAccountUpdatesMulti(12);
    c.ib.cancelAccountUpdatesMulti(13);
  });

  it('portfolio and position updates follow a fill', async () => {
    const c = await connectClient(sim.port, 8);
    c.ib.reqAccountUpdates(true, 'DU1000002');
    c.ib.reqPositions();
    await c.until('accountDownloadEnd');
    await c.until('positionEnd');
    c.ib.placeOrder(c.nextValidId!, { ...AAPL }, { action: 'BUY' as never, totalQuantity: 5, orderType: 'MKT' as never, account: 'DU1000002', transmit: true });
    const pf = await c.until('updatePortfolio', (a) => a[0].symbol === 'AAPL');
    expect(pf[1]).toBe(5);
    const p = await c.until('position', (a) => a[0] === 'DU1000002' && a[1].symbol === 'AAPL');
    expect(p[2]).toBe(5);
    expect(p[3]).toBeCloseTo(190.21, 6); // 190.01 + $1 commission / 5
  });
});
