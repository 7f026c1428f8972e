/**
 * Server → client codec (reference §5): {@link encodeServerMessage} for the simulator and
 * {@link decodeServerMessage} (its inverse, strict about field counts) for tests and other clients.
 * Layouts are those @stoqey/ib 1.6.10's Decoder reads at the given server version.
 */
import { WireDecodeError } from './errors.js';
import { FieldIO, type Rec } from './field-io.js';
import { SERVER_MSG_ID, type ServerMessage, type ServerMessageType, type WireValue } from './messages.js';
import { completedOrderSchema, openOrderSchema } from './open-order.js';
import { V, child, tagValues } from './order-common.js';
import { checkVersion } from './versions.js';

type Schema = (io: FieldIO, m: Rec, v: number) => void;

/** version field, then the listed fields with the given kinds. */
function simple(version: number | null, spec: readonly (readonly [keyof FieldIO & ('int' | 'text' | 'str' | 'num' | 'num0' | 'bool' | 'optInt'), string])[]): Schema {
  return (io, m) => {
    if (version !== null) io.version(version);
    for (const [kind, key] of spec) io[kind](m, key);
  };
}

/** POSITION / POSITION_MULTI contract: conId … tradingClass, with exchange, without primaryExch. */
function positionContract(io: FieldIO, m: Rec): void {
  const c = child(io, m, 'contract');
  io.int(c, 'conId');
  for (const k of ['symbol', 'secType', 'lastTradeDateOrContractMonth']) io.str(c, k);
  io.num(c, 'strike');
  for (const k of ['right', 'multiplier', 'exchange', 'currency', 'localSymbol', 'tradingClass']) io.str(c, k);
}

const portfolioValue: Schema = (io, m) => {
  io.version(8);
  const c = child(io, m, 'contract');
  io.int(c, 'conId');
  for (const k of ['symbol', 'secType', 'lastTradeDateOrContractMonth']) io.str(c, k);
  io.num(c, 'strike');
  for (const k of ['right', 'multiplier', 'primaryExch', 'currency', 'localSymbol', 'tradingClass']) io.str(c, k);
  for (const k of ['position', 'marketPrice', 'marketValue', 'averageCost', 'unrealizedPNL', 'realizedPNL']) io.num0(m, k);
  io.text(m, 'accountName');
};

const executionData: Schema = (io, m, v) => {
  io.int(m, 'reqId');
  const e = child(io, m, 'execution');
  io.int(e, 'orderId');
  positionContract(io, m);
  for (const k of ['execId', 'time', 'acctNumber', 'exchange', 'side']) io.text(e, k);
  io.num0(e, 'shares');
  io.num0(e, 'price');
  io.int(e, 'permId');
  io.int(e, 'clientId');
  io.optInt(e, 'liquidation');
  io.num0(e, 'cumQty');
  io.num0(e, 'avgPrice');
  io.str(e, 'orderRef');
  io.str(e, 'evRule');
  io.num(e, 'evMultiplier');
  io.str(e, 'modelCode');
  io.optInt(e, 'lastLiquidity');
  if (v >= V.PENDING_PRICE_REVISION) io.bool(e, 'pendingPriceRevision');
};

const FUND_FIELD_COUNT = 17;

const contractData: Schema = (io, m, v) => {
  if (v < V.SIZE_RULES) io.version(8);
  io.int(m, 'reqId');
  const d = child(io, m, 'details');
  const c = child(io, d, 'contract');
  for (const k of ['symbol', 'secType', 'lastTradeDateOrContractMonth']) io.str(c, k);
  if (v >= V.LAST_TRADE_DATE) io.str(d, 'lastTradeDate');
  io.num(c, 'strike');
  for (const k of ['right', 'exchange', 'currency', 'localSymbol']) io.str(c, k);
  io.str(d, 'marketName');
  io.str(c, 'tradingClass');
  io.int(c, 'conId');
  io.num(d, 'minTick');
  if (v < V.SIZE_RULES) io.constant('mdSizeMultiplier', 1);
  io.str(c, 'multiplier');
  io.str(d, 'orderTypes');
  io.str(d, 'validExchanges');
  io.optInt(d, 'priceMagnifier');
  io.optInt(d, 'underConId');
  io.str(d, 'longName');
  io.str(c, 'primaryExch');
  for (const k of ['contractMonth', 'industry', 'category', 'subcategory', 'timeZoneId', 'tradingHours', 'liquidHours', 'evRule']) {
    io.str(d, k);
  }
  io.num(d, 'evMultiplier');
  tagValues(io, d, 'secIdList');
  io.optInt(d, 'aggGroup');
  for (const k of ['underSymbol', 'underSecType', 'marketRuleIds', 'realExpirationDate', 'stockType']) io.str(d, k);
  contractDataTail(io, c, d, v);
};

function contractDataTail(io: FieldIO, c: Rec, d: Rec, v: number): void {
  if (v < V.SIZE_RULES) io.constant('sizeMinTick', '');
  else for (const k of ['minSize', 'sizeIncrement', 'suggestedSizeIncrement']) io.num(d, k);
  if (v >= V.FUND_DATA_FIELDS && c['secType'] === 'FUND') {
    if (io.decoding) {
      const fund: string[] = [];
      for (let i = 0; i < FUND_FIELD_COUNT; i++) fund.push(io.next(`fundFields[${i}]`));
      d['fundFields'] = fund;
    } else {
      const fund = (d['fundFields'] as readonly WireValue[] | undefined) ?? [];
      for (let i = 0; i < FUND_FIELD_COUNT; i++) io.out.push(fund[i] ?? '');
    }
  }
  if (v >= V.INELIGIBILITY_REASONS) {
    io.list(d, 'ineligibilityReasons', (r) => {
      io.text(r, 'id');
      io.text(r, 'description');
    });
  }
}

function bar(io: FieldIO, b: Rec, update: boolean): void {
  if (update) {
    io.int(b, 'barCount');
    io.text(b, 'date');
    for (const k of ['open', 'close', 'high', 'low', 'wap', 'volume']) io.num0(b, k);
    return;
  }
  io.text(b, 'date');
  for (const k of ['open', 'high', 'low', 'close', 'volume', 'wap']) io.num0(b, k);
  io.int(b, 'barCount');
}

/** A count-prefixed list of plain values (text or numbers) under `m[k]`. */
function valueList(io: FieldIO, m: Rec, k: string, kind: 'text' | 'num0'): void {
  if (io.decoding) {
    const n = io.count(k);
    const arr: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const item: Rec = {};
      io[kind](item, 'v');
      arr.push(item['v']);
    }
    m[k] = arr;
    return;
  }
  const arr = (m[k] as readonly unknown[] | undefined) ?? [];
  io.out.push(arr.length);
  for (const v of arr) io[kind]({ v } as Rec, 'v');
}

/** TICK_OPTION_COMPUTATION at v ≥ 156 (PRICE_BASED_VOLATILITY, below the codec's range): no version field, a tickAttrib. */
const tickOptionComputation: Schema = (io, m) => {
  io.int(m, 'reqId');
  io.int(m, 'tickType');
  io.int(m, 'tickAttrib');
  for (const k of ['impliedVol', 'delta', 'optPrice', 'pvDividend', 'gamma', 'vega', 'theta', 'undPrice']) io.num0(m, k);
};

const SCHEMAS: Record<ServerMessageType, Schema> = {
  NEXT_VALID_ID: simple(1, [['int', 'orderId']]),
  MANAGED_ACCTS: simple(1, [['text', 'accounts']]),
  ERR_MSG: (io, m, v) => {
    io.version(2);
    io.int(m, 'reqId');
    io.int(m, 'code');
    io.text(m, 'message');
    if (v >= V.ADVANCED_ORDER_REJECT) io.str(m, 'advancedOrderRejectJson');
  },
  CURRENT_TIME: simple(1, [['int', 'time']]),
  POSITION: (io, m) => {
    io.version(3);
    io.text(m, 'account');
    positionContract(io, m);
    io.num0(m, 'position');
    io.num0(m, 'avgCost');
  },
  POSITION_END: simple(1, []),
  ACCOUNT_SUMMARY: simple(1, [['int', 'reqId'], ['text', 'account'], ['text', 'tag'], ['text', 'value'], ['text', 'currency']]),
  ACCOUNT_SUMMARY_END: simple(1, [['int', 'reqId']]),
  POSITION_MULTI: (io, m) => {
    io.version(1);
    io.int(m, 'reqId');
    io.text(m, 'account');
    positionContract(io, m);
    io.num0(m, 'position');
    io.num0(m, 'avgCost');
    io.str(m, 'modelCode');
  },
  POSITION_MULTI_END: simple(1, [['int', 'reqId']]),
  ACCOUNT_UPDATE_MULTI: simple(1, [['int', 'reqId'], ['text', 'account'], ['str', 'modelCode'], ['text', 'key'], ['text', 'value'], ['text', 'currency']]),
  ACCOUNT_UPDATE_MULTI_END: simple(1, [['int', 'reqId']]),
  ACCT_VALUE: simple(2, [['text', 'key'], ['text', 'value'], ['text', 'currency'], ['text', 'accountName']]),
  PORTFOLIO_VALUE: portfolioValue,
  ACCT_UPDATE_TIME: simple(1, [['text', 'timeStamp']]),
  ACCT_DOWNLOAD_END: simple(1, [['text', 'accountName']]),
  ORDER_STATUS: simple(null, [
    ['int', 'orderId'], ['text', 'status'], ['num0', 'filled'], ['num0', 'remaining'], ['num0', 'avgFillPrice'], ['int', 'permId'],
    ['int', 'parentId'], ['num0', 'lastFillPrice'], ['int', 'clientId'], ['str', 'whyHeld'], ['num', 'mktCapPrice'],
  ]),
  OPEN_ORDER: openOrderSchema,
  OPEN_ORDER_END: simple(1, []),
  COMPLETED_ORDER: completedOrderSchema,
  COMPLETED_ORDERS_END: simple(null, []),
  EXECUTION_DATA: executionData,
  EXECUTION_DATA_END: simple(1, [['int', 'reqId']]),
  COMMISSION_REPORT: simple(1, [
    ['text', 'execId'], ['num0', 'commission'], ['text', 'currency'], ['num', 'realizedPNL'], ['num', 'yield'], ['optInt', 'yieldRedemptionDate'],
  ]),
  CONTRACT_DATA: contractData,
  CONTRACT_DATA_END: simple(1, [['int', 'reqId']]),
  TICK_PRICE: simple(6, [['int', 'reqId'], ['int', 'tickType'], ['num0', 'price'], ['num', 'size'], ['int', 'attrMask']]),
  TICK_SIZE: simple(6, [['int', 'reqId'], ['int', 'tickType'], ['num0', 'size']]),
  TICK_GENERIC: simple(6, [['int', 'reqId'], ['int', 'tickType'], ['num0', 'value']]),
  TICK_STRING: simple(6, [['int', 'reqId'], ['int', 'tickType'], ['text', 'value']]),
  TICK_REQ_PARAMS: simple(null, [['int', 'reqId'], ['num0', 'minTick'], ['text', 'bboExchange'], ['int', 'snapshotPermissions']]),
  MARKET_DATA_TYPE: simple(1, [['int', 'reqId'], ['int', 'marketDataType']]),
  TICK_SNAPSHOT_END: simple(1, [['int', 'reqId']]),
  HISTORICAL_DATA: (io, m) => {
    io.int(m, 'reqId');
    io.text(m, 'startDate');
    io.text(m, 'endDate');
    io.list(m, 'bars', (b) => bar(io, b, false), true);
  },
  HISTORICAL_DATA_UPDATE: (io, m) => {
    io.int(m, 'reqId');
    bar(io, child(io, m, 'bar'), true);
  },
  ORDER_BOUND: simple(null, [['int', 'permId'], ['int', 'clientId'], ['int', 'orderId']]),
  SECURITY_DEFINITION_OPTION_PARAMETER: (io, m) => {
    io.int(m, 'reqId');
    io.text(m, 'exchange');
    io.int(m, 'underlyingConId');
    io.text(m, 'tradingClass');
    io.text(m, 'multiplier');
    valueList(io, m, 'expirations', 'text');
    valueList(io, m, 'strikes', 'num0');
  },
  SECURITY_DEFINITION_OPTION_PARAMETER_END: simple(null, [['int', 'reqId']]),
  TICK_OPTION_COMPUTATION: tickOptionComputation,
};

const TYPE_BY_ID = new Map<number, ServerMessageType>(
  Object.entries(SERVER_MSG_ID).map(([t, id]) => [id, t as ServerMessageType]),
);

/**
 * Encodes a server message as fields (msg id, version field where the protocol has one, payload) at the
 * negotiated server version; frame it with `encodeFrame`. Unset optional values become "".
 * Throws RangeError for a version outside the codec's range.
 */
export function encodeServerMessage(msg: ServerMessage, serverVersion: number): WireValue[] {
  checkVersion(serverVersion);
  const io = FieldIO.writer(msg.type);
  io.out.push(SERVER_MSG_ID[msg.type]);
  SCHEMAS[msg.type](io, msg as unknown as Rec, serverVersion);
  return io.out;
}

/**
 * Decodes a server frame (the inverse of {@link encodeServerMessage}); strict: leftover or missing fields
 * throw {@link WireDecodeError}. Unknown message ids throw too.
 */
export function decodeServerMessage(fields: readonly string[], serverVersion: number): ServerMessage {
  checkVersion(serverVersion);
  const idText = fields[0];
  if (idText === undefined) throw new WireDecodeError('<empty>', 'msgId', 'empty frame');
  const msgId = FieldIO.reader('<unknown>', fields).parseInt('msgId', idText);
  const type = TYPE_BY_ID.get(msgId);
  if (type === undefined) throw new WireDecodeError(`msg ${msgId}`, 'msgId', 'unknown server message id');
  const m: Rec = { type };
  const io = FieldIO.reader(type, fields);
  SCHEMAS[type](io, m, serverVersion);
  io.end();
  return m as unknown as ServerMessage;
}
