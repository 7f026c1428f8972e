/** Option selection by delta and days to expiry (pure). */
import { describe, expect, it } from 'vitest';
import type { OptionChainRow, OptionChainSnapshot } from '../../src/domain/types.js';
import { daysToExpiry, expiryWindow, selectOption } from '../../src/sizing/select-option.js';
import { d } from './builders.js';

const NOW = Date.parse('2026-12-01T15:00:00Z');

const row = (expiry: string, strike: number, right: 'C' | 'P', delta?: number): OptionChainRow => ({
  instrument: { symbol: 'AAPL', secType: 'OPT', exchange: 'SMART', currency: 'USD', conId: strike * 10 + (right === 'C' ? 1 : 2),
    lastTradeDateOrContractMonth: expiry, strike: d(strike), right, multiplier: '100' },
  bid: d(1), ask: d('1.1'),
  ...(delta !== undefined ? { greeks: { delta: d(delta), impliedVol: d('0.3'), source: 'model' as const } } : {}),
});

const snap = (rows: OptionChainRow[], expirations = ['20261218', '20270115', '20270219']): OptionChainSnapshot => ({
  underlying: { symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' }, underlyingConId: 265598, underlyingPrice: d(190),
  asOf: NOW - 500, tradingClass: 'AAPL', multiplier: '100', expirations, rows,
});

describe('selectOption', () => {
  it('picks the earliest expiry in the window and the |delta| closest to the target', () => {
    const s = snap([
      row('20261218', 200, 'C', 0.35),
      row('20270115', 190, 'C', 0.52), row('20270115', 200, 'C', 0.41), row('20270115', 210, 'C', 0.29), row('20270115', 200, 'P', -0.59),
      row('20270219', 200, 'C', 0.3),
    ]);
    const r = selectOption(s, { right: 'C', delta: d('0.30'), dte: [30, 60] }, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.instrument.strike?.toNumber()).toBe(210);
    expect(r.instrument.lastTradeDateOrContractMonth).toBe('20270115');
    expect(r.audit).toMatchObject({ expiry: '20270115', daysToExpiry: 45, targetDelta: '0.3', chainAsOf: NOW - 500, underlyingPrice: '190',
      chosen: { strike: '210', delta: '0.29', conId: 2101 } });
    expect(r.audit.candidates.map((c) => c.strike)).toEqual(['190', '200', '210']);
  });

  it('puts: the sign of the target is ignored; a tie goes to the smaller |delta|', () => {
    const s = snap([row('20270115', 170, 'P', -0.2), row('20270115', 180, 'P', -0.3), row('20270115', 175, 'P', -0.25)]);
    const r = selectOption(s, { right: 'P', delta: d('-0.225'), dte: [40, 50] }, NOW);
    expect(r.ok && r.instrument.strike?.toNumber()).toBe(170);
  });

  it('no expiry in the window, or no greeks: no selection, and says why', () => {
    const none = selectOption(snap([row('20270115', 200, 'C', 0.4)]), { right: 'C', delta: d('0.3'), dte: [100, 120] }, NOW);
    expect(none).toMatchObject({ ok: false, message: 'no AAPL expiry has 100–120 days to expiry (listed: 20261218 (17 d), 20270115 (45 d), 20270219 (80 d))' });
    const noGreeks = selectOption(snap([row('20270115', 200, 'C')]), { right: 'C', delta: d('0.3'), dte: [30, 60] }, NOW);
    expect(noGreeks).toMatchObject({ ok: false, message: 'no AAPL 20270115 C contract has greeks (1 without), so no strike can be chosen by delta' });
  });

  it('days to expiry and the window are calendar days (UTC)', () => {
    expect(daysToExpiry('20261201', NOW)).toBe(0);
    expect(daysToExpiry('20261218', NOW)).toBe(17);
    expect(expiryWindow([30, 60], NOW)).toEqual(['20261231', '20270130']);
  });
});
