/**
 * Every request @stoqey/ib 1.6.10's REAL Encoder produces (captured through its EncoderCallbacks, the way its
 * own unit tests do) must decode with our codec with zero leftover fields, at 178, 187 and 193.
 */
import { describe, expect, it } from 'vitest';
import { Encoder } from '@stoqey/ib/dist/core/io/encoder.js';
import type { Contract, Order } from '@stoqey/ib';
import { PriceCondition } from '@stoqey/ib/dist/api/order/condition/price-condition.js';
import { TimeCondition } from '@stoqey/ib/dist/api/order/condition/time-condition.js';
import { MarginCondition } from '@stoqey/ib/dist/api/order/condition/margin-condition.js';
import { ExecutionCondition } from '@stoqey/ib/dist/api/order/condition/execution-condition.js';
import { VolumeCondition } from '@stoqey/ib/dist/api/order/condition/volume-condition.js';
import { PercentChangeCondition } from '@stoqey/ib/dist/api/order/condition/percent-change-condition.js';
import {
  FrameDecoder,
  WireDecodeError,
  decodeClientMessage,
  encodeClientMessage,
  encodeFrame,
  type ClientMessage,
} from '../../src/sim/wire/index.js';

const VERSIONS = [178, 187, 193] as const;

/** What stoqey's Socket.send does with the tokens: flatten, bool → 1/0, join with "\0" (undefined → ""). */
function toWireFields(tokens: unknown[]): string[] {
  const flat = (tokens as unknown[]).flat(Infinity).map((v) => (v === true ? 1 : v === false ? 0 : v));
  return (flat as unknown[]).join('\0').split('\0');
}

/** Runs `fn` against a real stoqey Encoder at `version` and returns the wire fields of every message sent. */
function capture(version: number, fn: (enc: Encoder) => void): string[][] {
  const sent: string[][] = [];
  const errors: string[] = [];
  const enc = new Encoder({
    serverVersion: version,
    sendMsg: (...tokens: unknown[]) => sent.push(toWireFields(tokens)),
    emitError: (msg: string) => errors.push(msg),
  });
  fn(enc);
  expect(errors).toEqual([]);
  return sent;
}

/** Captures exactly one message, passes it through real framing, and decodes it. */
function roundTrip(version: number, fn: (enc: Encoder) => void): { msg: ClientMessage; fields: string[] } {
  const sent = capture(version, fn);
  expect(sent).toHaveLength(1);
  const fields = sent[0] as string[];
  const dec = new FrameDecoder();
  dec.push(encodeFrame(fields));
  const frames = dec.drain();
  expect(frames).toEqual([fields]);
  const msg = decodeClientMessage(fields, version);
  // our own encoder must reproduce stoqey's fields exactly
  return { msg, fields };
}

const AAPL: Contract = { conId: 265598, symbol: 'AAPL', secType: 'STK' as Contract['secType'], exchange: 'SMART', currency: 'USD' };

function order(o: Partial<Order>): Order {
  return { action: 'BUY', totalQuantity: 10, transmit: true, account: 'DU1000001', ...o } as Order;
}

type PlaceOrderMsg = Extract<ClientMessage, { type: 'PLACE_ORDER' }>;

function place(version: number, id: number, contract: Contract, o: Order): PlaceOrderMsg {
  const { msg, fields } = roundTrip(version, (enc) => enc.placeOrder(id, contract, o));
  expect(msg.type).toBe('PLACE_ORDER');
  const m = msg as PlaceOrderMsg;
  expect(m.order.raw).toEqual(fields);
  return m;
}

describe.each(VERSIONS)('PLACE_ORDER from @stoqey/ib at v%i', (v) => {
  it('MKT', () => {
    const m = place(v, 11, AAPL, order({ orderType: 'MKT' as Order['orderType'], orderRef: 'sig-1', tif: 'DAY' }));
    expect(m.orderId).toBe(11);
    expect(m.contract).toMatchObject({ conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' });
    expect(m.order).toMatchObject({ action: 'BUY', totalQuantity: 10, orderType: 'MKT', orderRef: 'sig-1', tif: 'DAY', transmit: true, account: 'DU1000001', parentId: 0 });
    expect(m.order.lmtPrice).toBeUndefined();
    expect(m.order.whatIf).toBe(false);
    expect(m.order.conditions).toBeUndefined();
  });

  it('plain LMT has the documented field count', () => {
    const m = place(v, 12, AAPL, order({ orderType: 'LMT' as Order['orderType'], lmtPrice: 101.5, action: 'SELL' as Order['action'], totalQuantity: 0.5 }));
    expect(m.order).toMatchObject({ orderType: 'LMT', lmtPrice: 101.5, action: 'SELL', totalQuantity: 0.5 });
    // 118 at 193 (reference §4.1); 187: +2 RFQ, −includeOvernight, −manualOrderIndicator; 178: none of those four
    const expected = { 178: 114, 187: 118, 193: 118 }[v];
    expect(m.order.raw).toHaveLength(expected);
  });

  it('STP, STP LMT, TRAIL, MOC, LOC', () => {
    expect(place(v, 13, AAPL, order({ orderType: 'STP' as Order['orderType'], auxPrice: 95.25 })).order).toMatchObject({ orderType: 'STP', auxPrice: 95.25 });
    expect(place(v, 14, AAPL, order({ orderType: 'STP LMT' as Order['orderType'], auxPrice: 95, lmtPrice: 94.5 })).order).toMatchObject({
      orderType: 'STP LMT',
      auxPrice: 95,
      lmtPrice: 94.5,
    });
    expect(place(v, 15, AAPL, order({ orderType: 'TRAIL' as Order['orderType'], trailingPercent: 2.5, trailStopPrice: 180 })).order).toMatchObject({
      orderType: 'TRAIL',
      trailingPercent: 2.5,
      trailStopPrice: 180,
    });
    expect(place(v, 16, AAPL, order({ orderType: 'MOC' as Order['orderType'] })).order.orderType).toBe('MOC');
    expect(place(v, 17, AAPL, order({ orderType: 'LOC' as Order['orderType'], lmtPrice: 190.01 })).order).toMatchObject({ orderType: 'LOC', lmtPrice: 190.01 });
  });

  it('bracket: parent + take-profit + stop with parentId / transmit / ocaGroup', () => {
    const parent = place(v, 20, AAPL, order({ orderType: 'LMT' as Order['orderType'], lmtPrice: 100, transmit: false }));
    const tp = place(v, 21, AAPL, order({ orderType: 'LMT' as Order['orderType'], action: 'SELL' as Order['action'], lmtPrice: 110, parentId: 20, transmit: false, ocaGroup: 'oca-20', ocaType: 1 }));
    const sl = place(v, 22, AAPL, order({ orderType: 'STP' as Order['orderType'], action: 'SELL' as Order['action'], auxPrice: 95, parentId: 20, transmit: true, ocaGroup: 'oca-20', ocaType: 1, outsideRth: true, goodTillDate: '20261231 16:00:00 US/Eastern', tif: 'GTD' }));
    expect(parent.order).toMatchObject({ transmit: false, parentId: 0 });
    expect(tp.order).toMatchObject({ parentId: 20, transmit: false, ocaGroup: 'oca-20', ocaType: 1 });
    expect(sl.order).toMatchObject({ parentId: 20, transmit: true, ocaGroup: 'oca-20', outsideRth: true, goodTillDate: '20261231 16:00:00 US/Eastern', tif: 'GTD' });
  });

  it('Adaptive algo with params, hidden, hedge, delta-neutral order type', () => {
    const m = place(v, 30, AAPL, order({
      orderType: 'LMT' as Order['orderType'],
      lmtPrice: 1,
      algoStrategy: 'Adaptive',
      algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }],
      hidden: true,
      hedgeType: 'D',
      hedgeParam: '0.5',
      deltaNeutralOrderType: 'LMT',
      deltaNeutralAuxPrice: 1.25,
      deltaNeutralConId: 42,
      deltaNeutralShortSale: true,
    }));
    expect(m.order).toMatchObject({
      algoStrategy: 'Adaptive',
      algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }],
      hidden: true,
      hedgeType: 'D',
      hedgeParam: '0.5',
      deltaNeutralOrderType: 'LMT',
      deltaNeutralAuxPrice: 1.25,
      deltaNeutralConId: 42,
      deltaNeutralShortSale: true,
    });
  });

  it('whatIf order', () => {
    const m = place(v, 31, AAPL, order({ orderType: 'MKT' as Order['orderType'], whatIf: true }));
    expect(m.order.whatIf).toBe(true);
  });

  it('order with conditions of every type', () => {
    const conditions = [
      new PriceCondition(180.5, 2, 265598, 'SMART', true, 'a' as never),
      new TimeCondition('20261231 09:30:00 US/Eastern', false, 'o' as never),
      new MarginCondition(30, true, 'a' as never),
      new ExecutionCondition('SMART', 'STK' as never, 'MSFT', 'a' as never),
      new VolumeCondition(100000, 272093, 'SMART', true, 'o' as never),
      new PercentChangeCondition(2.5, 265598, 'SMART', false, 'a' as never),
    ];
    const m = place(v, 32, AAPL, order({ orderType: 'LMT' as Order['orderType'], lmtPrice: 170, conditions, conditionsIgnoreRth: true, conditionsCancelOrder: false }));
    expect(m.order.conditions).toEqual([
      { kind: 'price', conjunction: 'and', isMore: true, value: 180.5, conId: 265598, exchange: 'SMART', triggerMethod: 2 },
      { kind: 'time', conjunction: 'or', isMore: false, value: '20261231 09:30:00 US/Eastern' },
      { kind: 'margin', conjunction: 'and', isMore: true, value: 30 },
      { kind: 'execution', conjunction: 'and', secType: 'STK', exchange: 'SMART', symbol: 'MSFT' },
      { kind: 'volume', conjunction: 'or', isMore: true, value: 100000, conId: 272093, exchange: 'SMART' },
      { kind: 'percentChange', conjunction: 'and', isMore: false, value: 2.5, conId: 265598, exchange: 'SMART' },
    ]);
    expect(m.order).toMatchObject({ conditionsIgnoreRth: true, conditionsCancelOrder: false });
  });

  it('BAG combo with legs, leg prices and smart routing params; delta-neutral contract', () => {
    const bag = {
      symbol: 'SPY',
      secType: 'BAG',
      exchange: 'SMART',
      currency: 'USD',
      comboLegs: [
        { conId: 1001, ratio: 1, action: 'BUY', exchange: 'SMART', openClose: 0, shortSaleSlot: 0, designatedLocation: '', exemptCode: -1 },
        { conId: 1002, ratio: 2, action: 'SELL', exchange: 'SMART', openClose: 0, shortSaleSlot: 0, designatedLocation: '', exemptCode: -1 },
      ],
      deltaNeutralContract: { conId: 756733, delta: 0.5, price: 450.25 },
    } as unknown as Contract;
    const m = place(v, 33, bag, order({
      orderType: 'LMT' as Order['orderType'],
      lmtPrice: 1.5,
      orderComboLegs: [{ price: 1.1 }, { price: undefined }] as Order['orderComboLegs'],
      smartComboRoutingParams: [{ tag: 'NonGuaranteed', value: '1' }],
    }));
    expect(m.contract.comboLegs).toEqual([
      { conId: 1001, ratio: 1, action: 'BUY', exchange: 'SMART', openClose: 0, shortSaleSlot: 0, exemptCode: -1 },
      { conId: 1002, ratio: 2, action: 'SELL', exchange: 'SMART', openClose: 0, shortSaleSlot: 0, exemptCode: -1 },
    ]);
    expect(m.contract.deltaNeutralContract).toEqual({ conId: 756733, delta: 0.5, price: 450.25 });
    expect(m.order.orderComboLegs).toEqual([1.1, undefined]);
    expect(m.order.smartComboRoutingParams).toEqual([{ tag: 'NonGuaranteed', value: '1' }]);
  });

  it('scale fields (7 extras when increment > 0, and stoqey\'s increment = 0 edge case)', () => {
    const s = place(v, 34, AAPL, order({ orderType: 'LMT' as Order['orderType'], lmtPrice: 1, scaleInitLevelSize: 100, scaleSubsLevelSize: 50, scalePriceIncrement: 0.05, scalePriceAdjustValue: 0.01, scaleAutoReset: true, scaleRandomPercent: true }));
    expect(s.order).toMatchObject({ scaleInitLevelSize: 100, scaleSubsLevelSize: 50, scalePriceIncrement: 0.05, scalePriceAdjustValue: 0.01, scaleAutoReset: true, scaleRandomPercent: true });
    const z = place(v, 35, AAPL, order({ orderType: 'LMT' as Order['orderType'], lmtPrice: 1, scalePriceIncrement: 0, scaleAutoReset: true }));
    expect(z.order).toMatchObject({ scalePriceIncrement: 0, scaleAutoReset: true });
  });

  it('PEG BENCH, PEG BEST (mid offsets at Infinity), PEG MID, IBKRATS minTradeQty', () => {
    const bench = place(v, 40, AAPL, order({ orderType: 'PEG BENCH' as Order['orderType'], referenceContractId: 8314, isPeggedChangeAmountDecrease: true, peggedChangeAmount: 0.1, referenceChangeAmount: 0.2, referenceExchangeId: 'NYSE' }));
    expect(bench.order).toMatchObject({ referenceContractId: 8314, isPeggedChangeAmountDecrease: true, peggedChangeAmount: 0.1, referenceChangeAmount: 0.2, referenceExchangeId: 'NYSE' });
    const best = place(v, 41, { ...AAPL, exchange: 'IBKRATS' }, order({ orderType: 'PEG BEST' as Order['orderType'], minTradeQty: 5, minCompeteSize: 100, competeAgainstBestOffset: Infinity, midOffsetAtWhole: 0.01, midOffsetAtHalf: 0.005 }));
    expect(best.order).toMatchObject({ minTradeQty: 5, minCompeteSize: 100, competeAgainstBestOffset: Infinity, midOffsetAtWhole: 0.01, midOffsetAtHalf: 0.005 });
    const best2 = place(v, 42, AAPL, order({ orderType: 'PEG BEST' as Order['orderType'], minCompeteSize: 100, competeAgainstBestOffset: 0.02 }));
    expect(best2.order).toMatchObject({ minCompeteSize: 100, competeAgainstBestOffset: 0.02 });
    expect(best2.order.midOffsetAtWhole).toBeUndefined();
    const mid = place(v, 43, AAPL, order({ orderType: 'PEG MID' as Order['orderType'], midOffsetAtWhole: 0.02, midOffsetAtHalf: 0.01 }));
    expect(mid.order).toMatchObject({ midOffsetAtWhole: 0.02, midOffsetAtHalf: 0.01 });
  });

  it('many optional fields are carried through', () => {
    const m = place(v, 44, { ...AAPL, primaryExch: 'NASDAQ', secIdType: 'ISIN', secId: 'US0378331005' } as Contract, order({
      orderType: 'LMT' as Order['orderType'],
      lmtPrice: 2,
      displaySize: 100,
      minQty: 5,
      cashQty: 1000,
      softDollarTier: { name: 'n', value: 'v' },
      mifid2DecisionMaker: 'dm',
      duration: 60,
      postToAts: 1,
      autoCancelParent: true,
      advancedErrorOverride: '8229',
      manualOrderTime: '20261231-10:00:00',
      customerAccount: v >= 183 ? 'CUST' : undefined,
      professionalCustomer: v >= 184 ? true : undefined,
      includeOvernight: v >= 189,
      manualOrderIndicator: v >= 192 ? 1 : undefined,
      usePriceMgmtAlgo: true,
      modelCode: 'M1',
      goodAfterTime: '20261231 09:00:00',
    }));
    expect(m.contract).toMatchObject({ primaryExch: 'NASDAQ', secIdType: 'ISIN', secId: 'US0378331005' });
    expect(m.order).toMatchObject({
      displaySize: 100,
      minQty: 5,
      cashQty: 1000,
      softDollarTier: { name: 'n', value: 'v' },
      mifid2DecisionMaker: 'dm',
      duration: 60,
      postToAts: 1,
      autoCancelParent: true,
      advancedErrorOverride: '8229',
      manualOrderTime: '20261231-10:00:00',
      usePriceMgmtAlgo: true,
      modelCode: 'M1',
      goodAfterTime: '20261231 09:00:00',
    });
    if (v >= 183) expect(m.order).toMatchObject({ customerAccount: 'CUST', professionalCustomer: true });
    if (v >= 189) expect(m.order.includeOvernight).toBe(true);
    if (v >= 192) expect(m.order.manualOrderIndicator).toBe(1);
  });

  it('our encodeClientMessage reproduces stoqey\'s PLACE_ORDER fields for a bracket child', () => {
    const o = order({ orderType: 'LMT' as Order['orderType'], action: 'SELL' as Order['action'], lmtPrice: 110, parentId: 20, ocaGroup: 'g', ocaType: 1, algoStrategy: 'Adaptive', algoParams: [{ tag: 'adaptivePriority', value: 'Urgent' }], conditions: [new PriceCondition(1, 0, 5, 'SMART', true, 'a' as never)], conditionsIgnoreRth: false, conditionsCancelOrder: true });
    const { msg, fields } = roundTrip(v, (enc) => enc.placeOrder(21, AAPL, o));
    const ours = encodeClientMessage(msg, v).map((x) => (x === undefined || x === null ? '' : typeof x === 'boolean' ? (x ? '1' : '0') : String(x)));
    // stoqey sends undefined ints as "" where we re-encode a decoded 0 as "0"; compare the decoded forms instead
    const pm = msg as PlaceOrderMsg;
    expect(decodeClientMessage(ours, v)).toEqual({ ...pm, order: { ...pm.order, raw: ours } });
    expect(ours).toHaveLength(fields.length);
  });
});

describe.each(VERSIONS)('other requests from @stoqey/ib at v%i', (v) => {
  const one = (fn: (enc: Encoder) => void): ClientMessage => roundTrip(v, fn).msg;

  it('ids, accounts, time, market data type, positions', () => {
    expect(one((e) => e.reqIds(1))).toEqual({ type: 'REQ_IDS', numIds: 1 });
    expect(one((e) => e.reqManagedAccts())).toEqual({ type: 'REQ_MANAGED_ACCTS' });
    expect(one((e) => e.reqCurrentTime())).toEqual({ type: 'REQ_CURRENT_TIME' });
    expect(one((e) => e.reqMarketDataType(3))).toEqual({ type: 'REQ_MARKET_DATA_TYPE', marketDataType: 3 });
    expect(one((e) => e.reqPositions())).toEqual({ type: 'REQ_POSITIONS' });
    expect(one((e) => e.cancelPositions())).toEqual({ type: 'CANCEL_POSITIONS' });
  });

  it('account summary / multi / updates', () => {
    expect(one((e) => e.reqAccountSummary(7, 'All', 'NetLiquidation,TotalCashValue'))).toEqual({
      type: 'REQ_ACCOUNT_SUMMARY',
      reqId: 7,
      group: 'All',
      tags: 'NetLiquidation,TotalCashValue',
    });
    expect(one((e) => e.cancelAccountSummary(7))).toEqual({ type: 'CANCEL_ACCOUNT_SUMMARY', reqId: 7 });
    expect(one((e) => e.reqPositionsMulti(8, 'DU1000001', ''))).toEqual({ type: 'REQ_POSITIONS_MULTI', reqId: 8, account: 'DU1000001' });
    expect(one((e) => e.cancelPositionsMulti(8))).toEqual({ type: 'CANCEL_POSITIONS_MULTI', reqId: 8 });
    expect(one((e) => e.reqAccountUpdates(true, 'DU1000002'))).toEqual({ type: 'REQ_ACCOUNT_DATA', subscribe: true, acctCode: 'DU1000002' });
    expect(one((e) => e.reqAccountUpdatesMulti(9, 'DU1000003', 'M', true))).toEqual({
      type: 'REQ_ACCOUNT_UPDATES_MULTI',
      reqId: 9,
      account: 'DU1000003',
      modelCode: 'M',
      ledgerAndNLV: true,
    });
    expect(one((e) => e.cancelAccountUpdatesMulti(9))).toEqual({ type: 'CANCEL_ACCOUNT_UPDATES_MULTI', reqId: 9 });
  });

  it('open / completed orders, executions', () => {
    expect(one((e) => e.reqOpenOrders())).toEqual({ type: 'REQ_OPEN_ORDERS' });
    expect(one((e) => e.reqAllOpenOrders())).toEqual({ type: 'REQ_ALL_OPEN_ORDERS' });
    expect(one((e) => e.reqAutoOpenOrders(true))).toEqual({ type: 'REQ_AUTO_OPEN_ORDERS', autoBind: true });
    expect(one((e) => e.reqCompletedOrders(false))).toEqual({ type: 'REQ_COMPLETED_ORDERS', apiOnly: false });
    expect(one((e) => e.reqExecutions(10, {}))).toEqual({ type: 'REQ_EXECUTIONS', reqId: 10, filter: {} });
    expect(one((e) => e.reqExecutions(11, { clientId: '0', acctCode: 'DU1000001', time: '20261231-09:00:00', symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', side: 'BUY' }))).toEqual({
      type: 'REQ_EXECUTIONS',
      reqId: 11,
      filter: { clientId: 0, acctCode: 'DU1000001', time: '20261231-09:00:00', symbol: 'AAPL', secType: 'STK', exchange: 'SMART', side: 'BUY' },
    });
  });

  it('contract details (issuerId only from 176)', () => {
    const m = one((e) => e.reqContractDetails(12, { symbol: 'ES', secType: 'FUT' as never, exchange: 'CME', currency: 'USD', lastTradeDateOrContractMonth: '202612', multiplier: 50, includeExpired: true, issuerId: 'I1' } as Contract));
    expect(m).toEqual({
      type: 'REQ_CONTRACT_DATA',
      reqId: 12,
      contract: { symbol: 'ES', secType: 'FUT', exchange: 'CME', currency: 'USD', lastTradeDateOrContractMonth: '202612', multiplier: '50', includeExpired: true, issuerId: 'I1' },
    });
  });

  it('market data (plain, snapshot, BAG, delta-neutral) and cancel', () => {
    expect(one((e) => e.reqMktData(13, AAPL, '233,236', false, false))).toEqual({
      type: 'REQ_MKT_DATA',
      reqId: 13,
      contract: { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' },
      genericTickList: '233,236',
      snapshot: false,
      regulatorySnapshot: false,
    });
    expect(one((e) => e.reqMktData(14, AAPL, '', true, false))).toMatchObject({ type: 'REQ_MKT_DATA', reqId: 14, snapshot: true });
    const bag = { symbol: 'SPY', secType: 'BAG', exchange: 'SMART', currency: 'USD', comboLegs: [{ conId: 1, ratio: 1, action: 'BUY', exchange: 'SMART' }], deltaNeutralContract: { conId: 2, delta: 0.3, price: 10 } } as unknown as Contract;
    expect(one((e) => e.reqMktData(15, bag, '', false, false))).toMatchObject({
      contract: { comboLegs: [{ conId: 1, ratio: 1, action: 'BUY', exchange: 'SMART' }], deltaNeutralContract: { conId: 2, delta: 0.3, price: 10 } },
    });
    expect(one((e) => e.cancelMktData(13))).toEqual({ type: 'CANCEL_MKT_DATA', reqId: 13 });
  });

  it('historical data (with and without keepUpToDate, BAG) and cancel', () => {
    expect(one((e) => e.reqHistoricalData(16, AAPL, '20261231 16:00:00 US/Eastern', '1 D', '5 mins' as never, 'TRADES' as never, 1, 1, false))).toEqual({
      type: 'REQ_HISTORICAL_DATA',
      reqId: 16,
      contract: { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', includeExpired: false },
      endDateTime: '20261231 16:00:00 US/Eastern',
      barSizeSetting: '5 mins',
      durationStr: '1 D',
      useRTH: true,
      whatToShow: 'TRADES',
      formatDate: 1,
      keepUpToDate: false,
    });
    const bag = { symbol: 'SPY', secType: 'BAG', exchange: 'SMART', currency: 'USD', comboLegs: [{ conId: 1, ratio: 2, action: 'SELL', exchange: 'SMART' }] } as unknown as Contract;
    expect(one((e) => e.reqHistoricalData(17, bag, '', '1 W', '1 hour' as never, 'MIDPOINT' as never, 0, 2, true))).toMatchObject({
      reqId: 17,
      contract: { comboLegs: [{ conId: 1, ratio: 2, action: 'SELL', exchange: 'SMART' }] },
      useRTH: false,
      formatDate: 2,
      keepUpToDate: true,
    });
    expect(one((e) => e.cancelHistoricalData(16))).toEqual({ type: 'CANCEL_HISTORICAL_DATA', reqId: 16 });
  });

  it('cancelOrder and reqGlobalCancel by version', () => {
    expect(one((e) => e.cancelOrder(50, { manualOrderCancelTime: '' }))).toEqual({ type: 'CANCEL_ORDER', orderId: 50 });
    expect(one((e) => e.cancelOrder(51, { manualOrderCancelTime: '20261231-10:00:00' }))).toEqual({
      type: 'CANCEL_ORDER',
      orderId: 51,
      manualOrderCancelTime: '20261231-10:00:00',
    });
    expect(one((e) => e.reqGlobalCancel({}))).toEqual({ type: 'REQ_GLOBAL_CANCEL' });
    if (v >= 192) {
      expect(one((e) => e.cancelOrder(52, { extOperator: 'op', manualOrderIndicator: 1 }))).toEqual({
        type: 'CANCEL_ORDER',
        orderId: 52,
        extOperator: 'op',
        manualOrderIndicator: 1,
      });
      expect(one((e) => e.reqGlobalCancel({ extOperator: 'op', manualOrderIndicator: 0 }))).toEqual({
        type: 'REQ_GLOBAL_CANCEL',
        extOperator: 'op',
        manualOrderIndicator: 0,
      });
    }
  });

  it('our encoder reproduces stoqey byte for byte for the simple requests', () => {
    const cases: [(e: Encoder) => void][] = [
      [(e) => e.reqIds(1)],
      [(e) => e.reqAccountSummary(7, 'All', 'NetLiquidation')],
      [(e) => e.reqPositionsMulti(8, 'DU1', 'M')],
      [(e) => e.reqAccountUpdates(false, 'DU1')],
      [(e) => e.reqExecutions(10, { acctCode: 'DU1' })],
      [(e) => e.reqContractDetails(12, { conId: 1, symbol: 'X', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' })],
      [(e) => e.reqMktData(13, AAPL, '', false, false)],
      [(e) => e.reqHistoricalData(16, AAPL, '', '1 D', '1 day' as never, 'TRADES' as never, 1, 1, false)],
      [(e) => e.cancelOrder(50, { manualOrderCancelTime: 'x' })],
      [(e) => e.reqGlobalCancel({})],
      [(e) => e.reqCompletedOrders(true)],
    ];
    for (const [fn] of cases) {
      const { msg, fields } = roundTrip(v, fn);
      const ours = encodeFrame(encodeClientMessage(msg, v));
      expect(ours.equals(encodeFrame(fields))).toBe(true);
    }
  });
});

describe('START_API as stoqey sends it', () => {
  it('decodes [71, 2, clientId, ""]', () => {
    expect(decodeClientMessage(['71', '2', '1', ''], 193)).toEqual({ type: 'START_API', clientId: 1 });
    expect(decodeClientMessage(['71', '2', '7', '+PACEAPI'], 178)).toEqual({ type: 'START_API', clientId: 7, optionalCapabilities: '+PACEAPI' });
  });

  it('a stoqey PLACE_ORDER with one field removed or added is rejected', () => {
    const [fields] = capture(193, (e) => e.placeOrder(1, AAPL, order({ orderType: 'MKT' as Order['orderType'] })));
    const f = fields as string[];
    expect(() => decodeClientMessage(f.slice(0, -1), 193)).toThrow(WireDecodeError);
    expect(() => decodeClientMessage([...f, ''], 193)).toThrow(/PLACE_ORDER\.<leftover>/);
    // a 193 message read as 178 does not fit either
    expect(() => decodeClientMessage(f, 178)).toThrow(WireDecodeError);
  });
});
