/**
 * The single pure entry point of the execution service: one signal × one account → an `AccountDecision`
 * (sizing, every pre-trade rule, and the order legs to send). No I/O, no clock: the shell loads the
 * context (snapshot, quote, contract, working orders, trading state) and passes `now`. Invariants:
 *  - a DENIED decision lists EVERY failing reason and has quantity 0;
 *  - an APPROVED decision's legs are entry first, then takeProfit (LMT) and stopLoss (STP) children that
 *    carry `parentRef` and one `ocaGroup`; every `orderRef` is a pure function of (signal id, account, leg);
 *  - `inputs` is JSON-safe (strings for decimals) and records every number the decision used.
 */
import type {
  AccountConfig,
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
import { sizeOrder, type AuditInputs, type SizingResult } from '../sizing/size-order.js';
import { checkPreTrade } from '../validation/check-pre-trade.js';
import { withPutReservations } from '../validation/option-rules.js';
import { isIraAccount, type PreTradeContext, type PreTradeIntent } from '../validation/rule.js';

export interface EvaluationContext {
  /** epoch ms (from the injected Clock) */
  readonly now: number;
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
  /** initial margin per futures contract, in the instrument currency */
  readonly futuresInitialMargin?: Decimal;
  /** base-currency units per one unit of the instrument currency, when they differ */
  readonly fxToBase?: Decimal;
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
    });

const STRICTNESS: Readonly<Record<TradingState, number>> = { ACTIVE: 0, REDUCE_ONLY: 1, HALTED: 2 };

/** The stricter of the global and the account trading state (HALTED > REDUCE_ONLY > ACTIVE). */
export const stricterTradingState = (global: TradingState, account: TradingState | undefined): TradingState =>
  account !== undefined && STRICTNESS[account] > STRICTNESS[global] ? account : global;

/** Bracket children keep a DAY/GTC entry's tif; an IOC or OPG entry gets GTC children (an IOC stop would vanish). */
export const childTif = (entry: Tif): Tif => (entry === 'DAY' || entry === 'GTC' ? entry : 'GTC');

/** The legs for an approved quantity: entry, then the bracket children (if any). */
export function buildLegs(signal: Signal, account: string, quantity: number, contract?: ContractInfo): OrderLeg[] {
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
function auditInputs(ctx: EvaluationContext, x: Exposure | undefined, sizing: SizingResult | undefined): AuditInputs {
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
    ...sizing?.inputs,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as AuditInputs;
}

/** Context notes that are not clips: stale or delayed data, assumed FX rate, missing broker type. */
function contextNotes(ctx: EvaluationContext, x: Exposure | undefined): string[] {
  const notes: string[] = [];
  if (ctx.quote?.stale) notes.push('the quote is stale: no tick arrived within the freshness window');
  if (ctx.quote?.delayed) notes.push('the quote is delayed market data');
  if (x?.fxAssumed) notes.push(`no ${x.currency}→${x.baseCurrency} rate was given; ${x.currency} amounts were compared 1:1 with ${x.baseCurrency} limits`);
  if (ctx.account && !ctx.account.brokerAccountType) notes.push('IB reported no AccountType, so the declared type could not be confirmed');
  return notes;
}

function toIntent(signal: Signal, account: string, sizing: SizingResult | undefined): PreTradeIntent {
  if (!sizing) return { signal, account, quantity: 0, explicit: signal.size.kind === 'quantity' };
  if (!sizing.ok) return { signal, account, quantity: 0, explicit: signal.size.kind === 'quantity', sizingFailure: sizing.reason };
  return { signal, account, quantity: sizing.quantity, explicit: sizing.explicit, referencePrice: sizing.referencePrice, costPrice: sizing.costPrice };
}

/**
 * Sizes and checks `signal` for the account in `ctx`. Never throws for any context; a missing snapshot,
 * quote or contract becomes a reason (UNKNOWN_ACCOUNT, NO_PRICE, IRA_PROHIBITED_SECURITY, …).
 */
export function evaluateSignalForAccount(signal: Signal, ctx: EvaluationContext): AccountDecision {
  const a = ctx.account;
  // an IRA's short puts keep their cash reserved (issue 12): sizing and IRA_MARGIN see what is left
  const x = withPutReservations(a && computeExposure({ account: a, instrument: signal.instrument, contract: ctx.contract, working: ctx.working, ira: ctx.ira, fxToBase: ctx.fxToBase }), ctx, ctx.working);
  const pre: PreTradeContext = { ...ctx, exposure: x };
  const sizing = a && x ? sizeOrder(signal, { account: a, isIra: isIraAccount(pre), quote: ctx.quote, exposure: x, limits: ctx.limits, ira: ctx.ira, futuresInitialMargin: ctx.futuresInitialMargin }) : undefined;
  const intent = toIntent(signal, ctx.accountId, sizing);
  const checked = checkPreTrade(intent, pre);
  // Defensive: a failed sizing always denies, even under a custom rule list that would not report it.
  const reasons = checked.length === 0 && sizing && !sizing.ok ? [sizing.reason] : checked;
  const common: DecisionCommon = {
    account: ctx.accountId,
    accountType: ctx.declaredType ?? 'UNKNOWN',
    notes: [...contextNotes(ctx, x), ...(sizing?.notes ?? [])],
    inputs: auditInputs(ctx, x, sizing),
  };
  if (reasons.length > 0 || !sizing?.ok) {
    return { ...common, kind: 'DENIED', quantity: 0, reasons };
  }
  return {
    ...common,
    kind: 'APPROVED',
    quantity: sizing.quantity,
    legs: buildLegs(signal, ctx.accountId, sizing.quantity, ctx.contract),
    referencePrice: sizing.referencePrice,
  };
}

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
