/** Order round trips against the simulator over TCP: every order type, bracket, reconciliation queries. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ocaGroupFor, orderRefFor } from '../../src/domain/order-ref.js';
import { Decimal } from '../../src/domain/types.js';
import type { OrderLeg } from '../../src/domain/types.js';
import type { BrokerEvent } from '../../src/execution/broker-port.js';
import type { IbBroker } from '../../src/ib/ib-broker.js';
import { collect, lastStatus, leg, makeBroker, simPost, simState, startSim, waitUntil } from './support/sim.js';
import type { Sim } from './support/sim.js';

let sim: Sim;
let broker: IbBroker;
let events: BrokerEvent[];
const PRICE = 190; // fixture AAPL price; tickIntervalMs 0 keeps it still

beforeAll(async () => {
  sim = await startSim(21);
  broker = makeBroker(sim.port);
  events = collect(broker);
  await broker.connect();
});

afterAll(async () => {
  await broker?.disconnect();
  await sim?.close();
});

const d = (n: number) => new Decimal(n);
const TERMINAL = ['FILLED', 'CANCELLED', 'INACTIVE'];

/** place → ack → (fill | rest → cancel → CANCELLED) */
async function roundTrip(l: OrderLeg, expectFill: boolean): Promise<void> {
  const [placed] = await broker.placeOrders([l]);
  expect(placed!.orderRef).toBe(l.orderRef);
  const acked = await waitUntil(() => lastStatus(events, l.orderRef), 10_000, `ack of ${l.type}`);
  expect(['PRE_SUBMITTED', 'SUBMITTED', 'FILLED']).toContain(acked);
  if (expectFill) {
    await waitUntil(() => lastStatus(events, l.orderRef) === 'FILLED', 10_000, `${l.type} fill`);
    const fill = await waitUntil(() => events.find((e) => e.type === 'fill' && e.fill.orderRef === l.orderRef), 10_000, 'fill event');
    if (fill.type === 'fill') {
      expect(fill.fill.account).toBe(l.account);
      await waitUntil(() => events.some((e) => e.type === 'commission' && e.execId === fill.fill.execId), 10_000, 'commission');
    }
    return;
  }
  expect(TERMINAL).not.toContain(lastStatus(events, l.orderRef));
  await broker.cancelOrder(placed!.orderId);
  await waitUntil(() => lastStatus(events, l.orderRef) === 'CANCELLED', 10_000, `${l.type} cancel`);
}

describe('round trip for every order type', () => {
  it('MKT fills', () => roundTrip(leg({ type: 'MKT' }), true));
  it('marketable LMT fills', () => roundTrip(leg({ type: 'LMT', limitPrice: d(PRICE * 1.02) }), true));
  it('far LMT rests, then cancels', () => roundTrip(leg({ type: 'LMT', limitPrice: d(PRICE * 0.8) }), false));
  it('STP rests, then cancels', () => roundTrip(leg({ type: 'STP', stopPrice: d(PRICE * 1.2) }), false));
  it('STP LMT rests, then cancels', () => roundTrip(leg({ type: 'STP LMT', stopPrice: d(PRICE * 1.2), limitPrice: d(PRICE * 1.21) }), false));
  it('TRAIL rests, then cancels', () => roundTrip(leg({ type: 'TRAIL', side: 'SELL', account: 'DU1000002', instrument: { symbol: 'MSFT', secType: 'STK', exchange: 'SMART', currency: 'USD' }, trailingPercent: d(5) }), false));
  it('MOC is accepted (rests until the close), then cancels', () => roundTrip(leg({ type: 'MOC' }), false));
  it('LOC is accepted, then cancels', () => roundTrip(leg({ type: 'LOC', limitPrice: d(PRICE * 0.8) }), false));
  it('LMT with an Adaptive algo, GTC, outsideRth fills', () =>
    roundTrip(leg({ type: 'LMT', limitPrice: d(PRICE * 1.02), tif: 'GTC', outsideRth: true, algo: { strategy: 'Adaptive', params: { adaptivePriority: 'Normal' } } }), true));
});

describe('global cancel', () => {
  it('cancelAll cancels every resting order', async () => {
    const a = leg({ type: 'LMT', limitPrice: d(PRICE * 0.5) });
    const b = leg({ type: 'LMT', limitPrice: d(PRICE * 0.5), account: 'DU1000003' });
    await broker.placeOrders([a, b]);
    await waitUntil(() => lastStatus(events, a.orderRef) && lastStatus(events, b.orderRef), 10_000, 'acks');
    await broker.cancelAll();
    await waitUntil(() => lastStatus(events, a.orderRef) === 'CANCELLED' && lastStatus(events, b.orderRef) === 'CANCELLED', 10_000, 'cancelled');
  });
});

describe('bracket', () => {
  it('sends parent then children (OCA), ids increasing, children rest after the entry fills', async () => {
    const signalId = `br-${Date.now()}`;
    const account = 'DU1000003';
    const entryRef = orderRefFor(signalId, account, 'entry');
    const oca = ocaGroupFor(signalId, account);
    const legs: OrderLeg[] = [
      leg({ signalId, account, leg: 'entry', type: 'LMT', limitPrice: d(PRICE * 1.02), quantity: 5 }),
      leg({ signalId, account, leg: 'takeProfit', side: 'SELL', type: 'LMT', limitPrice: d(PRICE * 1.3), quantity: 5, parentRef: entryRef, ocaGroup: oca }),
      leg({ signalId, account, leg: 'stopLoss', side: 'SELL', type: 'STP', stopPrice: d(PRICE * 0.7), quantity: 5, parentRef: entryRef, ocaGroup: oca }),
    ];
    const placed = await broker.placeOrders(legs);
    expect(placed.map((p) => p.orderRef)).toEqual(legs.map((l) => l.orderRef));
    expect(placed[1]!.orderId).toBe(placed[0]!.orderId + 1);
    expect(placed[2]!.orderId).toBe(placed[0]!.orderId + 2);
    await waitUntil(() => lastStatus(events, legs[0]!.orderRef) === 'FILLED', 10_000, 'entry fill');
    for (const child of legs.slice(1)) {
      await waitUntil(() => ['PRE_SUBMITTED', 'SUBMITTED'].includes(lastStatus(events, child.orderRef) ?? ''), 10_000, `${child.leg} working`);
    }
    const state = await simState(sim);
    for (const l of legs) expect(state.orders.some((o) => o.orderRef === l.orderRef && o.account === account)).toBe(true);

    const open = await broker.openOrders();
    const openRefs = open.map((o) => o.orderRef);
    expect(openRefs).toContain(legs[1]!.orderRef);
    expect(openRefs).toContain(legs[2]!.orderRef);
    const tp = open.find((o) => o.orderRef === legs[1]!.orderRef)!;
    expect(tp).toMatchObject({ account, side: 'SELL', quantity: 5, source: 'open' });
    expect(tp.parentId ?? placed[0]!.orderId).toBe(placed[0]!.orderId);

    // take-profit fills when the price crosses it; OCA then cancels the stop-loss
    await simPost(sim, '/price', { symbol: 'AAPL', price: PRICE * 1.35 });
    await waitUntil(() => lastStatus(events, legs[1]!.orderRef) === 'FILLED', 10_000, 'take-profit fill');
    await waitUntil(() => lastStatus(events, legs[2]!.orderRef) === 'CANCELLED', 10_000, 'stop-loss cancelled by OCA');
    await simPost(sim, '/price', { symbol: 'AAPL', price: PRICE });
  });
});

describe('reconciliation queries', () => {
  it('maps executions and completed orders with their orderRef', async () => {
    const l = leg({ type: 'MKT', account: 'DU1000001', quantity: 2 });
    const [placed] = await broker.placeOrders([l]);
    await waitUntil(() => lastStatus(events, l.orderRef) === 'FILLED', 10_000, 'fill');
    const fills = await broker.executions({ since: new Date(Date.now() - 3_600_000) });
    const f = fills.find((x) => x.orderRef === l.orderRef);
    expect(f).toMatchObject({ account: 'DU1000001', side: 'BOT', shares: 2 });
    const state = await simState(sim);
    expect(state.executions.some((e) => e.execId === f!.execId && e.orderRef === l.orderRef)).toBe(true);
    const done = await broker.completedOrders();
    expect(done.find((o) => o.orderRef === l.orderRef)).toMatchObject({ orderId: placed!.orderId, status: 'FILLED', account: 'DU1000001', source: 'completed' });
    const byAccount = await broker.executions({ account: 'DU1000003' });
    expect(byAccount.every((x) => x.account === 'DU1000003')).toBe(true);
  });

  it('attaches the orderRef to fills of an order whose acks were dropped, and finds it by reconciliation', async () => {
    await simPost(sim, '/fault', { action: 'drop-acks', count: 1 });
    const l = leg({ type: 'MKT', account: 'DU1000003', quantity: 3 });
    const [p] = await broker.placeOrders([l]);
    const fill = await waitUntil(() => events.find((e) => e.type === 'fill' && e.fill.orderId === p!.orderId), 10_000, 'fill without ack');
    expect(fill.type === 'fill' && fill.fill.orderRef).toBe(l.orderRef);
    expect(lastStatus(events, l.orderRef)).toBeUndefined(); // no ack was pushed
    const done = await broker.completedOrders();
    expect(done.find((o) => o.orderRef === l.orderRef)?.status).toBe('FILLED');
  });

  it('emits each fill once even when executions are re-requested', async () => {
    await broker.executions();
    await broker.executions();
    const ids = events.filter((e) => e.type === 'fill').map((e) => (e.type === 'fill' ? e.fill.execId : ''));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reports a broker rejection with its code (201 via reject-next) and never a 505', async () => {
    await simPost(sim, '/fault', { action: 'reject-next', code: 201, message: 'Order rejected - reason: test' });
    const l = leg({ type: 'MKT' });
    await broker.placeOrders([l]);
    const rej = await waitUntil(() => events.find((e) => e.type === 'orderRejected' && e.orderRef === l.orderRef), 10_000, 'rejection');
    expect(rej.type === 'orderRejected' && rej.code).toBe(201);
    expect(events.some((e) => e.type === 'orderRejected' && e.code === 103)).toBe(false);
    expect(broker.stats().decoderErrors).toBe(0);
  });
});
