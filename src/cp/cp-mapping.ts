/**
 * Client Portal shapes → domain reports, and order legs → CP tickets. Pure. Numbers arrive as strings
 * with thousands separators, sides as BUY/B/BOT, statuses as CP names; everything is normalized here.
 */
import { Decimal, type Instrument, type OrderLeg, type SecType } from '../domain/types.js';
import type { BrokerOrderStatus, FillReport, OrderReport, PositionSnapshot } from './cp-types-domain.js';

/** A CP number (number or "1,300" / "168.42") as a Decimal; undefined when empty or not a number. */
export function cpDecimal(v: unknown): Decimal | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return new Decimal(v);
  if (typeof v !== 'string') return undefined;
  const t = v.replace(/,/g, '').replace(/^[CH]/, '').trim();
  if (t === '' || !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) return undefined;
  return new Decimal(t);
}

const STATUS: Record<string, BrokerOrderStatus> = {
  inactive: 'INACTIVE', pendingsubmit: 'PENDING_SUBMIT', presubmitted: 'PRE_SUBMITTED', submitted: 'SUBMITTED',
  filled: 'FILLED', pendingcancel: 'PENDING_CANCEL', precancelled: 'PENDING_CANCEL', cancelled: 'CANCELLED', warnstate: 'SUBMITTED',
};

/** CP order status → broker status. */
export const cpStatus = (s: unknown): BrokerOrderStatus => STATUS[String(s ?? '').toLowerCase().replace(/[^a-z]/g, '')] ?? 'UNKNOWN';

const TYPE: Record<string, string> = {
  market: 'MKT', limit: 'LMT', stop: 'STP', 'stop limit': 'STP LMT', 'trailing stop': 'TRAIL', 'market on close': 'MOC', 'limit on close': 'LOC',
  mkt: 'MKT', lmt: 'LMT', stp: 'STP', stop_limit: 'STP LMT', trail: 'TRAIL', moc: 'MOC', loc: 'LOC',
};

/** CP order type text ("Limit", "LIMIT", "Stop Limit") → our order type. */
export const cpOrderType = (t: unknown): string => TYPE[String(t ?? '').toLowerCase()] ?? String(t ?? '');

const SEC: readonly string[] = ['STK', 'FUT', 'OPT', 'CASH'];
const secType = (v: unknown): SecType => (SEC.includes(String(v)) ? (String(v) as SecType) : 'STK');

/** The instrument of a CP order / trade / position row. */
export function cpInstrument(r: Record<string, unknown>): Instrument {
  const currency = typeof r['cashCcy'] === 'string' ? r['cashCcy'] : typeof r['currency'] === 'string' ? r['currency'] : 'USD';
  const symbol = String(r['ticker'] ?? r['symbol'] ?? r['contractDesc'] ?? '');
  const conid = Number(r['conid']);
  return { symbol, secType: secType(r['secType'] ?? r['sec_type'] ?? r['assetClass']), exchange: 'SMART', currency, ...(Number.isInteger(conid) && conid > 0 ? { conId: conid } : {}) };
}

/** A live-orders row → OrderReport (CP's orderId is the broker's order id; there is no client id). */
export function cpOrderReport(r: Record<string, unknown>): OrderReport {
  const filled = Number(r['filledQuantity'] ?? 0);
  const remaining = Number(r['remainingQuantity'] ?? 0);
  const status = cpStatus(r['status']);
  const limit = cpDecimal(r['price']);
  const stop = cpDecimal(r['auxPrice']);
  const avg = cpDecimal(r['avgPrice']);
  const type = cpOrderType(r['origOrderType'] ?? r['orderType']);
  return {
    orderId: Number(r['orderId']), permId: Number(r['orderId']), account: String(r['acct'] ?? r['account'] ?? ''),
    ...(typeof r['order_ref'] === 'string' && r['order_ref'] !== '' ? { orderRef: r['order_ref'] } : {}),
    instrument: cpInstrument(r), side: String(r['side']).toUpperCase().startsWith('S') ? 'SELL' : 'BUY',
    quantity: Number(r['totalSize'] ?? filled + remaining), orderType: type,
    ...(limit && type !== 'STP' && type !== 'MKT' ? { limitPrice: limit } : {}), ...(stop ? { stopPrice: stop } : type === 'STP' && limit ? { stopPrice: limit } : {}),
    status, filled, remaining, ...(avg ? { avgFillPrice: avg } : {}),
    source: status === 'FILLED' || status === 'CANCELLED' || status === 'INACTIVE' ? 'completed' : 'open',
  };
}

/** A trades row → FillReport (orderId unknown to trades: 0, the orderRef carries the link). */
export function cpFillReport(r: Record<string, unknown>, orderIdOfRef: (ref: string) => number | undefined): FillReport {
  const ref = typeof r['order_ref'] === 'string' ? r['order_ref'] : '';
  const price = cpDecimal(r['price']) ?? new Decimal(0);
  const side = String(r['side']).toUpperCase();
  const time = Number(r['trade_time_r']);
  const commission = cpDecimal(r['commission']);
  const shares = Number(r['size']);
  return {
    execId: String(r['execution_id']), orderId: (ref ? orderIdOfRef(ref) : undefined) ?? 0, account: String(r['account'] ?? r['accountCode'] ?? ''),
    ...(ref ? { orderRef: ref } : {}), instrument: cpInstrument(r), side: side === 'S' || side === 'SLD' || side === 'SELL' ? 'SLD' : 'BOT',
    shares, price, cumQty: shares, avgPrice: price, time: Number.isFinite(time) ? twsLikeTime(time) : String(r['trade_time'] ?? ''),
    ...(commission ? { commission, commissionCurrency: 'USD' } : {}),
  };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** epoch ms → "yyyymmdd hh:mm:ss UTC" (the TWS adapter's execution time format). */
export function twsLikeTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** A positions row → PositionSnapshot. */
export function cpPosition(r: Record<string, unknown>): PositionSnapshot {
  const i = cpInstrument(r);
  return {
    account: String(r['acctId'] ?? ''), symbol: i.symbol, secType: i.secType, currency: i.currency, ...(i.conId ? { conId: i.conId } : {}),
    quantity: Number(r['position'] ?? 0), avgCost: cpDecimal(r['avgCost']) ?? new Decimal(0),
  };
}

const CP_TYPE: Record<string, string> = { MKT: 'MKT', LMT: 'LMT', STP: 'STP', 'STP LMT': 'STOP_LIMIT', TRAIL: 'TRAIL', MOC: 'MOC', LOC: 'LOC' };

/** An order leg → a CP ticket: `cOID` = our orderRef; a child's `parentId` = the entry's orderRef. */
export function legToTicket(leg: OrderLeg, conid: number): Record<string, unknown> | string {
  const orderType = CP_TYPE[leg.type];
  if (!orderType) return `order type ${leg.type} is not supported on the Client Portal backend`;
  const t: Record<string, unknown> = { acctId: leg.account, conid, orderType, side: leg.side, quantity: leg.quantity, tif: leg.tif, outsideRTH: leg.outsideRth, cOID: leg.orderRef };
  if (leg.parentRef) t['parentId'] = leg.parentRef;
  // IB algos: the ticket's `strategy` and `strategyParameters` (e.g. Adaptive, adaptivePriority)
  if (leg.algo) Object.assign(t, { strategy: leg.algo.strategy, strategyParameters: { ...leg.algo.params } });
  if (leg.type === 'STP') t['price'] = leg.stopPrice?.toNumber();
  else if (leg.type === 'STP LMT') Object.assign(t, { price: leg.limitPrice?.toNumber(), auxPrice: leg.stopPrice?.toNumber() });
  else if (leg.type === 'TRAIL') Object.assign(t, leg.trailingPercent ? { trailingType: '%', trailingAmt: leg.trailingPercent.toNumber() } : { trailingType: 'amt', trailingAmt: leg.stopPrice?.toNumber() });
  else if (leg.limitPrice) t['price'] = leg.limitPrice.toNumber();
  if (leg.instrument.secType === 'FUT') t['manualIndicator'] = false;
  return t;
}
