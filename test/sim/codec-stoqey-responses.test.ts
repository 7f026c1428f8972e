/**
 * Every server message we encode must be accepted by @stoqey/ib 1.6.10's REAL Decoder (fed the way its
 * socket feeds it: `enqueueMessage(fields)` + `process()`), with no 505 / error, and decode to our values —
 * at 178, 187 and 193. Also: our own strict decodeServerMessage inverts the encoding.
 */
import { describe, expect, it } from 'vitest';
import { Decoder } from '@stoqey/ib/dist/core/io/decoder.js';
import {
  FrameDecoder,
  decodeServerMessage,
  encodeFrame,
  encodeServerMessage,
  type ServerMessage,
  type ServerOrder,
  type WireContract,
} from '../../src/sim/wire/index.js';

const VERSIONS = [178, 187, 193] as const;

interface Emitted {
  events: { name: string; args: unknown[] }[];
  errors: { msg: string; code: number }[];
  infos: { msg: string; code: number }[];
}

/** Encodes `msgs`, frames them into one buffer, splits with our FrameDecoder and feeds stoqey's Decoder. */
function feedStoqey(version: number, msgs: readonly ServerMessage[]): Emitted {
  const out: Emitted = { events: [], errors: [], infos: [] };
  const decoder = new Decoder({
    serverVersion: version,
    emitEvent: (name: string, ...args: unknown[]) => out.events.push({ name, args }),
    emitError: (msg: string, code: number) => out.errors.push({ msg, code }),
    emitInfo: (msg: string, code: number) => out.infos.push({ msg, code }),
  } as never);
  const fd = new FrameDecoder();
  fd.push(Buffer.concat(msgs.map((m) => encodeFrame(encodeServerMessage(m, version)))));
  const frames = fd.drain();
  expect(frames).toHaveLength(msgs.length);
  frames.forEach((f, i) => {
    // our strict decoder inverts the encoding too
    expect(decodeServerMessage(f, version).type).toBe((msgs[i] as ServerMessage).type);
    decoder.enqueueMessage(f);
  });
  decoder.process();
  return out;
}

/** Feeds one message and returns the args of its single event (asserting no error). */
function one(version: number, msg: ServerMessage, eventName: string): unknown[] {
  const r = feedStoqey(version, [msg]);
  expect(r.errors).toEqual([]);
  const ev = r.events.filter((e) => e.name === eventName);
  expect(ev.length).toBeGreaterThanOrEqual(1);
  return (ev[0] as { args: unknown[] }).args;
}

const AAPL: WireContract = { conId: 265598, symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD', localSymbol: 'AAPL', tradingClass: 'NMS' };

const PLAIN_ORDER: ServerOrder = {
  action: 'BUY',
  totalQuantity: '10',
  orderType: 'LMT',
  lmtPrice: '101.5',
  tif: 'DAY',
  account: 'DU1000001',
  orderRef: 'sig-1',
  clientId: 1,
  permId: 900001,
  parentId: 0,
  transmit: true,
};

const RICH_ORDER: ServerOrder = {
  ...PLAIN_ORDER,
  orderType: 'PEG BENCH',
  auxPrice: 0.5,
  ocaGroup: 'oca',
  ocaType: 1,
  outsideRth: true,
  hidden: true,
  goodTillDate: '20261231 16:00:00',
  deltaNeutralOrderType: 'LMT',
  deltaNeutralAuxPrice: 1.5,
  deltaNeutralConId: 7,
  deltaNeutralSettlingFirm: 'SF',
  deltaNeutralShortSale: true,
  scaleInitLevelSize: 100,
  scalePriceIncrement: '0.05',
  scaleAutoReset: true,
  hedgeType: 'D',
  hedgeParam: '0.5',
  algoStrategy: 'Adaptive',
  algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }],
  orderComboLegs: [1.25, undefined],
  smartComboRoutingParams: [{ tag: 'NonGuaranteed', value: '1' }],
  referenceContractId: 8314,
  isPeggedChangeAmountDecrease: true,
  peggedChangeAmount: 0.1,
  referenceChangeAmount: 0.2,
  referenceExchangeId: 'NYSE',
  conditions: [
    { kind: 'price', conjunction: 'and', isMore: true, value: 180.5, conId: 265598, exchange: 'SMART', triggerMethod: 2 },
    { kind: 'time', conjunction: 'or', isMore: false, value: '20261231 09:30:00' },
    { kind: 'margin', conjunction: 'and', isMore: true, value: 30 },
    { kind: 'execution', conjunction: 'and', secType: 'STK', exchange: 'SMART', symbol: 'MSFT' },
    { kind: 'volume', conjunction: 'and', isMore: true, value: 100000, conId: 272093, exchange: 'SMART' },
    { kind: 'percentChange', conjunction: 'and', isMore: false, value: 2.5, conId: 265598, exchange: 'SMART' },
  ],
  conditionsIgnoreRth: true,
  conditionsCancelOrder: true,
  softDollarTier: { name: 'n', value: 'v', displayName: 'd' },
  cashQty: '1000',
  duration: 60,
  postToAts: 1,
  autoCancelParent: true,
  minCompeteSize: 100,
  competeAgainstBestOffset: Infinity,
  midOffsetAtWhole: 0.01,
  customerAccount: 'CUST',
  professionalCustomer: true,
  bondAccruedInterest: '1.5',
  includeOvernight: true,
  extOperator: 'op',
  manualOrderIndicator: 1,
  autoCancelDate: '20261231',
  filledQuantity: '5',
  refFuturesConId: 3,
  shareholder: 'sh',
  parentPermId: 77,
};

const BAG: WireContract = {
  conId: 28812380,
  symbol: 'SPY',
  secType: 'BAG',
  exchange: 'SMART',
  currency: 'USD',
  comboLegsDescrip: '1001|1,1002|-2',
  comboLegs: [
    { conId: 1001, ratio: 1, action: 'BUY', exchange: 'SMART', openClose: 0, shortSaleSlot: 0, designatedLocation: '', exemptCode: -1 },
    { conId: 1002, ratio: 2, action: 'SELL', exchange: 'SMART', openClose: 0, shortSaleSlot: 0, designatedLocation: '', exemptCode: -1 },
  ],
  deltaNeutralContract: { conId: 756733, delta: 0.5, price: 450.25 },
};

describe.each(VERSIONS)('@stoqey/ib Decoder accepts our server messages at v%i', (v) => {
  it('connection-time messages', () => {
    expect(one(v, { type: 'NEXT_VALID_ID', orderId: 42 }, 'nextValidId')).toEqual([42]);
    expect(one(v, { type: 'MANAGED_ACCTS', accounts: 'DU1000001,DU1000002' }, 'managedAccounts')).toEqual(['DU1000001,DU1000002']);
    expect(one(v, { type: 'CURRENT_TIME', time: 1798761600 }, 'currentTime')).toEqual([1798761600]);
    const info = feedStoqey(v, [{ type: 'ERR_MSG', reqId: -1, code: 2104, message: 'Market data farm connection is OK:usfarm' }]);
    expect(info.infos).toEqual([{ msg: 'Market data farm connection is OK:usfarm', code: 2104 }]);
    const err = feedStoqey(v, [{ type: 'ERR_MSG', reqId: 7, code: 201, message: 'Order rejected - reason:IRA short', advancedOrderRejectJson: '{"a":1}' }]);
    expect(err.errors).toEqual([{ msg: 'Order rejected - reason:IRA short', code: 201 }]);
  });

  it('positions and account data', () => {
    const pos = one(v, { type: 'POSITION', account: 'DU1000001', contract: AAPL, position: '100', avgCost: '150.25' }, 'position');
    expect(pos).toEqual(['DU1000001', expect.objectContaining({ conId: 265598, symbol: 'AAPL', exchange: 'SMART', tradingClass: 'NMS' }), 100, 150.25]);
    expect(one(v, { type: 'POSITION_END' }, 'positionEnd')).toEqual([]);
    expect(one(v, { type: 'ACCOUNT_SUMMARY', reqId: 3, account: 'DU1000001', tag: 'NetLiquidation', value: '50000.00', currency: 'USD' }, 'accountSummary')).toEqual([
      3, 'DU1000001', 'NetLiquidation', '50000.00', 'USD',
    ]);
    expect(one(v, { type: 'ACCOUNT_SUMMARY_END', reqId: 3 }, 'accountSummaryEnd')).toEqual([3]);
    const pm = one(v, { type: 'POSITION_MULTI', reqId: 4, account: 'DU1000002', modelCode: '', contract: AAPL, position: 50, avgCost: 300 }, 'positionMulti');
    expect(pm).toEqual([4, 'DU1000002', '', expect.objectContaining({ symbol: 'AAPL' }), 50, 300]);
    expect(one(v, { type: 'POSITION_MULTI_END', reqId: 4 }, 'positionMultiEnd')).toEqual([4]);
    expect(one(v, { type: 'ACCOUNT_UPDATE_MULTI', reqId: 5, account: 'DU1000003', key: 'CashBalance', value: '250000', currency: 'USD' }, 'accountUpdateMulti')).toEqual([
      5, 'DU1000003', '', 'CashBalance', '250000', 'USD',
    ]);
    expect(feedStoqey(v, [{ type: 'ACCOUNT_UPDATE_MULTI_END', reqId: 5 }]).errors).toEqual([]);
    expect(one(v, { type: 'ACCT_VALUE', key: 'NetLiquidation', value: '1000', currency: 'USD', accountName: 'DU1000001' }, 'updateAccountValue')).toEqual([
      'NetLiquidation', '1000', 'USD', 'DU1000001',
    ]);
    const pv = one(v, {
      type: 'PORTFOLIO_VALUE',
      contract: { ...AAPL, primaryExch: 'NASDAQ' },
      position: 100,
      marketPrice: '190.5',
      marketValue: '19050',
      averageCost: 150,
      unrealizedPNL: '4050',
      realizedPNL: 0,
      accountName: 'DU1000001',
    }, 'updatePortfolio');
    expect(pv).toEqual([expect.objectContaining({ conId: 265598, primaryExch: 'NASDAQ' }), 100, 190.5, 19050, 150, 4050, 0, 'DU1000001']);
    expect(one(v, { type: 'ACCT_UPDATE_TIME', timeStamp: '10:15' }, 'updateAccountTime')).toEqual(['10:15']);
    expect(one(v, { type: 'ACCT_DOWNLOAD_END', accountName: 'DU1000001' }, 'accountDownloadEnd')).toEqual(['DU1000001']);
  });

  it('order status, open orders (plain, rich, BAG, whatIf), completed orders, order bound', () => {
    expect(one(v, {
      type: 'ORDER_STATUS', orderId: 7, status: 'Filled', filled: '10', remaining: '0', avgFillPrice: '190.01', permId: 900001, parentId: 0, lastFillPrice: '190.01', clientId: 1,
    }, 'orderStatus')).toEqual([7, 'Filled', 10, 0, 190.01, 900001, 0, 190.01, 1, '', 0]);

    const plain = one(v, { type: 'OPEN_ORDER', orderId: 7, contract: AAPL, order: PLAIN_ORDER, orderState: { status: 'Submitted' } }, 'openOrder');
    expect(plain[0]).toBe(7);
    expect(plain[2]).toMatchObject({ action: 'BUY', totalQuantity: 10, orderType: 'LMT', lmtPrice: 101.5, account: 'DU1000001', orderRef: 'sig-1', clientId: 1, permId: 900001 });
    expect(plain[3]).toMatchObject({ status: 'Submitted' });

    const rich = one(v, { type: 'OPEN_ORDER', orderId: 8, contract: BAG, order: RICH_ORDER, orderState: { status: 'PreSubmitted' } }, 'openOrder');
    expect(rich[1]).toMatchObject({ comboLegsDescription: '1001|1,1002|-2', deltaNeutralContract: { conId: 756733, delta: 0.5, price: 450.25 } });
    expect((rich[1] as { comboLegs: unknown[] }).comboLegs).toHaveLength(2);
    expect(rich[2]).toMatchObject({
      algoStrategy: 'Adaptive',
      algoParams: [{ tag: 'adaptivePriority', value: 'Normal' }],
      hedgeParam: '0.5',
      deltaNeutralConId: 7,
      deltaNeutralSettlingFirm: 'SF',
      scaleAutoReset: true,
      referenceExchangeId: 'NYSE',
      conditionsIgnoreRth: true,
      softDollarTier: { name: 'n', value: 'v', displayName: 'd' },
      cashQty: 1000,
      competeAgainstBestOffset: Infinity,
      orderComboLegs: [{ price: 1.25 }, { price: undefined }],
    });
    expect((rich[2] as { conditions: unknown[] }).conditions).toHaveLength(6);
    if (v >= 193) expect(rich[2]).toMatchObject({ extOperator: 'op', manualOrderIndicator: 1, includeOvernight: true, bondAccruedInterest: '1.5' });

    const whatIf = one(v, {
      type: 'OPEN_ORDER', orderId: 9, contract: AAPL, order: { ...PLAIN_ORDER, whatIf: true },
      orderState: { status: 'PreSubmitted', initMarginChange: '4762.5', maintMarginChange: '4330', equityWithLoanChange: '-1.25', commission: '1', minCommission: 1, maxCommission: 1.5, commissionCurrency: 'USD', warningText: '' },
    }, 'openOrder');
    expect(whatIf[2]).toMatchObject({ whatIf: true });
    expect(whatIf[3]).toMatchObject({ status: 'PreSubmitted', initMarginChange: 4762.5, maintMarginChange: 4330, equityWithLoanChange: -1.25, commission: 1, maxCommission: 1.5, commissionCurrency: 'USD' });

    expect(one(v, { type: 'OPEN_ORDER_END' }, 'openOrderEnd')).toEqual([]);

    const done = one(v, {
      type: 'COMPLETED_ORDER', contract: BAG, order: RICH_ORDER, orderState: { status: 'Filled', completedTime: '20261231 10:00:00', completedStatus: 'Filled Size: 10' },
    }, 'completedOrder');
    expect(done[1]).toMatchObject({ action: 'BUY', orderRef: 'sig-1', permId: 900001, autoCancelDate: '20261231', filledQuantity: 5, parentPermId: 77, shareholder: 'sh' });
    expect(done[2]).toMatchObject({ status: 'Filled', completedTime: '20261231 10:00:00', completedStatus: 'Filled Size: 10' });
    const donePlain = one(v, { type: 'COMPLETED_ORDER', contract: AAPL, order: PLAIN_ORDER, orderState: { status: 'Cancelled' } }, 'completedOrder');
    expect(donePlain[2]).toMatchObject({ status: 'Cancelled' });
    expect(one(v, { type: 'COMPLETED_ORDERS_END' }, 'completedOrdersEnd')).toEqual([]);
    expect(one(v, { type: 'ORDER_BOUND', permId: 900001, clientId: 0, orderId: 12 }, 'orderBound')).toEqual([900001, 0, 12]);
  });

  it('executions and commission reports', () => {
    const ex = one(v, {
      type: 'EXECUTION_DATA',
      reqId: -1,
      contract: AAPL,
      execution: {
        orderId: 7, execId: '0000e0d5.6571a1b2.01.01', time: '20261231 10:00:00 US/Eastern', acctNumber: 'DU1000001', exchange: 'ISLAND', side: 'BOT',
        shares: '10', price: '190.01', permId: 900001, clientId: 1, liquidation: 0, cumQty: '10', avgPrice: '190.01', orderRef: 'sig-1', lastLiquidity: 2, pendingPriceRevision: false,
      },
    }, 'execDetails');
    expect(ex[0]).toBe(-1);
    expect(ex[2]).toMatchObject({ orderId: 7, execId: '0000e0d5.6571a1b2.01.01', side: 'BOT', shares: 10, price: 190.01, cumQty: 10, orderRef: 'sig-1', lastLiquidity: 2 });
    expect(one(v, { type: 'EXECUTION_DATA_END', reqId: 3 }, 'execDetailsEnd')).toEqual([3]);
    const cr = one(v, { type: 'COMMISSION_REPORT', execId: '0000e0d5.6571a1b2.01.01', commission: '1.0', currency: 'USD', realizedPNL: undefined, yield: undefined }, 'commissionReport');
    expect(cr[0]).toMatchObject({ execId: '0000e0d5.6571a1b2.01.01', commission: 1, currency: 'USD' });
  });

  it('contract details (STK, FUND, with secIds and ineligibility reasons)', () => {
    const cd = one(v, {
      type: 'CONTRACT_DATA',
      reqId: 12,
      details: {
        contract: { ...AAPL, primaryExch: 'NASDAQ', multiplier: '1' },
        lastTradeDate: '',
        marketName: 'NMS',
        minTick: 0.01,
        orderTypes: 'LMT,MKT',
        validExchanges: 'SMART,ISLAND',
        priceMagnifier: 1,
        longName: 'APPLE INC',
        timeZoneId: 'US/Eastern',
        secIdList: [{ tag: 'ISIN', value: 'US0378331005' }],
        aggGroup: 1,
        stockType: 'COMMON',
        minSize: '0.0001',
        sizeIncrement: '0.0001',
        suggestedSizeIncrement: 100,
        ineligibilityReasons: [{ id: 'x', description: 'y' }],
      },
    }, 'contractDetails');
    expect(cd[0]).toBe(12);
    expect(cd[1]).toMatchObject({
      contract: { conId: 265598, symbol: 'AAPL', primaryExch: 'NASDAQ', tradingClass: 'NMS' },
      marketName: 'NMS', minTick: 0.01, longName: 'APPLE INC', stockType: 'COMMON', minSize: 0.0001, secIdList: [{ tag: 'ISIN', value: 'US0378331005' }],
    });
    const fund = feedStoqey(v, [{ type: 'CONTRACT_DATA', reqId: 13, details: { contract: { symbol: 'VFIAX', secType: 'FUND', conId: 1 }, fundFields: ['Vanguard 500'] } }]);
    expect(fund.errors).toEqual([]);
    expect(one(v, { type: 'CONTRACT_DATA_END', reqId: 12 }, 'contractDetailsEnd')).toEqual([12]);
  });

  it('market data ticks', () => {
    // stoqey emits a synthetic tickSize for ASK (→ ASK_SIZE 3) but not for BID (BID_SIZE is 0, a falsy check)
    const tp = feedStoqey(v, [
      { type: 'TICK_PRICE', reqId: 1, tickType: 1, price: '190.01', size: '300', attrMask: 0 },
      { type: 'TICK_PRICE', reqId: 1, tickType: 2, price: '190.02', size: '200', attrMask: 1 },
    ]);
    expect(tp.errors).toEqual([]);
    expect(tp.events.map((e) => [e.name, ...e.args])).toEqual([
      ['tickPrice', 1, 1, 190.01, false],
      ['tickPrice', 1, 2, 190.02, true],
      ['tickSize', 1, 3, 200],
    ]);
    expect(one(v, { type: 'TICK_SIZE', reqId: 1, tickType: 8, size: '12345' }, 'tickSize')).toEqual([1, 8, 12345]);
    expect(one(v, { type: 'TICK_GENERIC', reqId: 1, tickType: 49, value: 0 }, 'tickGeneric')).toEqual([1, 49, 0]);
    expect(one(v, { type: 'TICK_STRING', reqId: 1, tickType: 45, value: '1798761600' }, 'tickString')).toEqual([1, 45, '1798761600']);
    expect(one(v, { type: 'TICK_REQ_PARAMS', reqId: 1, minTick: 1, bboExchange: 'a6', snapshotPermissions: 3 }, 'tickReqParams')).toEqual([1, 1, 'a6', 3]);
    expect(one(v, { type: 'MARKET_DATA_TYPE', reqId: 1, marketDataType: 3 }, 'marketDataType')).toEqual([1, 3]);
    expect(one(v, { type: 'TICK_SNAPSHOT_END', reqId: 1 }, 'tickSnapshotEnd')).toEqual([1]);
  });

  it('historical data and updates', () => {
    const bars = [
      { date: '20261230', open: 190, high: '191.5', low: 189, close: '190.75', volume: '1000', wap: '190.3', barCount: 12 },
      { date: '20261231', open: 191, high: 192, low: 190, close: 191, volume: 2000, wap: 191, barCount: 13 },
    ];
    const r = feedStoqey(v, [{ type: 'HISTORICAL_DATA', reqId: 16, startDate: '20261230 00:00:00', endDate: '20261231 23:59:59', bars }]);
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => e.args)).toEqual([
      [16, '20261230', 190, 191.5, 189, 190.75, 1000, 12, 190.3, undefined],
      [16, '20261231', 191, 192, 190, 191, 2000, 13, 191, undefined],
      [16, 'finished-20261230 00:00:00-20261231 23:59:59', -1, -1, -1, -1, -1, -1, -1, false],
    ]);
    expect(feedStoqey(v, [{ type: 'HISTORICAL_DATA', reqId: 17, startDate: 'a', endDate: 'b', bars: [] }]).errors).toEqual([]);
    expect(one(v, { type: 'HISTORICAL_DATA_UPDATE', reqId: 16, bar: { date: '20261231 10:00:00', open: 1, high: 4, low: 0.5, close: 2, volume: 100, wap: 1.5, barCount: 3 } }, 'historicalDataUpdate')).toEqual([
      16, '20261231 10:00:00', 1, 4, 0.5, 2, 100, 3, 1.5,
    ]);
  });

  it('many messages in one buffer decode in order without a single error', () => {
    const msgs: ServerMessage[] = [
      { type: 'MANAGED_ACCTS', accounts: 'DU1' },
      { type: 'NEXT_VALID_ID', orderId: 1 },
      { type: 'OPEN_ORDER', orderId: 1, contract: AAPL, order: PLAIN_ORDER, orderState: { status: 'Submitted' } },
      { type: 'ORDER_STATUS', orderId: 1, status: 'Submitted', filled: 0, remaining: 10, avgFillPrice: 0, permId: 1, parentId: 0, lastFillPrice: 0, clientId: 1 },
      { type: 'COMPLETED_ORDER', contract: AAPL, order: RICH_ORDER, orderState: { status: 'Filled' } },
      { type: 'ERR_MSG', reqId: 1, code: 202, message: 'Order Canceled - reason:' },
    ];
    const r = feedStoqey(v, msgs);
    expect(r.errors).toEqual([{ msg: 'Order Canceled - reason:', code: 202 }]);
    expect(r.events.map((e) => e.name)).toEqual(['managedAccounts', 'nextValidId', 'openOrder', 'orderStatus', 'completedOrder']);
  });
});

describe('a deliberately broken frame does trigger stoqey\'s 505 (so the checks above can fail)', () => {
  it('extra field → "unprocessed data left on queue"', () => {
    const decoder = new Decoder({ serverVersion: 193, emitEvent: () => undefined, emitError: (m: string, c: number) => errs.push([m, c]), emitInfo: () => undefined } as never);
    const errs: [string, number][] = [];
    decoder.enqueueMessage([...encodeServerMessage({ type: 'NEXT_VALID_ID', orderId: 1 }, 193).map(String), 'extra']);
    decoder.process();
    expect(errs).toHaveLength(1);
    expect(errs[0]?.[0]).toMatch(/unprocessed data/);
  });
});
