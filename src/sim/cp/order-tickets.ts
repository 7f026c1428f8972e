/**
 * Reading place-order bodies (`{orders:[ticket, …]}`) into tickets, and tickets into the engine's wire
 * orders: CP order types (LMT, MKT, STP, STOP_LIMIT, TRAIL, MOC, LOC, MIT, LIT) onto TWS types; for STP
 * and MIT the ticket's `price` is the stop/trigger price; `cOID` becomes the orderRef. Pure.
 */
import type { WireOrder } from '../wire/messages.js';
import type { CpTicket } from './cp-types.js';

const TYPES: Record<string, string> = {
  LMT: 'LMT', MKT: 'MKT', STP: 'STP', STOP_LIMIT: 'STP LMT', TRAIL: 'TRAIL', MOC: 'MOC', LOC: 'LOC', MIT: 'MIT', LIT: 'LIT',
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Parses one ticket or returns the error text naming the field. */
export function parseTicket(raw: unknown): CpTicket | string {
  if (typeof raw !== 'object' || raw === null) return 'each order must be an object';
  const t = raw as Record<string, unknown>;
  const conid = num(t['conid']) ?? (typeof t['conidex'] === 'string' ? Number(t['conidex']) : undefined);
  if (conid === undefined || !Number.isInteger(conid)) return 'conid is required (an integer)';
  const orderType = str(t['orderType']);
  if (!orderType || !TYPES[orderType]) return `orderType ${String(t['orderType'])} is not supported`;
  const side = str(t['side']);
  if (side !== 'BUY' && side !== 'SELL') return 'side must be BUY or SELL';
  const quantity = num(t['quantity']);
  if (quantity === undefined || quantity <= 0) return 'quantity must be a positive number';
  const tif = str(t['tif']) ?? 'DAY';
  return {
    conid, orderType, side, quantity, tif, price: num(t['price']), auxPrice: num(t['auxPrice']),
    trailingAmt: num(t['trailingAmt']), trailingType: str(t['trailingType']), cOID: str(t['cOID']), parentId: str(t['parentId']),
    outsideRTH: t['outsideRTH'] === true, acctId: str(t['acctId']),
  };
}

/** Parses a place-order body, or returns the error text. */
export function parseTickets(body: unknown): CpTicket[] | string {
  const orders = (body as { orders?: unknown } | undefined)?.orders;
  if (!Array.isArray(orders) || orders.length === 0) return 'body must be {"orders":[…]} with at least one order';
  const out: CpTicket[] = [];
  for (const o of orders) {
    const t = parseTicket(o);
    if (typeof t === 'string') return t;
    out.push(t);
  }
  return out;
}

/** The engine wire order of a ticket (without parentId/transmit, which the caller sets). */
export function toWire(t: CpTicket, account: string): WireOrder {
  const type = TYPES[t.orderType] ?? t.orderType;
  const stopIsPrice = t.orderType === 'STP' || t.orderType === 'MIT';
  const trailPct = t.orderType === 'TRAIL' && t.trailingType === '%';
  return {
    action: t.side, totalQuantity: t.quantity, orderType: type, tif: t.tif, account, orderRef: t.cOID ?? '',
    outsideRth: t.outsideRTH ?? false,
    ...(stopIsPrice ? { auxPrice: t.price ?? t.auxPrice } : { lmtPrice: t.orderType === 'TRAIL' ? undefined : t.price, auxPrice: t.auxPrice }),
    ...(t.orderType === 'TRAIL' ? (trailPct ? { trailingPercent: t.trailingAmt } : { auxPrice: t.trailingAmt }) : {}),
  } as WireOrder;
}
