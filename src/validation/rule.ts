/**
 * The shape of a pre-trade rule and what it sees. Pure. Invariants:
 *  - a rule returns one `Reason` (a stable CONTRACT code and one human sentence with the numbers) or null;
 *  - a rule whose inputs are missing (no account snapshot, no price, quantity 0) returns null: another
 *    rule (UNKNOWN_ACCOUNT, NO_PRICE, ZERO_QUANTITY) reports the real cause, so a denial lists causes,
 *    not consequences.
 */
import type {
  AccountSnapshot,
  AccountType,
  ContractInfo,
  Decimal,
  IraPolicy,
  Mode,
  Quote,
  Reason,
  RiskLimits,
  LegName,
  Signal,
  TradingState,
  WorkingOrder,
} from '../domain/types.js';
import { isIraType } from '../domain/types.js';
import { contractName } from '../domain/option-fields.js';
import type { Exposure } from '../sizing/exposure.js';
import type { FuturesBook } from '../sizing/futures-book.js';

/** One account's sized order, as the rules judge it. */
export interface PreTradeIntent {
  readonly signal: Signal;
  readonly account: string;
  /** sized quantity; 0 when sizing failed or rounded to zero */
  readonly quantity: number;
  /** true when the producer gave `size.quantity` (never clipped) */
  readonly explicit: boolean;
  /** undefined when sizing failed (see `sizingFailure`) */
  readonly referencePrice?: Decimal;
  /** per-unit price for cash checks; defaults to `referencePrice` */
  readonly costPrice?: Decimal;
  /** why sizing failed: NO_PRICE or INVALID_SIGNAL */
  readonly sizingFailure?: Reason;
  /** which leg this intent is (default: the entry); children are judged after their entry filled */
  readonly leg?: LegName;
}

/** Everything the rules may consult about the world; loaded by the shell, never fetched here. */
export interface PreTradeContext {
  /** epoch ms */
  readonly now: number;
  /** `execution.maxSignalAgeMs`: a signal older than this (from `createdAt`) is SIGNAL_EXPIRED; 0 or absent = no limit */
  readonly maxSignalAgeMs?: number;
  readonly mode: Mode;
  readonly readOnly: boolean;
  /** account ids from IBKR_EXEC_LIVE_ACCOUNTS (used in live mode only) */
  readonly liveAccounts: readonly string[];
  readonly limits: RiskLimits;
  readonly ira: IraPolicy;
  /** effective state: the stricter of the global and the account state */
  readonly tradingState: TradingState;
  /** undefined when the account is not declared in the config */
  readonly declaredType?: AccountType;
  /** the broker lists the account among the managed accounts of this login */
  readonly linked: boolean;
  readonly account?: AccountSnapshot;
  readonly quote?: Quote;
  readonly contract?: ContractInfo;
  /** computed from `account` for the signal's instrument; undefined without a snapshot */
  readonly exposure?: Exposure;
  /** initial margin per futures contract, in the account base currency */
  readonly futuresInitialMargin?: Decimal;
  /** the account's futures held and working, with their margins (IRA futures rule) */
  readonly futuresBook?: FuturesBook;
  /** the broker could not define the contract (e.g. 200 "no security definition") */
  readonly contractError?: Reason;
  /** base-currency notional of this account's entry orders placed today (UTC), for limits.maxDailyNotional */
  readonly placedToday?: Decimal;
  /**
   * false when the shell did not ask the broker for margins and FX rates because an account gate already
   * denies (read-only, HALTED, …): their absence is then a consequence, not a cause, and is not reported
   */
  readonly brokerAsked?: boolean;
  /** this daemon's working orders (the IRA option rules count the calls and puts among them) */
  readonly working?: readonly WorkingOrder[];
}

/** A named pre-trade check. */
export type Rule = (intent: PreTradeIntent, ctx: PreTradeContext) => Reason | null;

/** IB reports "IRA", "ROTH IRA", "TRADITIONAL IRA", …: any AccountType containing IRA is an IRA. */
export const isBrokerIra = (brokerAccountType: string | undefined): boolean =>
  brokerAccountType !== undefined && /IRA/i.test(brokerAccountType);

/** IRA rules apply when the config declares an IRA OR the broker reports one (belt and braces). */
export const isIraAccount = (ctx: PreTradeContext): boolean =>
  (ctx.declaredType !== undefined && isIraType(ctx.declaredType)) || isBrokerIra(ctx.account?.brokerAccountType);

/** "BUY 50 AAPL", "bracket stopLoss BUY 50 AAPL" for a child leg; an option by its full contract, "SELL 1 AAPL 20261218 200 C" */
export const describeOrder = (i: PreTradeIntent): string =>
  `${i.leg && i.leg !== 'entry' ? `bracket ${i.leg} ` : ''}${i.signal.side} ${i.quantity} ${contractName(i.signal.instrument)}`;

/** A ready-made reason. */
export const reason = (code: Reason['code'], message: string): Reason => ({ code, message });
