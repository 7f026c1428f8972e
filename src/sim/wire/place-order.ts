/**
 * PLACE_ORDER (msg 3) layout, reference §4.1, for server versions ≥ 157 (no version field since 145).
 * One schema serves decode and encode; see field-io.ts.
 */
import type { FieldIO, Rec } from './field-io.js';
import {
  V,
  algo,
  child,
  comboLegsFull,
  conditions,
  contractFields,
  deltaNeutralContract,
  hedge,
  isBag,
  isPegBest,
  isPegMid,
  orderComboLegPrices,
  pegBench,
  present,
  scale,
  tagValues,
} from './order-common.js';

/** Options of {@link placeOrderSchema}. */
export interface PlaceOrderOptions {
  /** Read the 7 extra scale fields even when scalePriceIncrement is 0 (stoqey's edge case, see §4.1). */
  readonly scaleExtraOnZero?: boolean;
}

/** Walks a PLACE_ORDER message record `{ orderId, contract, order }` (fields after the msg id). */
export function placeOrderSchema(io: FieldIO, m: Rec, v: number, opts: PlaceOrderOptions = {}): void {
  io.int(m, 'orderId');
  const c = child(io, m, 'contract');
  const o = child(io, m, 'order');
  contractFields(io, c, true);
  io.str(c, 'secIdType');
  io.str(c, 'secId');
  mainFields(io, c, o);
  extendedFields(io, o, v);
  volatilityFields(io, o);
  io.num(o, 'trailStopPrice');
  io.num(o, 'trailingPercent');
  scale(io, o, opts.scaleExtraOnZero === true);
  io.str(o, 'scaleTable');
  io.str(o, 'activeStartTime');
  io.str(o, 'activeStopTime');
  hedge(io, o);
  io.bool(o, 'optOutSmartRouting');
  io.str(o, 'clearingAccount');
  io.str(o, 'clearingIntent');
  io.bool(o, 'notHeld');
  deltaNeutralContract(io, c);
  algo(io, o);
  io.str(o, 'algoId');
  io.bool(o, 'whatIf');
  io.str(o, 'orderMiscOptions');
  io.bool(o, 'solicited');
  io.bool(o, 'randomizeSize');
  io.bool(o, 'randomizePrice');
  pegBench(io, o);
  conditions(io, o);
  adjustedAndLaterFields(io, o);
  versionedTail(io, c, o, v);
}

/** Fields 16–34 and the BAG legs. */
function mainFields(io: FieldIO, c: Rec, o: Rec): void {
  io.text(o, 'action');
  io.num0(o, 'totalQuantity');
  io.text(o, 'orderType');
  io.num(o, 'lmtPrice');
  io.num(o, 'auxPrice');
  io.str(o, 'tif');
  io.str(o, 'ocaGroup');
  io.str(o, 'account');
  io.str(o, 'openClose');
  io.int(o, 'origin');
  io.str(o, 'orderRef');
  io.bool(o, 'transmit');
  io.int(o, 'parentId');
  io.bool(o, 'blockOrder');
  io.bool(o, 'sweepToFill');
  io.optInt(o, 'displaySize');
  io.optInt(o, 'triggerMethod');
  io.bool(o, 'outsideRth');
  io.bool(o, 'hidden');
  if (isBag(c)) {
    comboLegsFull(io, c);
    orderComboLegPrices(io, o);
    tagValues(io, o, 'smartComboRoutingParams');
  }
}

/** Fields 35–61 (sharesAllocation … overridePercentageConstraints). */
function extendedFields(io: FieldIO, o: Rec, v: number): void {
  io.constant('sharesAllocation', '');
  io.num(o, 'discretionaryAmt');
  io.str(o, 'goodAfterTime');
  io.str(o, 'goodTillDate');
  io.str(o, 'faGroup');
  io.str(o, 'faMethod');
  io.str(o, 'faPercentage');
  if (v < V.FA_PROFILE_DESUPPORT) io.str(o, 'faProfile');
  io.str(o, 'modelCode');
  io.optInt(o, 'shortSaleSlot');
  io.str(o, 'designatedLocation');
  io.optInt(o, 'exemptCode');
  io.optInt(o, 'ocaType');
  io.str(o, 'rule80A');
  io.str(o, 'settlingFirm');
  io.bool(o, 'allOrNone');
  io.optInt(o, 'minQty');
  io.num(o, 'percentOffset');
  io.bool(o, 'eTradeOnly');
  io.bool(o, 'firmQuoteOnly');
  io.num(o, 'nbboPriceCap');
  io.optInt(o, 'auctionStrategy');
  io.num(o, 'startingPrice');
  io.num(o, 'stockRefPrice');
  io.num(o, 'delta');
  io.num(o, 'stockRangeLower');
  io.num(o, 'stockRangeUpper');
  io.bool(o, 'overridePercentageConstraints');
}

/** Fields 62–67: volatility, delta-neutral order (8 extra fields if its type is set), continuousUpdate. */
function volatilityFields(io: FieldIO, o: Rec): void {
  io.num(o, 'volatility');
  io.optInt(o, 'volatilityType');
  io.str(o, 'deltaNeutralOrderType');
  io.num(o, 'deltaNeutralAuxPrice');
  if (present(o['deltaNeutralOrderType'])) {
    io.optInt(o, 'deltaNeutralConId');
    io.str(o, 'deltaNeutralSettlingFirm');
    io.str(o, 'deltaNeutralClearingAccount');
    io.str(o, 'deltaNeutralClearingIntent');
    io.str(o, 'deltaNeutralOpenClose');
    io.bool(o, 'deltaNeutralShortSale');
    io.optInt(o, 'deltaNeutralShortSaleSlot');
    io.str(o, 'deltaNeutralDesignatedLocation');
  }
  io.optInt(o, 'continuousUpdate');
  io.optInt(o, 'referencePriceType');
}

/** Fields 90–108 (adjusted order … usePriceMgmtAlgo). */
function adjustedAndLaterFields(io: FieldIO, o: Rec): void {
  io.str(o, 'adjustedOrderType');
  io.num(o, 'triggerPrice');
  io.num(o, 'lmtPriceOffset');
  io.num(o, 'adjustedStopPrice');
  io.num(o, 'adjustedStopLimitPrice');
  io.num(o, 'adjustedTrailingAmount');
  io.optInt(o, 'adjustableTrailingUnit');
  io.str(o, 'extOperator');
  const sdt = child(io, o, 'softDollarTier');
  io.str(sdt, 'name');
  io.str(sdt, 'value');
  if (io.decoding && sdt['name'] === undefined && sdt['value'] === undefined) delete o['softDollarTier'];
  io.num(o, 'cashQty');
  io.str(o, 'mifid2DecisionMaker');
  io.str(o, 'mifid2DecisionAlgo');
  io.str(o, 'mifid2ExecutionTrader');
  io.str(o, 'mifid2ExecutionAlgo');
  io.bool(o, 'dontUseAutoPriceForHedge');
  io.bool(o, 'isOmsContainer');
  io.bool(o, 'discretionaryUpToLimitPrice');
  io.optBool(o, 'usePriceMgmtAlgo');
}

/** Version-dependent tail: 158, 160, 162, 166, 169, 170 (peg), 183, 184, 187–189 (RFQ), 189, 192. */
function versionedTail(io: FieldIO, c: Rec, o: Rec, v: number): void {
  if (v >= V.DURATION) io.optInt(o, 'duration');
  if (v >= V.POST_TO_ATS) io.optInt(o, 'postToAts');
  if (v >= V.AUTO_CANCEL_PARENT) io.bool(o, 'autoCancelParent');
  if (v >= V.ADVANCED_ORDER_REJECT) io.str(o, 'advancedErrorOverride');
  if (v >= V.MANUAL_ORDER_TIME) io.str(o, 'manualOrderTime');
  if (v >= V.PEGBEST_PEGMID_OFFSETS) pegBestMid(io, c, o);
  if (v >= V.CUSTOMER_ACCOUNT) io.str(o, 'customerAccount');
  if (v >= V.PROFESSIONAL_CUSTOMER) io.bool(o, 'professionalCustomer');
  if (v >= V.RFQ_FIELDS && v < V.UNDO_RFQ_FIELDS) {
    io.constant('rfqField1', '');
    io.constant('rfqField2', 2147483647);
  }
  if (v >= V.INCLUDE_OVERNIGHT) io.bool(o, 'includeOvernight');
  if (v >= V.CME_TAGGING_FIELDS) io.optInt(o, 'manualOrderIndicator');
}

/** v ≥ 170: minTradeQty for IBKRATS; PEG BEST / PEG MID offsets (mid offsets if compete offset = Infinity). */
function pegBestMid(io: FieldIO, c: Rec, o: Rec): void {
  if (c['exchange'] === 'IBKRATS') io.optInt(o, 'minTradeQty');
  let midOffsets = false;
  if (isPegBest(o['orderType'])) {
    io.optInt(o, 'minCompeteSize');
    io.num(o, 'competeAgainstBestOffset');
    midOffsets = o['competeAgainstBestOffset'] === Infinity || o['competeAgainstBestOffset'] === 'Infinity';
  } else if (isPegMid(o['orderType'])) {
    midOffsets = true;
  }
  if (midOffsets) {
    io.num(o, 'midOffsetAtWhole');
    io.num(o, 'midOffsetAtHalf');
  }
}
