/**
 * Every text a signal carries to the broker is printable ASCII of a sensible length (the TWS protocol
 * separates fields with NUL, and @stoqey/ib does not escape it), every error names its field in the
 * project's "expected …, received …" form (never the schema library's default text), `createdAt` may not
 * lie more than 60 s ahead, and option fields belong to options only.
 */
import { describe, expect, it } from 'vitest';
import { parseSignal, type FieldError } from '../../src/ingest/parse-signal.js';
import { aWireSignal } from './builders.js';

const NOW = Date.parse('2026-11-25T14:30:30Z');
const errorsOf = (over: Record<string, unknown>, now = NOW): readonly FieldError[] => {
  const r = parseSignal(aWireSignal(over), { now });
  return r.ok ? [] : r.errors;
};
const algo = (a: Record<string, unknown>) => ({ order: { type: 'MKT', algo: a } });

describe('signal strings: NUL (and other control characters) in each string field is an error naming it', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['id', { id: 'sig\u00001' }, 'id'],
    ['source', { source: 'bot\u0000' }, 'source'],
    ['instrument.symbol', { instrument: { symbol: 'AAPL\u0000STK' } }, 'instrument.symbol'],
    ['instrument.exchange', { instrument: { symbol: 'AAPL', exchange: 'SMART\u0000X' } }, 'instrument.exchange'],
    ['instrument.primaryExchange', { instrument: { symbol: 'AAPL', primaryExchange: 'NASDAQ\u0000' } }, 'instrument.primaryExchange'],
    ['instrument.currency', { instrument: { symbol: 'AAPL', currency: 'US\u0000' } }, 'instrument.currency'],
    ['instrument.secType', { instrument: { symbol: 'AAPL', secType: 'STK\u0000' } }, 'instrument.secType'],
    ['instrument.multiplier', { instrument: { symbol: 'ES', secType: 'FUT', multiplier: '50\u0000' } }, 'instrument.multiplier'],
    ['instrument.lastTradeDateOrContractMonth', { instrument: { symbol: 'ES', secType: 'FUT', lastTradeDateOrContractMonth: '202612\u0000' } }, 'instrument.lastTradeDateOrContractMonth'],
    ['instrument.right', { instrument: { symbol: 'AAPL', secType: 'OPT', right: 'C\u0000' } }, 'instrument.right'],
    ['side', { side: 'BUY\u0000' }, 'side'],
    ['order.type', { order: { type: 'MKT\u0000' } }, 'order.type'],
    ['order.tif', { order: { type: 'MKT', tif: 'DAY\u0000' } }, 'order.tif'],
    ['order.algo.strategy', algo({ strategy: 'Adaptive\u0000' }), 'order.algo.strategy'],
    ['order.algo.params value', algo({ strategy: 'Adaptive', params: { adaptivePriority: 'Normal\u0000' } }), 'order.algo.params.adaptivePriority'],
    ['order.algo.params name', algo({ strategy: 'Adaptive', params: { 'adaptive\u0000Priority': 'Normal' } }), 'order.algo.params.adaptive\u0000Priority'],
    ['accounts id', { accounts: ['DU1000001\u0000'] }, 'accounts.0'],
    ['accounts type', { accounts: { types: ['ROTH_IRA\u0000'] } }, 'accounts'],
    ['createdAt', { createdAt: '2026-11-25T14:30:00Z\u0000' }, 'createdAt'],
  ];
  it.each(cases)('%s', (_name, over, path) => {
    const errors = errorsOf(over);
    expect(errors.map((e) => e.path)).toContain(path);
    for (const e of errors) expect(e.message).not.toMatch(/^Invalid|must match pattern/);
  });

  it('a newline in the symbol, an emoji, a full-width or a 1 MB symbol are errors with what is expected', () => {
    for (const symbol of ['AA\nPL', '💥', 'ＡＡＰＬ', 'A'.repeat(1_000_000)]) {
      const errors = errorsOf({ instrument: { symbol } });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ path: 'instrument.symbol' });
      expect(errors[0]!.message).toMatch(/^expected 1–32 printable ASCII characters/);
    }
    expect(errorsOf({ instrument: { symbol: 'BRK B' } })).toEqual([]);
  });

  it('algo names and params: letters, digits and _, values printable ASCII up to 64', () => {
    expect(errorsOf(algo({ strategy: 'Adaptive', params: { adaptivePriority: 'Urgent', maxPctVol: 0.1, noTakeLiq: true } }))).toEqual([]);
    expect(errorsOf(algo({ strategy: 'Adap tive' }))[0]).toMatchObject({ path: 'order.algo.strategy', message: expect.stringMatching(/^expected an IB algo name/) });
    expect(errorsOf(algo({ strategy: 'Adaptive', params: { p: 'x'.repeat(65) } }))[0]).toMatchObject({ path: 'order.algo.params.p', message: expect.stringMatching(/^expected a string \(0–64 printable ASCII/) });
    expect(errorsOf(algo({ strategy: 'Adaptive', params: { p: { nested: 1 } } }))[0]!.message).toMatch(/received an object/);
    expect(errorsOf(algo({ strategy: 'Adaptive', params: 'x' }))[0]).toMatchObject({ path: 'order.algo.params', message: 'expected an object of algo parameters, received "x"' });
  });

  it('instrument.multiplier: the project\'s error text, never the schema library\'s', () => {
    expect(errorsOf({ instrument: { symbol: 'ES', secType: 'FUT', multiplier: 'fifty' } })).toEqual([
      { path: 'instrument.multiplier', message: 'expected a positive number such as 50 or "100", received "fifty"' },
    ]);
  });
});

describe('signal: createdAt and option fields', () => {
  it('createdAt more than 60 s ahead of the daemon clock is invalid; 60 s is accepted', () => {
    expect(errorsOf({ createdAt: '2026-11-25T14:31:30Z' })).toEqual([]);
    expect(errorsOf({ createdAt: '2026-11-25T14:31:31Z' })).toEqual([
      { path: 'createdAt', message: 'expected a time no more than 60 s in the future, received "2026-11-25T14:31:31Z" (61 s ahead)' },
    ]);
    expect(errorsOf({ createdAt: '9999-12-31T23:59:59Z' }).map((e) => e.path)).toEqual(['createdAt']);
  });

  it('strike and right only on an option', () => {
    expect(errorsOf({ instrument: { symbol: 'AAPL', strike: 200, right: 'C' } })).toEqual([
      { path: 'instrument.strike', message: 'only for secType OPT, received secType STK; remove it or set instrument.secType' },
      { path: 'instrument.right', message: 'only for secType OPT, received secType STK; remove it or set instrument.secType' },
    ]);
    expect(errorsOf({ instrument: { symbol: 'ES', secType: 'FUT', right: 'P' } }).map((e) => e.path)).toEqual(['instrument.right']);
    expect(errorsOf({ instrument: { symbol: 'AAPL', secType: 'OPT', strike: 200, right: 'C', lastTradeDateOrContractMonth: '20261218' } })).toEqual([]);
  });
});
