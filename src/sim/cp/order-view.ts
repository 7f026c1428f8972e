/**
 * How the simulator shows engine orders and executions in Client Portal shapes: the live-orders
 * object (camelCase, prices as strings, `order_ref` = the TWS orderRef / CP cOID) and the trades row
 * (snake_case, side B/S). The CP `orderId` of an order is its engine permId (unique across clients,
 * so orders placed over TWS show up too).
 */
import { avgFillPrice, remainingOf, type SimOrder } from '../engine/orders.js';
import type { SimExecution } from '../engine/executions.js';

const CP_TYPE: Record<string, string> = { MKT: 'Market', LMT: 'Limit', STP: 'Stop', 'STP LMT': 'Stop Limit', TRAIL: 'Trailing Stop', MOC: 'Market On Close', LOC: 'Limit On Close' };

/** One order in GET /iserver/account/orders. */
export function liveOrderView(o: SimOrder): Record<string, unknown> {
  const i = o.instrument;
  return {
    acct: o.account, account: o.account, conid: i.conId, conidex: String(i.conId), orderId: o.permId, cashCcy: i.currency,
    sizeAndFills: `${o.filled}/${o.totalQuantity}`, orderDesc: `${o.action === 'BUY' ? 'Buy' : 'Sell'} ${o.totalQuantity} ${CP_TYPE[o.orderType] ?? o.orderType}`,
    description1: i.symbol, ticker: i.symbol, secType: i.secType, listingExchange: i.primaryExchange || i.exchange,
    remainingQuantity: remainingOf(o), filledQuantity: o.filled, totalSize: o.totalQuantity, companyName: i.longName,
    status: o.status, order_ccp_status: o.status, origOrderType: o.orderType, orderType: CP_TYPE[o.orderType] ?? o.orderType,
    price: o.lmtPrice ? o.lmtPrice.toString() : '', auxPrice: o.auxPrice ? o.auxPrice.toString() : '',
    avgPrice: o.filled > 0 ? avgFillPrice(o).toString() : '', timeInForce: o.tif, side: o.action, order_ref: o.orderRef,
    parentId: o.parentId || undefined, lastExecutionTime_r: o.completedAt ?? o.createdAt,
  };
}

/** One row of GET /iserver/account/trades. */
export function tradeView(e: SimExecution): Record<string, unknown> {
  const i = e.instrument;
  return {
    execution_id: e.execId, symbol: i.symbol, side: e.side === 'BOT' ? 'B' : 'S', trade_time_r: e.time, size: e.shares,
    price: e.price.toString(), order_ref: e.orderRef, exchange: i.exchange, commission: e.commission.toString(),
    net_amount: e.price.mul(e.shares).mul(i.multiplier).toNumber(), account: e.account, accountCode: e.account,
    company_name: i.longName, contract_description_1: i.symbol, sec_type: i.secType, conid: i.conId, conidEx: String(i.conId),
  };
}
