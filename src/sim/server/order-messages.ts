/**
 * Engine objects → wire messages for orders and executions: OPEN_ORDER, ORDER_STATUS, COMPLETED_ORDER,
 * EXECUTION_DATA, COMMISSION_REPORT. The client's own order fields are echoed back (orderRef included)
 * with the engine's current quantity, prices, clientId, permId and parentId.
 */
import { contractOf } from '../engine/order-book.js';
import { avgFillPrice, remainingOf, type SimOrder } from '../engine/orders.js';
import { twsTime, type SimExecution } from '../engine/executions.js';
import type { ServerMessage, ServerOrder, WireOrderState } from '../wire/messages.js';

/** IB's "unset double" (Double.MAX_VALUE), which every client reads as unset. */
export const UNSET_DOUBLE = '1.7976931348623157E308';

/** The order as echoed in OPEN_ORDER / COMPLETED_ORDER. */
export function serverOrder(o: SimOrder): ServerOrder {
  return {
    ...o.wire,
    raw: undefined,
    action: o.action,
    totalQuantity: o.totalQuantity,
    orderType: o.wire.orderType || o.orderType,
    lmtPrice: o.lmtPrice?.toString(),
    auxPrice: o.auxPrice?.toString(),
    tif: o.tif,
    account: o.account,
    orderRef: o.orderRef,
    ocaGroup: o.ocaGroup,
    parentId: o.parentId,
    clientId: o.clientId,
    permId: o.permId,
    trailStopPrice: o.trailStopPrice?.toString() ?? o.wire.trailStopPrice,
    filledQuantity: o.filled,
  };
}

/** OPEN_ORDER for an order in its current state. */
export function openOrderMessage(o: SimOrder): ServerMessage {
  const orderState: WireOrderState = { status: o.status };
  return { type: 'OPEN_ORDER', orderId: o.orderId, contract: o.contract, order: serverOrder(o), orderState };
}

/** ORDER_STATUS for an order in its current state. */
export function orderStatusMessage(o: SimOrder): ServerMessage {
  return {
    type: 'ORDER_STATUS', orderId: o.orderId, status: o.status, filled: o.filled, remaining: remainingOf(o),
    avgFillPrice: avgFillPrice(o).toString(), permId: o.permId, parentId: o.parentId,
    lastFillPrice: o.lastFillPrice.toString(), clientId: o.clientId, whyHeld: '', mktCapPrice: 0,
  };
}

/** COMPLETED_ORDER for a filled or cancelled order. */
export function completedOrderMessage(o: SimOrder): ServerMessage {
  return {
    type: 'COMPLETED_ORDER', contract: o.contract, order: serverOrder(o),
    orderState: {
      status: o.status,
      completedTime: o.completedAt === undefined ? '' : twsTime(o.completedAt),
      completedStatus: o.completedStatus,
    },
  };
}

/** EXECUTION_DATA (reqId −1 for live fills). */
export function executionMessage(reqId: number, e: SimExecution): ServerMessage {
  const ins = e.instrument;
  return {
    type: 'EXECUTION_DATA', reqId,
    contract: { ...contractOf(ins), exchange: ins.primaryExchange || ins.exchange },
    execution: {
      orderId: e.orderId, execId: e.execId, time: twsTime(e.time), acctNumber: e.account,
      exchange: ins.primaryExchange || ins.exchange, side: e.side, shares: e.shares, price: e.price.toString(),
      permId: e.permId, clientId: e.clientId, liquidation: 0, cumQty: e.cumQty,
      avgPrice: e.avgPrice.toDecimalPlaces(8).toString(), orderRef: e.orderRef, evRule: '', evMultiplier: undefined,
      modelCode: '', lastLiquidity: 2, pendingPriceRevision: false,
    },
  };
}

/** COMMISSION_REPORT of an execution; realized P&L unset (MAX) when the fill opened a position. */
export function commissionMessage(e: SimExecution): ServerMessage {
  return {
    type: 'COMMISSION_REPORT', execId: e.execId, commission: e.commission.toString(), currency: e.commissionCurrency,
    realizedPNL: e.realizedPnl.isZero() ? UNSET_DOUBLE : e.realizedPnl.toDecimalPlaces(4).toString(),
    yield: UNSET_DOUBLE, yieldRedemptionDate: 0,
  };
}
