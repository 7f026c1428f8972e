/**
 * IRA option rules (issue 12). Pure. An IRA may hold long calls and puts (paid from settled cash: the
 * ordinary IRA_MARGIN rule with premium × multiplier) and may SELL TO OPEN only
 *  - a covered call: the shares held, less shares being sold by working orders, less shares already
 *    covering short calls (held, or being sold to open by working orders), cover multiplier × contracts;
 *  - a cash-secured put: available settled cash (less working buys, the buffer and cash already securing
 *    short puts) covers strike × multiplier × contracts — which stays reserved (`withPutReservations`).
 * Anything else is IRA_UNCOVERED_OPTION naming the full contract and what would cover it; so is selling
 * shares that cover an open short call. Selling an option the account holds long (closing) is allowed.
 * Fail closed: a working option sell whose right or strike is unknown counts as covering shares and is
 * refused for a put (its cash cannot be known).
 */
import { Decimal } from '../domain/types.js';
import type { AccountSnapshot, PositionSnapshot, WorkingOrder } from '../domain/types.js';
import { fmtMoney } from '../domain/money.js';
import { contractName } from '../domain/option-fields.js';
import type { Exposure } from '../sizing/exposure.js';
import type { PreTradeContext, PreTradeIntent, Rule } from './rule.js';
import { isIraAccount, reason } from './rule.js';

/** An exposure whose available cash already excludes the cash securing short puts (`withPutReservations`). */
export type PutReservedExposure = Exposure & {
  readonly securedByPuts?: Decimal;
  /** a working option sell's contract is unknown: all available cash was reserved */
  readonly putReservationUnknown?: boolean;
};

export { contractName };

const mult = (m: Decimal | number | string | undefined): Decimal => {
  const d = m === undefined || m === '' ? undefined : new Decimal(m);
  return d && d.gt(0) ? d : new Decimal(100);
};

const workingOptionSells = (working: readonly WorkingOrder[], account: string, symbol: string): WorkingOrder[] =>
  working.filter((w) => w.account === account && w.symbol === symbol && w.secType === 'OPT' && w.side === 'SELL');

/**
 * Shares of `symbol` that short calls cover: held short calls plus working option sells that are calls
 * (or of unknown right: counted, to fail closed), each × its multiplier.
 */
export function sharesCoveringCalls(positions: readonly PositionSnapshot[], working: readonly WorkingOrder[], account: string, symbol: string): number {
  let shares = new Decimal(0);
  for (const p of positions) {
    if (p.secType === 'OPT' && p.symbol === symbol && p.right === 'C' && p.quantity < 0) shares = shares.add(mult(p.multiplier).mul(-p.quantity));
  }
  for (const w of workingOptionSells(working, account, symbol)) {
    if (w.right !== 'P') shares = shares.add(mult(w.multiplier).mul(w.remaining));
  }
  return shares.floor().toNumber();
}

/**
 * Cash (in `currency`) securing short puts: held short puts and working put sells, strike × multiplier ×
 * contracts. `undefined` when a working option sell's right or strike is unknown (cannot be computed).
 */
export function cashSecuringPuts(account: AccountSnapshot, working: readonly WorkingOrder[], currency: string): Decimal | undefined {
  let cash = new Decimal(0);
  for (const p of account.positions) {
    if (p.secType !== 'OPT' || p.right !== 'P' || p.quantity >= 0 || p.currency !== currency) continue;
    if (!p.strike) return undefined;
    cash = cash.add(p.strike.mul(mult(p.multiplier)).mul(-p.quantity));
  }
  for (const w of working) {
    if (w.account !== account.id || w.secType !== 'OPT' || w.side !== 'SELL' || w.currency !== currency) continue;
    if (w.right === 'C') continue;
    if (w.right === undefined || !w.strike) return undefined;
    cash = cash.add(w.strike.mul(mult(w.multiplier)).mul(w.remaining));
  }
  return cash;
}

/**
 * The exposure with the cash securing short puts reserved (IRA only): a buy can no longer spend it, and
 * sizing clips to what is left. Unknown reservations (see `cashSecuringPuts`) reserve everything.
 */
export function withPutReservations(x: Exposure | undefined, ctx: Pick<PreTradeContext, 'account' | 'declaredType'>, working: readonly WorkingOrder[]): PutReservedExposure | undefined {
  if (!x || !ctx.account || !isIraAccount(ctx as PreTradeContext)) return x;
  const secured = cashSecuringPuts(ctx.account, working, x.currency);
  const reserve = secured ?? Decimal.max(x.availableCash, 0);
  return {
    ...x, reservedCash: x.reservedCash.add(reserve), availableCash: x.availableCash.sub(reserve), securedByPuts: reserve,
    ...(secured === undefined ? { putReservationUnknown: true } : {}),
  };
}

const stockHeld = (a: AccountSnapshot, symbol: string, currency: string): number =>
  a.positions.filter((p) => p.secType === 'STK' && p.symbol === symbol && p.currency === currency).reduce((s, p) => s + p.quantity, 0);

const stockBeingSold = (working: readonly WorkingOrder[], account: string, symbol: string): number =>
  working.filter((w) => w.account === account && w.symbol === symbol && w.secType === 'STK' && w.side === 'SELL').reduce((s, w) => s + w.remaining, 0);

/** Contracts of an option SELL that open a short position (beyond the long position net of working sells). */
export function openingContracts(quantity: number, x: Exposure): number {
  return Math.max(quantity - Math.max(x.position - x.workingSells, 0), 0);
}

function coveredCall(i: PreTradeIntent, ctx: PreTradeContext, x: Exposure, opening: number, a: AccountSnapshot): ReturnType<Rule> {
  const inst = i.signal.instrument;
  const held = Math.max(stockHeld(a, inst.symbol, inst.currency), 0);
  const selling = stockBeingSold(workingOf(ctx), a.id, inst.symbol);
  const covering = sharesCoveringCalls(a.positions, workingOf(ctx), a.id, inst.symbol);
  const free = held - selling - covering;
  const need = x.multiplier.mul(opening).toNumber();
  if (free >= need) return null;
  return reason('IRA_UNCOVERED_OPTION',
    `SELL ${opening} ${contractName(inst)} to open is an uncovered call in an IRA: it needs ${need} ${inst.symbol} shares not already covering calls, `
    + `the account has ${held}${selling > 0 ? ` less ${selling} being sold` : ''}${covering > 0 ? ` less ${covering} covering short calls` : ''} = ${Math.max(free, 0)} (buy ${need - Math.max(free, 0)} more shares to cover it)`);
}

function cashSecuredPut(i: PreTradeIntent, ctx: PreTradeContext, x: PutReservedExposure, opening: number, a: AccountSnapshot): ReturnType<Rule> {
  const inst = i.signal.instrument;
  if (!inst.strike) return reason('IRA_UNCOVERED_OPTION', `SELL ${opening} ${contractName(inst)} to open: the strike is unknown, so the cash that would secure the put cannot be computed`);
  const need = inst.strike.mul(x.multiplier).mul(opening);
  const secured = x.putReservationUnknown ? undefined : x.securedByPuts ?? cashSecuringPuts(a, workingOf(ctx), x.currency);
  if (secured === undefined) {
    return reason('IRA_UNCOVERED_OPTION', `SELL ${opening} ${contractName(inst)} to open: a working option sell of unknown contract may already hold the cash, so the put cannot be confirmed as cash-secured`);
  }
  const have = x.securedByPuts !== undefined ? x.availableCash : x.availableCash.sub(secured);
  if (have.gte(need)) return null;
  return reason('IRA_UNCOVERED_OPTION',
    `SELL ${opening} ${contractName(inst)} to open is not a cash-secured put in an IRA: it needs ${fmtMoney(need)} ${x.currency} of settled cash `
    + `(strike × ${x.multiplier.toString()} × ${opening}) but ${fmtMoney(Decimal.max(have, 0))} is available after working buys, the buffer and ${fmtMoney(secured)} securing other puts`);
}

/** The working orders the rules see (`PreTradeContext.working`; `evaluate` passes its own). */
const workingOf = (ctx: PreTradeContext): readonly WorkingOrder[] => ctx.working ?? [];

/** IRA_UNCOVERED_OPTION for an IRA option SELL that opens anything but a covered call or a cash-secured put. */
export const iraOptionSellToOpen: Rule = (i, ctx) => {
  const x = ctx.exposure;
  const a = ctx.account;
  const inst = i.signal.instrument;
  if (!isIraAccount(ctx) || !x || !a || inst.secType !== 'OPT' || i.signal.side !== 'SELL' || i.quantity === 0) return null;
  const opening = openingContracts(i.quantity, x);
  if (opening === 0) return null;
  if (inst.right === 'C') return coveredCall(i, ctx, x, opening, a);
  if (inst.right === 'P') return cashSecuredPut(i, ctx, x, opening, a);
  return reason('IRA_UNCOVERED_OPTION', `SELL ${opening} ${contractName(inst)} to open: the option's right (C or P) is unknown, so it cannot be confirmed as covered`);
};

/** IRA_UNCOVERED_OPTION for an IRA stock SELL of shares that cover an open (or working) short call. */
export const iraSharesUnderCalls: Rule = (i, ctx) => {
  const x = ctx.exposure;
  const a = ctx.account;
  const inst = i.signal.instrument;
  if (!isIraAccount(ctx) || !x || !a || inst.secType !== 'STK' || i.signal.side !== 'SELL' || i.quantity === 0) return null;
  const unsold = Math.max(x.position, 0) - x.workingSells;
  if (i.quantity > unsold) return null; // IRA_SHORT_SALE says why
  const covering = sharesCoveringCalls(a.positions, workingOf(ctx), a.id, inst.symbol);
  if (i.quantity <= unsold - covering) return null;
  const calls = a.positions.filter((p) => p.secType === 'OPT' && p.symbol === inst.symbol && p.right === 'C' && p.quantity < 0)
    .map((p) => `${-p.quantity} × ${contractName(p)}`);
  return reason('IRA_UNCOVERED_OPTION',
    `SELL ${i.quantity} ${inst.symbol} would leave short calls uncovered in an IRA: ${covering} of the ${unsold} shares cover ${calls.length > 0 ? calls.join(', ') : 'working call sells'} `
    + `(buy the calls back first, or sell at most ${Math.max(unsold - covering, 0)})`);
};
