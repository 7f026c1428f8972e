/**
 * IbOrders' event stream from IB messages, fed straight into the session hub (no socket): orderRef join,
 * status dedupe, 202 as a status, warnings vs rejections, fills once per execId, corrections, commissions
 * in either order, live execDetails (reqId −1).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import type { BrokerEvent } from '../../src/execution/broker-port.js';
import { IbConnection } from '../../src/ib/ib-connection.js';
import { silentLogger } from '../../src/ib/ib-log.js';
import { IbOrders } from '../../src/ib/ib-orders.js';
import { InMemoryOrderIdStore, OrderIdAllocator } from '../../src/ib/order-ids.js';

function setup() {
  const conn = new IbConnection({ host: '127.0.0.1', port: 1, clientId: 1, livenessIntervalMs: 0 });
  const ids = new OrderIdAllocator(new InMemoryOrderIdStore());
  const orders = new IbOrders(conn, ids, new ManualClock(1000), silentLogger);
  const events: BrokerEvent[] = [];
  orders.events$.subscribe((e) => events.push(e));
  const emit = (name: string, ...args: unknown[]) => conn.hub.emit(name, ...args);
  return { conn, ids, orders, events, emit };
}

const contract = { symbol: 'AAPL', secType: 'STK', currency: 'USD', exchange: 'SMART' };
const exec = (execId: string, over: Record<string, unknown> = {}) => ({
  execId, orderId: 7, acctNumber: 'DU1', side: 'BOT', shares: 1, price: 190, cumQty: 1, avgPrice: 190, time: '20261125 14:30:00', ...over,
});

describe('IbOrders events', () => {
  it('joins orderRef from openOrder and deduplicates repeated statuses', () => {
    const { orders, events, emit } = setup();
    emit('openOrder', 7, contract, { orderType: 'MKT', orderRef: 'ref-7', account: 'DU1', permId: 99 }, { status: 'Submitted' });
    emit('orderStatus', 7, 'Submitted', 0, 1, 0, 99);
    emit('orderStatus', 7, 'Submitted', 0, 1, 0, 99);
    emit('orderStatus', 7, 'Filled', 1, 0, 190.5, 99);
    const st = events.filter((e) => e.type === 'orderStatus');
    expect(st).toHaveLength(2);
    expect(st[1]).toMatchObject({ update: { orderId: 7, orderRef: 'ref-7', account: 'DU1', permId: 99, status: 'FILLED', filled: 1, remaining: 0 } });
    expect(orders.idFor('ref-7')).toBe(7);
  });

  it('turns 202 into CANCELLED (not a rejection), 399 into a warning, 201 into a rejection, 10148 into a warning', () => {
    const { orders, events, emit } = setup();
    orders.learn(7, 'ref-7', 'DU1');
    orders.learn(8, 'ref-8', 'DU1');
    orders.learn(9, 'ref-9', 'DU1');
    emit('error', new Error('Order Canceled - reason:'), 202, 7);
    emit('error', new Error('Warning: your order will not be placed at the exchange until 09:30'), 399, 8);
    emit('error', new Error('Order rejected - reason: no'), 201, 9);
    emit('error', new Error('cannot be cancelled, state: Filled'), 10148, 9);
    emit('error', new Error('not ours'), 201, 12345);
    expect(events.map((e) => e.type)).toEqual(['orderStatus', 'orderWarning', 'orderRejected', 'orderWarning']);
    expect(events[0]).toMatchObject({ update: { orderRef: 'ref-7', status: 'CANCELLED' } });
    expect(events[2]).toMatchObject({ orderRef: 'ref-9', code: 201 });
  });

  it('emits live fills (reqId -1) once per execId, corrections flagged, commission after the fill', () => {
    const { orders, events, emit } = setup();
    orders.learn(7, 'ref-7', 'DU1');
    emit('execDetails', -1, contract, exec('e1.01'));
    emit('execDetails', 5, contract, exec('e1.01'));
    emit('execDetails', -1, contract, exec('e1.02', { price: 190.1 }));
    emit('commissionReport', { execId: 'e1.02', commission: 1.0, currency: 'USD' });
    emit('commissionReport', { execId: 'e1.02', commission: 1.0, currency: 'USD' });
    const fills = events.filter((e) => e.type === 'fill');
    expect(fills).toHaveLength(2);
    expect(fills[0]).toMatchObject({ fill: { execId: 'e1.01', orderRef: 'ref-7' } });
    expect(fills[1]).toMatchObject({ fill: { execId: 'e1.02', replacesExecId: 'e1.01' } });
    expect(events.filter((e) => e.type === 'commission')).toHaveLength(1);
  });

  it('joins a commission that arrives before its fill', () => {
    const { events, emit } = setup();
    emit('commissionReport', { execId: 'e2.01', commission: 0.5, currency: 'USD' });
    expect(events).toHaveLength(0);
    emit('execDetails', -1, contract, exec('e2.01', { orderRef: 'echoed' }));
    expect(events.map((e) => e.type)).toEqual(['fill', 'commission']);
    expect(events[0]).toMatchObject({ fill: { orderRef: 'echoed' } });
    if (events[0]!.type === 'fill') expect(events[0]!.fill.commission?.toString()).toBe('0.5');
  });

  it('maps a completedOrder (no order id on the wire) to its order through permId or orderRef', () => {
    const { events, emit } = setup();
    emit('orderStatus', 7, 'Submitted', 0, 1, 0, 99);
    emit('completedOrder', contract, { orderType: 'MKT', permId: 99, orderRef: 'ref-7', account: 'DU1', filledQuantity: 1 }, { status: 'Filled' });
    emit('completedOrder', contract, { orderType: 'MKT', permId: 12345, account: 'DU1' }, { status: 'Cancelled' });
    const st = events.filter((e) => e.type === 'orderStatus');
    expect(st.at(-1)).toMatchObject({ update: { orderId: 7, orderRef: 'ref-7', status: 'FILLED', filled: 1, remaining: 0 } });
    expect(st).toHaveLength(2);
  });

  it('raises the order-id floor above ids seen from IB', async () => {
    const { ids, emit } = setup();
    ids.onNextValidId(5);
    emit('openOrder', 40, contract, { orderType: 'LMT', orderRef: 'x', account: 'DU1' }, { status: 'Submitted' });
    expect(await ids.allocate()).toBe(41);
  });

  it('refuses orders while not connected, sending nothing', async () => {
    const { orders, conn } = setup();
    await expect(orders.placeOrders([])).resolves.toEqual([]);
    const leg = { leg: 'entry', orderRef: 'r', signalId: 's', account: 'DU1', instrument: { ...contract, secType: 'STK' as const },
      side: 'BUY' as const, quantity: 1, type: 'MKT' as const, tif: 'DAY' as const, outsideRth: false };
    await expect(orders.placeOrders([leg as never])).rejects.toThrow(/not ready/);
    expect(conn.messagesSent()).toBe(0);
  });
});
