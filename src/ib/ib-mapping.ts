/**
 * Pure mapping between domain values (`src/domain/types.ts`, the broker port) and IB's wire shapes
 * (`ib-wire.ts`). No I/O, no clock, no @stoqey/ib import. Every function here is total: unexpected IB
 * values map to an explicit fallback (`UNKNOWN` status, pass-through secType) instead of throwing.
 */
import { Decimal } from '../domain/types.js';
import type { ContractInfo, Instrument, OrderLeg, SecType, Side } from '../domain/types.js';
import type { BrokerOrderStatus, FillReport, OrderReport, WhatIfReport } from '../execution/broker-port.js';
import type {
  WireContract,
  WireContractDetails,
  WireExecution,
  WireOrder,
  WireOrderState,
} from './ib-wire.js';

/** IB order status string → normalized status. "Inactive" (rejected, or held) is INACTIVE. */
export const IB_STATUS_TABLE: Readonly<Record<string, BrokerOrderStatus>> = Object.freeze({
  ApiPending: 'PENDING_SUBMIT',
  PendingSubmit: 'PENDING_SUBMIT',
  PreSubmitted: 'PRE_SUBMITTED',
  Submitted: 'SUBMITTED',
  ApiCancelled: 'CANCELLED',
  PendingCancel: 'PENDING_CANCEL',
  Cancelled: 'CANCELLED',
  Filled: 'FILLED',
  Inactive: 'INACTIVE',
  Unknown: 'UNKNOWN',
});

/** Map an IB status string; anything not in the table is `UNKNOWN` (never throws). */
export function mapIbStatus(status: string | undefined): BrokerOrderStatus {
  if (status === undefined) return 'UNKNOWN';
  return Object.prototype.hasOwnProperty.call(IB_STATUS_TABLE, status) ? IB_STATUS_TABLE[status]! : 'UNKNOWN';
}

/** True for statuses after which the order can no longer fill. */
export const isTerminalStatus = (s: BrokerOrderStatus): boolean =>
  s === 'CANCELLED' || s === 'FILLED' || s === 'INACTIVE';

/** IB's "unset double" (Double.MAX_VALUE) and non-finite values become undefined. */
export function decOrUndefined(v: number | string | undefined | null): Decimal | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || Math.abs(n) >= 1e300) return undefined;
  return new Decimal(typeof v === 'string' ? v : n.toString());
}

/** A quantity as a safe integer (IB sends decimals for sizes); NaN/undefined → 0. Rounds toward zero. */
export function qty(v: number | string | undefined | null): number {
  const n = typeof v === 'string' ? Number(v) : (v ?? 0);
  if (!Number.isFinite(n) || Math.abs(n) >= 1e300) return 0;
  return Math.trunc(n);
}

/** Domain instrument → IB contract. Only the fields that are set are sent. */
export function toWireContract(i: Instrument): WireContract {
  const c: WireContract = { symbol: i.symbol, secType: i.secType, exchange: i.exchange, currency: i.currency };
  if (i.conId !== undefined) c.conId = i.conId;
  if (i.primaryExchange !== undefined) c.primaryExch = i.primaryExchange;
  if (i.lastTradeDateOrContractMonth !== undefined) c.lastTradeDateOrContractMonth = i.lastTradeDateOrContractMonth;
  if (i.strike !== undefined) c.strike = i.strike.toNumber();
  if (i.right !== undefined) c.right = i.right;
  if (i.multiplier !== undefined) c.multiplier = Number(i.multiplier);
  return c;
}

/** IB contract → domain instrument. Other IB secTypes (IND, BAG, …) pass through unchanged. */
export function instrumentFromWire(c: WireContract): Instrument {
  const strike = decOrUndefined(c.strike);
  const right = c.right === 'C' || c.right === 'CALL' ? 'C' : c.right === 'P' || c.right === 'PUT' ? 'P' : undefined;
  const mult = c.multiplier !== undefined && Number.isFinite(c.multiplier) && c.multiplier > 0 && c.multiplier < 1e300
    ? String(c.multiplier) : undefined;
  return {
    symbol: c.symbol ?? '',
    secType: (c.secType ?? 'STK') as SecType,
    exchange: c.exchange || 'SMART',
    currency: c.currency ?? '',
    ...(c.primaryExch ? { primaryExchange: c.primaryExch } : {}),
    ...(c.conId ? { conId: c.conId } : {}),
    ...(c.lastTradeDateOrContractMonth ? { lastTradeDateOrContractMonth: c.lastTradeDateOrContractMonth } : {}),
    ...(strike !== undefined && !strike.isZero() ? { strike } : {}),
    ...(right ? { right } : {}),
    ...(mult ? { multiplier: mult } : {}),
  };
}

/** A stable cache key for an instrument (conId when known, else the identifying fields). */
export function instrumentKey(i: Instrument): string {
  if (i.conId) return `conId:${i.conId}`;
  return [i.symbol, i.secType, i.exchange, i.primaryExchange ?? '', i.currency, i.lastTradeDateOrContractMonth ?? '',
    i.strike?.toString() ?? '', i.right ?? '', i.multiplier ?? ''].join('|');
}

/** Per-leg wire parameters decided by the adapter (ids, bracket wiring). */
export interface WireOrderParams {
  readonly orderId: number;
  readonly parentId?: number;
  /** ALWAYS explicit: false for a bracket parent and all but the last child */
  readonly transmit: boolean;
  readonly whatIf?: boolean;
}

/**
 * Domain leg → IB order, for every order type of CONTRACT §3. `orderRef`, `account` and `transmit` are
 * always set explicitly (@stoqey/ib would send an unset `transmit` as "" = false). Bracket children get
 * `parentId`; an OCA group is sent with ocaType 1 (cancel the rest with block).
 * Throws `Error` when a price the type needs is missing (a bug upstream: validation guarantees them).
 */
export function toWireOrder(leg: OrderLeg, p: WireOrderParams): WireOrder {
  const o: WireOrder = {
    orderId: p.orderId,
    action: leg.side,
    totalQuantity: leg.quantity,
    orderType: leg.type,
    tif: leg.tif,
    outsideRth: leg.outsideRth,
    orderRef: leg.orderRef,
    account: leg.account,
    transmit: p.transmit,
  };
  const need = (v: Decimal | undefined, what: string): number => {
    if (v === undefined) throw new Error(`${leg.type} order ${leg.orderRef} needs ${what}`);
    return v.toNumber();
  };
  switch (leg.type) {
    case 'MKT':
    case 'MOC':
      break;
    case 'LMT':
    case 'LOC':
      o.lmtPrice = need(leg.limitPrice, 'limitPrice');
      break;
    case 'STP':
      o.auxPrice = need(leg.stopPrice, 'stopPrice');
      break;
    case 'STP LMT':
      o.lmtPrice = need(leg.limitPrice, 'limitPrice');
      o.auxPrice = need(leg.stopPrice, 'stopPrice');
      break;
    case 'TRAIL':
      o.trailingPercent = need(leg.trailingPercent, 'trailingPercent');
      if (leg.stopPrice !== undefined) o.trailStopPrice = leg.stopPrice.toNumber();
      break;
  }
  if (p.parentId !== undefined) o.parentId = p.parentId;
  if (leg.ocaGroup !== undefined) {
    o.ocaGroup = leg.ocaGroup;
    o.ocaType = 1;
  }
  if (leg.algo !== undefined) {
    o.algoStrategy = leg.algo.strategy;
    o.algoParams = Object.entries(leg.algo.params).map(([tag, value]) => ({ tag, value }));
  }
  if (p.whatIf) o.whatIf = true;
  return o;
}

/**
 * Decide `transmit` for each leg of one `placeOrders` batch: a leg is held (transmit=false) while a later
 * leg of the same bracket family follows it (its child, or a sibling child of the same parent), so IB
 * activates the whole bracket only when its last leg arrives. Independent legs transmit at once.
 */
export function transmitFlags(legs: readonly Pick<OrderLeg, 'orderRef' | 'parentRef'>[]): boolean[] {
  return legs.map((leg, i) => {
    const family = leg.parentRef ?? leg.orderRef;
    return !legs.slice(i + 1).some((l) => l.parentRef === family);
  });
}

const sideOf = (action: string | undefined): Side => (action === 'SELL' || action === 'SSHORT' ? 'SELL' : 'BUY');

/** Status numbers known besides the openOrder message (from orderStatus). */
export interface KnownStatus {
  readonly status?: string;
  readonly filled?: number;
  readonly remaining?: number;
  readonly avgFillPrice?: number;
  readonly permId?: number;
  readonly parentId?: number;
  readonly clientId?: number;
}

/** An openOrder / completedOrder message (+ the latest orderStatus, if any) → `OrderReport`. */
export function orderReportFromWire(
  orderId: number,
  contract: WireContract,
  order: WireOrder,
  state: WireOrderState,
  source: OrderReport['source'],
  known: KnownStatus = {},
): OrderReport {
  const total = qty(order.totalQuantity);
  const filled = known.filled !== undefined ? qty(known.filled) : qty(order.filledQuantity);
  const remaining = known.remaining !== undefined ? qty(known.remaining)
    : Math.max(0, total - filled) * (isTerminalStatus(mapIbStatus(state.status)) ? 0 : 1);
  const statusText = known.status ?? state.status ?? state.completedStatus;
  const permId = known.permId ?? order.permId;
  const parentId = known.parentId ?? order.parentId;
  const clientId = known.clientId ?? order.clientId;
  const avg = decOrUndefined(known.avgFillPrice);
  const lmt = decOrUndefined(order.lmtPrice);
  const aux = decOrUndefined(order.auxPrice);
  return {
    orderId,
    ...(permId ? { permId } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    ...(parentId ? { parentId } : {}),
    account: order.account ?? '',
    ...(order.orderRef ? { orderRef: order.orderRef } : {}),
    instrument: instrumentFromWire(contract),
    side: sideOf(order.action),
    quantity: total,
    orderType: order.orderType,
    ...(lmt !== undefined && !lmt.isZero() ? { limitPrice: lmt } : {}),
    ...(aux !== undefined && !aux.isZero() ? { stopPrice: aux } : {}),
    status: mapStatusText(statusText),
    filled,
    remaining,
    ...(avg !== undefined && !avg.isZero() ? { avgFillPrice: avg } : {}),
    source,
  };
}

/** completedOrder carries completedStatus texts like "Filled" / "Cancelled by Trader"; map by prefix too. */
function mapStatusText(s: string | undefined): BrokerOrderStatus {
  const direct = mapIbStatus(s);
  if (direct !== 'UNKNOWN' || s === undefined) return direct;
  if (/^cancel/i.test(s)) return 'CANCELLED';
  if (/^fill/i.test(s)) return 'FILLED';
  if (/^(reject|inactive)/i.test(s)) return 'INACTIVE';
  return 'UNKNOWN';
}

/** execDetails → `FillReport`. `orderRefFallback` is used when IB did not echo the orderRef. */
export function fillFromWire(contract: WireContract, exec: WireExecution, orderRefFallback?: string): FillReport {
  const orderRef = exec.orderRef || orderRefFallback;
  return {
    execId: exec.execId ?? '',
    orderId: exec.orderId ?? 0,
    ...(exec.permId ? { permId: exec.permId } : {}),
    ...(exec.clientId !== undefined ? { clientId: exec.clientId } : {}),
    account: exec.acctNumber ?? '',
    ...(orderRef ? { orderRef } : {}),
    instrument: instrumentFromWire(contract),
    side: exec.side === 'SLD' || exec.side === 'SELL' ? 'SLD' : 'BOT',
    shares: qty(exec.shares),
    price: decOrUndefined(exec.price) ?? new Decimal(0),
    cumQty: qty(exec.cumQty),
    avgPrice: decOrUndefined(exec.avgPrice) ?? new Decimal(0),
    time: exec.time ?? '',
  };
}

/** "0000e0d5.6550a8c6.01.01" → { base: "0000e0d5.6550a8c6.01", revision: "01" }. */
export function splitExecId(execId: string): { readonly base: string; readonly revision: string } {
  const i = execId.lastIndexOf('.');
  return i < 0 ? { base: execId, revision: '' } : { base: execId.slice(0, i), revision: execId.slice(i + 1) };
}

/** whatIf openOrder state → report. IB leaves unknown numbers at Double.MAX_VALUE: those are dropped. */
export function whatIfFromWire(s: WireOrderState): WhatIfReport {
  const pick = (k: keyof WireOrderState): Record<string, Decimal> => {
    const d = decOrUndefined(s[k] as number | undefined);
    return d === undefined ? {} : { [k]: d };
  };
  return {
    ...pick('initMarginChange'),
    ...pick('maintMarginChange'),
    ...pick('equityWithLoanChange'),
    ...pick('initMarginAfter'),
    ...pick('commission'),
    ...(s.commissionCurrency ? { commissionCurrency: s.commissionCurrency } : {}),
    ...(s.warningText ? { warningText: s.warningText } : {}),
  };
}

/** contractDetails → `ContractInfo` (stockType, industry, category, longName kept for the IRA checks). */
export function contractInfoFromWire(d: WireContractDetails): ContractInfo {
  const c = d.contract;
  const inst = instrumentFromWire(c);
  const mult = decOrUndefined(c.multiplier);
  const tick = decOrUndefined(d.minTick);
  const opt = <K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> =>
    (v ? { [k]: v } : {}) as Partial<Record<K, string>>;
  return {
    conId: c.conId ?? 0,
    symbol: inst.symbol,
    secType: inst.secType,
    exchange: inst.exchange,
    currency: inst.currency,
    ...opt('primaryExchange', c.primaryExch),
    ...opt('longName', d.longName),
    ...opt('stockType', d.stockType),
    ...opt('industry', d.industry),
    ...opt('category', d.category),
    ...opt('subcategory', d.subcategory),
    ...(mult !== undefined && !mult.isZero() ? { multiplier: mult } : {}),
    ...(tick !== undefined && !tick.isZero() ? { minTick: tick } : {}),
    ...opt('lastTradeDateOrContractMonth', c.lastTradeDateOrContractMonth),
  };
}

/** ExecutionFilter time: "yyyymmdd hh:mm:ss" in UTC (the daemon and TWS hosts are expected to run UTC). */
export function formatExecFilterTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(
    d.getUTCMinutes(),
  )}:${p(d.getUTCSeconds())}`;
}
