/**
 * IB error / info codes as data. Pure: no I/O, no @stoqey/ib import.
 *
 * Every code TWS / IB Gateway (or the @stoqey/ib client itself, codes 5xx) can send is classified into one
 * of the `BrokerErrorKind`s of the broker port:
 *  - `info`          — nothing to do (farm OK messages, "restored" notices handled by the connection state);
 *  - `warning`       — the request or order carries on; log it, surface it as `orderWarning` for orders.
 *                      399 / 10349 / 404 / 2109 are warnings, NOT cancels: IB keeps the order working;
 *  - `orderRejected` — IB refused this order (or this request): terminal for that order / request;
 *  - `retryable`     — transport or capacity problem: the same request may succeed later;
 *  - `fatal`         — configuration problem a retry loop cannot fix (client id in use, read-only API,
 *                      decoder error); a human must look.
 *
 * Pitfalls:
 *  - 202 "Order Canceled" is an order STATUS, not a rejection (`status: 'CANCELLED'`).
 *  - 161 / 10147 / 10148 refuse a CANCEL, not the order: the order itself may be filled or gone
 *    (`cancelRefused: true`); never treat them as a rejection of the order.
 *  - 1100 / 2110 keep the socket open (only IBApiNext closes it); the connection layer blocks orders until
 *    1101 / 1102 and a reconciliation pass.
 *  - Unknown codes: 2100–2999 are warnings (IB's convention), 10000+ and everything else unknown is a
 *    `warning` — a real rejection also arrives as an `Inactive`/`Cancelled` order status, so guessing
 *    "warning" never loses an order, while guessing "rejected" could make a caller think nothing is live.
 */
import type { BrokerErrorKind } from '../execution/broker-port.js';

/** Which part of the session a code concerns. */
export type IbCodeScope = 'connection' | 'order' | 'cancel' | 'data' | 'request' | 'client';

/** One row of the taxonomy. */
export interface IbCodeInfo {
  readonly code: number;
  readonly kind: BrokerErrorKind;
  readonly scope: IbCodeScope;
  /** short human description (our words; IB's text comes with the message) */
  readonly meaning: string;
  /** for order codes that are really a status change (202) */
  readonly status?: 'CANCELLED';
  /** the refusal concerns a cancel request, not the order (161, 10147, 10148) */
  readonly cancelRefused?: boolean;
}

const row = (
  code: number,
  kind: BrokerErrorKind,
  scope: IbCodeScope,
  meaning: string,
  extra: Partial<Pick<IbCodeInfo, 'status' | 'cancelRefused'>> = {},
): IbCodeInfo => ({ code, kind, scope, meaning, ...extra });

/** The table. Order matters only for readability. */
export const IB_CODES: readonly IbCodeInfo[] = [
  // connection
  row(1100, 'retryable', 'connection', 'connectivity between IB and TWS lost: block orders'),
  row(1101, 'info', 'connection', 'connectivity restored, data lost: resubscribe and reconcile'),
  row(1102, 'info', 'connection', 'connectivity restored, data maintained: reconcile'),
  row(1300, 'retryable', 'connection', 'TWS socket port reset: reconnect'),
  row(2110, 'retryable', 'connection', 'connectivity between TWS and server broken: block orders'),
  row(10197, 'fatal', 'connection', 'competing session: the same username logged in elsewhere (leave, retry slowly, alert)'),
  row(326, 'fatal', 'connection', 'client id already in use: another process holds it (retry slowly, alert)'),
  row(502, 'retryable', 'client', "couldn't connect (refused, API disabled, wrong port, untrusted IP)"),
  row(504, 'retryable', 'client', 'not connected'),
  row(507, 'retryable', 'client', 'bad message length / socket EOF'),
  row(505, 'fatal', 'client', 'decoder error: client and server disagree on a message layout (a bug)'),
  row(506, 'fatal', 'client', 'unsupported server version'),
  row(503, 'fatal', 'client', 'TWS is out of date'),
  row(501, 'info', 'client', 'already connected'),
  row(100, 'retryable', 'request', 'max message rate exceeded (TWS drops the session after 3)'),
  row(321, 'fatal', 'request', 'request validation failed; typically the API is in Read-Only mode'),
  // farms and notices
  row(2103, 'warning', 'data', 'market data farm connection broken'),
  row(2105, 'warning', 'data', 'HMDS data farm connection broken'),
  row(2157, 'warning', 'data', 'sec-def data farm connection broken'),
  row(2104, 'info', 'data', 'market data farm connection OK'),
  row(2106, 'info', 'data', 'HMDS data farm connection OK'),
  row(2158, 'info', 'data', 'sec-def data farm connection OK'),
  row(2107, 'info', 'data', 'HMDS data farm inactive, available on demand'),
  row(2108, 'info', 'data', 'market data farm inactive, available on demand'),
  row(2119, 'info', 'data', 'market data farm connecting'),
  row(2100, 'info', 'request', 'account data subscription cancelled by a new one'),
  // order warnings (the order keeps working)
  row(399, 'warning', 'order', 'order message / warning (e.g. will not be placed until market open)'),
  row(404, 'warning', 'order', 'shares not available for short sale: order held, not cancelled'),
  row(10349, 'warning', 'order', 'TIF set to DAY by order preset'),
  row(2109, 'warning', 'order', 'outsideRth flag ignored for this order'),
  row(2102, 'warning', 'order', 'modify sent while the order is still being processed'),
  row(202, 'info', 'order', 'order cancelled (a status, not a rejection)', { status: 'CANCELLED' }),
  // order rejections (terminal for that order)
  row(103, 'orderRejected', 'order', 'duplicate order id'),
  row(104, 'orderRejected', 'order', 'cannot modify a filled order'),
  row(105, 'orderRejected', 'order', 'order being modified does not match the original'),
  row(106, 'orderRejected', 'order', 'cannot transmit order id'),
  row(107, 'orderRejected', 'order', 'cannot transmit incomplete order'),
  row(109, 'orderRejected', 'order', 'price out of range'),
  row(110, 'orderRejected', 'order', 'price does not conform to the minimum tick'),
  row(111, 'orderRejected', 'order', 'TIF and order type are incompatible'),
  row(116, 'orderRejected', 'order', 'order type not supported for this exchange / security'),
  row(117, 'orderRejected', 'order', 'order type not supported for this exchange / security'),
  row(135, 'orderRejected', 'order', "can't find order with that id"),
  row(200, 'orderRejected', 'request', 'no security definition found'),
  row(201, 'orderRejected', 'order', 'order rejected by IB (reason in the text)'),
  row(203, 'orderRejected', 'order', 'security not available or allowed for this account'),
  row(383, 'orderRejected', 'order', 'size exceeds the allowed maximum'),
  row(387, 'orderRejected', 'order', 'unsupported order type for this exchange / security'),
  row(434, 'orderRejected', 'order', 'order size cannot be zero'),
  row(10006, 'orderRejected', 'order', 'missing parent order (bracket child sent too early)'),
  row(10147, 'orderRejected', 'cancel', 'order to cancel not found', { cancelRefused: true }),
  row(10148, 'orderRejected', 'cancel', 'order cannot be cancelled in its state', { cancelRefused: true }),
  row(161, 'orderRejected', 'cancel', 'cancel attempted when the order is not cancellable', { cancelRefused: true }),
  // market / historical data
  row(101, 'retryable', 'data', 'max number of tickers (market data lines) reached'),
  row(162, 'retryable', 'data', 'historical data service error / pacing violation'),
  row(165, 'info', 'data', 'historical data farm notice'),
  row(366, 'info', 'data', 'no historical data query found for the ticker id'),
  row(354, 'retryable', 'data', 'market data not subscribed: fall back to delayed data'),
  row(10167, 'info', 'data', 'displaying delayed market data'),
  row(10168, 'fatal', 'data', 'market data not subscribed and delayed data not enabled'),
  row(10089, 'retryable', 'data', 'market data requires additional subscription (API)'),
  row(10090, 'warning', 'data', 'part of the requested market data is not subscribed'),
  row(300, 'info', 'data', "can't find ticker id (cancel of an unknown request)"),
];

const BY_CODE: ReadonlyMap<number, IbCodeInfo> = new Map(IB_CODES.map((r) => [r.code, r]));

/**
 * Classify an IB code. Unknown codes get a conservative default (see the module doc): 2100–2999 and
 * texts containing "Warning:" → `warning`, anything else → `warning` too when it concerns an order,
 * `retryable` when it concerns a plain request.
 */
export function classifyIbCode(code: number, message = '', scopeHint: IbCodeScope = 'request'): IbCodeInfo {
  const known = BY_CODE.get(code);
  if (known) return known;
  if ((code >= 2100 && code < 3000) || message.includes('Warning:')) {
    return row(code, 'warning', scopeHint, 'unclassified notice');
  }
  return row(code, scopeHint === 'order' ? 'warning' : 'retryable', scopeHint, 'unclassified code');
}

/** True for codes that say "the connection to IB's servers is lost" (orders must stop). */
export const isConnectivityLostCode = (code: number): boolean => code === 1100 || code === 2110;
/** True for codes that say "the connection to IB's servers is back" (reconcile, then resume). */
export const isConnectivityRestoredCode = (code: number): boolean => code === 1101 || code === 1102;
