/**
 * Futures month selection (issue 12): a signal for a future without `lastTradeDateOrContractMonth` (and
 * without a conId) trades the FRONT MONTH: of the contracts the broker lists for the symbol, the one
 * with the earliest last trade date that is today (UTC) or later. A month given as `yyyymm` counts as
 * its last day. No roll-ahead window: a contract trades until its last trade date. Pure.
 */
import type { Instrument } from '../domain/types.js';

/** yyyymmdd sort key of a contract's expiry (a bare month counts as its 31st). */
const expiryKey = (e: string | undefined): string | undefined => (e === undefined || e.length < 6 ? undefined : e.length >= 8 ? e.slice(0, 8) : `${e.slice(0, 6)}31`);

/** The front month among `contracts` at `now`, with why; undefined when none is live. */
export function frontMonth(contracts: readonly Instrument[], now: number): { readonly contract: Instrument; readonly considered: readonly string[] } | undefined {
  const today = new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
  const live = contracts
    .map((c) => ({ c, key: expiryKey(c.lastTradeDateOrContractMonth) }))
    .filter((x): x is { c: Instrument; key: string } => x.key !== undefined && x.key >= today)
    .sort((a, b) => a.key.localeCompare(b.key));
  const first = live[0];
  return first ? { contract: first.c, considered: live.map((x) => x.c.lastTradeDateOrContractMonth ?? '') } : undefined;
}
