/**
 * Pure fill bookkeeping: dedupe by execId, detect corrections, join commission reports to fills in
 * either arrival order. No I/O.
 *
 * IB semantics (ib-operations.md §1.9): one execId per partial fill; a correction arrives as the same
 * execId with different digits after the last period (`….01` → `….02`) and replaces the earlier one.
 * Commission reports arrive separately (usually right after execDetails, but also before, or again when
 * executions are re-requested).
 *
 * Memory: at most `capacity` execIds are remembered (oldest forgotten first).
 */
import { Decimal } from '../domain/types.js';
import type { FillReport } from '../execution/broker-port.js';
import { splitExecId } from './ib-mapping.js';

/** A commission report, parsed. */
export interface Commission {
  readonly execId: string;
  readonly commission: Decimal;
  readonly currency: string;
}

/** What to do with an execDetails. */
export type FillVerdict =
  /** first time this execId is seen: emit it (with the commission if that came first) */
  | { readonly kind: 'new'; readonly fill: FillReport; readonly commission?: Commission }
  /** same base, different revision: emit it, flagged with the execId it replaces */
  | { readonly kind: 'correction'; readonly fill: FillReport; readonly replaces: string; readonly commission?: Commission }
  /** already seen (exact execId) or an older revision: drop */
  | { readonly kind: 'duplicate' };

/** What to do with a commissionReport. */
export type CommissionVerdict =
  /** the fill is known: emit the commission now */
  | { readonly kind: 'emit'; readonly commission: Commission }
  /** the fill is not known yet: kept, attached when the fill arrives */
  | { readonly kind: 'pending' }
  /** the same report again: drop */
  | { readonly kind: 'duplicate' };

/** Dedupe / correction / commission-join state of one process (in memory). */
export class FillTracker {
  /** execId → revision seen, by base */
  private readonly byBase = new Map<string, string>();
  private readonly seen = new Set<string>();
  private readonly commissions = new Map<string, Commission>();
  private readonly emittedCommission = new Set<string>();

  constructor(private readonly capacity = 50_000) {}

  /** Feed one execDetails (live or from a request). */
  onFill(fill: FillReport): FillVerdict {
    if (this.seen.has(fill.execId)) return { kind: 'duplicate' };
    const { base, revision } = splitExecId(fill.execId);
    const prevRev = this.byBase.get(base);
    if (prevRev !== undefined && compareRevision(revision, prevRev) <= 0) return { kind: 'duplicate' };
    this.remember(fill.execId, base, revision);
    const c = this.commissions.get(fill.execId);
    const withComm: FillReport = c ? { ...fill, commission: c.commission, commissionCurrency: c.currency } : fill;
    if (c) this.emittedCommission.add(fill.execId);
    const commission = c ? { commission: c } : {};
    if (prevRev === undefined) return { kind: 'new', fill: withComm, ...commission };
    const replaces = revision === '' ? base : `${base}.${prevRev}`;
    return { kind: 'correction', fill: { ...withComm, replacesExecId: replaces }, replaces, ...commission };
  }

  /** Feed one commissionReport. */
  onCommission(c: Commission): CommissionVerdict {
    const prev = this.commissions.get(c.execId);
    if (prev && prev.commission.equals(c.commission) && prev.currency === c.currency) {
      return this.emittedCommission.has(c.execId) || !this.seen.has(c.execId) ? { kind: 'duplicate' } : this.emit(c);
    }
    this.commissions.set(c.execId, c);
    this.trim(this.commissions);
    return this.seen.has(c.execId) ? this.emit(c) : { kind: 'pending' };
  }

  /** The commission known for an execId (to decorate FillReports from requests). */
  commissionFor(execId: string): Commission | undefined {
    return this.commissions.get(execId);
  }

  private emit(c: Commission): CommissionVerdict {
    this.emittedCommission.add(c.execId);
    return { kind: 'emit', commission: c };
  }

  private remember(execId: string, base: string, revision: string): void {
    this.seen.add(execId);
    this.byBase.set(base, revision);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
      this.emittedCommission.delete(oldest);
      this.byBase.delete(splitExecId(oldest).base);
    }
  }

  private trim(m: Map<string, unknown>): void {
    if (m.size > this.capacity) m.delete(m.keys().next().value as string);
  }
}

/** Parse a commission report's numbers (IB sends Double.MAX_VALUE when unknown → undefined). */
export function commissionFromWire(execId: string | undefined, commission: number | undefined, currency: string | undefined):
  | Commission
  | undefined {
  if (!execId || commission === undefined || !Number.isFinite(commission) || Math.abs(commission) >= 1e300) return undefined;
  return { execId, commission: new Decimal(commission.toString()), currency: currency ?? '' };
}

/** Compare two execId revisions numerically when both are numbers ("9" < "10"), else as text. */
export function compareRevision(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
