/**
 * Pure shaping of dashboard data: rule badges per account type, household totals per symbol, and the
 * decision rows derived from the audit trail (`signal` + `outcome` records). No I/O.
 */
import { Decimal } from '../domain/types.js';
import type { AccountType } from '../domain/types.js';
import type { Config } from '../config.js';
import type { AuditRecord } from '../infra/audit.js';

/** A position marked to market when a price could be had (`price` null → valued at cost). */
export interface PricedPosition {
  readonly account: string;
  readonly symbol: string;
  readonly secType: string;
  readonly currency: string;
  readonly quantity: number;
  readonly avgCost: string;
  readonly price: string | null;
  /** IB's contract id: tells two option or future contracts of one symbol apart */
  readonly conId?: number;
}

/** The badges a card shows: what the daemon enforces on this account. */
export function accountRules(type: AccountType | undefined, config: Pick<Config, 'ira' | 'readOnly'>): string[] {
  const out: string[] = [];
  if (type === undefined) out.push('undeclared: never traded');
  else if (type === 'ROTH_IRA' || type === 'TRADITIONAL_IRA') {
    out.push('IRA: cash only, no shorts', 'no MLPs', `futures margin ×${config.ira.futuresMarginMultiplier.toString()}`);
  } else out.push('margin');
  if (config.readOnly) out.push('read-only');
  return out;
}

export interface SymbolTotal {
  readonly symbol: string;
  readonly secType: string;
  readonly currency: string;
  readonly quantity: number;
  /** quantity × price (or × average cost when unpriced), as a decimal string */
  readonly marketValue: string;
  readonly accounts: number;
  readonly priced: boolean;
  readonly conId?: number;
}

/** The key positions are totalled under: a stock by symbol and currency, any other contract by its conId. */
export const positionKey = (p: Pick<PricedPosition, 'symbol' | 'secType' | 'currency' | 'conId'>): string =>
  p.secType === 'STK' || p.conId === undefined ? `${p.symbol}/${p.secType}/${p.currency}` : `${p.secType}/${p.conId}`;

/** Household totals per symbol (per contract for derivatives), largest absolute value first. */
export function householdTotals(positions: readonly PricedPosition[]): SymbolTotal[] {
  const by = new Map<string, { symbol: string; secType: string; currency: string; conId?: number; quantity: number; value: Decimal; accounts: Set<string>; priced: boolean }>();
  for (const p of positions) {
    const key = positionKey(p);
    const t = by.get(key) ?? { symbol: p.symbol, secType: p.secType, currency: p.currency, ...(p.secType !== 'STK' && p.conId !== undefined ? { conId: p.conId } : {}), quantity: 0, value: new Decimal(0), accounts: new Set<string>(), priced: true };
    t.quantity += p.quantity;
    t.value = t.value.plus(new Decimal(p.price ?? p.avgCost).times(p.quantity));
    t.accounts.add(p.account);
    t.priced &&= p.price !== null;
    by.set(key, t);
  }
  return [...by.values()]
    .sort((a, b) => b.value.abs().cmp(a.value.abs()))
    .map((t) => ({ symbol: t.symbol, secType: t.secType, currency: t.currency, ...(t.conId !== undefined ? { conId: t.conId } : {}), quantity: t.quantity, marketValue: t.value.toFixed(2), accounts: t.accounts.size, priced: t.priced }));
}

/**
 * A net-liquidation series with one more sample: at most one point per `bucketMs` (a newer value in the
 * same bucket replaces the last point's value), points older than `windowMs` dropped. Returns a new array.
 */
export function appendSample(series: readonly [number, string][], at: number, value: string, bucketMs = 60_000, windowMs = 24 * 3600_000): [number, string][] {
  const out = series.filter(([t]) => at - t <= windowMs);
  const last = out[out.length - 1];
  if (last && at - last[0] < bucketMs) out[out.length - 1] = [last[0], value];
  else out.push([at, value]);
  return out;
}

export interface DecisionRow {
  readonly seq: number;
  readonly ts: string;
  readonly signalId: string;
  readonly account: string;
  readonly accountType: string;
  readonly decision: string;
  readonly quantity: number;
  readonly symbol: string;
  readonly side: string;
  readonly reasons: readonly { code: string; message: string }[];
  readonly notes: readonly string[];
}

interface OutcomeData {
  readonly results?: readonly { account?: string; accountType?: string; decision?: string; quantity?: number; reasons?: { code: string; message: string }[]; notes?: string[] }[];
}

interface SignalData {
  readonly payload?: { instrument?: { symbol?: string }; side?: string };
}

/** One row per (signal, account) from the `outcome` records, newest first, joined with the `signal` receipt. */
export function decisionRows(records: readonly AuditRecord[]): DecisionRow[] {
  const payloads = new Map<string, SignalData['payload']>();
  const rows: DecisionRow[] = [];
  for (const r of records) {
    if (r.type === 'signal') payloads.set(r.signalId, (r.data as SignalData | null)?.payload);
    if (r.type !== 'outcome') continue;
    const p = payloads.get(r.signalId);
    for (const x of (r.data as OutcomeData | null)?.results ?? []) {
      rows.push({
        seq: r.seq,
        ts: r.ts,
        signalId: r.signalId,
        account: x.account ?? '',
        accountType: x.accountType ?? '',
        decision: x.decision ?? '',
        quantity: x.quantity ?? 0,
        symbol: p?.instrument?.symbol ?? '',
        side: p?.side ?? '',
        reasons: x.reasons ?? [],
        notes: x.notes ?? [],
      });
    }
  }
  return rows.reverse();
}
