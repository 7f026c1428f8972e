/**
 * Option selection (issue 12): from a chain snapshot, the contract a signal's
 * `instrument.select = { delta, dte: [min, max] }` asks for. Pure (`now` is passed in).
 *
 * Rule, documented in docs/options.md:
 *  1. days to expiry = calendar days from the UTC date of `now` to the expiry date; the expiry is the
 *     EARLIEST one whose days to expiry lie in [min, max];
 *  2. among that expiry's contracts of the signal's right that have a delta, the strike whose |delta| is
 *     closest to the target |delta|; a tie goes to the smaller |delta| (further out of the money,
 *     cheaper), then to the lower strike;
 *  3. no expiry in the window, or no contract with greeks → no selection, with one sentence saying why.
 * The result carries an audit record: snapshot time, underlying price, every candidate with its greeks.
 */
import type { Decimal } from '../domain/types.js';
import type { Instrument, OptionChainRow, OptionChainSnapshot } from '../domain/types.js';

/** What a signal asks for. */
export interface OptionSelectionSpec {
  readonly right: 'C' | 'P';
  /** target delta; its sign is ignored (|delta| in (0, 1]) */
  readonly delta: Decimal;
  /** inclusive days-to-expiry window */
  readonly dte: readonly [number, number];
}

/** One contract that was considered. */
export interface SelectionCandidate {
  readonly conId?: number;
  readonly strike: string;
  readonly delta: string;
  readonly impliedVol?: string;
  readonly bid?: string;
  readonly ask?: string;
}

/** The audited record of a selection (JSON-safe). */
export interface SelectionAudit {
  readonly chainAsOf: number;
  readonly underlying: string;
  readonly underlyingPrice?: string;
  readonly right: 'C' | 'P';
  readonly targetDelta: string;
  readonly dte: readonly [number, number];
  readonly expiry?: string;
  readonly daysToExpiry?: number;
  readonly candidates: readonly SelectionCandidate[];
  readonly chosen?: SelectionCandidate;
}

export type OptionSelection =
  | { readonly ok: true; readonly instrument: Instrument; readonly audit: SelectionAudit }
  | { readonly ok: false; readonly message: string; readonly audit: SelectionAudit };

const DAY_MS = 86_400_000;

/** Calendar days from the UTC date of `now` to a yyyymmdd date. */
export function daysToExpiry(expiry: string, now: number): number {
  const y = Number(expiry.slice(0, 4));
  const m = Number(expiry.slice(4, 6));
  const d = Number(expiry.slice(6, 8));
  const today = new Date(now);
  return Math.round((Date.UTC(y, m - 1, d) - Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())) / DAY_MS);
}

/** The yyyymmdd window that `dte` spans from `now` (for fetching only those expiries). */
export function expiryWindow(dte: readonly [number, number], now: number): [string, string] {
  const at = (days: number): string => new Date(now + days * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
  return [at(dte[0]), at(dte[1])];
}

const candidateOf = (r: OptionChainRow): SelectionCandidate => ({
  ...(r.instrument.conId !== undefined ? { conId: r.instrument.conId } : {}),
  strike: r.instrument.strike?.toString() ?? '',
  delta: r.greeks?.delta?.toString() ?? '',
  ...(r.greeks?.impliedVol ? { impliedVol: r.greeks.impliedVol.toString() } : {}),
  ...(r.bid ? { bid: r.bid.toString() } : {}),
  ...(r.ask ? { ask: r.ask.toString() } : {}),
});

/** Picks the contract; never throws. */
export function selectOption(snap: OptionChainSnapshot, spec: OptionSelectionSpec, now: number): OptionSelection {
  const base = {
    chainAsOf: snap.asOf, underlying: snap.underlying.symbol, right: spec.right, targetDelta: spec.delta.abs().toString(), dte: spec.dte,
    ...(snap.underlyingPrice ? { underlyingPrice: snap.underlyingPrice.toString() } : {}),
  };
  const inWindow = snap.expirations.filter((e) => {
    const days = daysToExpiry(e, now);
    return days >= spec.dte[0] && days <= spec.dte[1];
  }).sort();
  const expiry = inWindow[0];
  if (expiry === undefined) {
    const listed = snap.expirations.slice(0, 8).map((e) => `${e} (${daysToExpiry(e, now)} d)`).join(', ');
    return { ok: false, audit: { ...base, candidates: [] },
      message: `no ${snap.underlying.symbol} expiry has ${spec.dte[0]}–${spec.dte[1]} days to expiry (listed: ${listed || 'none'})` };
  }
  const days = daysToExpiry(expiry, now);
  const rows = snap.rows.filter((r) => r.instrument.lastTradeDateOrContractMonth === expiry && r.instrument.right === spec.right && r.instrument.strike);
  const withDelta = rows.filter((r) => r.greeks?.delta !== undefined);
  const candidates = withDelta.map(candidateOf);
  const audit = { ...base, expiry, daysToExpiry: days, candidates };
  if (withDelta.length === 0) {
    return { ok: false, audit, message: `no ${snap.underlying.symbol} ${expiry} ${spec.right} contract has greeks (${rows.length} without), so no strike can be chosen by delta` };
  }
  const target = spec.delta.abs();
  const dist = (r: OptionChainRow): Decimal => r.greeks!.delta!.abs().sub(target).abs();
  const best = [...withDelta].sort((a, b) =>
    dist(a).cmp(dist(b)) || a.greeks!.delta!.abs().cmp(b.greeks!.delta!.abs()) || a.instrument.strike!.cmp(b.instrument.strike!))[0]!;
  return { ok: true, instrument: best.instrument, audit: { ...audit, chosen: candidateOf(best) } };
}
