import { describe, expect, it } from 'vitest';
import { orderRefFor, ocaGroupFor } from '../../src/domain/order-ref.js';
import { Decimal } from '../../src/domain/types.js';
import type { Instrument, OrderLeg } from '../../src/domain/types.js';
import { summariesFromRows } from '../../src/ib/account-summary.js';
import { IB_CODES, classifyIbCode } from '../../src/ib/ib-errors.js';
import {
  IB_STATUS_TABLE,
  contractInfoFromWire,
  fillFromWire,
  formatExecFilterTime,
  mapIbStatus,
  orderReportFromWire,
  splitExecId,
  toWireContract,
  toWireOrder,
  transmitFlags,
  whatIfFromWire,
} from '../../src/ib/ib-mapping.js';

const AAPL: Instrument = { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', primaryExchange: 'NASDAQ' };
const leg = (over: Partial<OrderLeg>): OrderLeg => ({
  leg: 'entry',
  orderRef: orderRefFor('s1', 'DU1', 'entry'),
  signalId: 's1',
  account: 'DU1',
  instrument: AAPL,
  side: 'BUY',
  quantity: 10,
  type: 'MKT',
  tif: 'DAY',
  outsideRth: false,
  ...over,
});

describe('status table', () => {
  it('maps every IB status, Inactive → INACTIVE, unknown → UNKNOWN', () => {
    expect(mapIbStatus('Inactive')).toBe('INACTIVE');
    expect(mapIbStatus('PreSubmitted')).toBe('PRE_SUBMITTED');
    expect(mapIbStatus('ApiCancelled')).toBe('CANCELLED');
    expect(mapIbStatus('Filled')).toBe('FILLED');
    expect(mapIbStatus('whatever')).toBe('UNKNOWN');
    expect(mapIbStatus('toString')).toBe('UNKNOWN');
    expect(Object.keys(IB_STATUS_TABLE)).toHaveLength(10);
  });
});

describe('error taxonomy', () => {
  it('classifies the documented codes', () => {
    for (const c of [2104, 2106, 2158, 2107, 2108, 2119]) expect(classifyIbCode(c).kind).toBe('info');
    for (const c of [399, 10349, 404, 2109]) expect(classifyIbCode(c).kind).toBe('warning');
    for (const c of [201, 203, 10147, 10148, 110, 135, 161, 103]) expect(classifyIbCode(c).kind).toBe('orderRejected');
    for (const c of [502, 504, 1100, 2110, 1300]) expect(classifyIbCode(c).kind).toBe('retryable');
    for (const c of [326, 321, 505]) expect(classifyIbCode(c).kind).toBe('fatal');
    expect(classifyIbCode(202)).toMatchObject({ kind: 'info', status: 'CANCELLED' });
    expect(classifyIbCode(10148).cancelRefused).toBe(true);
    expect(classifyIbCode(201).cancelRefused).toBeUndefined();
  });
  it('has no duplicate codes and defaults unknown codes conservatively', () => {
    expect(new Set(IB_CODES.map((c) => c.code)).size).toBe(IB_CODES.length);
    expect(classifyIbCode(2999).kind).toBe('warning');
    expect(classifyIbCode(77777, '', 'order').kind).toBe('warning');
    expect(classifyIbCode(77777, 'Warning: x').kind).toBe('warning');
    expect(classifyIbCode(77777).kind).toBe('retryable');
  });
});

describe('toWireOrder', () => {
  it('always sets orderRef, account and transmit explicitly', () => {
    const o = toWireOrder(leg({}), { orderId: 5, transmit: true });
    expect(o).toMatchObject({ orderId: 5, action: 'BUY', totalQuantity: 10, orderType: 'MKT', tif: 'DAY', outsideRth: false, account: 'DU1', transmit: true });
    expect(o.orderRef).toMatch(/^ix1-DU1-E-/);
    expect(toWireOrder(leg({}), { orderId: 5, transmit: false }).transmit).toBe(false);
  });
  it('maps every order type', () => {
    const d = (n: number) => new Decimal(n);
    expect(toWireOrder(leg({ type: 'LMT', limitPrice: d(190.25) }), { orderId: 1, transmit: true })).toMatchObject({ orderType: 'LMT', lmtPrice: 190.25 });
    expect(toWireOrder(leg({ type: 'STP', stopPrice: d(180) }), { orderId: 1, transmit: true })).toMatchObject({ orderType: 'STP', auxPrice: 180 });
    expect(toWireOrder(leg({ type: 'STP LMT', stopPrice: d(180), limitPrice: d(179) }), { orderId: 1, transmit: true })).toMatchObject({
      orderType: 'STP LMT', auxPrice: 180, lmtPrice: 179 });
    expect(toWireOrder(leg({ type: 'TRAIL', trailingPercent: d(2.5) }), { orderId: 1, transmit: true })).toMatchObject({ orderType: 'TRAIL', trailingPercent: 2.5 });
    expect(toWireOrder(leg({ type: 'MOC' }), { orderId: 1, transmit: true })).toMatchObject({ orderType: 'MOC' });
    expect(toWireOrder(leg({ type: 'LOC', limitPrice: d(191) }), { orderId: 1, transmit: true })).toMatchObject({ orderType: 'LOC', lmtPrice: 191 });
    expect(() => toWireOrder(leg({ type: 'LMT' }), { orderId: 1, transmit: true })).toThrow(/limitPrice/);
  });
  it('maps algos, OCA groups, parent ids, outsideRth, tif and whatIf', () => {
    const o = toWireOrder(leg({ algo: { strategy: 'Adaptive', params: { adaptivePriority: 'Normal' } }, ocaGroup: 'g1', tif: 'GTC', outsideRth: true }),
      { orderId: 2, parentId: 1, transmit: true, whatIf: true });
    expect(o).toMatchObject({ algoStrategy: 'Adaptive', algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }], ocaGroup: 'g1', ocaType: 1,
      parentId: 1, tif: 'GTC', outsideRth: true, whatIf: true });
  });
});

describe('transmitFlags', () => {
  it('holds a bracket until its last child and transmits independent legs', () => {
    const e = orderRefFor('s', 'A', 'entry');
    const tp = { orderRef: orderRefFor('s', 'A', 'takeProfit'), parentRef: e };
    const sl = { orderRef: orderRefFor('s', 'A', 'stopLoss'), parentRef: e };
    expect(transmitFlags([{ orderRef: e }, tp, sl])).toEqual([false, false, true]);
    expect(transmitFlags([{ orderRef: 'x' }, { orderRef: 'y' }])).toEqual([true, true]);
    expect(transmitFlags([{ orderRef: 'x' }])).toEqual([true]);
    const e2 = orderRefFor('s', 'B', 'entry');
    expect(transmitFlags([{ orderRef: e }, tp, sl, { orderRef: e2 }, { orderRef: 'c', parentRef: e2 }])).toEqual([false, false, true, false, true]);
  });
});

describe('wire → domain', () => {
  it('maps contracts, fills, execIds, reports and what-if results', () => {
    expect(toWireContract(AAPL)).toEqual({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', primaryExch: 'NASDAQ' });
    const f = fillFromWire({ symbol: 'AAPL', secType: 'STK', currency: 'USD', exchange: 'NASDAQ' },
      { execId: 'e.01', orderId: 7, acctNumber: 'DU1', side: 'BOT', shares: 10, price: 190.5, cumQty: 10, avgPrice: 190.5, time: 't' }, 'ref-7');
    expect(f).toMatchObject({ execId: 'e.01', orderId: 7, account: 'DU1', orderRef: 'ref-7', side: 'BOT', shares: 10, cumQty: 10 });
    expect(f.price.toString()).toBe('190.5');
    expect(splitExecId('0000e0d5.6550a8c6.01.02')).toEqual({ base: '0000e0d5.6550a8c6.01', revision: '02' });
    const r = orderReportFromWire(9, { symbol: 'AAPL', secType: 'STK', currency: 'USD' },
      { orderType: 'LMT', action: 'SELL', totalQuantity: 5, lmtPrice: 200, account: 'DU2', orderRef: 'r9', auxPrice: 1.7976931348623157e308 },
      { status: 'Submitted' }, 'open', { filled: 2, remaining: 3, avgFillPrice: 200 });
    expect(r).toMatchObject({ orderId: 9, account: 'DU2', orderRef: 'r9', side: 'SELL', quantity: 5, status: 'SUBMITTED', filled: 2, remaining: 3, source: 'open' });
    expect(r.stopPrice).toBeUndefined();
    const c = orderReportFromWire(0, {}, { orderType: 'MKT', totalQuantity: 5, filledQuantity: 5 }, { status: 'Filled' }, 'completed');
    expect(c).toMatchObject({ status: 'FILLED', filled: 5, remaining: 0 });
    const w = whatIfFromWire({ initMarginChange: 1234.5, commission: 1.0, commissionCurrency: 'USD', maintMarginChange: 1.7976931348623157e308 });
    expect(w.initMarginChange?.toString()).toBe('1234.5');
    expect(w.maintMarginChange).toBeUndefined();
    expect(w.commissionCurrency).toBe('USD');
    const ci = contractInfoFromWire({ contract: { conId: 1, symbol: 'ET', secType: 'STK', currency: 'USD', exchange: 'SMART' }, stockType: 'MLP', longName: 'ENERGY TRANSFER LP', industry: 'Energy', minTick: 0.01 });
    expect(ci).toMatchObject({ conId: 1, stockType: 'MLP', longName: 'ENERGY TRANSFER LP', industry: 'Energy' });
    expect(formatExecFilterTime(new Date(Date.UTC(2026, 10, 25, 4, 5, 6)))).toBe('20261125 04:05:06');
    expect(ocaGroupFor('s', 'A')).toMatch(/^ix1oca-/);
  });
});

describe('account summaries', () => {
  it('keeps one summary per account, never collapsed', () => {
    const rows = [
      { account: 'DU1', tag: 'AccountType', value: 'IRA', currency: '' },
      { account: 'DU1', tag: 'NetLiquidation', value: '69000', currency: 'USD' },
      { account: 'DU2', tag: 'NetLiquidation', value: '115000', currency: 'USD' },
      { account: 'DU1', tag: 'SettledCash', value: '90', currency: 'EUR' },
      { account: 'DU1', tag: 'SettledCash', value: '49000', currency: 'USD' },
      { account: 'DU1', tag: 'CashBalance', value: '50000', currency: 'USD' },
      { account: 'DU1', tag: 'CashBalance', value: '50000', currency: 'BASE' },
      { account: 'DU1', tag: 'CashBalance', value: '100', currency: 'EUR' },
      { account: 'DU2', tag: 'BuyingPower', value: '400000', currency: 'USD' },
    ];
    const s = summariesFromRows(rows);
    expect(s.map((x) => x.account)).toEqual(['DU1', 'DU2']);
    expect(s[0]).toMatchObject({ account: 'DU1', accountType: 'IRA', baseCurrency: 'USD' });
    expect(s[0]!.netLiquidation?.toString()).toBe('69000');
    expect(Object.keys(s[0]!.cashByCurrency).sort()).toEqual(['EUR', 'USD']);
    expect(s[0]!.settledCash?.toString()).toBe('49000'); // the base-currency row, not the EUR ledger row
    expect(s[1]!.netLiquidation?.toString()).toBe('115000');
    expect(s[1]!.buyingPower?.toString()).toBe('400000');
  });
});
