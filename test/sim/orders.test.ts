/**
 * Orders over TCP with @stoqey/ib: the TWS life-cycle (§5.2), every order type's fill rule, modify,
 * cancel (202/10147/10148), global cancel, 103, IRA refusals (201), settlement, brackets with held
 * transmission and OCA, what-if, partial fills, algo fields, open/completed orders, executions filter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Fixture, SimulatorHandle } from '../../src/sim/index.js';
import { DEFAULT_FIXTURE } from '../../src/sim/index.js';
import { admin, connectClient, installDecodeGuard, startTestSim, waitFor, type TestClient } from './helpers.js';

const AAPL = { symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };
const MSFT = { symbol: 'MSFT', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' };
const ES = { symbol: 'ES', secType: 'FUT' as never, exchange: 'CME', currency: 'USD', lastTradeDateOrContractMonth: '202612' };

interface O {
  action: 'BUY' | 'SELL';
  totalQuantity: number;
  orderType: string;
  account: string;
  [k: string]: unknown;
}

let sim: SimulatorHandle;
let fixture: Fixture | undefined;
beforeEach(async () => {
  sim = await startTestSim(fixture ? { fixture } : {});
});
afterEach(async () => {
  await sim.close();
  fixture = undefined;
});
installDecodeGuard();

function place(c: TestClient, id: number, contract: object, o: O): void {
  c.ib.placeOrder(id, contract as never, { transmit: true, ...o } as never);
}

/** Names of the order events for one order id, e.g. ["open:Submitted", "status:Submitted", "exec", …]. */
function flow(c: TestClient, id: number): string[] {
  const out: string[] = [];
  for (const e of c.events) {
    const a = e.args;
    if (e.name === 'openOrder' && a[0] === id) out.push(`open:${a[3].status}`);
    else if (e.name === 'orderStatus' && a[0] === id) out.push(`status:${a[1]}`);
    else if (e.name === 'execDetails' && a[2].orderId === id) out.push('exec');
    else if (e.name === 'commissionReport' && c.of('execDetails').some((x) => x[2].orderId === id && x[2].execId === a[0].execId)) out.push('comm');
    else if (e.name === 'error' && a[2] === id) out.push(`error:${a[1]}`);
  }
  return out;
}

const status = async (c: TestClient, id: number, s: string) => c.until('orderStatus', (a) => a[0] === id && a[1] === s, `order ${id} ${s}`);
const price = (symbol: string, p: number) => admin(sim, 'POST', '/price', { symbol, price: p });
const errorCode = async (c: TestClient, id: number, code: number) => c.until('error', (a) => a[2] === id && a[1] === code, `error ${code} on ${id}`);

describe('life-cycle', () => {
  it('MKT: openOrder/orderStatus Submitted, then exec, openOrder/orderStatus Filled, commission', async () => {
    const c = await connectClient(sim.port, 1);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 10, orderType: 'MKT', account: 'DU1000002', orderRef: 'sig-1:DU1000002:entry' });
    await c.until('commissionReport');
    expect(flow(c, 1)).toEqual(['open:Submitted', 'status:Submitted', 'exec', 'open:Filled', 'status:Filled', 'comm']);
    const exec = c.of('execDetails')[0]?.[2];
    expect(exec.execId).toMatch(/^[0-9a-f]{8}\.[0-9a-f]{8}\.01\.01$/);
    expect([exec.side, exec.shares, exec.price, exec.acctNumber, exec.orderRef, exec.clientId]).toEqual(['BOT', 10, 190.01, 'DU1000002', 'sig-1:DU1000002:entry', 1]);
    expect(c.of('openOrder')[0]?.[2].orderRef).toBe('sig-1:DU1000002:entry');
    const comm = c.of('commissionReport')[0]?.[0];
    expect([comm.commission, comm.currency]).toEqual([1, 'USD']);
    expect(c.of('orderStatus').at(-1)?.slice(1, 5)).toEqual(['Filled', 10, 0, 190.01]);
  });

  it('SELL MKT fills at the bid and reports realized P&L', async () => {
    const c = await connectClient(sim.port, 2);
    place(c, 1, MSFT, { action: 'SELL', totalQuantity: 50, orderType: 'MKT', account: 'DU1000002' });
    const [comm] = await c.until('commissionReport');
    expect(c.of('execDetails')[0]?.[2].price).toBe(419.99);
    expect(comm.realizedPNL).toBeCloseTo(50 * (419.99 - 300) - 1, 6);
  });

  it('LMT rests until the price crosses (admin POST /price), then fills at the touch', async () => {
    const c = await connectClient(sim.port, 3);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 5, orderType: 'LMT', lmtPrice: 185, account: 'DU1000003' });
    await status(c, 1, 'Submitted');
    await price('AAPL', 186);
    expect(flow(c, 1)).toEqual(['open:Submitted', 'status:Submitted']);
    await price('AAPL', 184.5);
    await status(c, 1, 'Filled');
    expect(c.of('execDetails')[0]?.[2].price).toBe(184.51);
  });

  it('a marketable LMT fills at once', async () => {
    const c = await connectClient(sim.port, 4);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 5, orderType: 'LMT', lmtPrice: 200, account: 'DU1000003' });
    await status(c, 1, 'Filled');
    expect(c.of('execDetails')[0]?.[2].price).toBe(190.01);
  });
});

describe('stop, trail and auction orders', () => {
  it('STP SELL triggers when the last price reaches the stop', async () => {
    const c = await connectClient(sim.port, 5);
    place(c, 1, MSFT, { action: 'SELL', totalQuantity: 10, orderType: 'STP', auxPrice: 410, account: 'DU1000002' });
    await status(c, 1, 'Submitted');
    await price('MSFT', 411);
    await price('MSFT', 409);
    await status(c, 1, 'Filled');
    expect(c.of('execDetails')[0]?.[2].price).toBe(408.99);
  });

  it('STP LMT becomes a limit order once triggered', async () => {
    const c = await connectClient(sim.port, 6);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 3, orderType: 'STP LMT', auxPrice: 195, lmtPrice: 196, account: 'DU1000003' });
    await price('AAPL', 197); // triggers (last ≥ 195) but ask 197.01 > 196: rests as a limit
    expect(flow(c, 1)).toEqual(['open:Submitted', 'status:Submitted']);
    await price('AAPL', 195.5);
    await status(c, 1, 'Filled');
    expect(c.of('execDetails')[0]?.[2].price).toBe(195.51);
  });

  it('TRAIL SELL follows the price up and fills when it falls back by the amount', async () => {
    const c = await connectClient(sim.port, 7);
    place(c, 1, MSFT, { action: 'SELL', totalQuantity: 10, orderType: 'TRAIL', auxPrice: 5, account: 'DU1000002' });
    await price('MSFT', 430); // stop 425
    await price('MSFT', 426);
    expect(flow(c, 1)).toEqual(['open:Submitted', 'status:Submitted']);
    await price('MSFT', 424.9);
    await status(c, 1, 'Filled');
  });

  it('MOC and LOC rest until the closing auction; an unmarketable LOC is cancelled', async () => {
    const c = await connectClient(sim.port, 8);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 2, orderType: 'MOC', account: 'DU1000003' });
    place(c, 2, AAPL, { action: 'BUY', totalQuantity: 2, orderType: 'LOC', lmtPrice: 191, account: 'DU1000003' });
    place(c, 3, AAPL, { action: 'BUY', totalQuantity: 2, orderType: 'LOC', lmtPrice: 150, account: 'DU1000003' });
    await status(c, 3, 'Submitted');
    await price('AAPL', 190.5);
    expect(c.of('execDetails')).toEqual([]);
    expect((await admin(sim, 'POST', '/fault', { action: 'close-auction' })).status).toBe(200);
    await status(c, 1, 'Filled');
    await status(c, 2, 'Filled');
    await status(c, 3, 'Cancelled');
    expect(c.of('execDetails').map((a) => a[2].price)).toEqual([190.5, 190.5]);
  });
});

describe('modify and cancel', () => {
  it('placing an open order id again modifies it', async () => {
    const c = await connectClient(sim.port, 9);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 5, orderType: 'LMT', lmtPrice: 180, account: 'DU1000003', orderRef: 'r1' });
    await status(c, 1, 'Submitted');
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 7, orderType: 'LMT', lmtPrice: 181, account: 'DU1000003', orderRef: 'r1' });
    await c.until('openOrder', (a) => a[0] === 1 && a[2].lmtPrice === 181);
    expect(c.of('openOrder').at(-1)?.[2].totalQuantity).toBe(7);
    expect(sim.engine.orders.size).toBe(1);
    await price('AAPL', 180.5);
    await status(c, 1, 'Filled');
    expect(c.of('execDetails')[0]?.[2].shares).toBe(7);
  });

  it('cancel: orderStatus Cancelled then 202; again 10148; unknown id 10147', async () => {
    const c = await connectClient(sim.port, 10);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 5, orderType: 'LMT', lmtPrice: 180, account: 'DU1000003' });
    await status(c, 1, 'Submitted');
    c.ib.cancelOrder(1);
    await errorCode(c, 1, 202);
    expect(flow(c, 1)).toEqual(['open:Submitted', 'status:Submitted', 'status:Cancelled', 'error:202']);
    c.ib.cancelOrder(1);
    await errorCode(c, 1, 10148);
    c.ib.cancelOrder(99);
    await errorCode(c, 99, 10147);
  });

  it('global cancel cancels every open order of every client', async () => {
    const a = await connectClient(sim.port, 11);
    const b = await connectClient(sim.port, 12);
    place(a, 1, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'LMT', lmtPrice: 100, account: 'DU1000003' });
    place(b, 2, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'LMT', lmtPrice: 100, account: 'DU1000003' });
    await status(b, 2, 'Submitted');
    a.ib.reqGlobalCancel();
    await status(a, 1, 'Cancelled');
    await status(b, 2, 'Cancelled');
    await errorCode(b, 2, 202);
  });

  it('103 for a reused id and for an id lower than the highest used by the client', async () => {
    const c = await connectClient(sim.port, 13);
    place(c, 5, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'MKT', account: 'DU1000003' });
    await status(c, 5, 'Filled');
    place(c, 5, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'MKT', account: 'DU1000003' });
    await errorCode(c, 5, 103);
    place(c, 3, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'MKT', account: 'DU1000003' });
    await errorCode(c, 3, 103);
    expect(c.of('error').find((e) => e[1] === 103)?.[0].message).toBe('Duplicate order id');
    c.ib.reqIds();
    await c.until('nextValidId', (a) => a[0] === 6);
  });
});

describe('IRA rules (error 201)', () => {
  it('refuses a short sale in the IRA', async () => {
    const c = await connectClient(sim.port, 14);
    place(c, 1, AAPL, { action: 'SELL', totalQuantity: 150, orderType: 'MKT', account: 'DU1000001' });
    const [err] = await errorCode(c, 1, 201);
    expect(err.message).toMatch(/^Order rejected - reason:.*SHORT/);
    expect(sim.engine.orders.size).toBe(0);
  });

  it('refuses a purchase beyond settled cash; sale proceeds settle only on "settle"', async () => {
    const c = await connectClient(sim.port, 15);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 300, orderType: 'MKT', account: 'DU1000001' }); // 57k > 50k
    await errorCode(c, 1, 201);
    place(c, 2, AAPL, { action: 'SELL', totalQuantity: 100, orderType: 'MKT', account: 'DU1000001' });
    await status(c, 2, 'Filled');
    const st = (await admin(sim, 'GET', '/state')).json;
    const ira = st.accounts.find((a: { id: string }) => a.id === 'DU1000001');
    expect(ira.cash.USD).toBeCloseTo(50000 + 18999 - 1, 6);
    expect(ira.settledCash.USD).toBe(49999);
    place(c, 3, AAPL, { action: 'BUY', totalQuantity: 300, orderType: 'MKT', account: 'DU1000001' });
    await errorCode(c, 3, 201);
    await admin(sim, 'POST', '/fault', { action: 'settle' });
    place(c, 4, AAPL, { action: 'BUY', totalQuantity: 300, orderType: 'MKT', account: 'DU1000001' });
    await status(c, 4, 'Filled');
  });

  it('allows the same orders in a margin account', async () => {
    const c = await connectClient(sim.port, 16);
    place(c, 1, AAPL, { action: 'SELL', totalQuantity: 10, orderType: 'MKT', account: 'DU1000002' });
    await status(c, 1, 'Filled');
  });
});

describe('brackets, OCA, held orders', () => {
  it('holds transmit=false orders until a transmit=true child; children wait for the parent; OCA cancels the peer', async () => {
    const c = await connectClient(sim.port, 17);
    const acct = 'DU1000003';
    place(c, 10, AAPL, { action: 'BUY', totalQuantity: 10, orderType: 'LMT', lmtPrice: 200, account: acct, transmit: false, orderRef: 'b:entry' });
    place(c, 11, AAPL, { action: 'SELL', totalQuantity: 10, orderType: 'LMT', lmtPrice: 210, account: acct, parentId: 10, ocaGroup: 'oca-b', transmit: false, orderRef: 'b:tp' });
    await status(c, 11, 'PreSubmitted');
    expect(c.of('execDetails')).toEqual([]); // marketable parent, but not transmitted
    place(c, 12, AAPL, { action: 'SELL', totalQuantity: 10, orderType: 'STP', auxPrice: 180, account: acct, parentId: 10, ocaGroup: 'oca-b', transmit: true, orderRef: 'b:sl' });
    await status(c, 10, 'Filled');
    await status(c, 11, 'Submitted');
    await status(c, 12, 'Submitted');
    await price('AAPL', 211);
    await status(c, 11, 'Filled');
    await status(c, 12, 'Cancelled');
    const orders = (await admin(sim, 'GET', '/state')).json.orders;
    expect(orders.map((o: { orderId: number; status: string; parentId: number }) => [o.orderId, o.status, o.parentId])).toEqual([[10, 'Filled', 0], [11, 'Filled', 10], [12, 'Cancelled', 10]]);
  });

  it('OCA group without a parent: the fill of one cancels the others', async () => {
    const c = await connectClient(sim.port, 18);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'LMT', lmtPrice: 185, account: 'DU1000003', ocaGroup: 'g1', ocaType: 1 });
    place(c, 2, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'LMT', lmtPrice: 180, account: 'DU1000003', ocaGroup: 'g1', ocaType: 1 });
    await status(c, 2, 'Submitted');
    await price('AAPL', 184);
    await status(c, 1, 'Filled');
    await status(c, 2, 'Cancelled');
  });
});

describe('what-if, algo, partial fills', () => {
  it('what-if: only an OPEN_ORDER with whatIf, PreSubmitted and margin/commission fields; nothing kept', async () => {
    const c = await connectClient(sim.port, 19);
    place(c, 1, ES, { action: 'BUY', totalQuantity: 2, orderType: 'MKT', account: 'DU1000003', whatIf: true });
    const [id, contract, order, state] = await c.until('openOrder');
    expect([id, contract.symbol, order.whatIf, state.status]).toEqual([1, 'ES', true, 'PreSubmitted']);
    expect(Number(state.initMarginChange)).toBe(32000);
    expect(Number(state.commission)).toBe(4.5);
    expect(state.commissionCurrency).toBe('USD');
    c.ib.reqOpenOrders();
    await c.until('openOrderEnd');
    expect(c.of('orderStatus')).toEqual([]);
    expect(c.of('openOrder')).toHaveLength(1);
    expect(sim.engine.orders.size).toBe(0);
  });

  it('accepts IB algo fields', async () => {
    const c = await connectClient(sim.port, 20);
    place(c, 1, AAPL, {
      action: 'BUY', totalQuantity: 5, orderType: 'LMT', lmtPrice: 180, account: 'DU1000003',
      algoStrategy: 'Adaptive', algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }],
    });
    const [, , order] = await c.until('openOrder');
    expect(order.algoStrategy).toBe('Adaptive');
    expect(order.algoParams).toEqual([{ tag: 'adaptivePriority', value: 'Normal' }]);
  });

  it('splits fills by fillPolicy.maxFillQuantity; futures pay $2.25 per contract', async () => {
    await sim.close();
    fixture = { ...DEFAULT_FIXTURE, fillPolicy: { maxFillQuantity: 30 } };
    sim = await startTestSim({ fixture });
    const c = await connectClient(sim.port, 21);
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 100, orderType: 'MKT', account: 'DU1000003' });
    await status(c, 1, 'Filled');
    expect(c.of('execDetails').map((a) => [a[2].shares, a[2].cumQty])).toEqual([[30, 30], [30, 60], [30, 90], [10, 100]]);
    expect(c.of('orderStatus').map((a) => [a[1], a[2]])).toEqual([['Submitted', 0], ['Submitted', 30], ['Submitted', 60], ['Submitted', 90], ['Filled', 100]]);
    place(c, 2, ES, { action: 'BUY', totalQuantity: 2, orderType: 'MKT', account: 'DU1000003' });
    await status(c, 2, 'Filled');
    await waitFor(() => c.of('commissionReport').length === 5, 'commissions');
    expect(c.of('commissionReport').at(-1)?.[0].commission).toBe(4.5);
  });
});

describe('queries: open orders, completed orders, executions', () => {
  it('open orders: own vs all clients; completed orders keep orderRef', async () => {
    const a = await connectClient(sim.port, 31);
    const b = await connectClient(sim.port, 32);
    place(a, 1, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'LMT', lmtPrice: 100, account: 'DU1000003', orderRef: 'a-open' });
    place(b, 2, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'MKT', account: 'DU1000003', orderRef: 'b-done' });
    await status(a, 1, 'Submitted');
    await status(b, 2, 'Filled');
    b.ib.reqOpenOrders();
    await b.until('openOrderEnd');
    expect(b.of('openOrder').filter((x) => x[3].status === 'Submitted' && x[0] === 1)).toEqual([]);
    const before = b.of('openOrder').length;
    b.ib.reqAllOpenOrders();
    await waitFor(() => b.of('openOrderEnd').length === 2, 'second end');
    expect(b.of('openOrder').slice(before).map((x) => [x[0], x[2].orderRef, x[2].clientId])).toEqual([[1, 'a-open', 31]]);
    a.ib.reqCompletedOrders(false);
    await a.until('completedOrdersEnd');
    const done = a.of('completedOrder');
    expect(done.map(([con, o, st]) => [con.symbol, o.orderRef, o.permId > 0, st.status, st.completedStatus])).toEqual([['AAPL', 'b-done', true, 'Filled', 'Filled']]);
  });

  it('executions honour the filter (clientId, acctCode, symbol, secType, side, time)', async () => {
    const a = await connectClient(sim.port, 41);
    const b = await connectClient(sim.port, 42);
    place(a, 1, AAPL, { action: 'BUY', totalQuantity: 1, orderType: 'MKT', account: 'DU1000003' });
    place(a, 2, MSFT, { action: 'SELL', totalQuantity: 1, orderType: 'MKT', account: 'DU1000002' });
    place(b, 3, ES, { action: 'BUY', totalQuantity: 1, orderType: 'MKT', account: 'DU1000003' });
    await status(b, 3, 'Filled');
    await status(a, 2, 'Filled');
    let reqId = 100;
    const query = async (filter: object): Promise<number[]> => {
      const id = ++reqId;
      a.ib.reqExecutions(id, filter as never);
      await a.until('execDetailsEnd', (x) => x[0] === id);
      return a.of('execDetails').filter((x) => x[0] === id).map((x) => x[2].orderId as number).sort((p, q) => p - q);
    };
    expect(await query({})).toEqual([1, 2, 3]);
    expect(await query({ clientId: '42' })).toEqual([3]);
    expect(await query({ acctCode: 'DU1000002' })).toEqual([2]);
    expect(await query({ symbol: 'AAPL' })).toEqual([1]);
    expect(await query({ secType: 'FUT' })).toEqual([3]);
    expect(await query({ side: 'SELL' })).toEqual([2]);
    expect(await query({ time: '20990101 00:00:00' })).toEqual([]);
    expect(await query({ time: '20000101-00:00:00' })).toEqual([1, 2, 3]);
    expect(a.of('commissionReport').length).toBeGreaterThanOrEqual(2 + 3);
  });
});
