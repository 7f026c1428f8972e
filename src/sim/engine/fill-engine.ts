/**
 * The fill engine: matches working orders against the market after every change (new order, modify,
 * price move, closing auction), books executions into accounts, activates bracket children when their
 * parent fills, and cancels OCA peers (same account + ocaGroup, or same parent) when one fills.
 */
import type { Decimal } from '../../domain/types.js';
import { commissionFor } from './commission.js';
import { orderKey, type EngineContext } from './context.js';
import type { SimExecution } from './executions.js';
import { fillPriceFor, isOpen, remainingOf, type SimOrder } from './orders.js';

const AUCTION_TYPES = new Set(['MOC', 'LOC']);

/** Emits the OPEN_ORDER + ORDER_STATUS pair for an order unless its acks are dropped. */
export function ack(ctx: EngineContext, o: SimOrder): void {
  if (o.ackDropped) return;
  ctx.emit({ kind: 'openOrder', order: o });
  ctx.emit({ kind: 'orderStatus', order: o });
}

/** The bracket parent of an order, if any (same client). */
export function parentOf(ctx: EngineContext, o: SimOrder): SimOrder | undefined {
  return o.parentId ? ctx.orders.get(orderKey(o.clientId, o.parentId)) : undefined;
}

/** Children of an order (same client, parentId = its orderId). */
export function childrenOf(ctx: EngineContext, o: SimOrder): SimOrder[] {
  return [...ctx.orders.values()].filter((c) => c.clientId === o.clientId && c.parentId === o.orderId && c !== o);
}

/** Sets a transmitted order Submitted when it may work (no parent, or parent filled), acking a change. */
export function activate(ctx: EngineContext, o: SimOrder): void {
  if (!isOpen(o) || !o.transmitted) return;
  const parent = parentOf(ctx, o);
  const next = !parent || parent.status === 'Filled' ? 'Submitted' : 'PreSubmitted';
  if (next !== o.status) {
    o.status = next;
    ack(ctx, o);
  }
}

/** Cancels an open order (and its children): ORDER_STATUS Cancelled, then error 202. */
export function cancelOrderInternal(ctx: EngineContext, o: SimOrder, reason = ''): void {
  if (!isOpen(o)) return;
  o.status = 'Cancelled';
  o.completedAt = ctx.now();
  o.completedStatus = 'Cancelled';
  if (!o.ackDropped) ctx.emit({ kind: 'orderStatus', order: o });
  ctx.emit({ kind: 'orderError', clientId: o.clientId, orderId: o.orderId, code: 202, message: `Order Canceled - reason:${reason}` });
  for (const c of childrenOf(ctx, o)) cancelOrderInternal(ctx, c, reason);
}

function ocaPeers(ctx: EngineContext, o: SimOrder): SimOrder[] {
  return [...ctx.orders.values()].filter((p) => {
    if (p === o || !isOpen(p)) return false;
    if (o.ocaGroup !== '' && p.ocaGroup === o.ocaGroup && p.account === o.account) return true;
    return o.parentId !== 0 && p.clientId === o.clientId && p.parentId === o.parentId;
  });
}

/** Books one execution of `qty` at `price` for an order and emits its messages in TWS order. */
function execute(ctx: EngineContext, o: SimOrder, qty: number, price: Decimal): void {
  const account = ctx.accounts.get(o.account);
  if (!account) return;
  const ins = o.instrument;
  const commission = commissionFor(ctx.commission, ins, qty, price);
  const realized = account.applyFill(ins, o.action, qty, price, commission);
  o.filled += qty;
  o.filledValue = o.filledValue.add(price.mul(qty));
  o.lastFillPrice = price;
  if (o.filled >= o.totalQuantity) {
    o.status = 'Filled';
    o.completedAt = ctx.now();
    o.completedStatus = 'Filled';
  }
  const exec: SimExecution = {
    execId: ctx.newExecId(), orderId: o.orderId, clientId: o.clientId, permId: o.permId, account: o.account,
    instrument: ins, side: o.action === 'BUY' ? 'BOT' : 'SLD', shares: qty, price, time: ctx.now(),
    cumQty: o.filled, avgPrice: o.filledValue.div(o.filled), orderRef: o.orderRef, commission,
    commissionCurrency: ins.currency, realizedPnl: realized,
  };
  ctx.executions.push(exec);
  ctx.emit({ kind: 'execution', exec });
  ack(ctx, o);
  ctx.emit({ kind: 'commission', exec });
}

/** Fills the rest of an order at `price`, split into executions of at most `maxFillQuantity`. */
export function fillOrder(ctx: EngineContext, o: SimOrder, price: Decimal): void {
  const chunk = ctx.maxFillQuantity ?? Number.MAX_SAFE_INTEGER;
  while (isOpen(o) && remainingOf(o) > 0) execute(ctx, o, Math.min(remainingOf(o), chunk), price);
  ctx.emit({ kind: 'accountChanged', account: o.account, conId: o.instrument.conId });
  if (o.status !== 'Filled') return;
  for (const peer of ocaPeers(ctx, o)) cancelOrderInternal(ctx, peer, 'OCA group fill');
  for (const c of childrenOf(ctx, o)) activate(ctx, c);
}

/**
 * Runs every working order of the given instruments (conIds) (all when undefined) against the market until nothing
 * more fills. With `auction`, MOC/LOC orders trade at the last price and unfilled LOC orders are cancelled.
 */
export function evaluate(ctx: EngineContext, conIds?: ReadonlySet<number>, auction = false): void {
  for (let round = 0; round < 100; round++) {
    let progressed = false;
    for (const o of [...ctx.orders.values()]) {
      if (o.status !== 'Submitted' || !o.transmitted) continue;
      if (conIds && !conIds.has(o.instrument.conId)) continue;
      if (AUCTION_TYPES.has(o.orderType) && !auction) continue;
      const price = fillPriceFor(o, ctx.market.quote(o.instrument), auction);
      if (price) {
        fillOrder(ctx, o, price);
        progressed = true;
      } else if (auction && AUCTION_TYPES.has(o.orderType)) {
        cancelOrderInternal(ctx, o, 'not filled in the closing auction');
      }
    }
    if (!progressed) return;
  }
}
