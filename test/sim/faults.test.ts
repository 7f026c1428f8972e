/**
 * Fault injection and the admin API over real sockets: disconnect, connectivity-lost (1100, held
 * orders, 1102), drop-acks, reject-next, restart with and without id rollback, GET /state shape, and
 * 400 answers naming the bad field.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { admin, connectClient, installDecodeGuard, startTestSim, waitFor, type TestClient } from './helpers.js';

const AAPL = { symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };
const mkt = (account: string, qty = 1, orderRef = '') =>
  ({ action: 'BUY', totalQuantity: qty, orderType: 'MKT', account, transmit: true, orderRef }) as never;

let sim: SimulatorHandle;
beforeEach(async () => {
  sim = await startTestSim();
});
afterEach(async () => {
  await sim.close();
});
installDecodeGuard();

const fault = (body: object) => admin(sim, 'POST', '/fault', body);
const index = (c: TestClient, pred: (e: { name: string; args: any[] }) => boolean) => c.events.findIndex(pred);

describe('faults', () => {
  it('disconnect drops every client; state survives and clients can reconnect', async () => {
    const a = await connectClient(sim.port, 1);
    const b = await connectClient(sim.port, 2);
    a.ib.placeOrder(1, AAPL, mkt('DU1000003', 1, 'keep-me'));
    await a.until('orderStatus', (x) => x[1] === 'Filled');
    expect((await fault({ action: 'disconnect' })).status).toBe(200);
    await waitFor(() => !a.ib.isConnected && !b.ib.isConnected, 'both disconnected');
    const again = await connectClient(sim.port, 1);
    again.ib.reqExecutions(1, {});
    const [, , exec] = await again.until('execDetails');
    expect(exec.orderRef).toBe('keep-me');
    expect(again.nextValidId).toBe(2);
  });

  it('connectivity-lost: 1100, orders held without ack, then 1102 and the held orders processed', async () => {
    const c = await connectClient(sim.port, 3);
    await fault({ action: 'connectivity-lost', ms: 1000 });
    await c.until('info', (x) => x[1] === 1100);
    c.ib.placeOrder(1, AAPL, mkt('DU1000003', 2, 'held'));
    await c.until('orderStatus', (x) => x[0] === 1 && x[1] === 'Filled');
    const restored = index(c, (e) => e.name === 'info' && e.args[1] === 1102);
    const firstAck = index(c, (e) => e.name === 'openOrder');
    expect(restored).toBeGreaterThan(0);
    expect(firstAck).toBeGreaterThan(restored);
  });

  it('drop-acks: the order lives and fills, but no openOrder/orderStatus is sent; execDetails still is', async () => {
    const c = await connectClient(sim.port, 4);
    await fault({ action: 'drop-acks', count: 1 });
    c.ib.placeOrder(1, AAPL, mkt('DU1000003', 3, 'silent'));
    c.ib.placeOrder(2, AAPL, mkt('DU1000003', 1, 'loud'));
    await c.until('orderStatus', (x) => x[0] === 2 && x[1] === 'Filled');
    await waitFor(() => c.of('execDetails').length === 2, 'two executions');
    expect(c.of('openOrder').map((x) => x[0])).not.toContain(1);
    expect(c.of('orderStatus').map((x) => x[0])).not.toContain(1);
    const st = (await admin(sim, 'GET', '/state')).json;
    expect(st.orders.find((o: { orderId: number }) => o.orderId === 1)).toMatchObject({ status: 'Filled', filled: 3, orderRef: 'silent' });
    c.ib.reqOpenOrders();
    await c.until('openOrderEnd');
    c.ib.reqCompletedOrders(false);
    await c.until('completedOrdersEnd');
    expect(c.of('completedOrder').map((x) => x[1].orderRef)).toContain('silent');
  });

  it('reject-next: the next order is refused with the given code and text, the one after is not', async () => {
    const c = await connectClient(sim.port, 5);
    await fault({ action: 'reject-next', code: 201, message: 'Order rejected - reason:Simulated margin problem' });
    c.ib.placeOrder(1, AAPL, mkt('DU1000003'));
    const [err] = await c.until('error', (x) => x[2] === 1);
    expect([c.of('error').at(-1)?.[1], err.message]).toEqual([201, 'Order rejected - reason:Simulated margin problem']);
    c.ib.placeOrder(2, AAPL, mkt('DU1000003'));
    await c.until('orderStatus', (x) => x[0] === 2 && x[1] === 'Filled');
  });

  it('restart with rollbackOrderIds: sockets dropped, orders kept, nextValidId lower, reusing an id gives 103', async () => {
    const c = await connectClient(sim.port, 6);
    for (const id of [1, 2, 3]) c.ib.placeOrder(id, AAPL, mkt('DU1000003'));
    await c.until('orderStatus', (x) => x[0] === 3 && x[1] === 'Filled');
    await fault({ action: 'restart', rollbackOrderIds: true });
    await waitFor(() => !c.ib.isConnected, 'dropped');
    const again = await connectClient(sim.port, 6);
    expect(again.nextValidId).toBe(1);
    expect(sim.engine.orders.size).toBe(3);
    again.ib.placeOrder(2, AAPL, mkt('DU1000003'));
    await again.until('error', (x) => x[2] === 2 && x[1] === 103);
  });

  it('restart without rollback keeps nextValidId', async () => {
    const c = await connectClient(sim.port, 7);
    c.ib.placeOrder(5, AAPL, mkt('DU1000003'));
    await c.until('orderStatus', (x) => x[0] === 5 && x[1] === 'Filled');
    await fault({ action: 'restart' });
    await waitFor(() => !c.ib.isConnected, 'dropped');
    expect((await connectClient(sim.port, 7)).nextValidId).toBe(6);
  });
});

describe('admin API', () => {
  it('GET /state lists accounts, positions, orders, executions and stats', async () => {
    const c = await connectClient(sim.port, 8);
    c.ib.placeOrder(1, AAPL, { ...(mkt('DU1000002', 4, 'ref-x') as object), orderType: 'LMT', lmtPrice: 180 } as never);
    c.ib.placeOrder(2, AAPL, mkt('DU1000002', 4, 'ref-y'));
    await c.until('commissionReport');
    const st = (await admin(sim, 'GET', '/state')).json;
    expect(st.accounts.map((a: { id: string }) => a.id)).toEqual(['DU1000001', 'DU1000002', 'DU1000003']);
    expect(st.positions).toContainEqual(expect.objectContaining({ account: 'DU1000002', symbol: 'AAPL', quantity: 4 }));
    expect(st.orders[0]).toMatchObject({
      orderId: 1, clientId: 8, account: 'DU1000002', orderRef: 'ref-x', symbol: 'AAPL', action: 'BUY', totalQuantity: 4,
      orderType: 'LMT', status: 'Submitted', filled: 0, parentId: 0, lmtPrice: 180, auxPrice: null,
    });
    expect(st.orders[0].permId).toBeGreaterThan(0);
    expect(st.executions[0]).toMatchObject({ orderId: 2, orderRef: 'ref-y', account: 'DU1000002', symbol: 'AAPL', side: 'BOT', shares: 4, price: 190.01 });
    expect(st.executions[0].execId).toMatch(/\.01\.01$/);
    expect(st.executions[0].time).toMatch(/^\d{4}-/);
    expect(st.stats.maxMessagesPerSecond).toBeGreaterThan(0);
    expect(st.stats.connections.some((s: { clientId: number }) => s.clientId === 8)).toBe(true);
  });

  it('answers 400 naming the bad field', async () => {
    const cases: [string, unknown, string][] = [
      ['/price', { symbol: 'AAPL' }, 'price'],
      ['/price', { symbol: 'AAPL', price: -1 }, 'price'],
      ['/price', { symbol: 'NOPE', price: 10 }, 'symbol'],
      ['/price', { symbol: 'AAPL', price: 10, extra: 1 }, 'extra'],
      ['/fault', { action: 'explode' }, 'action'],
      ['/fault', { action: 'connectivity-lost', ms: 'soon' }, 'ms'],
      ['/fault', { action: 'drop-acks', count: -2 }, 'count'],
    ];
    for (const [path, body, field] of cases) {
      const res = await admin(sim, 'POST', path, body);
      expect([path, res.status, res.json.field]).toEqual([path, 400, field]);
    }
    const bad = await fetch(`http://127.0.0.1:${sim.adminPort}/price`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect((await admin(sim, 'GET', '/nothing')).status).toBe(404);
  });

  it('POST /auction runs the closing auction', async () => {
    const c = await connectClient(sim.port, 9);
    c.ib.placeOrder(1, AAPL, { ...(mkt('DU1000003') as object), orderType: 'MOC' } as never);
    await c.until('orderStatus', (x) => x[1] === 'Submitted');
    expect((await admin(sim, 'POST', '/auction')).status).toBe(200);
    await c.until('orderStatus', (x) => x[1] === 'Filled');
  });
});
