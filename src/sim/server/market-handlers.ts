/**
 * Market requests: contract details (error 200 when unknown), market data (streaming and snapshot,
 * delayed tick types for market data type 3/4, generic tick 236 shortable shares) and historical bars.
 */
import type { SimInstrument } from '../engine/instruments.js';
import { contractOf } from '../engine/order-book.js';
import { barSeconds, durationSeconds, formatBarDate, generateBars, parseEndTime } from '../engine/history.js';
import type { WireBar, WireContract, WireContractDetails } from '../wire/messages.js';
import { sendImpliedVolTick, sendOptionComputations } from './option-handlers.js';
import type { SessionContext } from './session-types.js';

const NO_SECDEF = 'No security definition has been found for the request';
const ORDER_TYPES = 'ACTIVETIM,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,IOC,LIT,LMT,LOC,MIT,MKT,MOC,MTL,NONALGO,OCA,OPG,PEGBENCH,POSTONLY,REL,RTH,SCALE,SNAPMID,SNAPMKT,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF';

function tradingHours(ins: SimInstrument, now: number): string {
  const d = new Date(now);
  const day = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
  return ins.secType === 'STK' ? `${day}:0930-${day}:1600` : `${day}:0000-${day}:2359`;
}

function details(s: SessionContext, ins: SimInstrument, asked: WireContract): WireContractDetails {
  return ins.secType === 'OPT' ? optionDetails(s, ins, asked) : plainDetails(s, ins, asked);
}

/** An option's contract details: underlying conId/symbol, expiry, market rule and option order types. */
function optionDetails(s: SessionContext, ins: SimInstrument, asked: WireContract): WireContractDetails {
  const base = plainDetails(s, ins, asked);
  const und = s.engine.instruments.byConId(ins.underlyingConId);
  return {
    ...base, marketName: ins.tradingClass, underConId: ins.underlyingConId, underSymbol: und?.symbol ?? ins.symbol,
    underSecType: und?.secType ?? 'STK', lastTradeDate: ins.lastTradeDateOrContractMonth, realExpirationDate: ins.lastTradeDateOrContractMonth,
    contractMonth: ins.lastTradeDateOrContractMonth.slice(0, 6), validExchanges: 'SMART,AMEX,BOX,CBOE,ISE,MIAX,PHLX', stockType: '',
    marketRuleIds: '32', suggestedSizeIncrement: '1',
  };
}

function plainDetails(s: SessionContext, ins: SimInstrument, asked: WireContract): WireContractDetails {
  const hours = tradingHours(ins, s.engine.now());
  const fut = ins.secType === 'FUT';
  return {
    contract: { ...contractOf(ins), exchange: asked.exchange || ins.exchange },
    lastTradeDate: fut ? `${ins.lastTradeDateOrContractMonth.slice(0, 6)}18` : undefined,
    marketName: ins.secType === 'STK' ? ins.tradingClass : ins.symbol,
    minTick: ins.minTick.toString(), orderTypes: ORDER_TYPES,
    validExchanges: ins.secType === 'STK' ? `SMART,${ins.primaryExchange || 'NASDAQ'},ARCA,BATS,IEX` : ins.exchange,
    priceMagnifier: 1, underConId: 0, longName: ins.longName,
    contractMonth: fut ? ins.lastTradeDateOrContractMonth.slice(0, 6) : undefined,
    industry: ins.industry, category: ins.category, subcategory: ins.subcategory,
    timeZoneId: ins.currency === 'EUR' ? 'MET' : 'US/Eastern', tradingHours: hours, liquidHours: hours,
    evRule: '', evMultiplier: undefined, secIdList: [], aggGroup: 1,
    underSymbol: fut ? ins.symbol : undefined, underSecType: fut ? 'IND' : undefined, marketRuleIds: '26',
    realExpirationDate: fut ? `${ins.lastTradeDateOrContractMonth.slice(0, 6)}18` : undefined,
    stockType: ins.stockType, minSize: '1', sizeIncrement: '1', suggestedSizeIncrement: ins.secType === 'STK' ? '100' : '1',
    ineligibilityReasons: [],
  };
}

/** REQ_CONTRACT_DATA: one CONTRACT_DATA per matching instrument, CONTRACT_DATA_END; or error 200. */
export function handleReqContractData(s: SessionContext, reqId: number, contract: WireContract): void {
  const now = s.engine.now();
  // expired options only with includeExpired, as IB answers (futures months are served regardless: the
  // default household's ES month must not vanish with the calendar)
  const found = s.engine.instruments.find(contract).filter((i) => contract.includeExpired || i.secType !== 'OPT' || i.expiryMs > now);
  if (found.length === 0) {
    s.send({ type: 'ERR_MSG', reqId, code: 200, message: NO_SECDEF });
    return;
  }
  for (const ins of found) s.send({ type: 'CONTRACT_DATA', reqId, details: details(s, ins, contract) });
  s.send({ type: 'CONTRACT_DATA_END', reqId });
}

/** Sends the current ticks of an instrument to one market-data request. */
export function sendTicks(s: SessionContext, reqId: number, ins: SimInstrument, full: boolean, generic: readonly string[]): void {
  const q = s.engine.market.quote(ins);
  const delayed = s.marketDataType >= 3;
  const t = (live: number, del: number): number => (delayed ? del : live);
  s.send({ type: 'TICK_PRICE', reqId, tickType: t(1, 66), price: q.bid.toString(), size: q.bidSize, attrMask: 0 });
  s.send({ type: 'TICK_PRICE', reqId, tickType: t(2, 67), price: q.ask.toString(), size: q.askSize, attrMask: 0 });
  // TWS repeats the sizes as TICK_SIZE; stoqey's synthetic tickSize from TICK_PRICE skips BID_SIZE (type 0 is falsy)
  s.send({ type: 'TICK_SIZE', reqId, tickType: t(0, 69), size: q.bidSize });
  s.send({ type: 'TICK_SIZE', reqId, tickType: t(3, 70), size: q.askSize });
  if (ins.secType !== 'CASH') {
    s.send({ type: 'TICK_PRICE', reqId, tickType: t(4, 68), price: q.last.toString(), size: q.lastSize, attrMask: 0 });
    s.send({ type: 'TICK_SIZE', reqId, tickType: t(5, 71), size: q.lastSize });
    s.send({ type: 'TICK_SIZE', reqId, tickType: t(8, 74), size: q.volume });
    s.send({ type: 'TICK_STRING', reqId, tickType: t(45, 88), value: String(Math.floor(q.ts / 1000)) });
  }
  sendOptionComputations(s, reqId, ins);
  if (!full) return;
  s.send({ type: 'TICK_PRICE', reqId, tickType: t(6, 72), price: q.high.toString(), size: 0, attrMask: 0 });
  s.send({ type: 'TICK_PRICE', reqId, tickType: t(7, 73), price: q.low.toString(), size: 0, attrMask: 0 });
  s.send({ type: 'TICK_PRICE', reqId, tickType: t(9, 75), price: q.close.toString(), size: 0, attrMask: 0 });
  s.send({ type: 'TICK_PRICE', reqId, tickType: t(14, 76), price: q.open.toString(), size: 0, attrMask: 0 });
  if (generic.includes('106')) sendImpliedVolTick(s, reqId, ins);
  if (generic.includes('236') && ins.secType === 'STK') {
    s.send({ type: 'TICK_GENERIC', reqId, tickType: 46, value: ins.shortableShares > 1000 ? 3 : ins.shortableShares > 0 ? 2 : 1 });
    s.send({ type: 'TICK_SIZE', reqId, tickType: 89, size: ins.shortableShares });
  }
}

/** REQ_MKT_DATA: TICK_REQ_PARAMS, MARKET_DATA_TYPE if not live, the ticks; snapshot ends with TICK_SNAPSHOT_END. */
export function handleReqMktData(s: SessionContext, reqId: number, contract: WireContract, genericTickList: string | undefined, snapshot: boolean): void {
  const ins = s.engine.instruments.resolve(contract);
  if (!ins) {
    s.send({ type: 'ERR_MSG', reqId, code: 200, message: NO_SECDEF });
    return;
  }
  const generic = (genericTickList ?? '').split(',').map((g) => g.trim());
  s.send({ type: 'TICK_REQ_PARAMS', reqId, minTick: ins.minTick.toString(), bboExchange: '9c0001', snapshotPermissions: 3 });
  if (s.marketDataType !== 1) s.send({ type: 'MARKET_DATA_TYPE', reqId, marketDataType: s.marketDataType });
  sendTicks(s, reqId, ins, true, generic);
  if (snapshot) s.send({ type: 'TICK_SNAPSHOT_END', reqId });
  else s.subs.marketData.set(reqId, { conId: ins.conId, generic });
}

function toWireBar(b: ReturnType<typeof generateBars>[number], daily: boolean, formatDate: number): WireBar {
  return { date: formatBarDate(b.time, daily, formatDate), open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume, wap: b.wap, barCount: b.barCount };
}

/** The fields of REQ_HISTORICAL_DATA the handler uses. */
export interface HistoryRequest {
  readonly reqId: number;
  readonly contract: WireContract;
  readonly endDateTime?: string | undefined;
  readonly barSizeSetting: string;
  readonly durationStr: string;
  readonly whatToShow: string;
  readonly formatDate: number;
  readonly keepUpToDate: boolean;
}

/** REQ_HISTORICAL_DATA: seeded bars (HISTORICAL_DATA); 200 for an unknown contract, 321 for a bad request. */
export function handleReqHistoricalData(s: SessionContext, r: HistoryRequest): void {
  const ins = s.engine.instruments.resolve(r.contract);
  if (!ins) return s.send({ type: 'ERR_MSG', reqId: r.reqId, code: 200, message: NO_SECDEF });
  const barSec = barSeconds(r.barSizeSetting);
  const durSec = durationSeconds(r.durationStr);
  const end = parseEndTime(r.endDateTime, s.engine.now());
  const what = r.whatToShow.toUpperCase();
  if (!barSec || !durSec || end === undefined || !['TRADES', 'MIDPOINT', 'BID', 'ASK', 'FEE_RATE', 'BID_ASK', 'ADJUSTED_LAST'].includes(what)) {
    return s.send({ type: 'ERR_MSG', reqId: r.reqId, code: 321, message: `Error validating request:-'bX' : cause - invalid historical data request (bar size "${r.barSizeSetting}", duration "${r.durationStr}", end "${r.endDateTime ?? ''}", whatToShow "${r.whatToShow}")` });
  }
  const daily = barSec >= 86400;
  const bars = generateBars(ins, s.engine.seed, barSec, durSec, what, end);
  const start = formatBarDate(end - durSec * 1000, false, 1);
  s.send({ type: 'HISTORICAL_DATA', reqId: r.reqId, startDate: start.replace(' UTC', ''), endDate: formatBarDate(end, false, 1).replace(' UTC', ''), bars: bars.map((b) => toWireBar(b, daily, r.formatDate)) });
  if (r.keepUpToDate) s.subs.historyUpdates.set(r.reqId, { conId: ins.conId, barSec, whatToShow: what, formatDate: r.formatDate });
}

/** Price moved: streaming ticks and keep-up-to-date bars for every subscription on that instrument. */
export function onPriceChanged(s: SessionContext, conId: number): void {
  const ins = s.engine.instruments.byConId(conId);
  if (!ins) return;
  for (const [reqId, sub] of s.subs.marketData) if (sub.conId === conId) sendTicks(s, reqId, ins, false, sub.generic);
  for (const [reqId, sub] of s.subs.historyUpdates) {
    if (sub.conId !== conId) continue;
    const q = s.engine.market.quote(ins);
    const now = s.engine.now();
    const barStart = Math.floor(now / 1000 / sub.barSec) * sub.barSec * 1000;
    const p = q.last.toString();
    s.send({ type: 'HISTORICAL_DATA_UPDATE', reqId, bar: { date: formatBarDate(barStart, sub.barSec >= 86400, sub.formatDate), open: p, high: p, low: p, close: p, volume: String(q.lastSize), wap: p, barCount: 1 } });
  }
}
