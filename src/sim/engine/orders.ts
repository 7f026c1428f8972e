/**
 * The simulator's order record and the pure fill rules per order type (MKT, LMT, STP, STP LMT, TRAIL,
 * MOC, LOC). `fillPriceFor` never mutates except for TRAIL's stop and the STP trigger flag, which it
 * updates on the order it is given (the fill engine owns that order).
 */
import { Decimal } from '../../domain/types.js';
import type { WireContract, WireOrder } from '../wire/messages.js';
import type { SimInstrument } from './instruments.js';
import type { SimQuote } from './market.js';

/** TWS order statuses the simulator uses. */
export type SimOrderStatus = 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';

/** The order types the fill engine knows. */
export const SIM_ORDER_TYPES = ['MKT', 'LMT', 'STP', 'STP LMT', 'TRAIL', 'TRAIL LIMIT', 'MOC', 'LOC', 'MIT', 'LIT', 'REL', 'MIDPRICE'] as const;

/** One order, keyed by (clientId, orderId). */
export interface SimOrder {
  readonly clientId: number;
  readonly orderId: number;
  readonly permId: number;
  readonly instrument: SimInstrument;
  /** the contract as echoed in OPEN_ORDER (resolved: conId, exchange, currency filled in) */
  readonly contract: WireContract;
  /** the wire order as last placed/modified, echoed back in OPEN_ORDER */
  wire: WireOrder;
  account: string;
  action: 'BUY' | 'SELL';
  totalQuantity: number;
  orderType: string;
  lmtPrice: Decimal | undefined;
  auxPrice: Decimal | undefined;
  trailingPercent: Decimal | undefined;
  trailStopPrice: Decimal | undefined;
  tif: string;
  ocaGroup: string;
  orderRef: string;
  parentId: number;
  transmitted: boolean;
  status: SimOrderStatus;
  filled: number;
  /** sum of price × qty, for the average fill price */
  filledValue: Decimal;
  lastFillPrice: Decimal;
  triggered: boolean;
  /** drop-acks fault: no OPEN_ORDER / ORDER_STATUS is ever sent for it */
  ackDropped: boolean;
  readonly createdAt: number;
  completedAt: number | undefined;
  completedStatus: string;
}

/** Whether an order is still working (may fill or be cancelled). */
export const isOpen = (o: SimOrder): boolean => o.status === 'PreSubmitted' || o.status === 'Submitted';

/** Units still to fill. */
export const remainingOf = (o: SimOrder): number => o.totalQuantity - o.filled;

/** Average fill price (0 before the first fill). */
export const avgFillPrice = (o: SimOrder): Decimal => (o.filled > 0 ? o.filledValue.div(o.filled) : new Decimal(0));

/** The touch an order trades against: ask for a BUY, bid for a SELL. */
export const touchOf = (o: SimOrder, q: SimQuote): Decimal => (o.action === 'BUY' ? q.ask : q.bid);

/** A BUY limit is marketable at or above the ask; a SELL limit at or below the bid. */
function limitFill(o: SimOrder, q: SimQuote, limit: Decimal | undefined): Decimal | null {
  if (!limit) return null;
  const touch = touchOf(o, q);
  return (o.action === 'BUY' ? touch.lte(limit) : touch.gte(limit)) ? touch : null;
}

function stopTriggered(o: SimOrder, q: SimQuote, stop: Decimal | undefined): boolean {
  if (!stop) return false;
  return o.action === 'BUY' ? q.last.gte(stop) : q.last.lte(stop);
}

/** Moves a trailing stop with the market (never against the order) and returns it. */
function trailStop(o: SimOrder, q: SimQuote): Decimal | undefined {
  const amount = o.trailingPercent ? q.last.mul(o.trailingPercent).div(100) : o.auxPrice;
  if (!amount) return o.trailStopPrice;
  const candidate = o.action === 'SELL' ? q.last.sub(amount) : q.last.add(amount);
  const cur = o.trailStopPrice;
  if (!cur || (o.action === 'SELL' ? candidate.gt(cur) : candidate.lt(cur))) o.trailStopPrice = candidate;
  return o.trailStopPrice;
}

/**
 * The price at which a working order fills now against quote `q`, or null when it rests.
 * MOC/LOC only fill in the closing auction (`auction` true), at the last price.
 */
export function fillPriceFor(o: SimOrder, q: SimQuote, auction: boolean): Decimal | null {
  switch (o.orderType) {
    case 'MKT':
    case 'REL':
    case 'MIDPRICE':
      return touchOf(o, q);
    case 'LMT':
      return limitFill(o, q, o.lmtPrice);
    case 'STP':
    case 'STP LMT':
    case 'MIT':
    case 'LIT': {
      if (!o.triggered) o.triggered = o.orderType.endsWith('IT') ? !stopTriggered(o, q, o.auxPrice) : stopTriggered(o, q, o.auxPrice);
      if (!o.triggered) return null;
      return o.orderType === 'STP' || o.orderType === 'MIT' ? touchOf(o, q) : limitFill(o, q, o.lmtPrice);
    }
    case 'TRAIL':
    case 'TRAIL LIMIT': {
      const stop = trailStop(o, q);
      if (!o.triggered) o.triggered = stopTriggered(o, q, stop);
      if (!o.triggered) return null;
      return o.orderType === 'TRAIL' ? touchOf(o, q) : limitFill(o, q, o.lmtPrice ?? stop);
    }
    case 'MOC':
      return auction ? q.last : null;
    case 'LOC':
      if (!auction || !o.lmtPrice) return null;
      return (o.action === 'BUY' ? q.last.lte(o.lmtPrice) : q.last.gte(o.lmtPrice)) ? q.last : null;
    default:
      return null;
  }
}

/** The price used to estimate cost before a fill: the limit for limit types, else the touch. */
export function referencePrice(o: Pick<SimOrder, 'orderType' | 'lmtPrice' | 'auxPrice' | 'action'>, q: SimQuote): Decimal {
  if (o.lmtPrice && ['LMT', 'LOC', 'STP LMT', 'LIT', 'TRAIL LIMIT'].includes(o.orderType)) return o.lmtPrice;
  if (o.auxPrice && o.orderType === 'STP' && o.action === 'BUY') return Decimal.max(o.auxPrice, q.ask);
  return o.action === 'BUY' ? q.ask : q.bid;
}
