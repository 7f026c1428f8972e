/**
 * The shared vocabulary of ibkr-exec. Pure data, no I/O; every stage (ingest, sizing, validation,
 * execution, ib, sim, infra) speaks these types. Invariants:
 *  - money and prices are `Decimal` (decimal.js), never a float that drifts;
 *  - quantities are whole units held as safe integers (`number`), always rounded down when computed;
 *  - everything is `readonly`: derive a new value, never mutate one.
 */
import { Decimal } from 'decimal.js';

export { Decimal };

// ---------------------------------------------------------------- names (CONTRACT §1)

export const ACCOUNT_TYPES = ['ROTH_IRA', 'TRADITIONAL_IRA', 'PERSONAL', 'BUSINESS'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];
/** IRA rules apply to both IRA types. */
export const isIraType = (t: AccountType): boolean => t === 'ROTH_IRA' || t === 'TRADITIONAL_IRA';

export const TRADING_STATES = ['ACTIVE', 'REDUCE_ONLY', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

export type Side = 'BUY' | 'SELL';
export const SEC_TYPES = ['STK', 'FUT', 'OPT', 'CASH'] as const;
export type SecType = (typeof SEC_TYPES)[number];
export const ORDER_TYPES = ['MKT', 'LMT', 'STP', 'STP LMT', 'TRAIL', 'MOC', 'LOC'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];
export const TIFS = ['DAY', 'GTC', 'IOC', 'OPG'] as const;
export type Tif = (typeof TIFS)[number];
export type Mode = 'paper' | 'live';

// ---------------------------------------------------------------- signal (CONTRACT §3), as parsed

export interface Instrument {
  readonly symbol: string;
  readonly secType: SecType;
  readonly exchange: string;
  readonly currency: string;
  readonly primaryExchange?: string;
  readonly conId?: number;
  readonly lastTradeDateOrContractMonth?: string;
  readonly strike?: Decimal;
  readonly right?: 'C' | 'P';
  readonly multiplier?: string;
  /** options (issue 12): pick the contract from the chain at handling time (see docs/options.md) */
  readonly select?: OptionSelect;
}

/** `instrument.select`: the expiry inside `dte` (days), the strike whose |delta| is closest to `delta`. */
export interface OptionSelect {
  readonly delta: Decimal;
  readonly dte: readonly [number, number];
}

export type SizeSpec =
  | { readonly kind: 'quantity'; readonly quantity: number }
  | { readonly kind: 'notional'; readonly notional: Decimal }
  | { readonly kind: 'equityPercent'; readonly percent: Decimal }
  | { readonly kind: 'riskPercent'; readonly percent: Decimal }
  | { readonly kind: 'positionPercent'; readonly percent: Decimal };

export interface AlgoSpec {
  readonly strategy: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface OrderSpec {
  readonly type: OrderType;
  readonly limitPrice?: Decimal;
  readonly stopPrice?: Decimal;
  readonly trailingPercent?: Decimal;
  readonly tif: Tif;
  readonly outsideRth: boolean;
  readonly algo?: AlgoSpec;
}

export interface BracketSpec {
  readonly takeProfit: Decimal;
  readonly stopLoss: Decimal;
}

export type AccountTarget =
  | { readonly kind: 'all' }
  | { readonly kind: 'ids'; readonly ids: readonly string[] }
  | { readonly kind: 'types'; readonly types: readonly AccountType[] };

export interface Signal {
  readonly id: string;
  /** epoch milliseconds */
  readonly createdAt: number;
  /** epoch milliseconds */
  readonly expiresAt?: number;
  readonly source?: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly size: SizeSpec;
  readonly order: OrderSpec;
  readonly bracket?: BracketSpec;
  readonly accounts: AccountTarget;
  readonly meta?: Readonly<Record<string, unknown>>;
}

// ---------------------------------------------------------------- config slices (CONTRACT §2)

export interface AccountConfig {
  readonly id: string;
  readonly type: AccountType;
  readonly label?: string;
}

export interface RiskLimits {
  readonly maxOrderQuantity: number;
  /** per order, in the account base currency (futures: multiplier × price × contracts) */
  readonly maxOrderNotional: Decimal;
  /** 0 disables the collar */
  readonly priceCollarPercent: Decimal;
  /** per account and UTC day: the notional of orders placed today plus this one; 0 or absent = no limit */
  readonly maxDailyNotional?: Decimal;
  /** per account and instrument: |position + working orders + this order| × price × multiplier; 0 or absent = no limit */
  readonly maxPositionNotional?: Decimal;
  /** overrides of `maxOrderNotional` per secType (e.g. `{ "FUT": 400000 }`) */
  readonly maxOrderNotionalBySecType?: Readonly<Partial<Record<SecType, Decimal>>>;
}

export interface IraPolicy {
  readonly prohibitedSymbols: readonly string[];
  readonly futuresMarginMultiplier: Decimal;
  readonly cashBufferPercent: Decimal;
}

// ---------------------------------------------------------------- market and account state (read by the shell, consumed by the core)

export interface Quote {
  readonly bid?: Decimal;
  readonly ask?: Decimal;
  readonly last?: Decimal;
  readonly close?: Decimal;
  /** true when the data is delayed (market data type 3/4) */
  readonly delayed: boolean;
  /** true when no tick arrived within the freshness window */
  readonly stale: boolean;
  /** epoch ms of the newest tick */
  readonly ts: number;
  /** options only, when the broker sent them: the model greeks (tickOptionComputation) */
  readonly greeks?: OptionGreeks;
}

// ---------------------------------------------------------------- options (issue 12)

/** Greeks of one option as the broker computes them (IB: tickOptionComputation); unset when "not computed". */
export interface OptionGreeks {
  /** annual, as a fraction (0.30 = 30 %) */
  readonly impliedVol?: Decimal;
  readonly delta?: Decimal;
  readonly gamma?: Decimal;
  /** per 1 volatility point */
  readonly vega?: Decimal;
  /** per calendar day */
  readonly theta?: Decimal;
  /** the option price the greeks belong to */
  readonly optPrice?: Decimal;
  readonly undPrice?: Decimal;
  /** which IB computation: model, bid, ask or last */
  readonly source?: 'model' | 'bid' | 'ask' | 'last';
}

/** The expirations and strikes of an underlying on one exchange (IB: securityDefinitionOptionParameter). */
export interface OptionChainParams {
  readonly exchange: string;
  readonly underlyingConId: number;
  readonly tradingClass: string;
  readonly multiplier: string;
  /** yyyymmdd, ascending */
  readonly expirations: readonly string[];
  /** ascending */
  readonly strikes: readonly Decimal[];
}

/** One option of a chain snapshot: the contract, its quote and greeks. */
export interface OptionChainRow {
  /** secType OPT with conId, expiry, strike, right and multiplier */
  readonly instrument: Instrument;
  readonly bid?: Decimal;
  readonly ask?: Decimal;
  readonly last?: Decimal;
  readonly greeks?: OptionGreeks;
}

/** A chain at one instant: what option selection and the `chain` command work from. */
export interface OptionChainSnapshot {
  readonly underlying: Instrument;
  readonly underlyingConId: number;
  readonly underlyingPrice?: Decimal;
  /** epoch ms when the snapshot was taken */
  readonly asOf: number;
  readonly tradingClass: string;
  readonly multiplier: string;
  /** every expiration of the chain (rows may cover only some) */
  readonly expirations: readonly string[];
  readonly rows: readonly OptionChainRow[];
}

/** Which part of a chain to snapshot. */
export interface OptionChainQuery {
  /** yyyymmdd; default: the nearest expiration */
  readonly expiry?: string;
  readonly right?: 'C' | 'P';
  /** the N strikes nearest the underlying's price (default 10) */
  readonly strikes?: number;
  /** several expirations (option selection): every expiration whose date is in [from, to] (yyyymmdd) */
  readonly expiryRange?: readonly [string, string];
}

export interface ContractInfo {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: SecType;
  readonly exchange: string;
  readonly primaryExchange?: string;
  readonly currency: string;
  readonly longName?: string;
  readonly stockType?: string;
  readonly industry?: string;
  readonly category?: string;
  readonly subcategory?: string;
  readonly multiplier?: Decimal;
  readonly minTick?: Decimal;
  readonly lastTradeDateOrContractMonth?: string;
}

export interface PositionSnapshot {
  readonly account: string;
  readonly symbol: string;
  readonly secType: SecType;
  readonly currency: string;
  readonly conId?: number;
  /** signed: negative is short */
  readonly quantity: number;
  readonly avgCost: Decimal;
  /** options and futures: the contract fields (issue 12) */
  readonly lastTradeDateOrContractMonth?: string;
  readonly strike?: Decimal;
  readonly right?: 'C' | 'P';
  readonly multiplier?: string;
}

/** One linked account as the broker reports it, plus what the config declares. */
export interface AccountSnapshot {
  readonly id: string;
  /** undefined when the account is linked but not declared in the config */
  readonly declaredType?: AccountType;
  /** IB's `AccountType` summary value, e.g. "IRA", "INDIVIDUAL", "CORPORATION" */
  readonly brokerAccountType?: string;
  readonly baseCurrency: string;
  readonly netLiquidation: Decimal;
  readonly totalCash: Decimal;
  readonly settledCash: Decimal;
  readonly availableFunds: Decimal;
  readonly buyingPower: Decimal;
  /** per-currency cash balance ($LEDGER:ALL CashBalance), keyed by ISO currency */
  readonly cashByCurrency: Readonly<Record<string, Decimal>>;
  readonly positions: readonly PositionSnapshot[];
}

/** An order this daemon sent that is still working (reserves cash or shares). */
export interface WorkingOrder {
  readonly orderRef: string;
  readonly account: string;
  readonly symbol: string;
  readonly secType: SecType;
  readonly side: Side;
  /** quantity not yet filled */
  readonly remaining: number;
  /** cash this order can still consume (BUY): remaining × price × multiplier; zero for SELL and futures (margin, see the IRA futures rule) */
  readonly reservedCash: Decimal;
  readonly currency: string;
  /** the contract id the order was sent with, when known */
  readonly conId?: number;
  /** which leg of its signal this is (bracket children: takeProfit / stopLoss) */
  readonly leg?: LegName;
  /** the OCA group of a bracket child */
  readonly ocaGroup?: string;
  /** a bracket child's entry (its orderRef) */
  readonly parentRef?: string;
  /** contract multiplier the order was valued with */
  readonly multiplier?: number;
  /** the price its cash was reserved at */
  readonly price?: Decimal;
  /** options (issue 12), when known: what the order covers or secures */
  readonly right?: 'C' | 'P';
  readonly strike?: Decimal;
}

// ---------------------------------------------------------------- decisions and outcomes (CONTRACT §4)

export const REASON_CODES = [
  'INVALID_SIGNAL',
  'SIGNAL_EXPIRED',
  'UNKNOWN_ACCOUNT',
  'ACCOUNT_TYPE_MISMATCH',
  'IRA_SHORT_SALE',
  'IRA_UNCOVERED_OPTION',
  'IRA_MARGIN',
  'IRA_FX_BORROW',
  'IRA_PROHIBITED_SECURITY',
  'IRA_FUTURES_MARGIN',
  'NO_FX_RATE',
  'MAX_DAILY_NOTIONAL',
  'MAX_POSITION_NOTIONAL',
  'INSUFFICIENT_BUYING_POWER',
  'MAX_QUANTITY',
  'MAX_NOTIONAL',
  'PRICE_COLLAR',
  'NO_PRICE',
  'ZERO_QUANTITY',
  'HALTED',
  'REDUCE_ONLY',
  'READ_ONLY',
  'BROKER_REJECTED',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
  /** broker error code, for BROKER_REJECTED */
  readonly brokerCode?: number;
}

export const DECISIONS = ['PLACED', 'DENIED', 'REJECTED', 'DUPLICATE', 'UNRESOLVED'] as const;
export type DecisionKind = (typeof DECISIONS)[number];

export type LegName = 'entry' | 'takeProfit' | 'stopLoss';

/**
 * One order to send, fully specified in domain terms. The IB adapter maps it 1:1 onto an IB order;
 * `orderRef` is a pure function of (signal id, account, leg) — see `order-ref.ts`.
 */
export interface OrderLeg {
  readonly leg: LegName;
  readonly orderRef: string;
  readonly signalId: string;
  readonly account: string;
  readonly instrument: Instrument;
  readonly side: Side;
  readonly quantity: number;
  readonly type: OrderType;
  readonly limitPrice?: Decimal;
  readonly stopPrice?: Decimal;
  readonly trailingPercent?: Decimal;
  readonly tif: Tif;
  readonly outsideRth: boolean;
  readonly algo?: AlgoSpec;
  /** the entry leg's orderRef for bracket children */
  readonly parentRef?: string;
  /** OCA group shared by bracket children (also set on a close that joins a position's bracket group) */
  readonly ocaGroup?: string;
}

export interface AccountResult {
  readonly account: string;
  readonly accountType: AccountType | 'UNKNOWN';
  readonly decision: DecisionKind;
  readonly quantity: number;
  readonly orderRef?: string;
  readonly orderId?: number;
  readonly permId?: number;
  readonly reasons: readonly Reason[];
  readonly notes: readonly string[];
}

export interface Outcome {
  readonly signalId: string;
  readonly results: readonly AccountResult[];
}
