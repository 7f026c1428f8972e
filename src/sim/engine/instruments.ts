/**
 * The instrument registry: fixture instruments with every field resolved (conId, exchange, currency,
 * multiplier, minTick), keyed by conId, and contract matching as TWS does it for contract details and
 * orders. One symbol may hold a stock, its options and several futures months: a query resolves only
 * when exactly one instrument matches (contract details return every match).
 */
import { Decimal } from '../../domain/types.js';
import { blackScholes, impliedVol, type OptionRight } from './black-scholes.js';
import { hashString } from './prng.js';
import { expiryInstant } from '../fixture/chains.js';
import type { FixtureInstrument, FixturePosition } from '../fixture/schema.js';

/** A fully resolved instrument. `multiplier` is 1 for STK and CASH. */
export interface SimInstrument {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly exchange: string;
  readonly primaryExchange: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
  readonly lastTradeDateOrContractMonth: string;
  readonly strike: number | undefined;
  readonly right: string;
  readonly multiplier: Decimal;
  /** as the fixture wrote it, "" for STK */
  readonly multiplierText: string;
  readonly minTick: Decimal;
  readonly initialPrice: Decimal;
  readonly stockType: string;
  readonly longName: string;
  readonly industry: string;
  readonly category: string;
  readonly subcategory: string;
  readonly shortableShares: number;
  readonly initialMargin: Decimal;
  readonly maintMargin: Decimal;
  readonly volatility: number;
  /** OPT: the underlying's conId (0 when none is known: the option then keeps its own price) */
  readonly underlyingConId: number;
  /** OPT: annual Black-Scholes volatility */
  readonly impliedVolatility: number;
  /** OPT: annual risk-free rate */
  readonly rate: number;
  /** OPT/FUT: epoch ms of expiry (16:00 New York ≈ 21:00 UTC), 0 otherwise */
  readonly expiryMs: number;
}

/** What a client asks for: any subset of the contract fields ("" and 0 mean unset). */
export interface ContractQuery {
  readonly conId?: number | undefined;
  readonly symbol?: string | undefined;
  readonly secType?: string | undefined;
  readonly lastTradeDateOrContractMonth?: string | undefined;
  readonly exchange?: string | undefined;
  readonly primaryExch?: string | undefined;
  readonly currency?: string | undefined;
  readonly localSymbol?: string | undefined;
  readonly multiplier?: string | number | undefined;
  readonly strike?: number | undefined;
  readonly right?: string | undefined;
  readonly tradingClass?: string | undefined;
}

function resolveOne(f: FixtureInstrument): Omit<SimInstrument, 'underlyingConId' | 'impliedVolatility'> & { underlyingConId: number; impliedVolatility: number } {
  const secType = f.secType ?? 'STK';
  const exchange = f.exchange ?? (secType === 'CASH' ? 'IDEALPRO' : secType === 'FUT' ? 'CME' : 'SMART');
  const currency = f.currency ?? 'USD';
  const localSymbol = f.localSymbol ?? (secType === 'CASH' ? `${f.symbol}.${currency}` : f.symbol);
  const minTick = f.minTick ?? (secType === 'CASH' ? 0.00005 : 0.01);
  return {
    conId: f.conId ?? 100_000_000 + (hashString(`${f.symbol}|${secType}|${currency}`) % 800_000_000),
    symbol: f.symbol,
    secType,
    exchange,
    primaryExchange: f.primaryExchange ?? (secType === 'STK' ? 'NASDAQ' : ''),
    currency,
    localSymbol,
    tradingClass: f.tradingClass ?? (secType === 'STK' ? 'NMS' : localSymbol),
    lastTradeDateOrContractMonth: f.lastTradeDateOrContractMonth ?? '',
    strike: f.strike,
    right: f.right ?? '',
    multiplier: new Decimal(f.multiplier ?? 1),
    multiplierText: f.multiplier ?? '',
    minTick: new Decimal(minTick),
    initialPrice: new Decimal(f.price),
    stockType: f.stockType ?? (secType === 'STK' ? 'COMMON' : ''),
    longName: f.longName ?? f.symbol,
    industry: f.industry ?? '',
    category: f.category ?? '',
    subcategory: f.subcategory ?? '',
    shortableShares: f.shortableShares ?? (secType === 'STK' ? 1_000_000 : 0),
    initialMargin: new Decimal(f.initialMargin ?? 0),
    maintMargin: new Decimal(f.maintMargin ?? (f.initialMargin ?? 0) * 0.9),
    volatility: f.volatility ?? (secType === 'CASH' ? 0.005 : secType === 'OPT' ? 0 : 0.015),
    underlyingConId: f.underlyingConId ?? 0,
    impliedVolatility: f.impliedVolatility ?? 0,
    rate: f.rate ?? 0.04,
    expiryMs: f.lastTradeDateOrContractMonth && secType !== 'STK' ? expiryInstant(f.lastTradeDateOrContractMonth) : 0,
  };
}

/** "C"/"CALL" → "C", "P"/"PUT" → "P", anything else (unset, "?") → "". */
export function normalizeRight(r: string | undefined): string {
  const u = (r ?? '').toUpperCase();
  return u === 'C' || u === 'CALL' ? 'C' : u === 'P' || u === 'PUT' ? 'P' : '';
}

const blank = (s: string | undefined): boolean => s === undefined || s === '';

/** A day (yyyymmdd) matches that day only; a month (yyyymm) matches every expiry in it. */
function expiryMatches(have: string, asked: string): boolean {
  if (asked.length >= 8 && have.length >= 8) return have.slice(0, 8) === asked.slice(0, 8);
  return have.startsWith(asked.slice(0, 6));
}

function multiplierMatches(i: SimInstrument, m: string | number): boolean {
  const n = Number(m);
  // stoqey sends an unset multiplier as "" and some clients send 0 or Double.MAX for "unset"
  if (!Number.isFinite(n) || n === 0 || n >= 1e300) return true;
  return new Decimal(n).eq(i.multiplier);
}

/** Whether an instrument satisfies a query, field by field (unset query fields match anything). */
export function matchesQuery(i: SimInstrument, q: ContractQuery): boolean {
  if (q.conId !== undefined && q.conId !== 0 && q.conId !== i.conId) return false;
  if (!blank(q.symbol) && q.symbol!.toUpperCase() !== i.symbol.toUpperCase()) {
    if (!(i.secType === 'CASH' && q.symbol!.toUpperCase() === i.localSymbol.toUpperCase())) return false;
  }
  if (!blank(q.secType) && q.secType !== i.secType) return false;
  if (!blank(q.currency) && q.currency !== i.currency) return false;
  if (!blank(q.localSymbol) && q.localSymbol !== i.localSymbol) return false;
  if (!blank(q.lastTradeDateOrContractMonth) && !expiryMatches(i.lastTradeDateOrContractMonth, q.lastTradeDateOrContractMonth!)) return false;
  if (!blank(q.multiplier === undefined ? undefined : String(q.multiplier)) && !multiplierMatches(i, q.multiplier!)) return false;
  if (q.strike !== undefined && q.strike !== 0 && Number.isFinite(q.strike) && q.strike < 1e300 && (i.strike === undefined || Math.abs(i.strike - q.strike) > 1e-6)) return false;
  const right = normalizeRight(q.right);
  if (right !== '' && right !== i.right) return false;
  if (!blank(q.tradingClass) && q.tradingClass !== i.tradingClass) return false;
  if (!blank(q.exchange) && !['SMART', i.exchange, i.primaryExchange].includes(q.exchange!)) return false;
  return !(q.conId === undefined || q.conId === 0) || !blank(q.symbol) || !blank(q.localSymbol);
}

/** Solves the volatility that reproduces an option's fixture price at its underlying's start price (0.30 if none). */
function startVolatility(o: SimInstrument, und: SimInstrument | undefined, now: number): number {
  if (o.impliedVolatility > 0) return o.impliedVolatility;
  if (!und || o.strike === undefined) return 0.3;
  const t = Math.max(o.expiryMs - now, 0) / (365 * 86_400_000);
  return impliedVol(o.initialPrice.toNumber(), { right: o.right as OptionRight, spot: und.initialPrice.toNumber(), strike: o.strike, t, rate: o.rate }) ?? 0.3;
}

/** All instruments, keyed by conId; resolvable by symbol and by contract query. */
export class InstrumentRegistry {
  private readonly list: SimInstrument[];
  private readonly byId = new Map<number, SimInstrument>();

  constructor(fixtures: readonly FixtureInstrument[], now: number = Date.now()) {
    const resolved = fixtures.map(resolveOne);
    // deterministic collision handling: a later instrument whose conId is taken moves to the next free id
    for (const r of resolved) {
      while (this.byId.has(r.conId)) (r as { conId: number }).conId += 1;
      this.byId.set(r.conId, r as SimInstrument);
    }
    for (const r of resolved) {
      if (r.secType !== 'OPT') continue;
      const und = (r.underlyingConId ? this.byId.get(r.underlyingConId) : undefined)
        ?? resolved.find((u) => u.secType === 'STK' && u.symbol.toUpperCase() === r.symbol.toUpperCase());
      r.underlyingConId = und?.conId ?? 0;
      r.impliedVolatility = startVolatility(r as SimInstrument, und as SimInstrument | undefined, now);
    }
    this.list = resolved as SimInstrument[];
  }

  /** Every instrument, in fixture order. */
  all(): readonly SimInstrument[] {
    return this.list;
  }

  /** The instrument with this conId. */
  byConId(conId: number): SimInstrument | undefined {
    return this.byId.get(conId);
  }

  /**
   * The instrument a bare symbol names (case-insensitive): the stock of that symbol, else the only
   * instrument of it (a CASH pair also by its local symbol "EUR.USD"); undefined when none or ambiguous.
   */
  bySymbol(symbol: string): SimInstrument | undefined {
    const s = symbol.toUpperCase();
    const same = this.list.filter((i) => i.symbol.toUpperCase() === s);
    const stock = same.filter((i) => i.secType === 'STK');
    if (stock.length === 1) return stock[0];
    if (same.length === 1) return same[0];
    if (same.length > 1) return undefined;
    return this.list.find((i) => i.localSymbol.toUpperCase() === s);
  }

  /** The options whose underlying is this conId. */
  optionsOf(underlyingConId: number): SimInstrument[] {
    return this.list.filter((i) => i.secType === 'OPT' && i.underlyingConId === underlyingConId);
  }

  /** The instrument a fixture position names: by conId, by its contract fields, or by a bare symbol. */
  forPosition(p: FixturePosition): SimInstrument | undefined {
    if (p.conId !== undefined) return this.byConId(p.conId);
    if (p.secType === undefined && p.strike === undefined && p.lastTradeDateOrContractMonth === undefined && p.right === undefined) {
      return this.bySymbol(p.symbol);
    }
    return this.resolve({ symbol: p.symbol, secType: p.secType, lastTradeDateOrContractMonth: p.lastTradeDateOrContractMonth, strike: p.strike, right: p.right });
  }

  /** All instruments matching a query (contract details may return several). */
  find(q: ContractQuery): SimInstrument[] {
    if (q.conId !== undefined && q.conId !== 0) {
      const hit = this.byId.get(q.conId);
      return hit && matchesQuery(hit, q) ? [hit] : [];
    }
    return this.list.filter((i) => matchesQuery(i, q));
  }

  /** The single instrument a query names; undefined when none or ambiguous (IB: error 200). */
  resolve(q: ContractQuery): SimInstrument | undefined {
    const found = this.find(q);
    return found.length === 1 ? found[0] : undefined;
  }
}

/** Black-Scholes value and greeks of an option at an underlying price and instant. */
export function optionModel(o: SimInstrument, spot: number, now: number, vol = o.impliedVolatility): ReturnType<typeof blackScholes> {
  const t = Math.max(o.expiryMs - now, 0) / (365 * 86_400_000);
  return blackScholes({ right: o.right as OptionRight, spot, strike: o.strike ?? 0, t, vol, rate: o.rate });
}
