/**
 * Option chains over the Client Portal: the OPT months in `secdef/search` sections ("DEC26;JAN27"),
 * `/iserver/secdef/strikes?conid&sectype=OPT&month` → `{call, put}`, `/iserver/secdef/info?conid&sectype=OPT&
 * month&strike&right` → the contracts, and snapshot greeks (7308 delta, 7309 gamma, 7310 theta, 7311 vega,
 * 7633 implied volatility) from the engine's Black-Scholes model.
 */
import { optionModel, type SimInstrument } from '../engine/instruments.js';
import { fail, ok, type CpAnswer, type CpRoute, type CpSimState } from './cp-types.js';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** "20261218" → "DEC26". */
export const cpMonth = (expiry: string): string => `${MONTHS[Number(expiry.slice(4, 6)) - 1] ?? '???'}${expiry.slice(2, 4)}`;

function optionsOf(s: CpSimState, q: URLSearchParams): SimInstrument[] | string {
  const conid = Number(q.get('conid'));
  if (!s.engine.instruments.byConId(conid)) return `conid ${q.get('conid') ?? ''} not found`;
  const month = (q.get('month') ?? '').toUpperCase();
  return s.engine.instruments.optionsOf(conid).filter((o) => month === '' || cpMonth(o.lastTradeDateOrContractMonth) === month);
}

function strikes(s: CpSimState, q: URLSearchParams): CpAnswer {
  const opts = optionsOf(s, q);
  if (typeof opts === 'string') return fail(400, opts);
  const of = (r: string): number[] => [...new Set(opts.filter((o) => o.right === r).map((o) => o.strike ?? 0))].sort((a, b) => a - b);
  return ok({ call: of('C'), put: of('P') });
}

function info(s: CpSimState, q: URLSearchParams): CpAnswer {
  const opts = optionsOf(s, q);
  if (typeof opts === 'string') return fail(400, opts);
  const strike = q.get('strike') === null ? undefined : Number(q.get('strike'));
  const right = (q.get('right') ?? '').toUpperCase().slice(0, 1);
  return ok(opts.filter((o) => (strike === undefined || o.strike === strike) && (right === '' || o.right === right)).map((o) => ({
    conid: o.conId, symbol: o.symbol, secType: 'OPT', exchange: 'SMART', listingExchange: null, right: o.right, strike: o.strike,
    currency: o.currency, maturityDate: o.lastTradeDateOrContractMonth, multiplier: o.multiplierText || '100', tradingClass: o.tradingClass, validExchanges: 'SMART,CBOE',
  })));
}

/** The OPT months of an underlying, for the search sections. */
export function optionMonths(s: CpSimState, underlying: number): string[] {
  const seen = [...new Set(s.engine.instruments.optionsOf(underlying).map((o) => o.lastTradeDateOrContractMonth))].sort();
  return [...new Set(seen.map(cpMonth))];
}

/** Snapshot greeks of an option (model values), as CP strings. */
export function greekFields(s: CpSimState, i: SimInstrument): Record<string, string> {
  if (i.secType !== 'OPT') return {};
  const und = s.engine.instruments.byConId(i.underlyingConId);
  if (!und) return {};
  const g = optionModel(i, s.engine.market.quote(und).last.toNumber(), s.engine.now());
  return { 7308: g.delta.toFixed(4), 7309: g.gamma.toFixed(4), 7310: g.theta.toFixed(4), 7311: g.vega.toFixed(4), 7633: `${(i.impliedVolatility * 100).toFixed(1)}%` };
}

/** The option routes. */
export const optionRoutes: readonly CpRoute[] = [
  { method: 'GET', pattern: /^\/iserver\/secdef\/strikes$/, tier: 'brokerage', handle: (s, r) => strikes(s, r.query) },
  { method: 'GET', pattern: /^\/iserver\/secdef\/info$/, tier: 'brokerage', handle: (s, r) => info(s, r.query) },
];
