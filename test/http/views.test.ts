/** Pure parts of the dashboard: totals, decision rows, rule badges, request checks. */
import { describe, expect, it } from 'vitest';
import { accountRules, appendSample, decisionRows, householdTotals, type PricedPosition } from '../../src/http/views.js';
import { cookieValue, isLoopbackHostHeader, isSameOrigin } from '../../src/http/security.js';
import { tradingStateProblem } from '../../src/http/actions.js';
import { compareIds, sseFrame } from '../../src/http/events.js';
import { Decimal } from '../../src/domain/types.js';
import type { AuditRecord } from '../../src/infra/audit.js';

const pos = (o: Partial<PricedPosition>): PricedPosition => ({ account: 'A', symbol: 'AAPL', secType: 'STK', currency: 'USD', quantity: 1, avgCost: '100', price: '200', ...o });

describe('householdTotals', () => {
  it('sums a stock across accounts at the market price, and nets a short against a long', () => {
    const t = householdTotals([pos({ account: 'A', quantity: 100 }), pos({ account: 'B', quantity: -40 }), pos({ account: 'B', symbol: 'MSFT', quantity: 10, price: '400' })]);
    expect(t).toEqual([
      { symbol: 'AAPL', secType: 'STK', currency: 'USD', quantity: 60, marketValue: '12000.00', accounts: 2, priced: true },
      { symbol: 'MSFT', secType: 'STK', currency: 'USD', quantity: 10, marketValue: '4000.00', accounts: 1, priced: true },
    ]);
  });

  it('values an unpriced position at cost and keeps two option contracts of one symbol apart', () => {
    const t = householdTotals([pos({ price: null, quantity: 3 }), pos({ secType: 'OPT', conId: 11, quantity: 1, avgCost: '350', price: null }), pos({ secType: 'OPT', conId: 12, quantity: -2, avgCost: '120', price: null })]);
    expect(t.map((x) => [x.secType, x.conId, x.marketValue, x.priced])).toEqual([
      ['OPT', 11, '350.00', false],
      ['STK', undefined, '300.00', false],
      ['OPT', 12, '-240.00', false],
    ]);
  });
});

describe('appendSample (the net-liquidation chart)', () => {
  it('keeps one point a minute (the newest value) and the last 24 hours', () => {
    let s = appendSample([], 0, '100');
    s = appendSample(s, 30_000, '101');
    expect(s).toEqual([[0, '101']]);
    s = appendSample(s, 60_000, '102');
    expect(s).toEqual([[0, '101'], [60_000, '102']]);
    s = appendSample(s, 24 * 3600_000 + 30_000, '103');
    expect(s).toEqual([[60_000, '102'], [24 * 3600_000 + 30_000, '103']]);
  });
});

describe('decisionRows', () => {
  const rec = (seq: number, type: string, signalId: string, data: unknown): AuditRecord => ({ id: `${seq}-0`, seq, ts: 't', type, account: '', signalId, orderRef: '', data, prev: '', hash: '' });
  it('one row per account of each outcome, newest first, with the signal’s symbol and side', () => {
    const rows = decisionRows([
      rec(1, 'signal', 's1', { payload: { instrument: { symbol: 'AAPL' }, side: 'SELL' } }),
      rec(2, 'outcome', 's1', { results: [{ account: 'DU1', decision: 'DENIED', quantity: 0, reasons: [{ code: 'IRA_SHORT_SALE', message: 'no' }] }, { account: 'DU2', decision: 'PLACED', quantity: 5 }] }),
      rec(3, 'outcome', 's0', { results: [{ account: 'DU2', decision: 'PLACED', quantity: 1 }] }),
    ]);
    expect(rows.map((r) => [r.seq, r.account, r.decision, r.symbol, r.side])).toEqual([
      [3, 'DU2', 'PLACED', '', ''],
      [2, 'DU2', 'PLACED', 'AAPL', 'SELL'],
      [2, 'DU1', 'DENIED', 'AAPL', 'SELL'],
    ]);
    expect(rows[2]?.reasons[0]?.code).toBe('IRA_SHORT_SALE');
  });
});

describe('accountRules', () => {
  const cfg = { ira: { prohibitedSymbols: [], futuresMarginMultiplier: new Decimal(2), cashBufferPercent: new Decimal(0) }, readOnly: false };
  it('names what the daemon enforces', () => {
    expect(accountRules('ROTH_IRA', cfg)).toContain('IRA: cash only, no shorts');
    expect(accountRules('TRADITIONAL_IRA', cfg)).toContain('IRA: cash only, no shorts');
    expect(accountRules('BUSINESS', cfg)).toEqual(['margin']);
    expect(accountRules(undefined, { ...cfg, readOnly: true })).toEqual(['undeclared: never traded', 'read-only']);
  });
});

describe('request checks', () => {
  it('isLoopbackHostHeader', () => {
    for (const h of ['127.0.0.1:7700', 'localhost:7700', 'LOCALHOST', '[::1]:7700', '127.1.2.3']) expect(isLoopbackHostHeader(h)).toBe(true);
    for (const h of ['evil.example', 'localhost.evil.example:7700', '10.0.0.1:7700', undefined]) expect(isLoopbackHostHeader(h)).toBe(false);
  });

  it('isSameOrigin', () => {
    expect(isSameOrigin({ host: '127.0.0.1:7700', origin: 'http://127.0.0.1:7700' })).toBe(true);
    expect(isSameOrigin({ host: '127.0.0.1:7700', origin: 'http://localhost:7700' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:7700', 'sec-fetch-site': 'same-site' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:7700', 'sec-fetch-site': 'same-origin' })).toBe(true);
  });

  it('cookieValue', () => {
    expect(cookieValue('a=1; ibkr_exec_session=abc; b=2', 'ibkr_exec_session')).toBe('abc');
    expect(cookieValue('xibkr_exec_session=abc', 'ibkr_exec_session')).toBeUndefined();
  });

  it('tradingStateProblem', () => {
    const acc = ['DU1'];
    expect(tradingStateProblem({ scope: 'global', state: 'HALTED' }, acc)).toBeUndefined();
    expect(tradingStateProblem({ scope: 'DU1', state: 'REDUCE_ONLY', reason: 'x' }, acc)).toBeUndefined();
    expect(tradingStateProblem({ scope: 'global', state: 'halted' }, acc)).toMatch(/^state:/);
    expect(tradingStateProblem({ scope: 'DU2', state: 'HALTED' }, acc)).toMatch(/^scope:/);
    expect(tradingStateProblem({ scope: 'global', state: 'ACTIVE', reason: ' ', confirm: 'RESUME' }, acc)).toMatch(/^reason:/);
    expect(tradingStateProblem({ scope: 'global', state: 'ACTIVE', reason: 'ok', confirm: 'RESUME ' }, acc)).toMatch(/^confirm:/);
    expect(tradingStateProblem({ scope: 'global', state: 'ACTIVE', reason: 'ok', confirm: 'RESUME' }, acc)).toBeUndefined();
  });
});

describe('SSE framing', () => {
  it('keeps a payload with newlines on one data line, and orders ids numerically', () => {
    const f = sseFrame({ stream: 'fills', id: '5-1', fields: { text: 'a\n\nid: 9-9\ndata: x' } });
    expect(f.split('\n\n')).toHaveLength(2);
    expect(f.startsWith('id: 5-1\nevent: fills\ndata: {')).toBe(true);
    expect(['10-0', '9-1', '9-10', '9-2'].sort(compareIds)).toEqual(['9-1', '9-2', '9-10', '10-0']);
  });
});
