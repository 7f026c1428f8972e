/**
 * Which price an order is sized and checked at (CONTRACT §3 "Reference price"). Pure. Invariants:
 *  - quote fields that are missing, zero or negative (IB sends -1 for "no data") are ignored;
 *  - the close is never used: yesterday's close is not a price anyone can trade at now.
 */
import type { Decimal, OrderSpec, Quote, Side } from '../domain/types.js';
import { maxDecimal } from '../domain/money.js';

export type PriceSource = 'limit' | 'ask' | 'bid' | 'last';

export interface ReferencePrice {
  readonly price: Decimal;
  readonly source: PriceSource;
}

const usable = (x: Decimal | undefined): Decimal | undefined => (x !== undefined && x.gt(0) ? x : undefined);

/**
 * `limitPrice` for LMT / LOC / STP LMT; otherwise the ask for a BUY and the bid for a SELL; otherwise the
 * last trade. Undefined when none is available (→ NO_PRICE).
 */
export function referencePrice(side: Side, order: OrderSpec, quote: Quote | undefined): ReferencePrice | undefined {
  if ((order.type === 'LMT' || order.type === 'LOC' || order.type === 'STP LMT') && order.limitPrice) {
    return { price: order.limitPrice, source: 'limit' };
  }
  const touch = side === 'BUY' ? usable(quote?.ask) : usable(quote?.bid);
  if (touch) return { price: touch, source: side === 'BUY' ? 'ask' : 'bid' };
  const last = usable(quote?.last);
  return last ? { price: last, source: 'last' } : undefined;
}

/**
 * The current market price for the price collar: the bid/ask midpoint when both sides are quoted and not
 * crossed, otherwise the last trade; undefined when neither exists.
 */
export function marketPrice(quote: Quote | undefined): Decimal | undefined {
  const bid = usable(quote?.bid);
  const ask = usable(quote?.ask);
  if (bid && ask && bid.lte(ask)) return bid.plus(ask).div(2);
  return usable(quote?.last);
}

/**
 * The per-unit price a BUY may cost, for cash checks: the reference price, or the stop price when the
 * order carries a higher one (a BUY STP at 200 sized at an ask of 190 would otherwise overspend).
 */
export function costPrice(side: Side, order: OrderSpec, reference: Decimal): Decimal {
  return side === 'BUY' && order.stopPrice ? maxDecimal(reference, order.stopPrice) : reference;
}
