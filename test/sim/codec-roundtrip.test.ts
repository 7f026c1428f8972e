/**
 * encode → frame → FrameDecoder → decode round trips of EVERY client and server message type at 178, 187
 * and 193, with field-count checks against the reference where it gives them.
 */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_MSG_ID,
  FrameDecoder,
  SERVER_MSG_ID,
  decodeClientMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeFrame,
  encodeServerMessage,
  type ClientMessage,
  type ServerMessage,
  type WireContract,
  type WireValue,
} from '../../src/sim/wire/index.js';

const VERSIONS = [178, 187, 193] as const;

function viaWire(fields: WireValue[]): string[] {
  const d = new FrameDecoder();
  d.push(encodeFrame(fields));
  const frames = d.drain();
  expect(frames).toHaveLength(1);
  return frames[0] as string[];
}

const AAPL: WireContract = { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', primaryExch: 'NASDAQ', currency: 'USD', localSymbol: 'AAPL', tradingClass: 'NMS' };
const ES: WireContract = { symbol: 'ES', secType: 'FUT', lastTradeDateOrContractMonth: '202612', multiplier: '50', exchange: 'CME', currency: 'USD' };
const BAG: WireContract = {
  symbol: 'SPY',
  secType: 'BAG',
  exchange: 'SMART',
  currency: 'USD',
  comboLegs: [
    { conId: 1, ratio: 1, action: 'BUY', exchange: 'SMART' },
    { conId: 2, ratio: 2, action: 'SELL', exchange: 'SMART' },
  ],
};

function clientSamples(v: number): ClientMessage[] {
  return [
    { type: 'START_API', clientId: 3, optionalCapabilities: '+PACEAPI' },
    { type: 'REQ_IDS', numIds: 1 },
    { type: 'REQ_MANAGED_ACCTS' },
    { type: 'REQ_CURRENT_TIME' },
    { type: 'REQ_MARKET_DATA_TYPE', marketDataType: 4 },
    { type: 'REQ_POSITIONS' },
    { type: 'CANCEL_POSITIONS' },
    { type: 'REQ_ACCOUNT_SUMMARY', reqId: 1, group: 'All', tags: 'NetLiquidation,BuyingPower' },
    { type: 'CANCEL_ACCOUNT_SUMMARY', reqId: 1 },
    { type: 'REQ_POSITIONS_MULTI', reqId: 2, account: 'DU1000001', modelCode: 'M' },
    { type: 'CANCEL_POSITIONS_MULTI', reqId: 2 },
    { type: 'REQ_ACCOUNT_DATA', subscribe: true, acctCode: 'DU1000002' },
    { type: 'REQ_ACCOUNT_UPDATES_MULTI', reqId: 3, account: 'DU1000003', ledgerAndNLV: true },
    { type: 'CANCEL_ACCOUNT_UPDATES_MULTI', reqId: 3 },
    { type: 'REQ_OPEN_ORDERS' },
    { type: 'REQ_ALL_OPEN_ORDERS' },
    { type: 'REQ_AUTO_OPEN_ORDERS', autoBind: true },
    { type: 'REQ_COMPLETED_ORDERS', apiOnly: true },
    { type: 'REQ_EXECUTIONS', reqId: 4, filter: { clientId: 0, acctCode: 'DU1000001', time: '20261231-09:00:00', symbol: 'AAPL', secType: 'STK', exchange: 'SMART', side: 'BUY' } },
    { type: 'REQ_CONTRACT_DATA', reqId: 5, contract: { ...ES, includeExpired: true, secIdType: 'ISIN', secId: 'X', ...(v >= 176 ? { issuerId: 'I' } : {}) } },
    { type: 'REQ_MKT_DATA', reqId: 6, contract: { ...BAG, deltaNeutralContract: { conId: 9, delta: 0.5, price: 100 } }, genericTickList: '233', snapshot: true, regulatorySnapshot: false },
    { type: 'CANCEL_MKT_DATA', reqId: 6 },
    {
      type: 'REQ_HISTORICAL_DATA', reqId: 7, contract: { ...BAG, includeExpired: false }, endDateTime: '20261231 16:00:00 US/Eastern', barSizeSetting: '1 min', durationStr: '1 D',
      useRTH: true, whatToShow: 'TRADES', formatDate: 2, keepUpToDate: true,
    },
    { type: 'CANCEL_HISTORICAL_DATA', reqId: 7 },
    {
      type: 'PLACE_ORDER',
      orderId: 8,
      contract: AAPL,
      order: {
        action: 'SELL', totalQuantity: 25, orderType: 'STP LMT', lmtPrice: 99.5, auxPrice: 100, tif: 'GTC', ocaGroup: 'g', ocaType: 1, account: 'DU1000001', orderRef: 'r',
        transmit: true, parentId: 7, outsideRth: true, hidden: false, trailStopPrice: 98, trailingPercent: 1.5, algoStrategy: 'Adaptive',
        algoParams: [{ tag: 'adaptivePriority', value: 'Patient' }], whatIf: true,
        conditions: [{ kind: 'price', conjunction: 'or', isMore: false, value: 95, conId: 265598, exchange: 'SMART', triggerMethod: 0 }], conditionsIgnoreRth: false, conditionsCancelOrder: true,
        ...(v >= 189 ? { includeOvernight: true } : {}),
        ...(v >= 192 ? { manualOrderIndicator: 0 } : {}),
      },
    },
    { type: 'PLACE_ORDER', orderId: 9, contract: { ...BAG, comboLegs: [{ conId: 1, ratio: 1, action: 'BUY', exchange: 'SMART', openClose: 0, shortSaleSlot: 0, exemptCode: -1 }] }, order: { action: 'BUY', totalQuantity: 1, orderType: 'LMT', lmtPrice: 1, orderComboLegs: [0.5], smartComboRoutingParams: [{ tag: 'NonGuaranteed', value: '1' }] } },
    { type: 'CANCEL_ORDER', orderId: 8, manualOrderCancelTime: '20261231-10:00:00', ...(v >= 192 ? { extOperator: 'op', manualOrderIndicator: 1 } : {}) },
    v >= 192 ? { type: 'REQ_GLOBAL_CANCEL', extOperator: 'op', manualOrderIndicator: 0 } : { type: 'REQ_GLOBAL_CANCEL' },
    { type: 'REQ_SEC_DEF_OPT_PARAMS', reqId: 9, underlyingSymbol: 'AAPL', underlyingSecType: 'STK', underlyingConId: 265598 },
    { type: 'REQ_CALC_IMPLIED_VOLAT', reqId: 10, contract: { symbol: 'AAPL', secType: 'OPT', lastTradeDateOrContractMonth: '20271217', strike: 200, right: 'C', multiplier: '100', exchange: 'SMART', currency: 'USD' }, optionPrice: 22.5, underPrice: 190 },
    { type: 'REQ_CALC_OPTION_PRICE', reqId: 11, contract: { conId: 5, exchange: 'SMART' }, volatility: 0.3, underPrice: 190 },
    { type: 'CANCEL_CALC_IMPLIED_VOLAT', reqId: 10 },
    { type: 'CANCEL_CALC_OPTION_PRICE', reqId: 11 },
  ];
}

function omit<T extends object, K extends keyof T>(o: T, ...keys: K[]): Omit<T, K> {
  const r = { ...o };
  for (const k of keys) delete r[k];
  return r;
}

function serverSamples(v = 193): ServerMessage[] {
  const order = {
    action: 'BUY', totalQuantity: 10, orderType: 'LMT', lmtPrice: 101.5, tif: 'DAY', account: 'DU1000001', orderRef: 'sig', clientId: 1, permId: 5, parentId: 0,
    algoStrategy: 'Adaptive', algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }], conditions: [{ kind: 'time', conjunction: 'and', isMore: true, value: '20261231 10:00:00' }] as const,
    conditionsIgnoreRth: true, conditionsCancelOrder: false, whatIf: false,
  } as const;
  const contract: WireContract = { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', localSymbol: 'AAPL', tradingClass: 'NMS' };
  return [
    { type: 'NEXT_VALID_ID', orderId: 1 },
    { type: 'MANAGED_ACCTS', accounts: 'DU1000001,DU1000002,DU1000003' },
    { type: 'ERR_MSG', reqId: -1, code: 2104, message: 'Market data farm connection is OK:usfarm', advancedOrderRejectJson: '{"x":1}' },
    { type: 'CURRENT_TIME', time: 1798761600 },
    { type: 'POSITION', account: 'DU1000001', contract, position: 100, avgCost: 150.25 },
    { type: 'POSITION_END' },
    { type: 'ACCOUNT_SUMMARY', reqId: 1, account: 'DU1000001', tag: 'NetLiquidation', value: '50000', currency: 'USD' },
    { type: 'ACCOUNT_SUMMARY_END', reqId: 1 },
    { type: 'POSITION_MULTI', reqId: 2, account: 'DU1000001', modelCode: 'M', contract, position: 1, avgCost: 2 },
    { type: 'POSITION_MULTI_END', reqId: 2 },
    { type: 'ACCOUNT_UPDATE_MULTI', reqId: 3, account: 'DU1000001', modelCode: 'M', key: 'CashBalance', value: '1', currency: 'USD' },
    { type: 'ACCOUNT_UPDATE_MULTI_END', reqId: 3 },
    { type: 'ACCT_VALUE', key: 'NetLiquidation', value: '1', currency: 'USD', accountName: 'DU1000001' },
    { type: 'PORTFOLIO_VALUE', contract: { ...omit(contract, 'exchange'), primaryExch: 'NASDAQ' }, position: 100, marketPrice: 190, marketValue: 19000, averageCost: 150, unrealizedPNL: 4000, realizedPNL: 0, accountName: 'DU1000001' },
    { type: 'ACCT_UPDATE_TIME', timeStamp: '10:15' },
    { type: 'ACCT_DOWNLOAD_END', accountName: 'DU1000001' },
    { type: 'ORDER_STATUS', orderId: 1, status: 'Submitted', filled: 0, remaining: 10, avgFillPrice: 0, permId: 5, parentId: 0, lastFillPrice: 0, clientId: 1, whyHeld: 'locate', mktCapPrice: 1.5 },
    { type: 'OPEN_ORDER', orderId: 1, contract, order, orderState: { status: 'Submitted', initMarginChange: 4762.5, commission: 1, commissionCurrency: 'USD' } },
    { type: 'OPEN_ORDER_END' },
    { type: 'COMPLETED_ORDER', contract, order: { ...omit(order, 'clientId', 'parentId', 'whatIf'), filledQuantity: 10, parentPermId: 4 }, orderState: { status: 'Filled', completedTime: 't', completedStatus: 's' } },
    { type: 'COMPLETED_ORDERS_END' },
    {
      type: 'EXECUTION_DATA', reqId: -1, contract,
      execution: { orderId: 1, execId: 'e1', time: 't', acctNumber: 'DU1000001', exchange: 'ISLAND', side: 'BOT', shares: 10, price: 190, permId: 5, clientId: 1, liquidation: 0, cumQty: 10, avgPrice: 190, orderRef: 'sig', lastLiquidity: 1 },
    },
    { type: 'EXECUTION_DATA_END', reqId: 4 },
    { type: 'COMMISSION_REPORT', execId: 'e1', commission: 1, currency: 'USD', realizedPNL: 12.5, yield: 0, yieldRedemptionDate: 20261231 },
    {
      type: 'CONTRACT_DATA', reqId: 5,
      details: { contract: { ...contract, primaryExch: 'NASDAQ', multiplier: '1' }, marketName: 'NMS', minTick: 0.01, longName: 'APPLE INC', secIdList: [{ tag: 'ISIN', value: 'US0378331005' }], stockType: 'COMMON', minSize: 1, sizeIncrement: 1, suggestedSizeIncrement: 100, ...(v >= 186 ? { ineligibilityReasons: [{ id: '1', description: 'd' }] } : {}) },
    },
    { type: 'CONTRACT_DATA_END', reqId: 5 },
    { type: 'TICK_PRICE', reqId: 6, tickType: 4, price: 190.5, size: 100, attrMask: 0 },
    { type: 'TICK_SIZE', reqId: 6, tickType: 8, size: 123456 },
    { type: 'TICK_GENERIC', reqId: 6, tickType: 49, value: 0 },
    { type: 'TICK_STRING', reqId: 6, tickType: 45, value: '1798761600' },
    { type: 'TICK_REQ_PARAMS', reqId: 6, minTick: 0.01, bboExchange: 'a6', snapshotPermissions: 3 },
    { type: 'MARKET_DATA_TYPE', reqId: 6, marketDataType: 3 },
    { type: 'TICK_SNAPSHOT_END', reqId: 6 },
    { type: 'HISTORICAL_DATA', reqId: 7, startDate: 's', endDate: 'e', bars: [{ date: '20261231', open: 1, high: 2, low: 0.5, close: 1.5, volume: 100, wap: 1.2, barCount: 10 }] },
    { type: 'HISTORICAL_DATA_UPDATE', reqId: 7, bar: { date: '20261231 10:00:00', open: 1, high: 2, low: 0.5, close: 1.5, volume: 100, wap: 1.2, barCount: 10 } },
    { type: 'ORDER_BOUND', permId: 5, clientId: 0, orderId: 1 },
    { type: 'SECURITY_DEFINITION_OPTION_PARAMETER', reqId: 9, exchange: 'SMART', underlyingConId: 265598, tradingClass: 'AAPL', multiplier: '100', expirations: ['20271217'], strikes: [190, 192.5] },
    { type: 'SECURITY_DEFINITION_OPTION_PARAMETER_END', reqId: 9 },
    { type: 'TICK_OPTION_COMPUTATION', reqId: 3, tickType: 13, tickAttrib: 1, impliedVol: 0.3, delta: 0.5, optPrice: 7.25, pvDividend: 0, gamma: 0.02, vega: 0.25, theta: -0.05, undPrice: 190 },
  ];
}

describe.each(VERSIONS)('round trips at v%i', (v) => {
  it('covers every client message type', () => {
    const types = new Set(clientSamples(v).map((m) => m.type));
    expect([...types].sort()).toEqual(Object.keys(CLIENT_MSG_ID).sort());
  });

  it('covers every server message type', () => {
    const types = new Set(serverSamples(v).map((m) => m.type));
    expect([...types].sort()).toEqual(Object.keys(SERVER_MSG_ID).sort());
  });

  it.each(clientSamples(v).map((m) => [m.type, m] as const))('client %s', (_t, msg) => {
    const first = encodeClientMessage(msg, v);
    const decoded = decodeClientMessage(viaWire(first), v);
    expect(decoded).toMatchObject(msg as object);
    // fixpoint: re-encoding the decoded form is stable
    const second = viaWire(encodeClientMessage(decoded, v));
    expect(viaWire(encodeClientMessage(decodeClientMessage(second, v), v))).toEqual(second);
  });

  it.each(serverSamples(v).map((m) => [m.type, m] as const))('server %s', (_t, msg) => {
    const first = encodeServerMessage(msg, v);
    const decoded = decodeServerMessage(viaWire(first), v);
    expect(decoded).toMatchObject(msg as object);
    const second = viaWire(encodeServerMessage(decoded, v));
    expect(viaWire(encodeServerMessage(decodeServerMessage(second, v), v))).toEqual(second);
  });

  it('field counts and version-dependent fields', () => {
    const count = (m: ServerMessage): number => encodeServerMessage(m, v).length;
    const plainOrder = { action: 'BUY', totalQuantity: 1, orderType: 'LMT' } as const;
    // OPEN_ORDER: 132 fields after the id at 193 for a plain order (reference §5.1)
    const oo = count({ type: 'OPEN_ORDER', orderId: 1, contract: {}, order: plainOrder, orderState: { status: 'Submitted' } });
    expect(oo - 1).toBe({ 178: 126, 187: 129, 193: 132 }[v]);
    const err = encodeServerMessage({ type: 'ERR_MSG', reqId: 1, code: 202, message: 'x' }, v);
    expect(err).toEqual([4, 2, 1, 202, 'x', undefined]); // json field (v ≥ 166), no errorTime below 194
    const exec = count({ type: 'EXECUTION_DATA', reqId: -1, contract: {}, execution: { orderId: 1, execId: 'e', time: 't', acctNumber: 'a', exchange: 'x', side: 'BOT', shares: 1, price: 1, permId: 1, clientId: 1, cumQty: 1, avgPrice: 1 } });
    expect(exec).toBe(1 + 31); // incl. pendingPriceRevision (v ≥ 178)
    const cd = encodeServerMessage({ type: 'CONTRACT_DATA', reqId: 1, details: { contract: { symbol: 'A' } } }, v);
    expect(cd.length).toBe({ 178: 40, 187: 42, 193: 42 }[v]); // + lastTradeDate (182), ineligibility count (186)
    const po = encodeClientMessage({ type: 'PLACE_ORDER', orderId: 1, contract: {}, order: plainOrder }, v);
    expect(po.length).toBe({ 178: 114, 187: 118, 193: 118 }[v]);
    const cancel = encodeClientMessage({ type: 'CANCEL_ORDER', orderId: 3 }, v);
    expect(cancel).toEqual(
      v >= 192 ? [4, 3, undefined, undefined, 2147483647] : v >= 187 ? [4, 1, 3, undefined, '', '', 2147483647] : [4, 1, 3, undefined],
    );
    const rcd = encodeClientMessage({ type: 'REQ_CONTRACT_DATA', reqId: 1, contract: {} }, v);
    expect(rcd.length).toBe(1 + 1 + 1 + 12 + 3 + 1); // issuerId (v ≥ 176)
  });

  it('COMPLETED_ORDER at v has exactly the fields stoqey reads (count)', () => {
    const n = encodeServerMessage({ type: 'COMPLETED_ORDER', contract: {}, order: { action: 'BUY', totalQuantity: 1, orderType: 'MKT' }, orderState: { status: 'Filled' } }, v).length;
    // id + contract 11 + 78 order/state fields + 5 peg (170) + customerAccount (183) + professionalCustomer (184)
    expect(n).toBe({ 178: 96, 187: 98, 193: 98 }[v]);
  });
});

describe('decoded defaults', () => {
  it('reads "" as 0 / false / undefined', () => {
    const f = viaWire(encodeClientMessage({ type: 'PLACE_ORDER', orderId: 1, contract: {}, order: { action: 'BUY', totalQuantity: 1, orderType: 'MKT' } }, 193));
    const m = decodeClientMessage(f, 193);
    if (m.type !== 'PLACE_ORDER') throw new Error('type');
    expect(m.order.parentId).toBe(0);
    expect(m.order.transmit).toBe(false); // stoqey sends "" for a plain-object order without transmit (§9)
    expect(m.order.lmtPrice).toBeUndefined();
    expect(m.order.displaySize).toBeUndefined();
    expect(m.order.whatIf).toBe(false);
    expect(m.contract.conId).toBeUndefined();
  });

  it('reads 2147483647 and Double.MAX_VALUE as unset', () => {
    const f = viaWire(encodeClientMessage({ type: 'PLACE_ORDER', orderId: 1, contract: {}, order: { action: 'BUY', totalQuantity: 1, orderType: 'LMT' } }, 193));
    f[19] = '1.7976931348623157E308'; // lmtPrice
    f[31] = '2147483647'; // displaySize
    const m = decodeClientMessage(f, 193);
    if (m.type !== 'PLACE_ORDER') throw new Error('type');
    expect(m.order.lmtPrice).toBeUndefined();
    expect(m.order.displaySize).toBeUndefined();
  });
});
