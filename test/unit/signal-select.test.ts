/** `instrument.select` in a signal (issue 12): parsed into the domain, and every misuse named by field. */
import { describe, expect, it } from 'vitest';
import { parseSignal } from '../../src/ingest/parse-signal.js';
import { aWireSignal } from './builders.js';

const withInstrument = (instrument: Record<string, unknown>) => parseSignal(aWireSignal({ instrument, side: 'SELL' }));

describe('instrument.select', () => {
  it('parses delta (sign kept, compared as |delta|) and the DTE window', () => {
    const r = withInstrument({ symbol: 'AAPL', secType: 'OPT', right: 'P', select: { delta: -0.3, dte: [30, 45] } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.signal.instrument.select?.delta.toNumber()).toBe(-0.3);
    expect(r.signal.instrument.select?.dte).toEqual([30, 45]);
  });

  it('names each misuse', () => {
    const errs = (i: Record<string, unknown>) => {
      const r = withInstrument(i);
      return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);
    };
    expect(errs({ symbol: 'AAPL', secType: 'STK', select: { delta: 0.3, dte: [30, 45] } })).toContain('instrument.select: select is for options: expected secType "OPT"');
    expect(errs({ symbol: 'AAPL', secType: 'OPT', select: { delta: 0.3, dte: [30, 45] } })).toContain('instrument.right: required with select (C or P)');
    expect(errs({ symbol: 'AAPL', secType: 'OPT', right: 'C', strike: 200, select: { delta: 0.3, dte: [30, 45] } })).toContain('instrument.strike: not allowed with select (the contract is chosen from the chain)');
    expect(errs({ symbol: 'AAPL', secType: 'OPT', right: 'C', select: { delta: 0.3, dte: [45, 30] } })).toContain('instrument.select.dte: expected [min, max] with min ≤ max');
    expect(errs({ symbol: 'AAPL', secType: 'OPT', right: 'C', select: { delta: 0, dte: [30, 45] } }).join()).toMatch(/instrument\.select\.delta/);
    expect(errs({ symbol: 'AAPL', secType: 'OPT', right: 'C', select: { delta: 0.3, dte: [30, 45], extra: 1 } })).toContain('instrument.select.extra: unknown field');
  });
});
