/**
 * The instrument registry: fixture instruments with every field resolved (conId, exchange, currency,
 * multiplier, minTick), and contract matching as TWS does it for contract details and orders.
 */
import { Decimal } from '../../domain/types.js';
import { hashString } from './prng.js';
import type { FixtureInstrument } from '../fixture/schema.js';

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
  readonly multiplier?: string | undefined;
}

function resolveOne(f: FixtureInstrument): SimInstrument {
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
    volatility: f.volatility ?? (secType === 'CASH' ? 0.005 : 0.015),
  };
}

const blank = (s: string | undefined): boolean => s === undefined || s === '';

/** Whether an instrument satisfies a query, field by field (unset query fields match anything). */
export function matchesQuery(i: SimInstrument, q: ContractQuery): boolean {
  if (q.conId !== undefined && q.conId !== 0 && q.conId !== i.conId) return false;
  if (!blank(q.symbol) && q.symbol!.toUpperCase() !== i.symbol.toUpperCase()) {
    if (!(i.secType === 'CASH' && q.symbol!.toUpperCase() === i.localSymbol.toUpperCase())) return false;
  }
  if (!blank(q.secType) && q.secType !== i.secType) return false;
  if (!blank(q.currency) && q.currency !== i.currency) return false;
  if (!blank(q.localSymbol) && q.localSymbol !== i.localSymbol) return false;
  if (!blank(q.lastTradeDateOrContractMonth) && !i.lastTradeDateOrContractMonth.startsWith(q.lastTradeDateOrContractMonth!.slice(0, 6))) return false;
  if (!blank(q.multiplier) && !new Decimal(q.multiplier!).eq(i.multiplier)) return false;
  if (!blank(q.exchange) && !['SMART', i.exchange, i.primaryExchange].includes(q.exchange!)) return false;
  return !(q.conId === undefined || q.conId === 0) || !blank(q.symbol) || !blank(q.localSymbol);
}

/** All instruments, resolvable by symbol and by contract query. */
export class InstrumentRegistry {
  private readonly list: SimInstrument[];

  constructor(fixtures: readonly FixtureInstrument[]) {
    this.list = fixtures.map(resolveOne);
  }

  /** Every instrument, in fixture order. */
  all(): readonly SimInstrument[] {
    return this.list;
  }

  /** The instrument with this symbol (case-insensitive), if any. */
  bySymbol(symbol: string): SimInstrument | undefined {
    const s = symbol.toUpperCase();
    return this.list.find((i) => i.symbol.toUpperCase() === s) ?? this.list.find((i) => i.localSymbol.toUpperCase() === s);
  }

  /** All instruments matching a query (contract details may return several). */
  find(q: ContractQuery): SimInstrument[] {
    return this.list.filter((i) => matchesQuery(i, q));
  }

  /** The single instrument a query names; undefined when none or ambiguous. */
  resolve(q: ContractQuery): SimInstrument | undefined {
    const found = this.find(q);
    return found.length === 1 ? found[0] : undefined;
  }
}
