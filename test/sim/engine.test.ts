/**
 * The engine without sockets: cash and P&L bookkeeping (stocks, shorts, futures, FX), currency rules in
 * the IRA, trailing percent, permId/execId uniqueness, and id bookkeeping across a rollback restart.
 */
import { describe, expect, it } from 'vitest';
import { accountTotals } from '../../src/sim/engine/account-values.js';
import { SimEngine, type SimEvent } from '../../src/sim/index.js';
import type { WireContract, WireOrder } from '../../src/sim/wire/index.js';

const STK = (symbol: string, currency = 'USD'): WireContract => ({ symbol, secType: 'STK', exchange: 'SMART', currency });
const ES: WireContract = { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612' };
const EURUSD: WireContract = { symbol: 'EUR', secType: 'CASH', exchange: 'IDEALPRO', currency: 'USD' };
const order = (o: Partial<WireOrder> & Pick<WireOrder, 'action' | 'totalQuantity' | 'account'>): WireOrder => ({ orderType: 'MKT', transmit: true, ...o });

function engine(): { e: SimEngine; events: SimEvent[]; errors: () => [number, number][] } {
  const e = new SimEngine({ seed: 3, now: () => Date.UTC(2026, 10, 25, 15) });
  const events: SimEvent[] = [];
  e.subscribe((ev) => events.push(ev));
  const errors = () => events.flatMap((ev) => (ev.kind === 'orderError' ? [[ev.orderId, ev.code] as [number, number]] : []));
  return { e, events, errors };
}

describe('bookkeeping', () => {
  it('a short sale and its cover book realized P&L net of commissions (margin account)', () => {
    const { e } = engine();
    e.placeOrder(1, 1, STK('AAPL'), order({ action: 'SELL', totalQuantity: 100, account: 'DU1000003' }));
    e.setPrice('AAPL', 180);
    e.placeOrder(1, 2, STK('AAPL'), order({ action: 'BUY', totalQuantity: 100, account: 'DU1000003' }));
    const acct = e.accounts.get('DU1000003')!;
    const pos = acct.positions.get(265598)!;
    expect(pos.quantity).toBe(0);
    // sold at 189.99, bought at 180.01, $1 commission each way
    expect(pos.realizedPnl.toNumber()).toBeCloseTo(100 * (189.99 - 180.01) - 2, 6);
    expect(acct.cashIn('USD').toNumber()).toBeCloseTo(250000 + 100 * (189.99 - 180.01) - 2, 6);
  });

  it('futures move only commission and realized P&L through cash', () => {
    const { e } = engine();
    e.placeOrder(1, 1, ES, order({ action: 'BUY', totalQuantity: 2, account: 'DU1000003' }));
    const acct = e.accounts.get('DU1000003')!;
    expect(acct.cashIn('USD').toNumber()).toBe(250000 - 4.5);
    e.setPrice('ES', 6010);
    e.placeOrder(1, 2, ES, order({ action: 'SELL', totalQuantity: 2, account: 'DU1000003' }));
    // bought 6000.25, sold 6009.75: 9.5 × 50 × 2 = 950
    expect(acct.cashIn('USD').toNumber()).toBeCloseTo(250000 - 9 + 950, 6);
  });

  it('buying EUR.USD converts USD into EUR; an IRA cannot buy a EUR stock without EUR', () => {
    const { e, errors } = engine();
    e.placeOrder(1, 1, STK('SAP', 'EUR'), order({ action: 'BUY', totalQuantity: 1, account: 'DU1000001' }));
    expect(errors()).toEqual([[1, 201]]);
    e.placeOrder(1, 2, EURUSD, order({ action: 'BUY', totalQuantity: 1000, account: 'DU1000001' }));
    const ira = e.accounts.get('DU1000001')!;
    expect(ira.cashIn('EUR').toNumber()).toBe(1000);
    expect(ira.cashIn('USD').toNumber()).toBeCloseTo(50000 - 1000 * 1.08005 - 2, 6);
    e.placeOrder(1, 3, STK('SAP', 'EUR'), order({ action: 'BUY', totalQuantity: 4, account: 'DU1000001' }));
    expect(errors()).toEqual([[1, 201]]);
    expect(ira.positionQty(14204)).toBe(4);
  });

  it('an IRA futures order needs its initial margin in settled cash', () => {
    const { e, errors } = engine();
    e.placeOrder(1, 1, ES, order({ action: 'BUY', totalQuantity: 4, account: 'DU1000001' })); // 64,000 > 50,000
    e.placeOrder(1, 2, ES, order({ action: 'BUY', totalQuantity: 3, account: 'DU1000001' }));
    expect(errors()).toEqual([[1, 201]]);
  });

  it('TRAIL with trailingPercent', () => {
    const { e } = engine();
    e.placeOrder(1, 1, STK('MSFT'), order({ action: 'SELL', totalQuantity: 10, orderType: 'TRAIL', trailingPercent: 1, account: 'DU1000002' }));
    e.setPrice('MSFT', 440); // stop 435.6
    e.setPrice('MSFT', 436);
    expect([...e.orders.values()][0]?.status).toBe('Submitted');
    e.setPrice('MSFT', 435.5);
    expect([...e.orders.values()][0]?.status).toBe('Filled');
  });
});

describe('ids', () => {
  it('permIds and execIds are unique; rollback lowers nextValidId but never allows reuse', () => {
    const { e, errors } = engine();
    for (let id = 1; id <= 5; id++) e.placeOrder(9, id, STK('AAPL'), order({ action: 'BUY', totalQuantity: 1, account: 'DU1000003' }));
    const perms = new Set([...e.orders.values()].map((o) => o.permId));
    const execs = new Set(e.executions.map((x) => x.execId));
    expect([perms.size, execs.size]).toEqual([5, 5]);
    expect(e.nextValidId(9)).toBe(6);
    expect(e.nextValidId(10)).toBe(6);
    e.restart(true);
    expect(e.nextValidId(9)).toBe(1);
    e.placeOrder(9, 1, STK('AAPL'), order({ action: 'BUY', totalQuantity: 1, account: 'DU1000003' }));
    expect(errors()).toEqual([[1, 103]]);
    e.placeOrder(9, 6, STK('AAPL'), order({ action: 'BUY', totalQuantity: 1, account: 'DU1000003' }));
    expect(e.nextValidId(9)).toBe(7);
  });

  it('an order without an account is refused in a multi-account household', () => {
    const { e, errors } = engine();
    e.placeOrder(1, 1, STK('AAPL'), order({ action: 'BUY', totalQuantity: 1, account: undefined as never }));
    expect(errors()).toEqual([[1, 201]]);
  });
});

describe('net liquidation', () => {
  it('an open futures position counts its price move once (commission only in cash)', () => {
    const { e } = engine();
    e.placeOrder(1, 1, ES, order({ action: 'BUY', totalQuantity: 1, account: 'DU1000003' }));
    e.setPrice('ES', 6010.25);
    const t = accountTotals(e.accounts.get('DU1000003')!, e.market, e.instruments);
    // bought 6000.25, last 6010.25: +500, commission 2.25
    expect(t.netLiquidation.toNumber()).toBeCloseTo(250000 + 500 - 2.25, 6);
  });
});
