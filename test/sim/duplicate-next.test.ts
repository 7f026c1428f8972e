/**
 * The duplicate-next fault (CONTRACT §7): the next order is also booked a second time under a new permId,
 * as IB can after a modify during 1100 — same client, account and orderRef, a negative order id. Both are
 * acked to the client, both trade, and the copy can be cancelled by its id. Real sockets.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { admin, connectClient, installDecodeGuard, startTestSim } from './helpers.js';

/** Polls an async condition (bounded). */
async function waitFor(cond: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const AAPL = { symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };
const order = (type: 'MKT' | 'LMT', orderRef: string, lmtPrice?: number) =>
  ({ action: 'BUY', totalQuantity: 2, orderType: type, lmtPrice, account: 'DU1000003', transmit: true, orderRef, tif: 'DAY' }) as never;

let sim: SimulatorHandle;
beforeEach(async () => {
  sim = await startTestSim();
});
afterEach(async () => {
  await sim.close();
});
installDecodeGuard();

interface StateOrder { orderId: number; permId: number; orderRef: string; status: string; filled: number }
const orders = async (ref: string): Promise<StateOrder[]> =>
  ((await admin(sim, 'GET', '/state')).json as { orders: StateOrder[] }).orders.filter((o) => o.orderRef === ref);

describe('duplicate-next fault', () => {
  it('a resting order is booked twice under one orderRef; the copy is acked with a new permId and can be cancelled', async () => {
    const c = await connectClient(sim.port, 5);
    expect((await admin(sim, 'POST', '/fault', { action: 'duplicate-next' })).status).toBe(200);
    c.ib.placeOrder(1, AAPL, order('LMT', 'dup-rest', 150));
    await waitFor(async () => (await orders('dup-rest')).length === 2, 'two orders with one orderRef');
    const [a, b] = await orders('dup-rest');
    expect(new Set([a?.permId, b?.permId]).size).toBe(2);
    const copy = [a, b].find((o) => o && o.orderId < 0);
    expect(copy?.status).toBe('Submitted');
    await c.until('openOrder', (x) => x[0] === copy?.orderId);
    c.ib.cancelOrder(copy?.orderId ?? 0);
    await waitFor(async () => (await orders('dup-rest')).find((o) => o.orderId === copy?.orderId)?.status === 'Cancelled', 'the copy cancelled');
    expect((await orders('dup-rest')).find((o) => o.orderId === 1)?.status).toBe('Submitted');
  });

  it('a market order booked twice fills twice; the fault applies to one order only', async () => {
    const c = await connectClient(sim.port, 6);
    await admin(sim, 'POST', '/fault', { action: 'duplicate-next' });
    c.ib.placeOrder(1, AAPL, order('MKT', 'dup-mkt'));
    c.ib.placeOrder(2, AAPL, order('MKT', 'single'));
    await waitFor(async () => (await orders('dup-mkt')).filter((o) => o.status === 'Filled').length === 2, 'both copies filled');
    await waitFor(async () => (await orders('single')).length === 1 && (await orders('single'))[0]?.status === 'Filled', 'the next order once');
    expect(await orders('single')).toHaveLength(1);
  });
});
