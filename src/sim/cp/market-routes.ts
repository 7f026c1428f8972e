/**
 * Contracts and market data: /iserver/secdef/search, /iserver/contract/{conid}/info, /trsrv/stocks,
 * /iserver/marketdata/snapshot (with the warm-up quirk: the first request for a conid in a session
 * only starts the stream and answers `{conid, conidEx}`), /iserver/marketdata/history.
 * Snapshot values are strings, as IBKR sends them; field 6509 is "RpB" (real-time).
 */
import { generateBars, type SimBar } from '../engine/history.js';
import type { SimInstrument } from '../engine/instruments.js';
import { greekFields, optionMonths } from './option-routes.js';
import { fail, ok, type CpAnswer, type CpRoute, type CpSimState } from './cp-types.js';

function search(s: CpSimState, symbol: string | null, secType: string | null): CpAnswer {
  if (!symbol) return fail(400, 'symbol required');
  const same = s.engine.instruments.all().filter((i) => i.symbol.toUpperCase() === symbol.toUpperCase() && i.secType !== 'OPT');
  const wanted = same.filter((i) => !secType || i.secType === secType || (secType === 'STK' && i.secType === 'CASH'));
  if (wanted.length === 0) return ok([]);
  return ok(wanted.filter((i) => i.secType !== 'FUT').map((i) => ({
    conid: String(i.conId), companyHeader: `${i.longName} - ${i.primaryExchange || i.exchange}`, companyName: i.longName,
    symbol: i.symbol, description: i.primaryExchange || i.exchange, restricted: null, fop: null, opt: null, war: null,
    sections: [
      { secType: i.secType },
      ...(optionMonths(s, i.conId).length > 0 ? [{ secType: 'OPT', months: optionMonths(s, i.conId).join(';'), exchange: 'SMART;CBOE' }] : []),
      ...(same.some((f) => f.secType === 'FUT') ? [{ secType: 'FUT', exchange: same.find((f) => f.secType === 'FUT')?.exchange ?? '' }] : []),
    ],
  })));
}

/** The info document of one instrument (stockType carries MLP / COMMON / ETF). */
export function contractInfo(i: SimInstrument): Record<string, unknown> {
  return {
    con_id: i.conId, symbol: i.symbol, instrument_type: i.secType, currency: i.currency, exchange: i.exchange,
    listing_exchange: i.primaryExchange, valid_exchanges: [i.exchange, i.primaryExchange].filter(Boolean).join(','),
    company_name: i.longName, local_symbol: i.localSymbol, trading_class: i.tradingClass, multiplier: i.multiplierText || '1',
    underlying_con_id: i.underlyingConId, expiry_full: i.lastTradeDateOrContractMonth || null,
    maturity_date: i.lastTradeDateOrContractMonth || null, strike: i.strike ?? null, right: i.right || null,
    smart_available: true, stock_type: i.stockType, industry: i.industry, category: i.category, min_tick: i.minTick.toNumber(),
  };
}

function info(s: CpSimState, conid: string | undefined): CpAnswer {
  const i = s.engine.instruments.byConId(Number(conid));
  return i ? ok(contractInfo(i)) : fail(400, `conid ${conid ?? ''} not found`);
}

const fmt = (d: { toFixed(n: number): string }, dp = 2): string => d.toFixed(dp);

function snapshotRow(s: CpSimState, i: SimInstrument): Record<string, unknown> {
  const q = s.engine.market.quote(i);
  const dp = Math.max(2, i.minTick.decimalPlaces());
  return {
    conid: i.conId, conidEx: String(i.conId), server_id: 'q0', _updated: q.ts, 6119: 'q0', 6509: 'RpB',
    31: fmt(q.last, dp), 84: fmt(q.bid, dp), 86: fmt(q.ask, dp), 88: String(q.bidSize), 85: String(q.askSize), 7059: String(q.lastSize),
    ...greekFields(s, i), 55: i.symbol, 7051: i.longName, 70: fmt(q.high, dp), 71: fmt(q.low, dp), 7295: fmt(q.open, dp), 7741: fmt(q.close, dp), 87: String(q.volume),
  };
}

function snapshot(s: CpSimState, conids: string | null): CpAnswer {
  if (!conids) return fail(400, 'conids required');
  const ids = conids.split(',').map((c) => Number(c.trim()));
  if (ids.length > 100) return fail(400, 'at most 100 conids');
  const out: unknown[] = [];
  for (const id of ids) {
    const i = s.engine.instruments.byConId(id);
    if (!i) continue;
    if (!s.session.warm.has(id)) {
      s.session.warm.add(id);
      out.push({ conid: id, conidEx: String(id) });
    } else out.push(snapshotRow(s, i));
  }
  return ok(out);
}

const PERIOD = /^(\d+)(min|h|d|w|m|y)$/;
const UNIT_S: Record<string, number> = { min: 60, h: 3600, d: 86400, w: 604800, m: 2_592_000, y: 31_536_000 };

function seconds(text: string | null, field: string): number | string {
  const m = PERIOD.exec(text ?? '');
  if (!m?.[1] || !m[2]) return `${field} must look like 5min, 1h, 1d, 1w, 1m or 1y, got ${text ?? '(none)'}`;
  return Number(m[1]) * (UNIT_S[m[2]] ?? 0);
}

function history(s: CpSimState, q: URLSearchParams): CpAnswer {
  const i = s.engine.instruments.byConId(Number(q.get('conid')));
  if (!i) return fail(400, `conid ${q.get('conid') ?? ''} not found`);
  const period = seconds(q.get('period') ?? '1d', 'period');
  const bar = seconds(q.get('bar') ?? '5min', 'bar');
  if (typeof period === 'string') return fail(400, period);
  if (typeof bar === 'string') return fail(400, bar);
  if (period / bar > 1000) return fail(400, 'This endpoint provides a maximum of 1000 data points');
  const bars: SimBar[] = generateBars(i, s.engine.seed, bar, period, 'TRADES', s.engine.now());
  if (bars.length === 0) return ok({ error: 'No data.' });
  return ok({
    symbol: i.symbol, text: i.longName, priceFactor: 1, timePeriod: q.get('period') ?? '1d', barLength: bar, mdAvailability: 'S', outsideRth: false,
    data: bars.map((b) => ({ o: Number(b.open), h: Number(b.high), l: Number(b.low), c: Number(b.close), v: Number(b.volume), t: b.time })),
    points: bars.length,
  });
}

function futures(s: CpSimState, symbols: string | null): CpAnswer {
  const out: Record<string, unknown[]> = {};
  for (const sym of (symbols ?? '').split(',').map((x) => x.trim().toUpperCase()).filter(Boolean)) {
    out[sym] = s.engine.instruments.all().filter((i) => i.secType === 'FUT' && i.symbol.toUpperCase() === sym).map((i) => ({
      symbol: i.symbol, conid: i.conId, underlyingConid: i.underlyingConId, expirationDate: i.lastTradeDateOrContractMonth, ltd: i.lastTradeDateOrContractMonth,
    }));
  }
  return ok(out);
}

/** The contract and market-data routes. */
export const marketRoutes: readonly CpRoute[] = [
  { method: 'GET', pattern: /^\/iserver\/secdef\/search$/, tier: 'brokerage', handle: (s, r) => search(s, r.query.get('symbol'), r.query.get('secType')) },
  {
    method: 'POST', pattern: /^\/iserver\/secdef\/search$/, tier: 'brokerage',
    handle: (s, r) => {
      const b = (r.body ?? {}) as { symbol?: unknown; secType?: unknown };
      return search(s, typeof b.symbol === 'string' ? b.symbol : null, typeof b.secType === 'string' ? b.secType : null);
    },
  },
  { method: 'GET', pattern: /^\/trsrv\/futures$/, tier: 'sso', handle: (s, r) => futures(s, r.query.get('symbols')) },
  { method: 'GET', pattern: /^\/iserver\/contract\/(\d+)\/info$/, tier: 'brokerage', handle: (s, r) => info(s, r.params[0]) },
  { method: 'GET', pattern: /^\/iserver\/marketdata\/snapshot$/, tier: 'brokerage', primed: true, handle: (s, r) => snapshot(s, r.query.get('conids')) },
  { method: 'GET', pattern: /^\/iserver\/marketdata\/history$/, tier: 'brokerage', primed: true, handle: (s, r) => history(s, r.query) },
];
