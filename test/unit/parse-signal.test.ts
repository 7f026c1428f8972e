import { describe, expect, it } from 'vitest';
import { formatFieldErrors, parseSignal, type FieldError } from '../../src/ingest/parse-signal.js';
import { aWireSignal } from './builders.js';

const errorsOf = (data: unknown): readonly FieldError[] => {
  const r = parseSignal(data);
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.signal)}`);
  return r.errors;
};
const pathsOf = (data: unknown): string[] => errorsOf(data).map((e) => e.path);
const ok = (data: unknown) => {
  const r = parseSignal(data);
  if (!r.ok) throw new Error(formatFieldErrors(r.errors));
  return r.signal;
};

describe('parseSignal: valid signals', () => {
  it('fills defaults and converts times and prices when only required fields are given', () => {
    const s = ok(aWireSignal());
    expect(s.createdAt).toBe(Date.parse('2026-11-25T14:30:00Z'));
    expect(s.instrument).toEqual({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' });
    expect(s.order).toEqual({ type: 'MKT', tif: 'DAY', outsideRth: false });
    expect(s.accounts).toEqual({ kind: 'all' });
    expect(s.size).toEqual({ kind: 'quantity', quantity: 10 });
  });

  it('parses the CONTRACT §3 example exactly', () => {
    const s = ok({
      id: 'sig-20261125-0001',
      createdAt: '2026-11-25T14:30:00Z',
      expiresAt: '2026-11-25T14:35:00Z',
      source: 'trading-signals',
      instrument: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
      side: 'BUY',
      size: { quantity: 10 },
      order: { type: 'LMT', limitPrice: 190.25, tif: 'DAY' },
      bracket: { takeProfit: 210, stopLoss: 180 },
      accounts: 'ALL',
      meta: { confluence: 0.82, regime: 'trend' },
    });
    expect(s.expiresAt).toBe(Date.parse('2026-11-25T14:35:00Z'));
    expect(s.order.limitPrice?.toString()).toBe('190.25');
    expect(s.bracket?.takeProfit.toString()).toBe('210');
    expect(s.meta).toEqual({ confluence: 0.82, regime: 'trend' });
  });

  it.each([
    [{ quantity: 5 }, { kind: 'quantity', quantity: 5 }],
    [{ notional: 2500.5 }, { kind: 'notional', notional: '2500.5' }],
    [{ equityPercent: '2.5' }, { kind: 'equityPercent', percent: '2.5' }],
    [{ positionPercent: 100 }, { kind: 'positionPercent', percent: '100' }],
  ])('accepts size %j', (size, expected) => {
    const side = 'positionPercent' in size ? 'SELL' : 'BUY';
    const s = ok(aWireSignal({ size, side }));
    expect(JSON.parse(JSON.stringify(s.size))).toEqual(expected);
  });

  it('accepts riskPercent when a bracket stopLoss is given', () => {
    const s = ok(aWireSignal({ size: { riskPercent: 1 }, bracket: { takeProfit: 210, stopLoss: 180 } }));
    expect(s.size.kind).toBe('riskPercent');
  });

  it.each([
    ['ALL', { kind: 'all' }],
    [['DU1000001', 'DU1000002'], { kind: 'ids', ids: ['DU1000001', 'DU1000002'] }],
    [{ types: ['ROTH_IRA'] }, { kind: 'types', types: ['ROTH_IRA'] }],
  ])('accepts accounts %j', (accounts, expected) => {
    expect(ok(aWireSignal({ accounts })).accounts).toEqual(expected);
  });

  it('drops unknown top-level fields instead of passing them through', () => {
    const s = ok(aWireSignal({ strategyVersion: 3 }));
    expect(s).not.toHaveProperty('strategyVersion');
  });

  it('converts decimal strings without float drift', () => {
    const s = ok(aWireSignal({ order: { type: 'LMT', limitPrice: '0.1' }, size: { notional: 0.3 } }));
    expect(s.order.limitPrice?.toString()).toBe('0.1');
    expect(s.size.kind === 'notional' && s.size.notional.toString()).toBe('0.3');
  });

  it('accepts every order type with the prices it needs', () => {
    const orders = [
      { type: 'MKT' },
      { type: 'LMT', limitPrice: 1 },
      { type: 'STP', stopPrice: 1 },
      { type: 'STP LMT', stopPrice: 1, limitPrice: 1.1 },
      { type: 'TRAIL', trailingPercent: 2 },
      { type: 'MOC' },
      { type: 'LOC', limitPrice: 1 },
    ];
    for (const order of orders) expect(ok(aWireSignal({ order })).order.type).toBe(order.type);
  });

  it('accepts an option and a future with their contract fields', () => {
    const opt = ok(aWireSignal({ instrument: { symbol: 'AAPL', secType: 'OPT', lastTradeDateOrContractMonth: '20261218', strike: 200, right: 'CALL', multiplier: 100 } }));
    expect(opt.instrument.right).toBe('C');
    expect(opt.instrument.multiplier).toBe('100');
    const fut = ok(aWireSignal({ instrument: { symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202612', multiplier: '50' } }));
    expect(fut.instrument.exchange).toBe('CME');
  });
});

describe('parseSignal: schema errors name the field', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['missing id', { id: undefined }, 'id', /required/],
    ['id with a space', { id: 'sig 1' }, 'id', /A-Z a-z 0-9/],
    ['id of 41 chars', { id: 'x'.repeat(41) }, 'id', /1–40/],
    ['createdAt not ISO', { createdAt: 'yesterday' }, 'createdAt', /ISO-8601.*"yesterday"/],
    ['createdAt without zone', { createdAt: '2026-11-25T14:30:00' }, 'createdAt', /time zone/],
    ['expiresAt before createdAt', { expiresAt: '2026-11-25T14:00:00Z' }, 'expiresAt', /after createdAt/],
    ['symbol missing', { instrument: {} }, 'instrument.symbol', /required/],
    ['symbol empty', { instrument: { symbol: ' ' } }, 'instrument.symbol', /expected 1–32 printable ASCII characters/],
    ['secType typo key', { instrument: { symbol: 'ES', secTyp: 'FUT' } }, 'instrument.secTyp', /unknown field/],
    ['secType unknown', { instrument: { symbol: 'X', secType: 'BOND' } }, 'instrument.secType', /STK, FUT, OPT, CASH.*"BOND"/],
    ['currency not ISO', { instrument: { symbol: 'X', currency: 'DOLLARS' } }, 'instrument.currency', /3-letter/],
    ['side lower case', { side: 'buy' }, 'side', /BUY, SELL.*"buy"/],
    ['no size kind', { size: {} }, 'size', /exactly one of quantity, notional, equityPercent, riskPercent, positionPercent/],
    ['two size kinds', { size: { quantity: 1, notional: 100 } }, 'size', /exactly one of .*received 2/],
    ['fractional quantity', { size: { quantity: 1.5 } }, 'size.quantity', /whole number.*1\.5/],
    ['negative quantity', { size: { quantity: -3 } }, 'size.quantity', /positive whole number.*-3/],
    ['quantity as text', { size: { quantity: 'ten' } }, 'size.quantity', /whole number.*"ten"/],
    ['NaN notional', { size: { notional: Number.NaN } }, 'size.notional', /finite number.*NaN/],
    ['Infinity notional', { size: { notional: Number.POSITIVE_INFINITY } }, 'size.notional', /finite number.*Infinity/],
    ['non-numeric string', { size: { notional: '12abc' } }, 'size.notional', /finite number.*"12abc"/],
    ['equityPercent over 100', { size: { equityPercent: 150 } }, 'size.equityPercent', /≤ 100.*150/],
    ['positionPercent zero', { side: 'SELL', size: { positionPercent: 0 } }, 'size.positionPercent', /> 0/],
    ['positionPercent on a BUY', { size: { positionPercent: 50 } }, 'size.positionPercent', /only allowed for SELL/],
    ['riskPercent without bracket', { size: { riskPercent: 1 } }, 'bracket.stopLoss', /required when size.riskPercent/],
    ['LMT without limitPrice', { order: { type: 'LMT' } }, 'order.limitPrice', /required for order type LMT/],
    ['LOC without limitPrice', { order: { type: 'LOC' } }, 'order.limitPrice', /required for order type LOC/],
    ['STP without stopPrice', { order: { type: 'STP' } }, 'order.stopPrice', /required for order type STP/],
    ['STP LMT without limitPrice', { order: { type: 'STP LMT', stopPrice: 1 } }, 'order.limitPrice', /required for order type STP LMT/],
    ['TRAIL without trailingPercent', { order: { type: 'TRAIL' } }, 'order.trailingPercent', /required for order type TRAIL/],
    ['MKT with a limitPrice', { order: { type: 'MKT', limitPrice: 1 } }, 'order.limitPrice', /not used by order type MKT/],
    ['unknown order type', { order: { type: 'LIMIT' } }, 'order.type', /MKT, LMT/],
    ['unknown tif', { order: { tif: 'GTD' } }, 'order.tif', /DAY, GTC, IOC, OPG/],
    ['outsideRth not boolean', { order: { outsideRth: 'yes' } }, 'order.outsideRth', /true or false/],
    ['algo without strategy', { order: { algo: { params: {} } } }, 'order.algo.strategy', /required/],
    ['bracket missing takeProfit', { bracket: { stopLoss: 1 } }, 'bracket.takeProfit', /required/],
    ['bracket price zero', { bracket: { takeProfit: 0, stopLoss: 1 } }, 'bracket.takeProfit', /> 0/],
    ['accounts empty list', { accounts: [] }, 'accounts', /at least one account id/],
    ['accounts duplicate id', { accounts: ['DU1', 'DU1'] }, 'accounts', /distinct/],
    ['accounts not a list', { accounts: 5 }, 'accounts', /"ALL", a non-empty list.*received 5/],
    ['accounts unknown type', { accounts: { types: ['IRA'] } }, 'accounts', /ROTH_IRA/],
    ['meta not an object', { meta: 'x' }, 'meta', /an object/],
  ])('%s → %s', (_name, over, path, message) => {
    const errors = errorsOf(aWireSignal(over));
    const e = errors.find((x) => x.path === path);
    expect(e, formatFieldErrors(errors)).toBeDefined();
    expect(e!.message).toMatch(message);
  });

  it('reports every bad field at once', () => {
    const paths = pathsOf({ id: '', createdAt: 1, instrument: { secType: 'FUT' }, side: 'HOLD', size: { quantity: 0 } });
    expect(paths).toEqual(expect.arrayContaining(['id', 'createdAt', 'instrument.symbol', 'side', 'size.quantity']));
  });

  it.each([null, 42, 'signal', [1]])('rejects a non-object payload %j at the root', (payload) => {
    expect(pathsOf(payload)).toEqual(['(root)']);
  });

  it('formats errors on one line as the dead-letter message', () => {
    const errors = errorsOf(aWireSignal({ size: {}, instrument: {} }));
    expect(formatFieldErrors(errors)).toBe(
      'instrument.symbol: required; size: expected exactly one of quantity, notional, equityPercent, riskPercent, positionPercent',
    );
  });
});

describe('parseSignal: bracket sides', () => {
  const limit = (side: string, limitPrice: number, takeProfit: number, stopLoss: number) =>
    aWireSignal({ side, order: { type: 'LMT', limitPrice }, bracket: { takeProfit, stopLoss } });

  it.each([
    ['BUY', 190, 210, 180],
    ['SELL', 190, 180, 210],
  ])('accepts a %s LMT %d with takeProfit %d and stopLoss %d', (side, lp, tp, sl) => {
    expect(parseSignal(limit(side, lp, tp, sl)).ok).toBe(true);
  });

  it.each<[string, number, number, number, string, RegExp]>([
    ['BUY', 190, 185, 180, 'bracket.takeProfit', /above the entry price 190 for a BUY, received 185/],
    ['BUY', 190, 210, 195, 'bracket.stopLoss', /below the entry price 190 for a BUY, received 195/],
    ['SELL', 190, 195, 210, 'bracket.takeProfit', /below the entry price 190 for a SELL, received 195/],
    ['SELL', 190, 180, 185, 'bracket.stopLoss', /above the entry price 190 for a SELL, received 185/],
    ['BUY', 190, 170, 180, 'bracket', /takeProfit above stopLoss for a BUY/],
  ])('rejects %s LMT %d with takeProfit %d / stopLoss %d at %s', (side, lp, tp, sl, path, message) => {
    const e = errorsOf(limit(side, lp, tp, sl)).find((x) => x.path === path);
    expect(e?.message).toMatch(message);
  });

  it('uses the stop price as the entry reference of a STP entry', () => {
    const errors = errorsOf(aWireSignal({ order: { type: 'STP', stopPrice: 200 }, bracket: { takeProfit: 210, stopLoss: 201 } }));
    expect(errors.map((e) => e.path)).toEqual(['bracket.stopLoss']);
  });

  it('checks only takeProfit vs stopLoss for a MKT entry (sides vs price are checked per account)', () => {
    expect(parseSignal(aWireSignal({ bracket: { takeProfit: 210, stopLoss: 180 } })).ok).toBe(true);
    expect(pathsOf(aWireSignal({ bracket: { takeProfit: 180, stopLoss: 210 } }))).toEqual(['bracket']);
  });
});
