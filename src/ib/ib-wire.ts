/**
 * Structural mirrors of the few @stoqey/ib shapes the pure mapping code reads and writes. They contain no
 * @stoqey/ib import so that `ib-mapping.ts` stays pure (TEAM.md); the adapter (`ib-session.ts` and friends)
 * passes them to `IBApi`, whose enum-typed fields accept the same strings on the wire. Field names are
 * exactly @stoqey/ib's (`primaryExch`, `lmtPrice`, `auxPrice`, …).
 */

export interface WireContract {
  conId?: number;
  symbol?: string;
  secType?: string;
  lastTradeDateOrContractMonth?: string;
  strike?: number;
  right?: string;
  multiplier?: number;
  exchange?: string;
  primaryExch?: string;
  currency?: string;
  localSymbol?: string;
  tradingClass?: string;
}

/** An algo parameter. */
export interface WireTagValue {
  tag: string;
  value: string;
}

/** The order fields we send or read (@stoqey/ib's `Order`). */
export interface WireOrder {
  orderId?: number;
  clientId?: number;
  permId?: number;
  parentId?: number;
  action?: string;
  totalQuantity?: number;
  orderType: string;
  lmtPrice?: number;
  auxPrice?: number;
  trailingPercent?: number;
  trailStopPrice?: number;
  tif?: string;
  outsideRth?: boolean;
  ocaGroup?: string;
  ocaType?: number;
  orderRef?: string;
  transmit?: boolean;
  account?: string;
  algoStrategy?: string;
  algoParams?: WireTagValue[];
  whatIf?: boolean;
  filledQuantity?: number;
}

/** @stoqey/ib's `OrderState` (status, what-if margin and commission). */
export interface WireOrderState {
  status?: string;
  initMarginBefore?: number;
  maintMarginBefore?: number;
  equityWithLoanBefore?: number;
  initMarginChange?: number;
  maintMarginChange?: number;
  equityWithLoanChange?: number;
  initMarginAfter?: number;
  maintMarginAfter?: number;
  equityWithLoanAfter?: number;
  commission?: number;
  minCommission?: number;
  maxCommission?: number;
  commissionCurrency?: string;
  warningText?: string;
  completedTime?: string;
  completedStatus?: string;
}

/** @stoqey/ib's `Execution`. */
export interface WireExecution {
  orderId?: number;
  clientId?: number;
  execId?: string;
  time?: string;
  acctNumber?: string;
  exchange?: string;
  side?: string;
  shares?: number;
  price?: number;
  permId?: number;
  cumQty?: number;
  avgPrice?: number;
  orderRef?: string;
}

/** @stoqey/ib's `CommissionReport`. */
export interface WireCommissionReport {
  execId?: string;
  commission?: number;
  currency?: string;
  realizedPNL?: number;
}

/** The `ContractDetails` fields we read. */
export interface WireContractDetails {
  contract: WireContract;
  marketName?: string;
  minTick?: number;
  longName?: string;
  industry?: string;
  category?: string;
  subcategory?: string;
  stockType?: string;
  timeZoneId?: string;
}
