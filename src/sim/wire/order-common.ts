/**
 * Schema pieces shared by PLACE_ORDER, OPEN_ORDER and COMPLETED_ORDER (see field-io.ts for the idea).
 */
import { WireDecodeError } from './errors.js';
import type { FieldIO, Rec } from './field-io.js';

/** Server versions at which fields appear (names as in IB's MIN_SERVER_VER_*). */
export const V = {
  DURATION: 158,
  POST_TO_ATS: 160,
  AUTO_CANCEL_PARENT: 162,
  SIZE_RULES: 164,
  ADVANCED_ORDER_REJECT: 166,
  MANUAL_ORDER_TIME: 169,
  PEGBEST_PEGMID_OFFSETS: 170,
  BOND_ISSUERID: 176,
  FA_PROFILE_DESUPPORT: 177,
  PENDING_PRICE_REVISION: 178,
  FUND_DATA_FIELDS: 179,
  LAST_TRADE_DATE: 182,
  CUSTOMER_ACCOUNT: 183,
  PROFESSIONAL_CUSTOMER: 184,
  BOND_ACCRUED_INTEREST: 185,
  INELIGIBILITY_REASONS: 186,
  RFQ_FIELDS: 187,
  INCLUDE_OVERNIGHT: 189,
  UNDO_RFQ_FIELDS: 190,
  CME_TAGGING_FIELDS: 192,
  CME_TAGGING_FIELDS_IN_OPEN_ORDER: 193,
} as const;

/** Non-empty string test used by every "if X != '' then more fields" conditional. */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** True when a numeric-or-text value is set and > 0 (scale-field conditional). */
export function positive(v: unknown): boolean {
  return present(v) && Number(v) > 0;
}

const PEG_BENCH = new Set(['PEG BENCH', 'PEGBENCH']);
const PEG_BEST = new Set(['PEG BEST', 'PEGBEST']);
const PEG_MID = new Set(['PEG MID', 'PEGMID']);

/** Order-type tests as @stoqey/ib and IB's EClient apply them. */
export const isPegBench = (t: unknown): boolean => PEG_BENCH.has(String(t ?? ''));
export const isPegBest = (t: unknown): boolean => PEG_BEST.has(String(t ?? ''));
export const isPegMid = (t: unknown): boolean => PEG_MID.has(String(t ?? ''));

/** The child record at o[k], created on decode. */
export function child(io: FieldIO, o: Rec, k: string): Rec {
  if (io.decoding) {
    const existing = o[k] as Rec | undefined;
    if (existing) return existing;
    const c: Rec = {};
    o[k] = c;
    return c;
  }
  return (o[k] as Rec | undefined) ?? {};
}

/** Tag/value pairs list (algo params, smart combo routing params). */
export function tagValues(io: FieldIO, o: Rec, k: string): void {
  io.list(o, k, (tv) => {
    io.text(tv, 'tag');
    io.text(tv, 'value');
  });
}

/** Full combo legs (8 fields each) as in PLACE_ORDER and OPEN_ORDER. */
export function comboLegsFull(io: FieldIO, contract: Rec): void {
  io.list(contract, 'comboLegs', (leg) => {
    io.int(leg, 'conId');
    io.int(leg, 'ratio');
    io.text(leg, 'action');
    io.text(leg, 'exchange');
    io.optInt(leg, 'openClose');
    io.optInt(leg, 'shortSaleSlot');
    io.str(leg, 'designatedLocation');
    io.optInt(leg, 'exemptCode');
  });
}

/** Short combo legs (conId, ratio, action, exchange) as in REQ_MKT_DATA and REQ_HISTORICAL_DATA. */
export function comboLegsShort(io: FieldIO, contract: Rec): void {
  io.list(contract, 'comboLegs', (leg) => {
    io.int(leg, 'conId');
    io.int(leg, 'ratio');
    io.text(leg, 'action');
    io.text(leg, 'exchange');
  });
}

/** Per-leg order prices: a count, then one (optional) price per leg. Stored as (number|undefined)[]. */
export function orderComboLegPrices(io: FieldIO, order: Rec): void {
  if (io.decoding) {
    const n = io.count('orderComboLegs');
    const prices: (number | undefined)[] = [];
    for (let i = 0; i < n; i++) {
      const tmp: Rec = {};
      io.num(tmp, 'price');
      prices.push(tmp['price'] as number | undefined);
    }
    if (n > 0) order['orderComboLegs'] = prices;
  } else {
    const prices = (order['orderComboLegs'] as unknown[] | undefined) ?? [];
    io.out.push(prices.length);
    for (const p of prices) io.num({ price: p }, 'price');
  }
}

/** deltaNeutralContract (on the contract): presence flag, then conId, delta, price. */
export function deltaNeutralContract(io: FieldIO, contract: Rec): void {
  let has: boolean;
  if (io.decoding) has = io.parseBool('deltaNeutralContract', io.next('deltaNeutralContract'));
  else {
    has = contract['deltaNeutralContract'] !== undefined;
    io.out.push(has);
  }
  if (!has) return;
  io.nested(contract, 'deltaNeutralContract', (dn) => {
    io.int(dn, 'conId');
    io.num0(dn, 'delta');
    io.num0(dn, 'price');
  });
}

/** algoStrategy, and if non-empty the params list. */
export function algo(io: FieldIO, order: Rec): void {
  io.str(order, 'algoStrategy');
  if (present(order['algoStrategy'])) tagValues(io, order, 'algoParams');
}

/** hedgeType, and if non-empty hedgeParam. */
export function hedge(io: FieldIO, order: Rec): void {
  io.str(order, 'hedgeType');
  if (present(order['hedgeType'])) io.str(order, 'hedgeParam');
}

/** The three scale fields plus the seven extra ones when scalePriceIncrement > 0 (or `forceExtra`). */
export function scale(io: FieldIO, order: Rec, forceExtra = false): void {
  io.optInt(order, 'scaleInitLevelSize');
  io.optInt(order, 'scaleSubsLevelSize');
  io.num(order, 'scalePriceIncrement');
  if (positive(order['scalePriceIncrement']) || (forceExtra && order['scalePriceIncrement'] !== undefined)) {
    io.num(order, 'scalePriceAdjustValue');
    io.optInt(order, 'scalePriceAdjustInterval');
    io.num(order, 'scaleProfitOffset');
    io.bool(order, 'scaleAutoReset');
    io.optInt(order, 'scaleInitPosition');
    io.optInt(order, 'scaleInitFillQty');
    io.bool(order, 'scaleRandomPercent');
  }
}

/** PEG BENCH fields (only for that order type). */
export function pegBench(io: FieldIO, order: Rec): void {
  if (!isPegBench(order['orderType'])) return;
  io.optInt(order, 'referenceContractId');
  io.bool(order, 'isPeggedChangeAmountDecrease');
  io.num(order, 'peggedChangeAmount');
  io.num(order, 'referenceChangeAmount');
  io.str(order, 'referenceExchangeId');
}

const COND_ID: Record<string, number> = { price: 1, time: 3, margin: 4, execution: 5, volume: 6, percentChange: 7 };
const COND_KIND: Record<number, string> = { 1: 'price', 3: 'time', 4: 'margin', 5: 'execution', 6: 'volume', 7: 'percentChange' };

/** One order condition: type, conjunction ("a"/"o"), then the fields of its kind. */
function condition(io: FieldIO, c: Rec): void {
  if (io.decoding) {
    const t = io.parseInt('conditions.type', io.next('conditions.type'));
    const kind = COND_KIND[t];
    if (kind === undefined) throw new WireDecodeError(io.msgName, 'conditions.type', `unknown condition type ${t}`);
    c['kind'] = kind;
    const conj = io.next('conditions.conjunction').toLowerCase();
    if (conj !== '' && conj !== 'a' && conj !== 'o') {
      throw new WireDecodeError(io.msgName, 'conditions.conjunction', `expected "a" or "o", got ${JSON.stringify(conj)}`);
    }
    c['conjunction'] = conj === 'o' ? 'or' : 'and';
  } else {
    io.out.push(COND_ID[String(c['kind'])]);
    io.out.push(c['conjunction'] === 'or' ? 'o' : 'a');
  }
  conditionBody(io, c);
}

function conditionBody(io: FieldIO, c: Rec): void {
  switch (c['kind']) {
    case 'execution':
      io.text(c, 'secType');
      io.text(c, 'exchange');
      io.text(c, 'symbol');
      return;
    case 'time':
      io.bool(c, 'isMore');
      io.text(c, 'value');
      return;
    case 'margin':
      io.bool(c, 'isMore');
      io.num0(c, 'value');
      return;
    default:
      io.bool(c, 'isMore');
      io.num0(c, 'value');
      io.int(c, 'conId');
      io.text(c, 'exchange');
      if (c['kind'] === 'price') io.int(c, 'triggerMethod');
  }
}

/** Conditions list, then (only if non-empty) conditionsIgnoreRth, conditionsCancelOrder. */
export function conditions(io: FieldIO, order: Rec): void {
  io.list(order, 'conditions', (c) => condition(io, c));
  const n = ((order['conditions'] as unknown[] | undefined) ?? []).length;
  if (n > 0) {
    io.bool(order, 'conditionsIgnoreRth');
    io.bool(order, 'conditionsCancelOrder');
  }
}

/** The five PEG BEST / PEG MID fields as OPEN_ORDER and COMPLETED_ORDER carry them (always all five). */
export function pegBestMidAll(io: FieldIO, order: Rec): void {
  io.optInt(order, 'minTradeQty');
  io.optInt(order, 'minCompeteSize');
  io.num(order, 'competeAgainstBestOffset');
  io.num(order, 'midOffsetAtWhole');
  io.num(order, 'midOffsetAtHalf');
}

/**
 * The contract fields most requests carry: conId, symbol, secType, lastTradeDateOrContractMonth, strike,
 * right, multiplier, exchange, [primaryExch], currency, localSymbol, tradingClass. conId "" → undefined.
 */
export function contractFields(io: FieldIO, c: Rec, withPrimaryExch: boolean): void {
  io.optInt(c, 'conId');
  io.str(c, 'symbol');
  io.str(c, 'secType');
  io.str(c, 'lastTradeDateOrContractMonth');
  io.num(c, 'strike');
  io.str(c, 'right');
  io.str(c, 'multiplier');
  io.str(c, 'exchange');
  if (withPrimaryExch) io.str(c, 'primaryExch');
  io.str(c, 'currency');
  io.str(c, 'localSymbol');
  io.str(c, 'tradingClass');
}

/** True for a BAG (combo) contract. */
export function isBag(c: Rec): boolean {
  return String(c['secType'] ?? '').toUpperCase() === 'BAG';
}
