/**
 * OPEN_ORDER (msg 5, reference §5.1) and COMPLETED_ORDER (msg 101) layouts for server versions ≥ 157,
 * field for field as @stoqey/ib 1.6.10's decoder reads them (OrderDecoder) — which is also what IB's
 * ibapi reads. One schema per message serves decode and encode; see field-io.ts.
 */
import type { FieldIO, Rec } from './field-io.js';
import {
  V,
  algo,
  child,
  comboLegsFull,
  conditions,
  deltaNeutralContract,
  hedge,
  orderComboLegPrices,
  pegBench,
  pegBestMidAll,
  present,
  scale,
  tagValues,
} from './order-common.js';

/** Contract of OPEN_ORDER / COMPLETED_ORDER: c12 without primaryExch, conId "" → 0. */
function orderContract(io: FieldIO, c: Rec): void {
  io.int(c, 'conId');
  io.str(c, 'symbol');
  io.str(c, 'secType');
  io.str(c, 'lastTradeDateOrContractMonth');
  io.num(c, 'strike');
  io.str(c, 'right');
  io.str(c, 'multiplier');
  io.str(c, 'exchange');
  io.str(c, 'currency');
  io.str(c, 'localSymbol');
  io.str(c, 'tradingClass');
}

/** action … orderRef (shared head of both messages). */
function orderHead(io: FieldIO, o: Rec): void {
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
}

/** Delta-neutral order fields; `full` = OPEN_ORDER (8 extra), else COMPLETED_ORDER (4 extra). */
function volOrderParams(io: FieldIO, o: Rec, full: boolean): void {
  io.num(o, 'volatility');
  io.optInt(o, 'volatilityType');
  io.str(o, 'deltaNeutralOrderType');
  io.num(o, 'deltaNeutralAuxPrice');
  if (present(o['deltaNeutralOrderType'])) {
    io.optInt(o, 'deltaNeutralConId');
    if (full) {
      io.str(o, 'deltaNeutralSettlingFirm');
      io.str(o, 'deltaNeutralClearingAccount');
      io.str(o, 'deltaNeutralClearingIntent');
      io.str(o, 'deltaNeutralOpenClose');
    }
    io.bool(o, 'deltaNeutralShortSale');
    io.optInt(o, 'deltaNeutralShortSaleSlot');
    io.str(o, 'deltaNeutralDesignatedLocation');
  }
  io.optInt(o, 'continuousUpdate');
  io.optInt(o, 'referencePriceType');
}

/** comboLegsDescrip, combo legs, order combo leg prices, smart combo routing params. */
function combo(io: FieldIO, c: Rec, o: Rec): void {
  io.str(c, 'comboLegsDescrip');
  comboLegsFull(io, c);
  orderComboLegPrices(io, o);
  tagValues(io, o, 'smartComboRoutingParams');
}

/** whatIf, status and the margin/commission fields of the order state. */
function whatIfInfo(io: FieldIO, o: Rec, s: Rec): void {
  io.bool(o, 'whatIf');
  io.text(s, 'status');
  for (const k of ['initMarginBefore', 'maintMarginBefore', 'equityWithLoanBefore', 'initMarginChange', 'maintMarginChange', 'equityWithLoanChange']) {
    io.num(s, k);
  }
  for (const k of ['initMarginAfter', 'maintMarginAfter', 'equityWithLoanAfter', 'commission', 'minCommission', 'maxCommission']) {
    io.num(s, k);
  }
  io.str(s, 'commissionCurrency');
  io.str(s, 'warningText');
}

/** Walks an OPEN_ORDER record `{ orderId, contract, order, orderState }` (fields after the msg id). */
export function openOrderSchema(io: FieldIO, m: Rec, v: number): void {
  io.int(m, 'orderId');
  const c = child(io, m, 'contract');
  const o = child(io, m, 'order');
  const s = child(io, m, 'orderState');
  orderContract(io, c);
  orderHead(io, o);
  io.int(o, 'clientId');
  io.int(o, 'permId');
  io.bool(o, 'outsideRth');
  io.bool(o, 'hidden');
  io.num(o, 'discretionaryAmt');
  io.str(o, 'goodAfterTime');
  io.constant('sharesAllocation', '');
  openOrderMiddle(io, o, v);
  volOrderParams(io, o, true);
  io.num(o, 'trailStopPrice');
  io.num(o, 'trailingPercent');
  io.num(o, 'basisPoints');
  io.optInt(o, 'basisPointsType');
  combo(io, c, o);
  scale(io, o);
  hedge(io, o);
  io.bool(o, 'optOutSmartRouting');
  io.str(o, 'clearingAccount');
  io.str(o, 'clearingIntent');
  io.bool(o, 'notHeld');
  deltaNeutralContract(io, c);
  algo(io, o);
  io.bool(o, 'solicited');
  whatIfInfo(io, o, s);
  io.bool(o, 'randomizeSize');
  io.bool(o, 'randomizePrice');
  pegBench(io, o);
  conditions(io, o);
  openOrderTail(io, o, v);
}

/** faGroup … triggerMethod of OPEN_ORDER. */
function openOrderMiddle(io: FieldIO, o: Rec, v: number): void {
  io.str(o, 'faGroup');
  io.str(o, 'faMethod');
  io.str(o, 'faPercentage');
  if (v < V.FA_PROFILE_DESUPPORT) io.str(o, 'faProfile');
  io.str(o, 'modelCode');
  io.str(o, 'goodTillDate');
  io.str(o, 'rule80A');
  io.num(o, 'percentOffset');
  io.str(o, 'settlingFirm');
  io.optInt(o, 'shortSaleSlot');
  io.str(o, 'designatedLocation');
  io.optInt(o, 'exemptCode');
  io.optInt(o, 'auctionStrategy');
  io.num(o, 'startingPrice');
  io.num(o, 'stockRefPrice');
  io.num(o, 'delta');
  io.num(o, 'stockRangeLower');
  io.num(o, 'stockRangeUpper');
  io.optInt(o, 'displaySize');
  io.bool(o, 'blockOrder');
  io.bool(o, 'sweepToFill');
  io.bool(o, 'allOrNone');
  io.optInt(o, 'minQty');
  io.optInt(o, 'ocaType');
  io.bool(o, 'eTradeOnly');
  io.bool(o, 'firmQuoteOnly');
  io.num(o, 'nbboPriceCap');
  io.int(o, 'parentId');
  io.optInt(o, 'triggerMethod');
}

/** adjustedOrderType … manualOrderIndicator of OPEN_ORDER. */
function openOrderTail(io: FieldIO, o: Rec, v: number): void {
  io.str(o, 'adjustedOrderType');
  io.num(o, 'triggerPrice');
  io.num(o, 'trailStopPrice');
  io.num(o, 'lmtPriceOffset');
  io.num(o, 'adjustedStopPrice');
  io.num(o, 'adjustedStopLimitPrice');
  io.num(o, 'adjustedTrailingAmount');
  io.optInt(o, 'adjustableTrailingUnit');
  const sdt = child(io, o, 'softDollarTier');
  io.str(sdt, 'name');
  io.str(sdt, 'value');
  io.str(sdt, 'displayName');
  if (io.decoding && Object.keys(sdt).length === 0) delete o['softDollarTier'];
  io.num(o, 'cashQty');
  io.bool(o, 'dontUseAutoPriceForHedge');
  io.bool(o, 'isOmsContainer');
  io.bool(o, 'discretionaryUpToLimitPrice');
  io.optBool(o, 'usePriceMgmtAlgo');
  if (v >= V.DURATION) io.optInt(o, 'duration');
  if (v >= V.POST_TO_ATS) io.optInt(o, 'postToAts');
  if (v >= V.AUTO_CANCEL_PARENT) io.bool(o, 'autoCancelParent');
  if (v >= V.PEGBEST_PEGMID_OFFSETS) pegBestMidAll(io, o);
  if (v >= V.CUSTOMER_ACCOUNT) io.str(o, 'customerAccount');
  if (v >= V.PROFESSIONAL_CUSTOMER) io.bool(o, 'professionalCustomer');
  if (v >= V.BOND_ACCRUED_INTEREST) io.str(o, 'bondAccruedInterest');
  if (v >= V.INCLUDE_OVERNIGHT) io.bool(o, 'includeOvernight');
  if (v >= V.CME_TAGGING_FIELDS_IN_OPEN_ORDER) {
    io.str(o, 'extOperator');
    io.optInt(o, 'manualOrderIndicator');
  }
}

/**
 * Walks a COMPLETED_ORDER record `{ contract, order, orderState }` (fields after the msg id; there is no
 * version field and no orderId). Layout = @stoqey/ib's decodeMsg_COMPLETED_ORDER = ibapi's
 * processCompletedOrderMsg = ib_async's completedOrder. faProfile only below v177 (as ibapi/ib_async read it;
 * stoqey never reads it, but stoqey always negotiates 193).
 */
export function completedOrderSchema(io: FieldIO, m: Rec, v: number): void {
  const c = child(io, m, 'contract');
  const o = child(io, m, 'order');
  const s = child(io, m, 'orderState');
  orderContract(io, c);
  orderHead(io, o);
  io.int(o, 'permId');
  io.bool(o, 'outsideRth');
  io.bool(o, 'hidden');
  io.num(o, 'discretionaryAmt');
  io.str(o, 'goodAfterTime');
  completedMiddle(io, o, v);
  volOrderParams(io, o, false);
  io.num(o, 'trailStopPrice');
  io.num(o, 'trailingPercent');
  combo(io, c, o);
  scale(io, o);
  hedge(io, o);
  io.str(o, 'clearingAccount');
  io.str(o, 'clearingIntent');
  io.bool(o, 'notHeld');
  deltaNeutralContract(io, c);
  algo(io, o);
  io.bool(o, 'solicited');
  io.text(s, 'status');
  io.bool(o, 'randomizeSize');
  io.bool(o, 'randomizePrice');
  pegBench(io, o);
  conditions(io, o);
  completedTail(io, o, s, v);
}

/** faGroup … triggerMethod of COMPLETED_ORDER. */
function completedMiddle(io: FieldIO, o: Rec, v: number): void {
  io.str(o, 'faGroup');
  io.str(o, 'faMethod');
  io.str(o, 'faPercentage');
  if (v < V.FA_PROFILE_DESUPPORT) io.str(o, 'faProfile');
  io.str(o, 'modelCode');
  io.str(o, 'goodTillDate');
  io.str(o, 'rule80A');
  io.num(o, 'percentOffset');
  io.str(o, 'settlingFirm');
  io.optInt(o, 'shortSaleSlot');
  io.str(o, 'designatedLocation');
  io.optInt(o, 'exemptCode');
  io.num(o, 'startingPrice');
  io.num(o, 'stockRefPrice');
  io.num(o, 'delta');
  io.num(o, 'stockRangeLower');
  io.num(o, 'stockRangeUpper');
  io.optInt(o, 'displaySize');
  io.bool(o, 'sweepToFill');
  io.bool(o, 'allOrNone');
  io.optInt(o, 'minQty');
  io.optInt(o, 'ocaType');
  io.optInt(o, 'triggerMethod');
}

/** trailStopPrice … professionalCustomer of COMPLETED_ORDER. */
function completedTail(io: FieldIO, o: Rec, s: Rec, v: number): void {
  io.num(o, 'trailStopPrice');
  io.num(o, 'lmtPriceOffset');
  io.num(o, 'cashQty');
  io.bool(o, 'dontUseAutoPriceForHedge');
  io.bool(o, 'isOmsContainer');
  io.str(o, 'autoCancelDate');
  io.num(o, 'filledQuantity');
  io.optInt(o, 'refFuturesConId');
  io.bool(o, 'autoCancelParent');
  io.str(o, 'shareholder');
  io.bool(o, 'imbalanceOnly');
  io.bool(o, 'routeMarketableToBbo');
  io.optInt(o, 'parentPermId');
  io.str(s, 'completedTime');
  io.str(s, 'completedStatus');
  if (v >= V.PEGBEST_PEGMID_OFFSETS) pegBestMidAll(io, o);
  if (v >= V.CUSTOMER_ACCOUNT) io.str(o, 'customerAccount');
  if (v >= V.PROFESSIONAL_CUSTOMER) io.bool(o, 'professionalCustomer');
}
