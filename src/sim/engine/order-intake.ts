/**
 * Turning a decoded PLACE_ORDER into an order intent: account, side, quantity, prices, order type —
 * with TWS-like reject texts for what is missing or unsupported. Pure.
 */
import { Decimal } from '../../domain/types.js';
import type { WireOrder } from '../wire/messages.js';
import type { SimAccount } from './accounts.js';
import { SIM_ORDER_TYPES } from './orders.js';

/** The parsed essentials of a placed order. */
export interface ParsedOrder {
  readonly account: SimAccount;
  readonly action: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly orderType: string;
  readonly lmtPrice: Decimal | undefined;
  readonly auxPrice: Decimal | undefined;
  readonly trailingPercent: Decimal | undefined;
  readonly trailStopPrice: Decimal | undefined;
}

const dec = (n: number | undefined): Decimal | undefined =>
  n === undefined || !Number.isFinite(n) || n >= 1e300 ? undefined : new Decimal(n);

const NEEDS_LIMIT = new Set(['LMT', 'STP LMT', 'LOC', 'LIT', 'TRAIL LIMIT']);
const NEEDS_AUX = new Set(['STP', 'STP LMT', 'MIT', 'LIT']);

/** Parses the order or returns the reject reason text (for error 201). */
export function parseOrder(w: WireOrder, accounts: ReadonlyMap<string, SimAccount>): ParsedOrder | string {
  let account: SimAccount | undefined;
  if (w.account) account = accounts.get(w.account);
  else if (accounts.size === 1) account = [...accounts.values()][0];
  if (!account) {
    return w.account
      ? `The account code ${w.account} is not valid or not managed by this login`
      : 'You must specify an allocation (either a single account, group, or profile)';
  }
  const action = w.action.toUpperCase();
  if (action !== 'BUY' && action !== 'SELL') return `Invalid action ${w.action}`;
  const quantity = w.totalQuantity;
  if (!Number.isFinite(quantity) || quantity <= 0) return 'The order size must be positive';
  if (!Number.isInteger(quantity)) return 'Fractional-sized orders are not supported for this contract';
  const orderType = w.orderType.toUpperCase();
  if (!(SIM_ORDER_TYPES as readonly string[]).includes(orderType)) return `Unsupported order type ${w.orderType}`;
  const lmtPrice = dec(w.lmtPrice);
  const auxPrice = dec(w.auxPrice);
  const trailingPercent = dec(w.trailingPercent);
  if (NEEDS_LIMIT.has(orderType) && !lmtPrice) return `Missing limit price for ${orderType} order`;
  if (NEEDS_AUX.has(orderType) && !auxPrice) return `Missing stop/trigger price (auxPrice) for ${orderType} order`;
  if (orderType.startsWith('TRAIL') && !auxPrice && !trailingPercent) return 'A trailing order needs a trailing amount or a trailing percent';
  if ((lmtPrice && lmtPrice.lte(0)) || (auxPrice && auxPrice.lt(0) && !orderType.startsWith('TRAIL'))) return 'The price must be positive';
  return { account, action, quantity, orderType, lmtPrice, auxPrice, trailingPercent, trailStopPrice: dec(w.trailStopPrice) };
}
