/**
 * Instruments keyed by conId (issue 12): one symbol holds a stock, its option chain and two futures
 * months. Contract details return every match, market data / orders resolve one contract or answer 200,
 * quotes are per conId and an option follows its underlying through Black-Scholes, positions and
 * executions are per contract, and IB's own IRA option rules (covered call, cash-secured put, shares
 * under a short call) hold — all over TCP with @stoqey/ib.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { optionConId } from '../../src/sim/fixture/chains.js';
import { admin, connectClient, installDecodeGuard, startTestSim, type TestClient } from './helpers.js';

import { EXP, OPTIONS_FIXTURE } from './options-fixture.js';

const STK = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' } as never;
const opt = (strike: number, right: 'C' | 'P', expiry = EXP): never =>
  ({ symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: expiry, strike, right, multiplier: 100 }) as never;

let sim: SimulatorHandle;
beforeEach(async () => {
  sim = await startTestSim({ fixture: OPTIONS_FIXTURE });
});
afterEach(async () => {
  await sim.close();
});
installDecodeGuard();

async function details(c: TestClient, reqId: number, contract: object): Promise<any[]> {
  c.ib.reqContractDetails(reqId, contract as never);
  await c.until('contractDetailsEnd', (a) => a[0] === reqId);
  return c.of('contractDetails').filter((a) => a[0] === reqId).map((a) => a[1]);
}

const quoteOf = async (conId: number): Promise<{ bid: number; ask: number; last: number }> =>
  ((await admin(sim, 'GET', '/state')).json.quotes as { conId: number; bid: number; ask: number; last: number }[]).find((q) => q.conId === conId)!;

describe('one symbol, many contracts', () => {
  it('contract details: the stock, one option, an expiry, all of AAPL, both ES months', async () => {
    const c = await connectClient(sim.port, 1);
    expect((await details(c, 1, STK)).map((d) => d.contract.conId)).toEqual([265598]);
    const one = await details(c, 2, opt(200, 'C'));
    expect(one).toHaveLength(1);
    expect(one[0].contract).toMatchObject({ conId: optionConId('AAPL', EXP, 200, 'C'), secType: 'OPT', strike: 200, right: 'C', multiplier: 100, lastTradeDateOrContractMonth: EXP });
    expect(one[0].underConId).toBe(265598);
    expect(await details(c, 3, { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', lastTradeDateOrContractMonth: EXP })).toHaveLength(10);
    expect(await details(c, 4, { symbol: 'AAPL', exchange: 'SMART', currency: 'USD' })).toHaveLength(21);
    expect((await details(c, 5, { symbol: 'ES', secType: 'FUT', exchange: 'CME' })).map((d) => d.contract.lastTradeDateOrContractMonth)).toEqual(['202612', '202703']);
    c.ib.reqContractDetails(6, opt(205, 'C'));
    await c.until('error', (a) => a[2] === 6 && a[1] === 200);
  });

  it('market data for the stock and an option at once; an ambiguous contract gets 200', async () => {
    const c = await connectClient(sim.port, 2);
    c.ib.reqMktData(1, STK, '', false, false);
    c.ib.reqMktData(2, opt(200, 'C'), '', false, false);
    c.ib.reqMktData(3, { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD' } as never, '', false, false);
    const stkLast = await c.until('tickPrice', (a) => a[0] === 1 && a[1] === 4);
    const optBid = await c.until('tickPrice', (a) => a[0] === 2 && a[1] === 1);
    const optAsk = await c.until('tickPrice', (a) => a[0] === 2 && a[1] === 2);
    expect(stkLast[2]).toBe(190);
    // 1 year out, 30 % vol, 4 % rate, spot 190, strike 200: about 22.6
    expect(optBid[2]).toBeGreaterThan(18);
    expect(optBid[2]).toBeLessThan(optAsk[2]);
    await c.until('error', (a) => a[2] === 3 && a[1] === 200);
  });

  it('an option follows its underlying; POST /price by conId; a bare symbol with no stock is refused', async () => {
    const call = optionConId('AAPL', EXP, 200, 'C');
    const put = optionConId('AAPL', EXP, 200, 'P');
    const before = await quoteOf(call);
    const putBefore = await quoteOf(put);
    expect((await admin(sim, 'POST', '/price', { symbol: 'AAPL', price: 210 })).status).toBe(200);
    const after = await quoteOf(call);
    expect(after.last).toBeGreaterThan(before.last);
    expect((await quoteOf(put)).last).toBeLessThan(putBefore.last);
    const r = await admin(sim, 'POST', '/price', { conId: call, price: 40 });
    expect(r.status).toBe(200);
    expect(r.json.quote).toMatchObject({ conId: call, last: 40, secType: 'OPT', strike: 200, right: 'C' });
    const es = await admin(sim, 'POST', '/price', { symbol: 'ES', price: 6100 });
    expect(es).toMatchObject({ status: 400, json: { field: 'symbol' } });
    expect(es.json.error).toMatch(/names 2 instruments/);
    expect((await admin(sim, 'POST', '/price', { conId: 1, price: 1 })).json.field).toBe('conId');
  });
});

describe('orders, positions and executions per contract', () => {
  const place = (c: TestClient, id: number, contract: never, action: 'BUY' | 'SELL', qty: number, account: string): void => {
    c.ib.placeOrder(id, contract, { action, totalQuantity: qty, orderType: 'MKT', account, transmit: true } as never);
  };
  const filled = (c: TestClient, id: number) => c.until('orderStatus', (a) => a[0] === id && a[1] === 'Filled', `order ${id} filled`);
  const refused = (c: TestClient, id: number) => c.until('error', (a) => a[2] === id && a[1] === 201, `201 on ${id}`);

  it('the stock and its option trade in one run; positions and executions name each contract', async () => {
    const c = await connectClient(sim.port, 3);
    place(c, 1, STK, 'SELL', 50, 'DU1000001');
    place(c, 2, opt(190, 'P'), 'BUY', 2, 'DU1000002');
    place(c, 3, { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD', lastTradeDateOrContractMonth: '202703' } as never, 'BUY', 1, 'DU1000002');
    await filled(c, 1);
    await filled(c, 2);
    await filled(c, 3);
    const st = (await admin(sim, 'GET', '/state')).json;
    expect(st.positions).toContainEqual(expect.objectContaining({ account: 'DU1000001', conId: 265598, quantity: 150 }));
    expect(st.positions).toContainEqual(expect.objectContaining({ account: 'DU1000002', conId: optionConId('AAPL', EXP, 190, 'P'), secType: 'OPT', quantity: 2, strike: 190, right: 'P' }));
    expect(st.positions).toContainEqual(expect.objectContaining({ account: 'DU1000002', secType: 'FUT', lastTradeDateOrContractMonth: '202703', quantity: 1 }));
    expect(st.executions.find((e: { orderId: number }) => e.orderId === 3).price).toBe(6050.25);
    c.ib.reqPositions();
    await c.until('positionEnd');
    const held = c.of('position').filter((a) => a[0] === 'DU1000001').map((a) => [a[1].secType, a[1].strike ?? 0, a[2]]);
    expect(held).toEqual(expect.arrayContaining([['STK', 0, 150], ['OPT', 200, -1]]));
  });

  it('IRA: a covered call is accepted while shares are free, then refused; the covered shares cannot be sold', async () => {
    const c = await connectClient(sim.port, 4);
    // 200 shares, one short 200 C already covers 100
    place(c, 1, opt(210, 'C'), 'SELL', 1, 'DU1000001');
    await filled(c, 1);
    place(c, 2, opt(220, 'C'), 'SELL', 1, 'DU1000001');
    await refused(c, 2);
    place(c, 3, STK, 'SELL', 1, 'DU1000001');
    const err = await refused(c, 3);
    expect(String(err[0].message)).toMatch(/LESS 200 COVERING SHORT CALLS/);
    // buying back a call frees its shares
    place(c, 4, opt(210, 'C'), 'BUY', 1, 'DU1000001');
    await filled(c, 4);
    place(c, 5, STK, 'SELL', 100, 'DU1000001');
    await filled(c, 5);
  });

  it('IRA: a cash-secured put is accepted while settled cash covers strike × 100; the next one is refused', async () => {
    const c = await connectClient(sim.port, 5);
    place(c, 1, opt(180, 'P'), 'SELL', 1, 'DU1000001');
    await filled(c, 1);
    // 50,000 + premium − 18,000 secured < 2 × 20,000
    place(c, 2, opt(200, 'P'), 'SELL', 2, 'DU1000001');
    const err = await refused(c, 2);
    expect(String(err[0].message)).toMatch(/CASH-SECURED PUTS: SELL 2 AAPL 20271217 200 P NEEDS 40000.00 USD/);
  });
});
