import { describe, expect, it } from 'vitest';
import { ADOPTED_JOB_ID, adoptionsFrom, legOfOrderRef } from '../../src/execution/adopt.js';
import type { FillReport, OrderReport } from '../../src/execution/broker-port.js';
import { Decimal } from '../../src/domain/types.js';

const instrument = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' } as const;
const order = (o: Partial<OrderReport>): OrderReport => ({
  orderId: 1, account: 'DU1', orderRef: 'ix1-DU1-E-aaaaaaaaaaaa', instrument, side: 'BUY', quantity: 10, orderType: 'LMT',
  limitPrice: new Decimal('185'), status: 'SUBMITTED', filled: 0, remaining: 10, source: 'open', ...o,
});
const exec = (o: Partial<FillReport>): FillReport => ({
  execId: 'e1', orderId: 7, account: 'DU2', orderRef: 'ix1-DU2-S-bbbbbbbbbbbb', instrument, side: 'SLD', shares: 5, price: new Decimal('180'),
  cumQty: 5, avgPrice: new Decimal('180'), time: '20261125 14:30:01', ...o,
});

describe('adoptionsFrom (rebuilding the outbox from the broker, pure)', () => {
  it('adopts our orders in the state the broker reports, skips foreign ones, takes the highest order id', () => {
    const r = adoptionsFrom({
      openOrders: [order({}), order({ orderId: 9, orderRef: 'manual-in-tws' }), order({ orderId: 3, orderRef: undefined })],
      completedOrders: [order({ orderId: 4, orderRef: 'ix1-DU1-T-cccccccccccc', status: 'FILLED', filled: 10, remaining: 0, avgFillPrice: new Decimal('190') })],
      executions: [exec({})],
    }, 1000);
    expect(r.maxOrderId).toBe(9);
    expect(r.executions).toBe(1);
    const byRef = Object.fromEntries(r.adoptions.map((a) => [a.orderRef, a]));
    expect(Object.keys(byRef).sort()).toEqual(['ix1-DU1-E-aaaaaaaaaaaa', 'ix1-DU1-T-cccccccccccc', 'ix1-DU2-S-bbbbbbbbbbbb']);
    expect(byRef['ix1-DU1-E-aaaaaaaaaaaa']).toMatchObject({ state: 'ACCEPTED', leg: 'entry', orderId: 1, quantity: 10, filled: 0, side: 'BUY' });
    expect(byRef['ix1-DU1-T-cccccccccccc']).toMatchObject({ state: 'FILLED', leg: 'takeProfit', filled: 10 });
    // only executions reported: a FILLED record of the executed quantity
    expect(byRef['ix1-DU2-S-bbbbbbbbbbbb']).toMatchObject({ state: 'FILLED', leg: 'stopLoss', side: 'SELL', quantity: 5, filled: 5, orderId: 7 });
    for (const a of r.adoptions) expect(JSON.parse(a.payload).jobId).toBe(ADOPTED_JOB_ID);
  });

  it('reads the leg from the orderRef', () => {
    expect(legOfOrderRef('ix1-DU1-E-x')).toBe('entry');
    expect(legOfOrderRef('ix1-DU1-S-x')).toBe('stopLoss');
    expect(legOfOrderRef('garbage')).toBe('entry');
  });
});
