/**
 * The simulator's IRA short-sale check (error 201) as IB applies it to contingent orders: a bracket child
 * is judged against the position its parent will leave, and the members of one OCA group (or one
 * bracket's siblings) count once — the largest — not summed. A plain SELL beyond the position is still
 * refused. Over TCP with @stoqey/ib against the default household (the IRA holds 100 AAPL, no MSFT).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { admin, connectClient, installDecodeGuard, startTestSim, type TestClient } from './helpers.js';

const AAPL = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' };
const MSFT = { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' };
const IRA = 'DU1000001';

let sim: SimulatorHandle;
beforeEach(async () => {
  sim = await startTestSim();
});
afterEach(async () => {
  await sim.close();
});
installDecodeGuard();

function place(c: TestClient, id: number, contract: object, o: Record<string, unknown>): void {
  c.ib.placeOrder(id, contract as never, { transmit: true, account: IRA, ...o } as never);
}
const status = (c: TestClient, id: number, s: string) => c.until('orderStatus', (a) => a[0] === id && a[1] === s, `order ${id} ${s}`);
const rejected = (c: TestClient, id: number) => c.until('error', (a) => a[2] === id && a[1] === 201, `error 201 on ${id}`);
const refusals = (c: TestClient): number[] => c.of('error').filter((a) => a[1] === 201).map((a) => a[2] as number);

/** Places an entry BUY with a take-profit and a stop-loss child (held until the last leg), as the daemon does. */
function bracket(c: TestClient, first: number, contract: object, qty: number, entry: number, tp: number, sl: number, oca: string): void {
  place(c, first, contract, { action: 'BUY', totalQuantity: qty, orderType: 'LMT', lmtPrice: entry, transmit: false });
  place(c, first + 1, contract, { action: 'SELL', totalQuantity: qty, orderType: 'LMT', lmtPrice: tp, parentId: first, ocaGroup: oca, transmit: false });
  place(c, first + 2, contract, { action: 'SELL', totalQuantity: qty, orderType: 'STP', auxPrice: sl, parentId: first, ocaGroup: oca, transmit: true });
}

describe('IRA checks on brackets and OCA groups (error 201)', () => {
  it('accepts a BUY bracket on a symbol the IRA does not hold: the children close what the parent opens', async () => {
    const c = await connectClient(sim.port, 1);
    bracket(c, 1, MSFT, 10, 400, 440, 380, 'oca-msft');
    await status(c, 3, 'PreSubmitted'); // children wait for the parent, which works below the market
    await status(c, 1, 'Submitted');
    expect(refusals(c)).toEqual([]);
    expect(sim.engine.orders.size).toBe(3);
    // the parent fills: the children become live, and the OCA pair still counts once against the 10 bought
    await admin(sim, 'POST', '/price', { symbol: 'MSFT', price: 399 });
    await status(c, 1, 'Filled');
    await status(c, 2, 'Submitted');
    await status(c, 3, 'Submitted');
    place(c, 4, MSFT, { action: 'SELL', totalQuantity: 1, orderType: 'LMT', lmtPrice: 450 });
    await rejected(c, 4); // all 10 are spoken for by the OCA group
  });

  it('still refuses a child that sells more than its parent buys, and a plain SELL beyond the position', async () => {
    const c = await connectClient(sim.port, 2);
    place(c, 1, MSFT, { action: 'BUY', totalQuantity: 10, orderType: 'LMT', lmtPrice: 400, transmit: false });
    place(c, 2, MSFT, { action: 'SELL', totalQuantity: 11, orderType: 'LMT', lmtPrice: 440, parentId: 1, transmit: true });
    const [err] = await rejected(c, 2);
    expect(err.message).toMatch(/SHORT SALES ARE NOT PERMITTED IN AN IRA/);
    // an unfilled bracket's children do not free shares for anything else
    place(c, 3, MSFT, { action: 'SELL', totalQuantity: 1, orderType: 'MKT' });
    await rejected(c, 3);
    place(c, 4, AAPL, { action: 'SELL', totalQuantity: 101, orderType: 'MKT' });
    await rejected(c, 4);
    expect(refusals(c)).toEqual([2, 3, 4]);
  });

  it('counts an OCA group once (its largest member) against the position, not summed', async () => {
    const c = await connectClient(sim.port, 3);
    // two ways out of the same 100 AAPL: a take-profit and a protective stop in one OCA group
    place(c, 1, AAPL, { action: 'SELL', totalQuantity: 100, orderType: 'LMT', lmtPrice: 220, ocaGroup: 'exit-aapl', ocaType: 1 });
    place(c, 2, AAPL, { action: 'SELL', totalQuantity: 100, orderType: 'STP', auxPrice: 170, ocaGroup: 'exit-aapl', ocaType: 1 });
    await status(c, 2, 'Submitted');
    expect(refusals(c)).toEqual([]);
    // a third member that alone sells more than is held, and a SELL outside the group, are refused
    place(c, 3, AAPL, { action: 'SELL', totalQuantity: 101, orderType: 'LMT', lmtPrice: 230, ocaGroup: 'exit-aapl', ocaType: 1 });
    await rejected(c, 3);
    place(c, 4, AAPL, { action: 'SELL', totalQuantity: 1, orderType: 'LMT', lmtPrice: 230 });
    await rejected(c, 4);
    expect(refusals(c)).toEqual([3, 4]);
  });

  it('reserves settled cash for an OCA group of BUYs once (its dearest member)', async () => {
    const c = await connectClient(sim.port, 5);
    // 36,000 and 37,000 of the IRA's 50,000 settled: one of them at most will fill
    place(c, 1, AAPL, { action: 'BUY', totalQuantity: 200, orderType: 'LMT', lmtPrice: 180, ocaGroup: 'entry-aapl', ocaType: 1 });
    place(c, 2, AAPL, { action: 'BUY', totalQuantity: 200, orderType: 'LMT', lmtPrice: 185, ocaGroup: 'entry-aapl', ocaType: 1 });
    await status(c, 2, 'Submitted');
    place(c, 3, AAPL, { action: 'BUY', totalQuantity: 100, orderType: 'LMT', lmtPrice: 180 }); // 18,000 > 50,000 − 37,000
    const [err] = await rejected(c, 3);
    expect(err.message).toMatch(/SETTLED CASH \[13000\.00 USD\]/);
    expect(refusals(c)).toEqual([3]);
  });

  it('a bracket on a symbol already held adds the parent to the position for its own children only', async () => {
    const c = await connectClient(sim.port, 4);
    bracket(c, 1, AAPL, 10, 180, 200, 170, 'oca-aapl'); // the IRA holds 100; the parent works below the market
    await status(c, 3, 'PreSubmitted');
    place(c, 4, AAPL, { action: 'SELL', totalQuantity: 100, orderType: 'LMT', lmtPrice: 230 });
    await status(c, 4, 'Submitted'); // the 100 held stay free: the children are covered by their parent
    place(c, 5, AAPL, { action: 'SELL', totalQuantity: 1, orderType: 'LMT', lmtPrice: 230 });
    await rejected(c, 5);
    expect(refusals(c)).toEqual([5]);
  });
});
