/**
 * The single pure entry point of the execution service: one signal × one account → an `AccountDecision`
 * (sizing, every pre-trade rule, and the order legs to send). No I/O, no clock: the shell loads the
 * context (snapshot, quote, contract, working orders, trading state) and passes `now`. Invariants:
 *  - a DENIED decision lists EVERY failing reason and has quantity 0;
 *  - an APPROVED decision's legs are entry first, then takeProfit (LMT) and stopLoss (STP) children that
 *    carry `parentRef` and one `ocaGroup`; every `orderRef` is a pure function of (signal id, account, leg);
 *  - EVERY leg is judged as the order it is: the entry by all the rules, each bracket child by
 *    `CHILD_RULES` with its own side, quantity and price, against the position as it will be once the
 *    entry filled (a SELL entry's BUY children need IRA cash; in REDUCE_ONLY they would grow a position);
 *  - a positionPercent SELL (without a bracket of its own) joins the OCA group of the position's working
 *    bracket children, so the close and those children can never both fill; they do not count as
 *    "already being sold";
 *  - `inputs` is JSON-safe (strings for decimals) and records every number the decision used.
 */
import type {
  AccountConfig,
  AccountResult,
  AccountSnapshot,
  AccountTarget,
  AccountType,
  ContractInfo,
  Decimal,
  IraPolicy,
  Mode,
  OrderLeg,
  Quote,
  Reason,
  RiskLimits,
  Signal,
  Tif,
  TradingState,
  WorkingOrder,
} from '../domain/types.js';
import { ocaGroupFor, orderRefFor } from '../domain/order-ref.js';
import { computeExposure, type Exposure } from '../sizing/exposure.js';
import { futuresBook, type FuturesBook } from '../sizing/futures-book.js';
import { sizeOrder, type AuditInputs, type SizingResult } from '../sizing/size-order.js';
import { checkPreTrade, CHILD_RULES, GATE_RULES, LATE_STATE_RULES } from '../validation/check-pre-trade.js';
import { childReasons, closeOcaGroup, legIntent, unique, withoutGroup } from '../validation/leg-checks.js';
import { baseNotional } from '../validation/limit-rules.js';
import { withPutReservations } from '../validation/option-rules.js';
import { isIraAccount, type PreTradeContext, type PreTradeIntent } from '../validation/rule.js';

export interface EvaluationContext {
  /** epoch ms (from the injected Clock) */
  readonly now: number;
  /** `execution.maxSignalAgeMs` (0 or absent = no age limit) */
  readonly maxSignalAgeMs?: number;
  readonly mode: Mode;
  readonly readOnly: boolean;
  /** IBKR_EXEC_LIVE_ACCOUNTS, parsed */
  readonly liveAccounts: readonly string[];
  readonly limits: RiskLimits;
  readonly ira: IraPolicy;
  /** effective state: use `stricterTradingState(global, account)` */
  readonly tradingState: TradingState;
  /** the target account id (needed when there is no snapshot) */
  readonly accountId: string;
  /** the type the config declares; undefined when undeclared */
  readonly declaredType?: AccountType;
  /** the snapshot; undefined when the broker does not report the account */
  readonly account?: AccountSnapshot;
  /** the broker lists the account among this login's managed accounts */
  readonly linked: boolean;
  readonly quote?: Quote;
  readonly contract?: ContractInfo;
  /** this daemon's working orders (all accounts; filtered here) */
  readonly working: readonly WorkingOrder[];
  /** initial margin per futures contract of the signal's instrument, in the account base currency */
  readonly futuresInitialMargin?: Decimal;
  /** initial margin per contract of the other futures held or working in the account, by `futuresKey` */
  readonly futuresMargins?: ReadonlyMap<string, Decimal>;
  /** base-currency units per one unit of the instrument currency, when they differ (none → NO_FX_RATE) */
  readonly fxToBase?: Decimal;
  /** base-currency units per one unit of the currencies of working buys (buying power), by ISO code */
  readonly fxRates?: ReadonlyMap<string, Decimal>;
  /** the broker could not define the contract (e.g. 200 "no security definition"): denied with its text */
  readonly contractError?: Reason;
  /** base-currency notional of this account's entry orders placed today (limits.maxDailyNotional) */
  readonly placedToday?: Decimal;
  /** false when margins and FX rates were not asked because an account gate denies (see PreTradeContext) */
  readonly brokerAsked?: boolean;
}

interface DecisionCommon {
  readonly account: string;
  readonly accountType: AccountType | 'UNKNOWN';
  readonly notes: readonly string[];
  readonly inputs: AuditInputs;
}

export type AccountDecision =
  | (DecisionCommon & { readonly kind: 'DENIED'; readonly quantity: 0; readonly reasons: readonly Reason[] })
  | (DecisionCommon & {
      readonly kind: 'APPROVED';
      readonly quantity: number;
      readonly legs: readonly OrderLeg[];
      readonly referencePrice: Decimal;
      /** the contract multiplier every leg is valued and reserved with (from contract details) */
      readonly multiplier: Decimal;
      /** the entry's notional in the account base currency */
      readonly notional: Decimal;
    });

const STRICTNESS: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCE_ONLY: 1, HALTED: 2 };

/** The stricter of the global and the account trading state (HALTED > REDUCE_ONLY > ACTIVE). */
export const stricterTradingState = (global: TradingState, account: TradingState | undefined): TradingState =>
  account !== undefined && STRICTNESS[account] > STRICTNESS[global] ? account : global;

/** Bracket children keep a DAY/GTC entry's tif; an IOC or OPG entry gets GTC children (an IOC stop would vanish). */
export const childTif = (entry: Tif): Tif => (entry === 'DAY' || entry === 'GTC' ? entry : 'GTC');

/**
 * The legs for an approved quantity: entry, then the bracket children (if any). `joinOcaGroup`: the OCA
 * group of a position's working bracket children that a closing entry joins.
 */
export function buildLegs(signal: Signal, account: string, quantity: number, contract?: ContractInfo, joinOcaGroup?: string): OrderLeg[] {
  const o = signal.order;
  const conId = signal.instrument.conId ?? contract?.conId;
  const withId = conId === undefined ? signal.instrument : { ...signal.instrument, conId };
  // an option or future leg carries its multiplier (reservations, an unambiguous contract at IB)
  const mult = withId.multiplier ?? (withId.secType !== 'STK' && withId.secType !== 'CASH' ? contract?.multiplier?.toString() : undefined);
  const instrument = mult === undefined ? withId : { ...withId, multiplier: mult };
  const entryRef = orderRefFor(signal.id, account, 'entry');
  const common = { signalId: signal.id, account, instrument, quantity, outsideRth: o.outsideRth };
  const entry: OrderLeg = {
    ...common,
    leg: 'entry',
    orderRef: entryRef,
    side: signal.side,
    type: o.type,
    tif: o.tif,
    ...(o.limitPrice && { limitPrice: o.limitPrice }),
    ...(o.stopPrice && { stopPrice: o.stopPrice }),
    ...(o.trailingPercent && { trailingPercent: o.trailingPercent }),
    ...(o.algo && { algo: o.algo }),
    ...(joinOcaGroup !== undefined && { ocaGroup: joinOcaGroup }),
  };
  const b = signal.bracket;
  if (!b) return [entry];
  const child = {
    ...common,
    side: signal.side === 'BUY' ? ('SELL' as const) : ('BUY' as const),
    tif: childTif(o.tif),
    parentRef: entryRef,
    ocaGroup: ocaGroupFor(signal.id, account),
  };
  return [
    entry,
    { ...child, leg: 'takeProfit', orderRef: orderRefFor(signal.id, account, 'takeProfit'), type: 'LMT', limitPrice: b.takeProfit },
    { ...child, leg: 'stopLoss', orderRef: orderRefFor(signal.id, account, 'stopLoss'), type: 'STP', stopPrice: b.stopLoss },
  ];
}

const str = (d: Decimal | undefined): string | undefined => d?.toString();

/** Every number the decision used, JSON-safe. */
function auditInputs(ctx: EvaluationContext, x: Exposure | undefined, sizing: SizingResult | undefined, book?: FuturesBook): AuditInputs {
  const a = ctx.account;
  const q = ctx.quote;
  const all: Record<string, string | number | boolean | undefined> = {
    now: ctx.now,
    mode: ctx.mode,
    tradingState: ctx.tradingState,
    declaredType: ctx.declaredType,
    brokerAccountType: a?.brokerAccountType,
    baseCurrency: a?.baseCurrency,
    netLiquidation: str(a?.netLiquidation),
    settledCash: str(a?.settledCash),
    availableFunds: str(a?.availableFunds),
    buyingPower: str(a?.buyingPower),
    bid: str(q?.bid),
    ask: str(q?.ask),
    last: str(q?.last),
    quoteTs: q?.ts,
    quoteStale: q?.stale,
    quoteDelayed: q?.delayed,
    position: x?.position,
    workingSells: x?.workingSells,
    workingBuys: x?.workingBuys,
    cash: str(x?.cash),
    reservedCash: str(x?.reservedCash),
    buffer: str(x?.buffer),
    availableCash: str(x?.availableCash),
    fxToBase: str(x?.fxToBase),
    futuresInitialMargin: str(ctx.futuresInitialMargin),
    futuresBook: book && book.lines.length > 0 ? JSON.stringify(book.lines.map((l) => ({ ...l, margin: l.margin?.toString() ?? null }))) : undefined,
    reservedBase: str(x?.reservedBase),
    fxRates: ctx.fxRates && ctx.fxRates.size > 0 ? JSON.stringify(Object.fromEntries([...ctx.fxRates].map(([k, v]) => [k, v.toString()]))) : undefined,
    placedToday: str(ctx.placedToday),
    contractError: ctx.contractError?.message,
    ...sizing?.inputs,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as AuditInputs;
}

/** Context notes that are not clips: stale or delayed data, assumed FX rate, missing broker type. */
function contextNotes(ctx: EvaluationContext): string[] {
  const notes: string[] = [];
  if (ctx.quote?.stale) notes.push('the quote is stale: no tick arrived within the freshness window');
  if (ctx.quote?.delayed) notes.push('the quote is delayed market data');
  if (ctx.account && !ctx.account.brokerAccountType) notes.push('IB reported no AccountType, so the declared type could not be confirmed');
  return notes;
}

function toIntent(signal: Signal, account: string, sizing: SizingResult | undefined): PreTradeIntent {
  if (!sizing) return { signal, account, quantity: 0, explicit: signal.size.kind === 'quantity' };
  if (!sizing.ok) return { signal, account, quantity: 0, explicit: signal.size.kind === 'quantity', sizingFailure: sizing.reason };
  return { signal, account, quantity: sizing.quantity, explicit: sizing.explicit, referencePrice: sizing.referencePrice, costPrice: sizing.costPrice };
}

/** Exposure, futures book and rule context for `signal` in `ctx`, as seen with `working`. */
function preTrade(signal: Signal, ctx: EvaluationContext, working: readonly WorkingOrder[]): { x: Exposure | undefined; book: FuturesBook | undefined; pre: PreTradeContext } {
  const a = ctx.account;
  // an IRA's short puts keep their cash reserved (issue 12): sizing and IRA_MARGIN see what is left
  const x = withPutReservations(a && computeExposure({ account: a, instrument: signal.instrument, contract: ctx.contract, working, ira: ctx.ira, fxToBase: ctx.fxToBase, ...(ctx.fxRates ? { fxRates: ctx.fxRates } : {}) }), ctx, working);
  // futures orders always; any order in an account that holds or works futures (IRA cash backs their margin)
  const anyFutures = a && (a.positions.some((p) => p.secType === 'FUT' && p.quantity !== 0) || working.some((w) => w.secType === 'FUT' && w.account === a.id));
  const book = a && (signal.instrument.secType === 'FUT' || anyFutures) ? futuresBook(a, working, ctx.futuresMargins ?? new Map()) : undefined;
  return { x, book, pre: { ...ctx, working, exposure: x, ...(book ? { futuresBook: book } : {}) } as PreTradeContext };
}

/**
 * Sizes and checks `signal` for the account in `ctx`. Never throws for any context; a missing snapshot,
 * quote or contract becomes a reason (UNKNOWN_ACCOUNT, NO_PRICE, IRA_PROHIBITED_SECURITY, …).
 */
export function evaluateSignalForAccount(signal: Signal, ctx: EvaluationContext): AccountDecision {
  const a = ctx.account;
  const join = closeOcaGroup(signal, ctx.accountId, ctx.working);
  const { x, book, pre } = preTrade(signal, ctx, withoutGroup(ctx.working, join));
  const sizing = a && x ? sizeOrder(signal, { account: a, isIra: isIraAccount(pre), quote: ctx.quote, exposure: x, limits: ctx.limits, ira: ctx.ira, ...(ctx.futuresInitialMargin ? { futuresInitialMargin: ctx.futuresInitialMargin } : {}), ...(book ? { futuresBook: book } : {}), ...(ctx.contract ? { conId: ctx.contract.conId } : {}), ...(ctx.placedToday ? { placedToday: ctx.placedToday } : {}) }) : undefined;
  const intent = toIntent(signal, ctx.accountId, sizing);
  const legs = sizing?.ok && sizing.quantity > 0 ? buildLegs(signal, ctx.accountId, sizing.quantity, ctx.contract, join) : [];
  const checked = unique([...checkPreTrade(intent, pre), ...childReasons(signal, legs, pre, sizing?.ok ? sizing.referencePrice : undefined, CHILD_RULES)]);
  // Defensive: a failed sizing always denies, even under a custom rule list that would not report it.
  const reasons = checked.length === 0 && sizing && !sizing.ok ? [sizing.reason] : checked;
  const notes = [...contextNotes(ctx), ...(sizing?.notes ?? [])];
  if (join !== undefined) notes.push(`the close joins OCA group ${join} of the position's working bracket children: whichever fills first cancels the others`);
  const common: DecisionCommon = {
    account: ctx.accountId,
    accountType: ctx.declaredType ?? 'UNKNOWN',
    notes,
    inputs: auditInputs(ctx, x, sizing, book),
  };
  if (reasons.length > 0 || !sizing?.ok || !x) {
    return { ...common, kind: 'DENIED', quantity: 0, reasons };
  }
  return {
    ...common,
    kind: 'APPROVED',
    quantity: sizing.quantity,
    legs,
    referencePrice: sizing.referencePrice,
    multiplier: x.multiplier,
    notional: baseNotional(sizing.quantity, sizing.referencePrice, pre) ?? x.multiplier.mul(0),
  };
}

/**
 * True when the account gates (read-only, unknown or mismatched account, HALTED) let this signal through,
 * i.e. the shell may ask the broker for more (a what-if margin probe, an FX rate). In read-only mode or
 * for a halted account nothing at all is sent to the broker for an order.
 */
export function passesGates(signal: Signal, ctx: EvaluationContext): boolean {
  const pre = { ...ctx } as PreTradeContext;
  return checkPreTrade({ signal, account: ctx.accountId, quantity: 0, explicit: true }, pre, GATE_RULES).length === 0;
}

/**
 * The trading-state rules (HALTED, REDUCE_ONLY) re-checked on every leg of an approved decision right
 * before the send, with the same rule functions as the evaluation: `ctx` is a fresh context (snapshot,
 * working orders, state); the decision's own intents are left out of the working orders.
 */
export function lateStateReasons(signal: Signal, legs: readonly OrderLeg[], referencePrice: Decimal, ctx: EvaluationContext): readonly Reason[] {
  const own = new Set(legs.map((l) => l.orderRef));
  const entry = legs[0];
  if (!entry) return [];
  const joined = entry.ocaGroup;
  const working = withoutGroup(ctx.working.filter((w) => !own.has(w.orderRef)), joined);
  const { pre } = preTrade(signal, ctx, working);
  return unique([...checkPreTrade(legIntent(signal, entry, referencePrice), pre, LATE_STATE_RULES), ...childReasons(signal, legs, pre, referencePrice, LATE_STATE_RULES)]);
}

/**
 * The per-signal result when the target selects no account at all (`{types: [...]}` with no declared
 * account of those types): one DENIED UNKNOWN_ACCOUNT row naming the types and what is declared, so the
 * outcome is never an empty success. Undefined when `targets` is not empty.
 */
export function noTargetResult(signal: Pick<Signal, 'accounts'>, declared: readonly AccountConfig[], targets: readonly TargetAccount[]): AccountResult | undefined {
  if (targets.length > 0 || signal.accounts.kind !== 'types') return undefined;
  const types = signal.accounts.types.join(', ');
  const have = declared.map((c) => `${c.id} ${c.type}`).join(', ');
  return {
    account: `types:${signal.accounts.types.join(',')}`,
    accountType: 'UNKNOWN',
    decision: 'DENIED',
    quantity: 0,
    reasons: [{ code: 'UNKNOWN_ACCOUNT', message: `accounts {"types": [${types}]} matches no account declared in the config (declared: ${have}); nothing was sent` }],
    notes: [],
  };
}

export { closeOcaGroup } from '../validation/leg-checks.js';

/** One account a signal targets, before evaluation. */
export interface TargetAccount {
  readonly account: string;
  readonly declaredType?: AccountType;
  readonly linked: boolean;
}

/**
 * The accounts a signal targets, in a stable order:
 *  - "ALL": every DECLARED account, in config order (declared-but-unlinked ones included, so the outcome
 *    shows them as UNKNOWN_ACCOUNT); linked-but-undeclared accounts are never targeted;
 *  - a list of ids: each id once, in the given order (undeclared or unlinked ids → UNKNOWN_ACCOUNT later);
 *  - `{types}`: every declared account of those types, in config order.
 */
export function targetAccounts(signal: Pick<Signal, 'accounts'>, declared: readonly AccountConfig[], linked: readonly string[]): TargetAccount[] {
  const accounts: AccountTarget = signal.accounts;
  const isLinked = new Set(linked);
  const of = (c: AccountConfig): TargetAccount => ({ account: c.id, declaredType: c.type, linked: isLinked.has(c.id) });
  switch (accounts.kind) {
    case 'all':
      return declared.map(of);
    case 'types':
      return declared.filter((c) => accounts.types.includes(c.type)).map(of);
    case 'ids':
      return [...new Set(accounts.ids)].map((id) => {
        const c = declared.find((d) => d.id === id);
        return c ? of(c) : { account: id, linked: isLinked.has(id) };
      });
  }
}
