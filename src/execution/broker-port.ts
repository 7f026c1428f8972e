/**
 * BrokerPort: everything the daemon needs from TWS / IB Gateway, in domain terms. No @stoqey/ib type
 * crosses this line; `src/ib/ib-broker.ts` implements it over a real socket.
 *
 * Contract (every implementation):
 *  - `connect()` resolves once the session is usable: server version negotiated, `nextValidId` and the
 *    managed accounts received. It never picks or increments a client id by itself.
 *  - `placeOrders()` allocates order ids and sends the legs as one atomic step, parent first; resolving
 *    means "handed to the socket", NOT "accepted". Acceptance, rejection and fills arrive on `events$`.
 *    It throws `BrokerUnavailableError` (nothing was sent) when the connection is not ready for orders.
 *  - every order event carries the `orderRef` when the broker echoed one or the adapter knows it.
 *  - fills are emitted once per `execId` (a correction `….02` replaces `….01` and is re-emitted).
 */
import type { Observable } from 'rxjs';
import type {
  ContractInfo,
  Decimal,
  Instrument,
  OptionChainParams,
  OptionChainQuery,
  OptionChainSnapshot,
  OptionGreeks,
  OrderLeg,
  OrderType,
  PositionSnapshot,
  Quote,
  Side,
} from '../domain/types.js';

export type ConnectionState =
  | 'DISCONNECTED'
  | 'CONNECTING'
  /** socket up, session usable */
  | 'CONNECTED'
  /** socket up but IB reports 1100/2110: no new orders until 1101/1102 and a reconciliation pass */
  | 'CONNECTIVITY_LOST';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** epoch ms */
  readonly since: number;
  readonly reason?: string;
  /** IB code that caused the change, when there is one (1100, 1102, 326, …) */
  readonly code?: number;
}

export interface BrokerAccountSummary {
  readonly account: string;
  /** IB's AccountType value: "IRA", "INDIVIDUAL", "CORPORATION", … */
  readonly accountType?: string;
  readonly baseCurrency: string;
  readonly netLiquidation?: Decimal;
  readonly totalCashValue?: Decimal;
  readonly settledCash?: Decimal;
  readonly availableFunds?: Decimal;
  readonly buyingPower?: Decimal;
  readonly excessLiquidity?: Decimal;
  readonly initMarginReq?: Decimal;
  readonly maintMarginReq?: Decimal;
  readonly grossPositionValue?: Decimal;
  /** CashBalance per currency from the $LEDGER:ALL tags */
  readonly cashByCurrency: Readonly<Record<string, Decimal>>;
}

/** IB order status, normalized by a pure table in `src/ib/ib-mapping.ts`. */
export type BrokerOrderStatus =
  | 'PENDING_SUBMIT'
  | 'PRE_SUBMITTED'
  | 'SUBMITTED'
  | 'PENDING_CANCEL'
  | 'CANCELLED'
  | 'FILLED'
  | 'INACTIVE'
  | 'UNKNOWN';

export interface OrderReport {
  readonly orderId: number;
  readonly permId?: number;
  readonly clientId?: number;
  readonly parentId?: number;
  readonly account: string;
  readonly orderRef?: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly quantity: number;
  readonly orderType: OrderType | string;
  readonly limitPrice?: Decimal;
  readonly stopPrice?: Decimal;
  readonly status: BrokerOrderStatus;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice?: Decimal;
  /** where the report came from */
  readonly source: 'open' | 'completed' | 'live';
}

export interface FillReport {
  readonly execId: string;
  readonly orderId: number;
  readonly permId?: number;
  readonly clientId?: number;
  readonly account: string;
  readonly orderRef?: string;
  readonly instrument: Instrument;
  readonly side: 'BOT' | 'SLD';
  readonly shares: number;
  readonly price: Decimal;
  readonly cumQty: number;
  readonly avgPrice: Decimal;
  /** as IB sends it, e.g. "20261125 14:30:01 US/Eastern" */
  readonly time: string;
  readonly commission?: Decimal;
  readonly commissionCurrency?: string;
  /** set on a correction: the execId (same base, older revision) this fill replaces */
  readonly replacesExecId?: string;
}

export interface OrderStatusUpdate {
  readonly orderId: number;
  readonly permId?: number;
  readonly orderRef?: string;
  readonly account?: string;
  readonly status: BrokerOrderStatus;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice?: Decimal;
}

export type BrokerEvent =
  | { readonly type: 'orderStatus'; readonly update: OrderStatusUpdate; readonly ts: number }
  | {
      readonly type: 'orderRejected';
      readonly orderId: number;
      readonly orderRef?: string;
      readonly code: number;
      readonly message: string;
      readonly ts: number;
    }
  | {
      readonly type: 'orderWarning';
      readonly orderId: number;
      readonly orderRef?: string;
      readonly code: number;
      readonly message: string;
      readonly ts: number;
    }
  | { readonly type: 'fill'; readonly fill: FillReport; readonly ts: number }
  | {
      readonly type: 'commission';
      readonly execId: string;
      readonly commission: Decimal;
      readonly currency: string;
      readonly ts: number;
    };

export interface Bar {
  /** as IB formats it (formatDate=1): "20261125" or "20261125 14:30:00" */
  readonly time: string;
  readonly open: Decimal;
  readonly high: Decimal;
  readonly low: Decimal;
  readonly close: Decimal;
  readonly volume: Decimal;
  readonly wap?: Decimal;
  readonly count?: number;
}

export interface HistoryRequest {
  /** IB bar size setting, e.g. "1 day", "1 hour", "5 mins" */
  readonly barSize: string;
  /** IB duration string, e.g. "1 M", "5 D" */
  readonly duration: string;
  readonly whatToShow: 'TRADES' | 'MIDPOINT' | 'BID' | 'ASK' | 'FEE_RATE';
  readonly useRth?: boolean;
  /** empty/undefined = now */
  readonly endDateTime?: string;
}

export interface WhatIfReport {
  readonly initMarginChange?: Decimal;
  readonly maintMarginChange?: Decimal;
  readonly equityWithLoanChange?: Decimal;
  readonly initMarginAfter?: Decimal;
  readonly commission?: Decimal;
  readonly commissionCurrency?: string;
  readonly warningText?: string;
}

export interface PlacedLeg {
  readonly orderRef: string;
  readonly orderId: number;
}

export interface ExecutionQuery {
  /** only executions at or after this time */
  readonly since?: Date;
  readonly account?: string;
}

export interface BrokerPort {
  readonly connection$: Observable<ConnectionStatus>;
  readonly events$: Observable<BrokerEvent>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** CONNECTED, not in a connectivity-lost window, and ids known: new orders may be sent. */
  isReadyForOrders(): boolean;

  managedAccounts(): Promise<readonly string[]>;
  accountSummaries(): Promise<readonly BrokerAccountSummary[]>;
  positions(): Promise<readonly PositionSnapshot[]>;
  contractDetails(instrument: Instrument): Promise<ContractInfo>;
  quote(instrument: Instrument): Promise<Quote>;
  historicalBars(instrument: Instrument, request: HistoryRequest): Promise<readonly Bar[]>;
  shortableShares(instrument: Instrument): Promise<number | undefined>;
  whatIf(leg: OrderLeg): Promise<WhatIfReport>;

  /** Options (optional: a broker without them leaves them out): the chain's expirations and strikes per exchange. */
  optionChainParams?(underlying: Instrument): Promise<readonly OptionChainParams[]>;
  /** The model greeks of one option (a snapshot); undefined when the broker sends none in time. */
  optionGreeks?(option: Instrument): Promise<OptionGreeks | undefined>;
  /** Quotes and greeks of part of a chain at one instant (see `OptionChainQuery`). */
  optionChain?(underlying: Instrument, query?: OptionChainQuery): Promise<OptionChainSnapshot>;
  /** Every contract matching a partial instrument (contract details), e.g. all months of a future. */
  contracts?(query: Instrument): Promise<readonly Instrument[]>;

  placeOrders(legs: readonly OrderLeg[]): Promise<readonly PlacedLeg[]>;
  cancelOrder(orderId: number): Promise<void>;
  cancelAll(): Promise<void>;

  openOrders(): Promise<readonly OrderReport[]>;
  completedOrders(): Promise<readonly OrderReport[]>;
  executions(query?: ExecutionQuery): Promise<readonly FillReport[]>;
}

export type BrokerErrorKind = 'info' | 'warning' | 'orderRejected' | 'retryable' | 'fatal';

/** A transport or broker error, classified. Business denials are values, not errors. */
export class BrokerError extends Error {
  constructor(
    message: string,
    readonly kind: BrokerErrorKind,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

/** Thrown before anything was sent: safe to retry later. */
export class BrokerUnavailableError extends BrokerError {
  constructor(message: string) {
    super(message, 'retryable');
    this.name = 'BrokerUnavailableError';
  }
}
