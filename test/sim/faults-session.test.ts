/**
 * Wave-2 faults of the admin API over real sockets: `competing-session` (error 10197, then each session
 * is closed; clients can connect again) and `read-only-api` (orders, what-ifs and cancels answered 321
 * without using the order id; off again with `on: false`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { admin, connectClient, installDecodeGuard, startTestSim, waitFor } from './helpers.js';

const AAPL = { symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };
const mkt = (extra: object = {}) => ({ action: 'BUY', totalQuantity: 1, orderType: 'MKT', account: 'DU1000003', transmit: true, ...extra }) as never;

let sim: SimulatorHandle;
beforeEach(async () => {
  sim = await startTestSim();
});
afterEach(async () => {
  await sim.close();
});
installDecodeGuard();

const fault = (body: object) => admin(sim, 'POST', '/fault', body);

describe('competing-session', () => {
  it('sends 10197 to every client, closes each session, and lets them back in', async () => {
    const a = await connectClient(sim.port, 1);
    const b = await connectClient(sim.port, 2);
    const closed = { a: false, b: false };
    a.ib.on('disconnected' as never, () => { closed.a = true; });
    b.ib.on('disconnected' as never, () => { closed.b = true; });
    expect((await fault({ action: 'competing-session' })).status).toBe(200);
    await waitFor(() => closed.a && closed.b, 'both sessions closed');
    for (const c of [a, b]) expect([...c.errors, ...c.infos].map((e) => e.code)).toContain(10197);
    const again = await connectClient(sim.port, 1);
    expect(again.nextValidId).toBeGreaterThan(0);
  });
});

describe('read-only-api', () => {
  it('answers orders, what-ifs and cancels with 321 until it is turned off; no id is used up', async () => {
    const c = await connectClient(sim.port, 3);
    expect((await fault({ action: 'read-only-api', on: true })).status).toBe(200);
    c.ib.placeOrder(1, AAPL, mkt());
    c.ib.placeOrder(2, AAPL, mkt({ whatIf: true }));
    c.ib.cancelOrder(1);
    await waitFor(() => c.errors.filter((e) => e.code === 321).length === 3, 'three 321 answers');
    expect(c.errors.filter((e) => e.code === 321).map((e) => e.reqId)).toEqual([1, 2, 1]);
    expect(c.errors.find((e) => e.code === 321)?.message).toMatch(/Read-Only mode/);
    expect((await admin(sim, 'GET', '/state')).json.orders).toEqual([]);
    expect((await fault({ action: 'read-only-api', on: false })).status).toBe(200);
    c.ib.placeOrder(1, AAPL, mkt());
    await c.until('orderStatus', (a) => a[0] === 1 && a[1] === 'Filled');
  });

  it('rejects a bad fault body naming the field', async () => {
    const r = await fault({ action: 'read-only-api', on: 'yes' });
    expect(r).toMatchObject({ status: 400, json: { field: 'on' } });
  });
});
