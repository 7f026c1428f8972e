/**
 * Typed messages of the TWS / IB Gateway text wire protocol (server versions 100..193), as the simulator
 * decodes them (client → server) and encodes them (server → client), following IB's EClient (requests)
 * and EDecoder (responses) for each server version.
 *
 * Conventions:
 *  - Decoded numbers are JS numbers; an empty wire field ("") decodes to `undefined` for optional values,
 *    to `0` for plain ints and to `false` for booleans. Decoded strings are `undefined` when "" unless noted.
 *  - Server messages accept `number | string` ({@link Num}) for prices and quantities so that the engine can
 *    pass `Decimal.toString()` and decimals are never floated. `undefined` encodes as "" (IB's "unset").
 *
 * @packageDocumentation
 */

/** One field value before encoding: bool → "1"/"0", undefined/null → "", numbers → decimal text. */
export type WireValue = string | number | boolean | undefined | null;

/** A price or quantity to encode: a number, or decimal text (e.g. `Decimal.toString()`). */
export type Num = number | string;

/** Lowest server version the simulator accepts. */
export const SERVER_MIN_VERSION = 100;
/** Highest server version the simulator speaks (that of @stoqey/ib 1.6.10). */
export const SERVER_MAX_VERSION = 193;

/** A tag/value pair (algo params, smart combo routing params, secIdList…). */
export interface TagValue {
  readonly tag: string;
  readonly value: string;
}

/** A combo leg of a BAG contract. `openClose`/`shortSaleSlot`/`exemptCode` are ints on the wire. */
export interface WireComboLeg {
  readonly conId: number;
  readonly ratio: number;
  readonly action: string;
  readonly exchange: string;
  readonly openClose?: number;
  readonly shortSaleSlot?: number;
  readonly designatedLocation?: string;
  readonly exemptCode?: number;
}

/** Delta-neutral underlying of a contract (`deltaNeutralContract` present flag on the wire). */
export interface WireDeltaNeutralContract {
  readonly conId: number;
  readonly delta: number;
  readonly price: number;
}

/**
 * A contract as it appears on the wire: the "c12" fields plus the optional extras some messages carry.
 * Decoded: numbers parsed, "" → undefined. `multiplier` stays text (e.g. "50", "0.01").
 */
export interface WireContract {
  readonly conId?: number;
  readonly symbol?: string;
  readonly secType?: string;
  readonly lastTradeDateOrContractMonth?: string;
  readonly strike?: number;
  readonly right?: string;
  readonly multiplier?: string;
  readonly exchange?: string;
  readonly primaryExch?: string;
  readonly currency?: string;
  readonly localSymbol?: string;
  readonly tradingClass?: string;
  /** PLACE_ORDER / REQ_CONTRACT_DATA only. */
  readonly secIdType?: string;
  readonly secId?: string;
  /** REQ_CONTRACT_DATA / REQ_HISTORICAL_DATA only. */
  readonly includeExpired?: boolean;
  /** REQ_CONTRACT_DATA only, v ≥ 176. */
  readonly issuerId?: string;
  /** BAG only (PLACE_ORDER, REQ_MKT_DATA, REQ_HISTORICAL_DATA, OPEN_ORDER). */
  readonly comboLegs?: readonly WireComboLeg[];
  /** OPEN_ORDER / COMPLETED_ORDER only. */
  readonly comboLegsDescrip?: string;
  readonly deltaNeutralContract?: WireDeltaNeutralContract;
}

/** Order condition (PLACE_ORDER §4.1 field 89, OPEN_ORDER field 102). Wire type ids: 1,3,4,5,6,7. */
export type WireOrderCondition =
  | { readonly kind: 'price'; readonly conjunction: 'and' | 'or'; readonly isMore: boolean; readonly value: number; readonly conId: number; readonly exchange: string; readonly triggerMethod: number }
  | { readonly kind: 'time'; readonly conjunction: 'and' | 'or'; readonly isMore: boolean; readonly value: string }
  | { readonly kind: 'margin'; readonly conjunction: 'and' | 'or'; readonly isMore: boolean; readonly value: number }
  | { readonly kind: 'execution'; readonly conjunction: 'and' | 'or'; readonly secType: string; readonly exchange: string; readonly symbol: string }
  | { readonly kind: 'volume'; readonly conjunction: 'and' | 'or'; readonly isMore: boolean; readonly value: number; readonly conId: number; readonly exchange: string }
  | { readonly kind: 'percentChange'; readonly conjunction: 'and' | 'or'; readonly isMore: boolean; readonly value: number; readonly conId: number; readonly exchange: string };

/**
 * An order as carried by PLACE_ORDER (decoded) and OPEN_ORDER / COMPLETED_ORDER (encoded).
 * Type parameter `N` is the numeric type: `number` when decoded, {@link Num} when the engine encodes.
 * Booleans: undefined ≡ false. Optional numbers: undefined ≡ unset (""), which is NOT 0 (e.g. lmtPrice).
 * `conditions.length` is the wire "conditions count".
 */
export interface WireOrderOf<N> {
  readonly action: string;
  readonly totalQuantity: N;
  readonly orderType: string;
  readonly lmtPrice?: N;
  readonly auxPrice?: N;
  readonly tif?: string;
  readonly ocaGroup?: string;
  readonly account?: string;
  readonly openClose?: string;
  readonly origin?: number;
  readonly orderRef?: string;
  readonly transmit?: boolean;
  readonly parentId?: number;
  readonly blockOrder?: boolean;
  readonly sweepToFill?: boolean;
  readonly displaySize?: number;
  readonly triggerMethod?: number;
  readonly outsideRth?: boolean;
  readonly hidden?: boolean;
  /** BAG only: per-leg limit prices (undefined = unset). */
  readonly orderComboLegs?: readonly (N | undefined)[];
  readonly smartComboRoutingParams?: readonly TagValue[];
  readonly discretionaryAmt?: N;
  readonly goodAfterTime?: string;
  readonly goodTillDate?: string;
  readonly faGroup?: string;
  readonly faMethod?: string;
  readonly faPercentage?: string;
  /** Only on the wire below v177. */
  readonly faProfile?: string;
  readonly modelCode?: string;
  readonly shortSaleSlot?: number;
  readonly designatedLocation?: string;
  readonly exemptCode?: number;
  readonly ocaType?: number;
  readonly rule80A?: string;
  readonly settlingFirm?: string;
  readonly allOrNone?: boolean;
  readonly minQty?: number;
  readonly percentOffset?: N;
  readonly eTradeOnly?: boolean;
  readonly firmQuoteOnly?: boolean;
  readonly nbboPriceCap?: N;
  readonly auctionStrategy?: number;
  readonly startingPrice?: N;
  readonly stockRefPrice?: N;
  readonly delta?: N;
  readonly stockRangeLower?: N;
  readonly stockRangeUpper?: N;
  /** PLACE_ORDER only. */
  readonly overridePercentageConstraints?: boolean;
  readonly volatility?: N;
  readonly volatilityType?: number;
  /** Non-empty ⇒ the deltaNeutral* fields below are on the wire. Send undefined/"" for none (never "None"). */
  readonly deltaNeutralOrderType?: string;
  readonly deltaNeutralAuxPrice?: N;
  readonly deltaNeutralConId?: number;
  readonly deltaNeutralSettlingFirm?: string;
  readonly deltaNeutralClearingAccount?: string;
  readonly deltaNeutralClearingIntent?: string;
  readonly deltaNeutralOpenClose?: string;
  readonly deltaNeutralShortSale?: boolean;
  readonly deltaNeutralShortSaleSlot?: number;
  readonly deltaNeutralDesignatedLocation?: string;
  readonly continuousUpdate?: number;
  readonly referencePriceType?: number;
  readonly trailStopPrice?: N;
  readonly trailingPercent?: N;
  /** OPEN_ORDER only. */
  readonly basisPoints?: N;
  readonly basisPointsType?: number;
  readonly scaleInitLevelSize?: number;
  readonly scaleSubsLevelSize?: number;
  /** Set and > 0 ⇒ the seven scale fields below are on the wire. */
  readonly scalePriceIncrement?: N;
  readonly scalePriceAdjustValue?: N;
  readonly scalePriceAdjustInterval?: number;
  readonly scaleProfitOffset?: N;
  readonly scaleAutoReset?: boolean;
  readonly scaleInitPosition?: number;
  readonly scaleInitFillQty?: number;
  readonly scaleRandomPercent?: boolean;
  /** PLACE_ORDER only. */
  readonly scaleTable?: string;
  readonly activeStartTime?: string;
  readonly activeStopTime?: string;
  /** Non-empty ⇒ hedgeParam is on the wire. */
  readonly hedgeType?: string;
  readonly hedgeParam?: string;
  readonly optOutSmartRouting?: boolean;
  readonly clearingAccount?: string;
  readonly clearingIntent?: string;
  readonly notHeld?: boolean;
  /** Non-empty ⇒ algoParams (count + pairs) are on the wire. */
  readonly algoStrategy?: string;
  readonly algoParams?: readonly TagValue[];
  /** PLACE_ORDER only. */
  readonly algoId?: string;
  readonly whatIf?: boolean;
  /** PLACE_ORDER only: stoqey/ibapi send the misc options already joined as one string ("tag=value;…"). */
  readonly orderMiscOptions?: string;
  readonly solicited?: boolean;
  readonly randomizeSize?: boolean;
  readonly randomizePrice?: boolean;
  /** PEG BENCH only. */
  readonly referenceContractId?: number;
  readonly isPeggedChangeAmountDecrease?: boolean;
  readonly peggedChangeAmount?: N;
  readonly referenceChangeAmount?: N;
  readonly referenceExchangeId?: string;
  readonly conditions?: readonly WireOrderCondition[];
  /** On the wire only when conditions.length > 0. */
  readonly conditionsIgnoreRth?: boolean;
  readonly conditionsCancelOrder?: boolean;
  readonly adjustedOrderType?: string;
  readonly triggerPrice?: N;
  readonly lmtPriceOffset?: N;
  readonly adjustedStopPrice?: N;
  readonly adjustedStopLimitPrice?: N;
  readonly adjustedTrailingAmount?: N;
  readonly adjustableTrailingUnit?: number;
  readonly extOperator?: string;
  /** displayName is only on OPEN_ORDER. */
  readonly softDollarTier?: { readonly name?: string; readonly value?: string; readonly displayName?: string };
  readonly cashQty?: N;
  /** PLACE_ORDER only. */
  readonly mifid2DecisionMaker?: string;
  readonly mifid2DecisionAlgo?: string;
  readonly mifid2ExecutionTrader?: string;
  readonly mifid2ExecutionAlgo?: string;
  readonly dontUseAutoPriceForHedge?: boolean;
  readonly isOmsContainer?: boolean;
  readonly discretionaryUpToLimitPrice?: boolean;
  readonly usePriceMgmtAlgo?: boolean;
  /** v ≥ 158 */
  readonly duration?: number;
  /** v ≥ 160 */
  readonly postToAts?: number;
  /** v ≥ 162 */
  readonly autoCancelParent?: boolean;
  /** PLACE_ORDER only, v ≥ 166. */
  readonly advancedErrorOverride?: string;
  /** PLACE_ORDER only, v ≥ 169. */
  readonly manualOrderTime?: string;
  /** v ≥ 170 (PLACE_ORDER: minTradeQty only if exchange IBKRATS; peg fields only for PEG BEST / PEG MID). */
  readonly minTradeQty?: number;
  readonly minCompeteSize?: number;
  readonly competeAgainstBestOffset?: N;
  readonly midOffsetAtWhole?: N;
  readonly midOffsetAtHalf?: N;
  /** v ≥ 183 */
  readonly customerAccount?: string;
  /** v ≥ 184 */
  readonly professionalCustomer?: boolean;
  /** v ≥ 189 */
  readonly includeOvernight?: boolean;
  /** PLACE_ORDER v ≥ 192, OPEN_ORDER v ≥ 193. */
  readonly manualOrderIndicator?: number;
  /** OPEN_ORDER / COMPLETED_ORDER only. */
  readonly clientId?: number;
  readonly permId?: number;
  /** OPEN_ORDER only, v ≥ 185. */
  readonly bondAccruedInterest?: string;
  /** COMPLETED_ORDER only. */
  readonly autoCancelDate?: string;
  readonly filledQuantity?: N;
  readonly refFuturesConId?: number;
  readonly shareholder?: string;
  readonly imbalanceOnly?: boolean;
  readonly routeMarketableToBbo?: boolean;
  readonly parentPermId?: number;
  /** Decoded PLACE_ORDER only: the raw wire fields of the whole message (incl. msg id), for debugging. */
  readonly raw?: readonly string[];
}

/** An order as decoded from PLACE_ORDER. */
export type WireOrder = WireOrderOf<number>;
/** An order as the engine passes it to OPEN_ORDER / COMPLETED_ORDER. */
export type ServerOrder = WireOrderOf<Num>;

/** Order state of OPEN_ORDER (whatIf margin/commission fields) and COMPLETED_ORDER. */
export interface WireOrderState {
  readonly status: string;
  readonly initMarginBefore?: Num;
  readonly maintMarginBefore?: Num;
  readonly equityWithLoanBefore?: Num;
  readonly initMarginChange?: Num;
  readonly maintMarginChange?: Num;
  readonly equityWithLoanChange?: Num;
  readonly initMarginAfter?: Num;
  readonly maintMarginAfter?: Num;
  readonly equityWithLoanAfter?: Num;
  readonly commission?: Num;
  readonly minCommission?: Num;
  readonly maxCommission?: Num;
  readonly commissionCurrency?: string;
  readonly warningText?: string;
  /** COMPLETED_ORDER only. */
  readonly completedTime?: string;
  readonly completedStatus?: string;
}

/** REQ_EXECUTIONS filter. "" → undefined; clientId "" → undefined (0 is a real clientId). */
export interface WireExecutionFilter {
  readonly clientId?: number;
  readonly acctCode?: string;
  readonly time?: string;
  readonly symbol?: string;
  readonly secType?: string;
  readonly exchange?: string;
  readonly side?: string;
}

// ---------------------------------------------------------------------------------------------------
// Client → server
// ---------------------------------------------------------------------------------------------------

/** Every client → server message the simulator understands (reference §4), discriminated on `type`. */
export type ClientMessage =
  | { readonly type: 'START_API'; readonly clientId: number; readonly optionalCapabilities?: string }
  | { readonly type: 'REQ_IDS'; readonly numIds: number }
  | { readonly type: 'REQ_MANAGED_ACCTS' }
  | { readonly type: 'REQ_CURRENT_TIME' }
  | { readonly type: 'REQ_MARKET_DATA_TYPE'; readonly marketDataType: number }
  | { readonly type: 'REQ_POSITIONS' }
  | { readonly type: 'CANCEL_POSITIONS' }
  | { readonly type: 'REQ_ACCOUNT_SUMMARY'; readonly reqId: number; readonly group: string; readonly tags: string }
  | { readonly type: 'CANCEL_ACCOUNT_SUMMARY'; readonly reqId: number }
  | { readonly type: 'REQ_POSITIONS_MULTI'; readonly reqId: number; readonly account?: string; readonly modelCode?: string }
  | { readonly type: 'CANCEL_POSITIONS_MULTI'; readonly reqId: number }
  | { readonly type: 'REQ_ACCOUNT_DATA'; readonly subscribe: boolean; readonly acctCode?: string }
  | { readonly type: 'REQ_ACCOUNT_UPDATES_MULTI'; readonly reqId: number; readonly account?: string; readonly modelCode?: string; readonly ledgerAndNLV: boolean }
  | { readonly type: 'CANCEL_ACCOUNT_UPDATES_MULTI'; readonly reqId: number }
  | { readonly type: 'REQ_OPEN_ORDERS' }
  | { readonly type: 'REQ_ALL_OPEN_ORDERS' }
  | { readonly type: 'REQ_AUTO_OPEN_ORDERS'; readonly autoBind: boolean }
  | { readonly type: 'REQ_COMPLETED_ORDERS'; readonly apiOnly: boolean }
  | { readonly type: 'REQ_EXECUTIONS'; readonly reqId: number; readonly filter: WireExecutionFilter }
  | { readonly type: 'REQ_CONTRACT_DATA'; readonly reqId: number; readonly contract: WireContract }
  | {
      readonly type: 'REQ_MKT_DATA';
      readonly reqId: number;
      readonly contract: WireContract;
      readonly genericTickList?: string;
      readonly snapshot: boolean;
      readonly regulatorySnapshot: boolean;
      readonly mktDataOptions?: string;
    }
  | { readonly type: 'CANCEL_MKT_DATA'; readonly reqId: number }
  | {
      readonly type: 'REQ_HISTORICAL_DATA';
      readonly reqId: number;
      readonly contract: WireContract;
      readonly endDateTime?: string;
      readonly barSizeSetting: string;
      readonly durationStr: string;
      readonly useRTH: boolean;
      readonly whatToShow: string;
      readonly formatDate: number;
      readonly keepUpToDate: boolean;
      readonly chartOptions?: string;
    }
  | { readonly type: 'CANCEL_HISTORICAL_DATA'; readonly reqId: number }
  | { readonly type: 'PLACE_ORDER'; readonly orderId: number; readonly contract: WireContract; readonly order: WireOrder }
  | { readonly type: 'CANCEL_ORDER'; readonly orderId: number; readonly manualOrderCancelTime?: string; readonly extOperator?: string; readonly manualOrderIndicator?: number }
  | { readonly type: 'REQ_GLOBAL_CANCEL'; readonly extOperator?: string; readonly manualOrderIndicator?: number }
  /** No version field. `futFopExchange` is "" for stock options; `underlyingSecType` "STK" / "FUT" / "IND". */
  /** Version 2 (stoqey) or 3 (ibapi); `options` is the "tag=value;" string (empty). Answered by TICK_OPTION_COMPUTATION tick 53. */
  | { readonly type: 'REQ_CALC_IMPLIED_VOLAT'; readonly reqId: number; readonly contract: WireContract; readonly optionPrice: number; readonly underPrice: number; readonly options?: string }
  | { readonly type: 'REQ_CALC_OPTION_PRICE'; readonly reqId: number; readonly contract: WireContract; readonly volatility: number; readonly underPrice: number; readonly options?: string }
  | { readonly type: 'CANCEL_CALC_IMPLIED_VOLAT'; readonly reqId: number }
  | { readonly type: 'CANCEL_CALC_OPTION_PRICE'; readonly reqId: number }
  | { readonly type: 'REQ_SEC_DEF_OPT_PARAMS'; readonly reqId: number; readonly underlyingSymbol: string; readonly futFopExchange?: string; readonly underlyingSecType: string; readonly underlyingConId: number }
  | { readonly type: 'UNKNOWN'; readonly msgId: number; readonly fields?: readonly string[] };

/** The `type` tags of {@link ClientMessage}. */
export type ClientMessageType = ClientMessage['type'];

// ---------------------------------------------------------------------------------------------------
// Server → client
// ---------------------------------------------------------------------------------------------------

/** A bar of HISTORICAL_DATA. `volume`/`wap` are decimals. */
export interface WireBar {
  readonly date: string;
  readonly open: Num;
  readonly high: Num;
  readonly low: Num;
  readonly close: Num;
  readonly volume: Num;
  readonly wap: Num;
  readonly barCount: number;
}

/** CONTRACT_DATA payload (contract details). Unset optional fields encode as "". */
export interface WireContractDetails {
  readonly contract: WireContract;
  /** v ≥ 182 */
  readonly lastTradeDate?: string;
  readonly marketName?: string;
  readonly minTick?: Num;
  readonly orderTypes?: string;
  readonly validExchanges?: string;
  readonly priceMagnifier?: number;
  readonly underConId?: number;
  readonly longName?: string;
  readonly contractMonth?: string;
  readonly industry?: string;
  readonly category?: string;
  readonly subcategory?: string;
  readonly timeZoneId?: string;
  readonly tradingHours?: string;
  readonly liquidHours?: string;
  readonly evRule?: string;
  readonly evMultiplier?: Num;
  readonly secIdList?: readonly TagValue[];
  readonly aggGroup?: number;
  readonly underSymbol?: string;
  readonly underSecType?: string;
  readonly marketRuleIds?: string;
  readonly realExpirationDate?: string;
  readonly stockType?: string;
  readonly minSize?: Num;
  readonly sizeIncrement?: Num;
  readonly suggestedSizeIncrement?: Num;
  /** secType FUND and v ≥ 179 only: the 17 fund fields (fundName … fundAssetType) as wire text; missing → "". */
  readonly fundFields?: readonly string[];
  /** v ≥ 186 */
  readonly ineligibilityReasons?: readonly { readonly id: string; readonly description: string }[];
}

/** An execution of EXECUTION_DATA. `side` is "BOT" / "SLD". */
export interface WireExecution {
  readonly orderId: number;
  readonly execId: string;
  readonly time: string;
  readonly acctNumber: string;
  readonly exchange: string;
  readonly side: string;
  readonly shares: Num;
  readonly price: Num;
  readonly permId: number;
  readonly clientId: number;
  readonly liquidation?: number;
  readonly cumQty: Num;
  readonly avgPrice: Num;
  readonly orderRef?: string;
  readonly evRule?: string;
  readonly evMultiplier?: Num;
  readonly modelCode?: string;
  readonly lastLiquidity?: number;
  /** v ≥ 178 */
  readonly pendingPriceRevision?: boolean;
}

/** Every server → client message the simulator sends (reference §5), discriminated on `type`. */
export type ServerMessage =
  | { readonly type: 'NEXT_VALID_ID'; readonly orderId: number }
  | { readonly type: 'MANAGED_ACCTS'; readonly accounts: string }
  | { readonly type: 'ERR_MSG'; readonly reqId: number; readonly code: number; readonly message: string; readonly advancedOrderRejectJson?: string }
  | { readonly type: 'CURRENT_TIME'; readonly time: number }
  | { readonly type: 'POSITION'; readonly account: string; readonly contract: WireContract; readonly position: Num; readonly avgCost: Num }
  | { readonly type: 'POSITION_END' }
  | { readonly type: 'ACCOUNT_SUMMARY'; readonly reqId: number; readonly account: string; readonly tag: string; readonly value: string; readonly currency: string }
  | { readonly type: 'ACCOUNT_SUMMARY_END'; readonly reqId: number }
  | { readonly type: 'POSITION_MULTI'; readonly reqId: number; readonly account: string; readonly modelCode?: string; readonly contract: WireContract; readonly position: Num; readonly avgCost: Num }
  | { readonly type: 'POSITION_MULTI_END'; readonly reqId: number }
  | { readonly type: 'ACCOUNT_UPDATE_MULTI'; readonly reqId: number; readonly account: string; readonly modelCode?: string; readonly key: string; readonly value: string; readonly currency: string }
  | { readonly type: 'ACCOUNT_UPDATE_MULTI_END'; readonly reqId: number }
  | { readonly type: 'ACCT_VALUE'; readonly key: string; readonly value: string; readonly currency: string; readonly accountName: string }
  | {
      readonly type: 'PORTFOLIO_VALUE';
      readonly contract: WireContract;
      readonly position: Num;
      readonly marketPrice: Num;
      readonly marketValue: Num;
      readonly averageCost: Num;
      readonly unrealizedPNL: Num;
      readonly realizedPNL: Num;
      readonly accountName: string;
    }
  | { readonly type: 'ACCT_UPDATE_TIME'; readonly timeStamp: string }
  | { readonly type: 'ACCT_DOWNLOAD_END'; readonly accountName: string }
  | {
      readonly type: 'ORDER_STATUS';
      readonly orderId: number;
      readonly status: string;
      readonly filled: Num;
      readonly remaining: Num;
      readonly avgFillPrice: Num;
      readonly permId: number;
      readonly parentId: number;
      readonly lastFillPrice: Num;
      readonly clientId: number;
      readonly whyHeld?: string;
      readonly mktCapPrice?: Num;
    }
  | { readonly type: 'OPEN_ORDER'; readonly orderId: number; readonly contract: WireContract; readonly order: ServerOrder; readonly orderState: WireOrderState }
  | { readonly type: 'OPEN_ORDER_END' }
  | { readonly type: 'COMPLETED_ORDER'; readonly contract: WireContract; readonly order: ServerOrder; readonly orderState: WireOrderState }
  | { readonly type: 'COMPLETED_ORDERS_END' }
  | { readonly type: 'EXECUTION_DATA'; readonly reqId: number; readonly contract: WireContract; readonly execution: WireExecution }
  | { readonly type: 'EXECUTION_DATA_END'; readonly reqId: number }
  | {
      readonly type: 'COMMISSION_REPORT';
      readonly execId: string;
      readonly commission: Num;
      readonly currency: string;
      readonly realizedPNL?: Num;
      readonly yield?: Num;
      readonly yieldRedemptionDate?: number;
    }
  | { readonly type: 'CONTRACT_DATA'; readonly reqId: number; readonly details: WireContractDetails }
  | { readonly type: 'CONTRACT_DATA_END'; readonly reqId: number }
  | { readonly type: 'TICK_PRICE'; readonly reqId: number; readonly tickType: number; readonly price: Num; readonly size?: Num; readonly attrMask?: number }
  | { readonly type: 'TICK_SIZE'; readonly reqId: number; readonly tickType: number; readonly size: Num }
  | { readonly type: 'TICK_GENERIC'; readonly reqId: number; readonly tickType: number; readonly value: Num }
  | { readonly type: 'TICK_STRING'; readonly reqId: number; readonly tickType: number; readonly value: string }
  | { readonly type: 'TICK_REQ_PARAMS'; readonly reqId: number; readonly minTick: Num; readonly bboExchange: string; readonly snapshotPermissions: number }
  | { readonly type: 'MARKET_DATA_TYPE'; readonly reqId: number; readonly marketDataType: number }
  | { readonly type: 'TICK_SNAPSHOT_END'; readonly reqId: number }
  | { readonly type: 'HISTORICAL_DATA'; readonly reqId: number; readonly startDate: string; readonly endDate: string; readonly bars: readonly WireBar[] }
  | { readonly type: 'HISTORICAL_DATA_UPDATE'; readonly reqId: number; readonly bar: WireBar }
  | { readonly type: 'ORDER_BOUND'; readonly permId: number; readonly clientId: number; readonly orderId: number }
  /** One exchange's expirations and strikes of an underlying (no version field). */
  | {
      readonly type: 'SECURITY_DEFINITION_OPTION_PARAMETER';
      readonly reqId: number;
      readonly exchange: string;
      readonly underlyingConId: number;
      readonly tradingClass: string;
      readonly multiplier: string;
      readonly expirations: readonly string[];
      readonly strikes: readonly Num[];
    }
  | { readonly type: 'SECURITY_DEFINITION_OPTION_PARAMETER_END'; readonly reqId: number }
  /**
   * Option greeks of one tick type (10 bid, 11 ask, 12 last, 13 model; delayed 80..83). At every version
   * the codec speaks (≥ 156): no version field, a `tickAttrib` (0 return-based, 1 price-based). "Not
   * computed" is −1 (impliedVol, optPrice, pvDividend, undPrice) or −2 (delta, gamma, vega, theta).
   */
  | {
      readonly type: 'TICK_OPTION_COMPUTATION';
      readonly reqId: number;
      readonly tickType: number;
      readonly tickAttrib: number;
      readonly impliedVol: Num;
      readonly delta: Num;
      readonly optPrice: Num;
      readonly pvDividend: Num;
      readonly gamma: Num;
      readonly vega: Num;
      readonly theta: Num;
      readonly undPrice: Num;
    };

/** The `type` tags of {@link ServerMessage}. */
export type ServerMessageType = ServerMessage['type'];

/** Incoming (client → server) message ids. */
export const CLIENT_MSG_ID = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_ACCOUNT_DATA: 6,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_MANAGED_ACCTS: 17,
  REQ_HISTORICAL_DATA: 20,
  CANCEL_HISTORICAL_DATA: 25,
  REQ_CURRENT_TIME: 49,
  REQ_GLOBAL_CANCEL: 58,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_POSITIONS_MULTI: 74,
  CANCEL_POSITIONS_MULTI: 75,
  REQ_ACCOUNT_UPDATES_MULTI: 76,
  CANCEL_ACCOUNT_UPDATES_MULTI: 77,
  REQ_CALC_IMPLIED_VOLAT: 54,
  REQ_CALC_OPTION_PRICE: 55,
  CANCEL_CALC_IMPLIED_VOLAT: 56,
  CANCEL_CALC_OPTION_PRICE: 57,
  REQ_SEC_DEF_OPT_PARAMS: 78,
  REQ_COMPLETED_ORDERS: 99,
} as const satisfies Record<Exclude<ClientMessageType, 'UNKNOWN'>, number>;

/** Outgoing (server → client) message ids. */
export const SERVER_MSG_ID = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  ACCT_VALUE: 6,
  PORTFOLIO_VALUE: 7,
  ACCT_UPDATE_TIME: 8,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  HISTORICAL_DATA: 17,
  TICK_OPTION_COMPUTATION: 21,
  TICK_GENERIC: 45,
  TICK_STRING: 46,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  OPEN_ORDER_END: 53,
  ACCT_DOWNLOAD_END: 54,
  EXECUTION_DATA_END: 55,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  POSITION_MULTI: 71,
  POSITION_MULTI_END: 72,
  ACCOUNT_UPDATE_MULTI: 73,
  ACCOUNT_UPDATE_MULTI_END: 74,
  SECURITY_DEFINITION_OPTION_PARAMETER: 75,
  SECURITY_DEFINITION_OPTION_PARAMETER_END: 76,
  TICK_REQ_PARAMS: 81,
  HISTORICAL_DATA_UPDATE: 90,
  ORDER_BOUND: 100,
  COMPLETED_ORDER: 101,
  COMPLETED_ORDERS_END: 102,
} as const satisfies Record<ServerMessageType, number>;
