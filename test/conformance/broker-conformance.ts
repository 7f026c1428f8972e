/**
 * The BrokerPort conformance suite: the same tests for every backend (a factory each). Queries, every
 * order type, a bracket, cancel, losing the session (reconnect / re-authenticate) and trading after it,
 * fills once per execId, and an order whose answer was lost resolved without a second booking.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { Decimal, type OrderLeg } from '../../src/domain/types.js';
import type { BrokerEvent } from '../../src/execution/broker-port.js';
import { AAPL, lastStatus, leg, MSFT, waitUntil } from '../ib/support/sim.js';
import type { Backend, BackendFactory } from './backends.js';

const d = (n: number): Decimal => new Decimal(n);
const PRICE = 190;

/** Registers the suite for one backend. */
export function describeConformance(name: string, factory: BackendFactory): void {
  describe(`BrokerPort conformance: ${name}`, () => {
    let b: Backend;
    const events: BrokerEvent[] = [];
    beforeAll(async () => {
      b = await factory();
      b.broker.events$.subscribe((e) => events.push(e));
      await b.broker.connect();
    });
    afterAll(async () => b?.close());

    const bookedWith = (ref: string): number => [...b.engine.orders.values()].filter((o) => o.orderRef === ref).length;

    async function roundTrip(l: OrderLeg, fills: boolean): Promise<void> {
      const [placed] = await b.broker.placeOrders([l]);
      expect(placed?.orderRef).toBe(l.orderRef);
      await waitUntil(() => lastStatus(events, l.orderRef), 10_000, `ack of ${l.type}`);
      if (fills) {
        await waitUntil(() => lastStatus(events, l.orderRef) === 'FILLED', 10_000, `${l.type} fill`);
        await waitUntil(() => events.some((e) => e.type === 'fill' && e.fill.orderRef === l.orderRef), 10_000, 'fill event');
        return;
      }
      expect(['PRE_SUBMITTED', 'SUBMITTED']).toContain(lastStatus(events, l.orderRef));
      const open = await b.broker.openOrders();
      const mine = open.find((o) => o.orderRef === l.orderRef);
      expect(mine?.account).toBe(l.account);
      await b.broker.cancelOrder(mine?.orderId ?? placed?.orderId ?? 0);
      await waitUntil(() => lastStatus(events, l.orderRef) === 'CANCELLED', 10_000, `${l.type} cancel`);
    }

    it('answers the queries: accounts, summaries with settled cash, positions, contract, quote, history', async () => {
      expect(await b.broker.managedAccounts()).toEqual(['DU1000001', 'DU1000002', 'DU1000003']);
      const sums = await b.broker.accountSummaries();
      const ira = sums.find((s) => s.account === 'DU1000001');
      expect(ira?.accountType).toBe('IRA');
      expect(ira?.settledCash?.toNumber()).toBe(50_000);
      expect(sums.find((s) => s.account === 'DU1000002')?.cashByCurrency['EUR']?.toNumber()).toBe(1000);
      const pos = await b.broker.positions();
      expect(pos.find((p) => p.account === 'DU1000002' && p.symbol === 'MSFT')?.quantity).toBe(50);
      const et = await b.broker.contractDetails({ symbol: 'ET', secType: 'STK', exchange: 'SMART', currency: 'USD' });
      expect(et.stockType).toBe('MLP');
      const q = await b.broker.quote(AAPL);
      expect(q.last?.toNumber()).toBe(PRICE);
      expect(q.bid?.lt(q.ask ?? 0)).toBe(true);
      const bars = await b.broker.historicalBars(AAPL, { barSize: '1 day', duration: '1 M', whatToShow: 'TRADES' });
      expect(bars.length).toBeGreaterThan(10);
    });

    it('reads an option chain with greeks', async () => {
      const snap = await b.broker.optionChain?.(AAPL, { right: 'C', strikes: 3 });
      expect(snap?.rows.length).toBeGreaterThanOrEqual(3);
      const row = snap?.rows.find((r) => r.greeks?.delta !== undefined);
      expect(row?.instrument.secType).toBe('OPT');
      expect(row?.greeks?.delta?.gt(0) && row.greeks.delta.lt(1)).toBe(true);
    });

    describe('every order type', () => {
      it('MKT fills', () => roundTrip(leg({ type: 'MKT' }), true));
      it('marketable LMT fills', () => roundTrip(leg({ type: 'LMT', limitPrice: d(PRICE * 1.01) }), true));
      it('far LMT rests, then cancels', () => roundTrip(leg({ type: 'LMT', limitPrice: d(PRICE * 0.8) }), false));
      it('STP rests, then cancels', () => roundTrip(leg({ type: 'STP', stopPrice: d(PRICE * 1.2) }), false));
      it('STP LMT rests, then cancels', () => roundTrip(leg({ type: 'STP LMT', stopPrice: d(PRICE * 1.2), limitPrice: d(PRICE * 1.21) }), false));
      it('TRAIL rests, then cancels', () => roundTrip(leg({ type: 'TRAIL', side: 'SELL', instrument: MSFT, trailingPercent: d(5) }), false));
      it('MOC rests until the close, then cancels', () => roundTrip(leg({ type: 'MOC' }), false));
      it('LOC rests, then cancels', () => roundTrip(leg({ type: 'LOC', limitPrice: d(PRICE * 0.8) }), false));
    });

    it('places a bracket: the entry fills, both children work, one cancel leaves the other', async () => {
      const entry = leg({ type: 'LMT', limitPrice: d(PRICE * 1.01), quantity: 2 });
      const tp = leg({ ...entry, leg: 'takeProfit', orderRef: `${entry.orderRef}-tp`, side: 'SELL', type: 'LMT', limitPrice: d(PRICE * 1.1), parentRef: entry.orderRef });
      const sl = leg({ ...entry, leg: 'stopLoss', orderRef: `${entry.orderRef}-sl`, side: 'SELL', type: 'STP', stopPrice: d(PRICE * 0.9), parentRef: entry.orderRef });
      const placed = await b.broker.placeOrders([entry, tp, sl]);
      expect(placed.map((p) => p.orderRef)).toEqual([entry.orderRef, tp.orderRef, sl.orderRef]);
      await waitUntil(() => lastStatus(events, entry.orderRef) === 'FILLED', 10_000, 'entry fill');
      const open = await waitUntil(async () => {
        const o = (await b.broker.openOrders()).filter((x) => x.orderRef === tp.orderRef || x.orderRef === sl.orderRef);
        return o.length === 2 ? o : undefined;
      }, 10_000, 'both children working');
      await b.broker.cancelOrder(open.find((o) => o.orderRef === tp.orderRef)?.orderId ?? 0);
      await waitUntil(() => lastStatus(events, tp.orderRef) === 'CANCELLED', 10_000, 'take-profit cancelled');
      expect((await b.broker.openOrders()).some((o) => o.orderRef === sl.orderRef)).toBe(true);
    });

    it('emits each fill once, and lists it once in executions', async () => {
      const l = leg({ type: 'MKT', quantity: 3, account: 'DU1000003' });
      await b.broker.placeOrders([l]);
      await waitUntil(() => lastStatus(events, l.orderRef) === 'FILLED', 10_000, 'fill');
      const execs = await waitUntil(async () => {
        const x = (await b.broker.executions({ account: 'DU1000003' })).filter((f) => f.orderRef === l.orderRef);
        return x.length > 0 ? x : undefined;
      }, 10_000, 'executions');
      // another poll / reconciliation round must not emit it again
      await b.broker.openOrders();
      await b.broker.executions();
      const ids = events.filter((e) => e.type === 'fill' && e.fill.orderRef === l.orderRef).map((e) => (e.type === 'fill' ? e.fill.execId : ''));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(execs.map((f) => f.execId).sort());
      expect(execs.reduce((n, f) => n + f.shares, 0)).toBe(3);
    });

    it('loses the session, comes back by itself, and trades again', async () => {
      const back = firstValueFrom(b.broker.connection$.pipe(filter((s) => s.state !== 'CONNECTED'), timeout(10_000)));
      await b.loseSession();
      await back;
      await firstValueFrom(b.broker.connection$.pipe(filter((s) => s.state === 'CONNECTED'), timeout(15_000)));
      await roundTrip(leg({ type: 'MKT' }), true);
    });

    it('resolves an order whose answer was lost by its orderRef, booked exactly once', async () => {
      const l = leg({ type: 'LMT', limitPrice: d(PRICE * 0.8), account: 'DU1000003' });
      await b.loseNextAnswer();
      await b.broker.placeOrders([l]).catch(() => undefined);
      const open = await waitUntil(async () => (await b.broker.openOrders()).find((o) => o.orderRef === l.orderRef), 10_000, 'the order found by orderRef');
      expect(open.account).toBe('DU1000003');
      expect(bookedWith(l.orderRef)).toBe(1);
      await b.broker.cancelOrder(open.orderId);
      await waitUntil(async () => !(await b.broker.openOrders()).some((o) => o.orderRef === l.orderRef), 10_000, 'cancelled');
      expect(bookedWith(l.orderRef)).toBe(1);
    });
  });
}
