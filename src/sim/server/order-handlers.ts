/**
 * Order requests and order events of one session: open orders (own, all, auto), completed orders,
 * executions with their filter and commission reports, and the translation of engine order events
 * (routed to the session whose clientId placed the order).
 */
import type { SimEvent } from '../engine/events.js';
import { isOpen, type SimOrder } from '../engine/orders.js';
import { matchesFilter } from '../engine/executions.js';
import type { WireExecutionFilter } from '../wire/messages.js';
import {
  commissionMessage, completedOrderMessage, executionMessage, openOrderMessage, orderStatusMessage,
} from './order-messages.js';
import type { SessionContext } from './session-types.js';

function sendOpen(s: SessionContext, orders: Iterable<SimOrder>): void {
  for (const o of orders) {
    if (!isOpen(o)) continue;
    s.send(openOrderMessage(o));
    s.send(orderStatusMessage(o));
  }
  s.send({ type: 'OPEN_ORDER_END' });
}

/** REQ_OPEN_ORDERS: this client's open orders, then OPEN_ORDER_END. */
export function handleReqOpenOrders(s: SessionContext): void {
  sendOpen(s, [...s.engine.orders.values()].filter((o) => o.clientId === s.clientId));
}

/** REQ_ALL_OPEN_ORDERS (and REQ_AUTO_OPEN_ORDERS): every client's open orders, then OPEN_ORDER_END. */
export function handleReqAllOpenOrders(s: SessionContext): void {
  sendOpen(s, s.engine.orders.values());
}

/** REQ_COMPLETED_ORDERS: every filled or cancelled order (all clients), then COMPLETED_ORDERS_END. */
export function handleReqCompletedOrders(s: SessionContext): void {
  for (const o of s.engine.orders.values()) if (!isOpen(o)) s.send(completedOrderMessage(o));
  s.send({ type: 'COMPLETED_ORDERS_END' });
}

/** REQ_EXECUTIONS: matching executions, each followed by its COMMISSION_REPORT, then EXECUTION_DATA_END. */
export function handleReqExecutions(s: SessionContext, reqId: number, filter: WireExecutionFilter): void {
  for (const e of s.engine.executions) {
    if (!matchesFilter(e, filter)) continue;
    s.send(executionMessage(reqId, e));
    s.send(commissionMessage(e));
  }
  s.send({ type: 'EXECUTION_DATA_END', reqId });
}

/** Translates an order-related engine event for this session; returns false when it is not one. */
export function onOrderEvent(s: SessionContext, e: SimEvent): boolean {
  switch (e.kind) {
    case 'openOrder':
      if (e.order.clientId === s.clientId) s.send(openOrderMessage(e.order));
      return true;
    case 'orderStatus':
      if (e.order.clientId === s.clientId) s.send(orderStatusMessage(e.order));
      return true;
    case 'whatIf':
      if (e.clientId === s.clientId) {
        s.send({
          type: 'OPEN_ORDER', orderId: e.orderId, contract: e.contract,
          order: { ...e.wire, raw: undefined, clientId: e.clientId, permId: 0, whatIf: true }, orderState: e.state,
        });
      }
      return true;
    case 'orderError':
      if (e.clientId === s.clientId) s.send({ type: 'ERR_MSG', reqId: e.orderId, code: e.code, message: e.message });
      return true;
    case 'execution':
      if (e.exec.clientId === s.clientId) s.send(executionMessage(-1, e.exec));
      return true;
    case 'commission':
      if (e.exec.clientId === s.clientId) s.send(commissionMessage(e.exec));
      return true;
    default:
      return false;
  }
}

