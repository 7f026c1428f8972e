/**
 * Judging every leg of an order (CONTRACT §4: the rules see every order). Pure. Invariants:
 *  - a leg is judged as the order it is: its side, quantity, type and price, without a bracket of its own;
 *  - a bracket child is judged against the position as it will be once its entry filled (the exposure's
 *    position and the futures book shifted by the entry), so a SELL entry's BUY children need IRA cash and
 *    would grow a position in REDUCE_ONLY;
 *  - a positionPercent close without a bracket of its own joins the OCA group of its position's working
 *    bracket children; that group's sells are then not "already being sold".
 */
import type { Decimal, OrderLeg, Reason, Signal, WorkingOrder } from '../domain/types.js';
import { futuresKey, shiftPosition } from '../sizing/futures-book.js';
import { checkPreTrade } from './check-pre-trade.js';
import type { PreTradeContext, PreTradeIntent, Rule } from './rule.js';

/**
 * The OCA group of the position's working bracket children (of an entry that is no longer working) that a
 * positionPercent close joins, if any; with several, the one covering the most.
 */
export function closeOcaGroup(signal: Signal, accountId: string, working: readonly WorkingOrder[]): string | undefined {
  if (signal.size.kind !== 'positionPercent' || signal.bracket) return undefined;
  const i = signal.instrument;
  const groups = new Map<string, number>();
  const live = new Set(working.map((w) => w.orderRef));
  for (const w of working) {
    if (w.account !== accountId || w.side !== 'SELL' || w.symbol !== i.symbol || w.secType !== i.secType || !w.ocaGroup) continue;
    if (w.leg !== 'takeProfit' && w.leg !== 'stopLoss') continue;
    // children of an entry still working protect a position not there yet: closing must not cancel them
    if (w.parentRef !== undefined && live.has(w.parentRef)) continue;
    groups.set(w.ocaGroup, Math.max(groups.get(w.ocaGroup) ?? 0, w.remaining));
  }
  let best: [string, number] | undefined;
  for (const g of groups) if (!best || g[1] > best[1]) best = g;
  return best?.[0];
}

/** Working orders as a close that joins `group` sees them: that group's sells are replaced by the close. */
export const withoutGroup = (working: readonly WorkingOrder[], group: string | undefined): readonly WorkingOrder[] =>
  group === undefined ? working : working.filter((w) => !(w.ocaGroup === group && w.side === 'SELL'));

/** The price a leg is judged at: its limit (take-profit), stop (stop-loss) or the entry's reference price. */
const legPrice = (leg: OrderLeg, reference: Decimal | undefined): Decimal | undefined =>
  leg.leg === 'entry' ? reference : (leg.limitPrice ?? leg.stopPrice ?? reference);

/** A leg as a rule intent: the order it is (side, quantity, type and price), no bracket of its own. */
export function legIntent(signal: Signal, leg: OrderLeg, reference: Decimal | undefined): PreTradeIntent {
  if (leg.leg === 'entry') return { signal, account: leg.account, quantity: leg.quantity, explicit: true, ...(reference ? { referencePrice: reference, costPrice: reference } : {}) };
  const order = { type: leg.type, tif: leg.tif, outsideRth: leg.outsideRth, ...(leg.limitPrice && { limitPrice: leg.limitPrice }), ...(leg.stopPrice && { stopPrice: leg.stopPrice }) };
  const child: Signal = { ...signal, side: leg.side, size: { kind: 'quantity', quantity: leg.quantity }, order, bracket: undefined };
  const price = legPrice(leg, reference);
  return { signal: child, account: leg.account, quantity: leg.quantity, explicit: true, leg: leg.leg, ...(price ? { referencePrice: price, costPrice: price } : {}) };
}

/** The rule context a bracket child is judged in: the position as it is once the entry filled. */
function afterEntry(pre: PreTradeContext, entry: OrderLeg): PreTradeContext {
  const x = pre.exposure;
  const signed = entry.side === 'BUY' ? entry.quantity : -entry.quantity;
  const key = futuresKey(entry.instrument.conId, entry.instrument.symbol);
  return {
    ...pre,
    ...(x ? { exposure: { ...x, position: x.position + signed } } : {}),
    ...(pre.futuresBook ? { futuresBook: shiftPosition(pre.futuresBook, key, signed) } : {}),
  };
}

/** Reasons listed once each (the same code and message from several legs). */
export function unique(reasons: readonly Reason[]): Reason[] {
  const seen = new Set<string>();
  return reasons.filter((r) => {
    const k = `${r.code}\u0000${r.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Runs `childRules` on each bracket child of `legs` (entry first), in the context after the entry. */
export function childReasons(signal: Signal, legs: readonly OrderLeg[], pre: PreTradeContext, reference: Decimal | undefined, childRules: readonly Rule[]): readonly Reason[] {
  const entry = legs[0];
  if (!entry) return [];
  const after = afterEntry(pre, entry);
  return legs.slice(1).flatMap((leg) => checkPreTrade(legIntent(signal, leg, reference), after, childRules));
}

