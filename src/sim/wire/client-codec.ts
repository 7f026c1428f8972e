/**
 * Client → server codec (reference §4): {@link decodeClientMessage} for the simulator,
 * {@link encodeClientMessage} (what @stoqey/ib / ibapi would send) for tests and other clients.
 */
import { WireDecodeError } from './errors.js';
import { FieldIO, type Rec } from './field-io.js';
import { CLIENT_MSG_ID, type ClientMessage, type ClientMessageType, type WireValue } from './messages.js';
import { V, comboLegsShort, contractFields, deltaNeutralContract, child, isBag } from './order-common.js';
import { placeOrderSchema } from './place-order.js';
import { checkVersion } from './versions.js';

type Schema = (io: FieldIO, m: Rec, v: number) => void;

const reqIdOnly: Schema = (io, m) => {
  io.version(1);
  io.int(m, 'reqId');
};
const versionOnly: Schema = (io) => io.version(1);

const SCHEMAS: Record<Exclude<ClientMessageType, 'UNKNOWN'>, Schema> = {
  START_API: (io, m) => {
    io.version(2);
    io.int(m, 'clientId');
    io.str(m, 'optionalCapabilities');
  },
  REQ_IDS: (io, m) => {
    io.version(1);
    io.int(m, 'numIds');
  },
  REQ_MANAGED_ACCTS: versionOnly,
  REQ_CURRENT_TIME: versionOnly,
  REQ_MARKET_DATA_TYPE: (io, m) => {
    io.version(1);
    io.int(m, 'marketDataType');
  },
  REQ_POSITIONS: versionOnly,
  CANCEL_POSITIONS: versionOnly,
  REQ_ACCOUNT_SUMMARY: (io, m) => {
    io.version(1);
    io.int(m, 'reqId');
    io.text(m, 'group');
    io.text(m, 'tags');
  },
  CANCEL_ACCOUNT_SUMMARY: reqIdOnly,
  REQ_POSITIONS_MULTI: (io, m) => {
    io.version(1);
    io.int(m, 'reqId');
    io.str(m, 'account');
    io.str(m, 'modelCode');
  },
  CANCEL_POSITIONS_MULTI: reqIdOnly,
  REQ_ACCOUNT_DATA: (io, m) => {
    io.version(2);
    io.bool(m, 'subscribe');
    io.str(m, 'acctCode');
  },
  REQ_ACCOUNT_UPDATES_MULTI: (io, m) => {
    io.version(2);
    io.int(m, 'reqId');
    io.str(m, 'account');
    io.str(m, 'modelCode');
    io.bool(m, 'ledgerAndNLV');
  },
  CANCEL_ACCOUNT_UPDATES_MULTI: (io, m) => {
    io.version(2);
    io.int(m, 'reqId');
  },
  REQ_OPEN_ORDERS: versionOnly,
  REQ_ALL_OPEN_ORDERS: versionOnly,
  REQ_AUTO_OPEN_ORDERS: (io, m) => {
    io.version(1);
    io.bool(m, 'autoBind');
  },
  REQ_COMPLETED_ORDERS: (io, m) => io.bool(m, 'apiOnly'),
  REQ_EXECUTIONS: (io, m) => {
    io.version(3);
    io.int(m, 'reqId');
    const f = child(io, m, 'filter');
    io.optInt(f, 'clientId');
    for (const k of ['acctCode', 'time', 'symbol', 'secType', 'exchange', 'side']) io.str(f, k);
  },
  REQ_CONTRACT_DATA: (io, m, v) => {
    io.version(8);
    io.int(m, 'reqId');
    const c = child(io, m, 'contract');
    contractFields(io, c, true);
    io.optBool(c, 'includeExpired');
    io.str(c, 'secIdType');
    io.str(c, 'secId');
    if (v >= V.BOND_ISSUERID) io.str(c, 'issuerId');
  },
  REQ_MKT_DATA: (io, m) => {
    io.version(11);
    io.int(m, 'reqId');
    const c = child(io, m, 'contract');
    contractFields(io, c, true);
    if (isBag(c)) comboLegsShort(io, c);
    deltaNeutralContract(io, c);
    io.str(m, 'genericTickList');
    io.bool(m, 'snapshot');
    io.bool(m, 'regulatorySnapshot');
    io.str(m, 'mktDataOptions');
  },
  CANCEL_MKT_DATA: reqIdOnly,
  REQ_HISTORICAL_DATA: (io, m) => {
    io.int(m, 'reqId');
    const c = child(io, m, 'contract');
    contractFields(io, c, true);
    io.optBool(c, 'includeExpired');
    io.str(m, 'endDateTime');
    io.text(m, 'barSizeSetting');
    io.text(m, 'durationStr');
    io.bool(m, 'useRTH');
    io.text(m, 'whatToShow');
    io.int(m, 'formatDate');
    if (isBag(c)) comboLegsShort(io, c);
    io.bool(m, 'keepUpToDate');
    io.str(m, 'chartOptions');
  },
  CANCEL_HISTORICAL_DATA: reqIdOnly,
  PLACE_ORDER: (io, m, v) => placeOrderSchema(io, m, v),
  CANCEL_ORDER: (io, m, v) => {
    if (v < V.CME_TAGGING_FIELDS) io.version(1);
    io.int(m, 'orderId');
    if (v >= V.MANUAL_ORDER_TIME) io.str(m, 'manualOrderCancelTime');
    if (v >= V.RFQ_FIELDS && v < V.UNDO_RFQ_FIELDS) {
      io.constant('rfqField1', '');
      io.constant('rfqField2', '');
      io.constant('rfqField3', 2147483647);
    }
    if (v >= V.CME_TAGGING_FIELDS) {
      io.str(m, 'extOperator');
      io.optInt(m, 'manualOrderIndicator', true);
    }
  },
  REQ_CALC_IMPLIED_VOLAT: (io, m) => {
    io.version(2);
    io.int(m, 'reqId');
    contractFields(io, child(io, m, 'contract'), true);
    io.num0(m, 'optionPrice');
    io.num0(m, 'underPrice');
    io.str(m, 'options');
  },
  REQ_CALC_OPTION_PRICE: (io, m) => {
    io.version(2);
    io.int(m, 'reqId');
    contractFields(io, child(io, m, 'contract'), true);
    io.num0(m, 'volatility');
    io.num0(m, 'underPrice');
    io.str(m, 'options');
  },
  CANCEL_CALC_IMPLIED_VOLAT: reqIdOnly,
  CANCEL_CALC_OPTION_PRICE: reqIdOnly,
  REQ_SEC_DEF_OPT_PARAMS: (io, m) => {
    io.int(m, 'reqId');
    io.text(m, 'underlyingSymbol');
    io.str(m, 'futFopExchange');
    io.text(m, 'underlyingSecType');
    io.int(m, 'underlyingConId');
  },
  REQ_GLOBAL_CANCEL: (io, m, v) => {
    if (v < V.CME_TAGGING_FIELDS) {
      io.version(1);
      return;
    }
    io.str(m, 'extOperator');
    io.optInt(m, 'manualOrderIndicator', true);
  },
};

const TYPE_BY_ID = new Map<number, Exclude<ClientMessageType, 'UNKNOWN'>>(
  Object.entries(CLIENT_MSG_ID).map(([t, id]) => [id, t as Exclude<ClientMessageType, 'UNKNOWN'>]),
);

/**
 * Decodes one client frame (`fields[0]` = msg id) at the negotiated server version.
 * Unknown ids → `{ type: 'UNKNOWN', msgId, fields }` (the server should ignore them or log them).
 * Throws {@link WireDecodeError} on a missing, leftover or unparsable field, naming message and field.
 * PLACE_ORDER's `order.raw` holds the message's fields.
 */
export function decodeClientMessage(fields: readonly string[], serverVersion: number): ClientMessage {
  checkVersion(serverVersion);
  const idText = fields[0];
  if (idText === undefined) throw new WireDecodeError('<empty>', 'msgId', 'empty frame');
  const msgId = FieldIO.reader('<unknown>', fields).parseInt('msgId', idText);
  const type = TYPE_BY_ID.get(msgId);
  if (type === undefined) return { type: 'UNKNOWN', msgId, fields: [...fields] };
  if (type === 'PLACE_ORDER') return decodePlaceOrder(fields, serverVersion);
  const m: Rec = { type };
  const io = FieldIO.reader(type, fields);
  SCHEMAS[type](io, m, serverVersion);
  io.end();
  return m as unknown as ClientMessage;
}

/**
 * PLACE_ORDER with stoqey's scale edge case: if scalePriceIncrement is ≤ 0 (IB then sends no extra fields) and the message does not end
 * where expected, retry reading the 7 extra scale fields (stoqey sends them for any defined increment).
 */
function decodePlaceOrder(fields: readonly string[], v: number): ClientMessage {
  const attempt = (scaleExtraOnZero: boolean): Rec => {
    const m: Rec = { type: 'PLACE_ORDER' };
    const io = FieldIO.reader('PLACE_ORDER', fields);
    placeOrderSchema(io, m, v, { scaleExtraOnZero });
    io.end();
    return m;
  };
  let m: Rec;
  try {
    m = attempt(false);
  } catch (e) {
    if (!(e instanceof WireDecodeError)) throw e;
    let retry: Rec | undefined;
    try {
      retry = attempt(true);
    } catch {
      throw e;
    }
    const inc = (retry['order'] as Rec)['scalePriceIncrement'];
    if (typeof inc !== 'number' || inc > 0) throw e;
    m = retry;
  }
  (m['order'] as Rec)['raw'] = [...fields];
  return m as unknown as ClientMessage;
}

/** Encodes a client message (incl. msg id) as a client at `serverVersion` sends it. UNKNOWN → its `fields`. */
export function encodeClientMessage(msg: ClientMessage, serverVersion: number): WireValue[] {
  checkVersion(serverVersion);
  if (msg.type === 'UNKNOWN') return msg.fields ? [...msg.fields] : [msg.msgId];
  const io = FieldIO.writer(msg.type);
  io.out.push(CLIENT_MSG_ID[msg.type]);
  SCHEMAS[msg.type](io, msg as unknown as Rec, serverVersion);
  return io.out;
}
