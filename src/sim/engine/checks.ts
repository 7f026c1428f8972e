/**
 * The simulator's own pre-trade checks, as IB applies them (the daemon's checks come first; these are
 * the second line): IRA accounts (IB accountType "IRA") may not sell short nor buy beyond settled cash
 * (per currency, net of cash reserved by working buys), and futures need initial margin; margin
 * accounts need available funds for the initial margin of an opening trade. A failure is a 201 reason.
 * Contingent orders count as IB counts them: a bracket child is judged against the position its BUY
 * parent will leave, and the members of one OCA group (a bracket's siblings are one) count once, the
 * largest, not summed.
 */
import { Decimal } from '../../domain/types.js';
import type { SimAccount } from './accounts.js';
import { accountTotals } from './account-values.js';
import type { InstrumentRegistry, SimInstrument } from './instruments.js';
import type { Market } from './market.js';
import { cashSecuringPuts, checkIraOptionSell, sharesLockedByCalls } from './option-checks.js';
import { shortOptionMargin } from './option-margin.js';
import { isOpen, referencePrice, remainingOf, type SimOrder } from './orders.js';

/** What a check needs to know about the order being placed. */
export interface OrderIntent {
  readonly account: SimAccount;
  readonly instrument: SimInstrument;
  readonly action: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly orderType: string;
  readonly lmtPrice: Decimal | undefined;
  readonly auxPrice: Decimal | undefined;
  /** the order being modified, excluded from working-order reservations */
  readonly replacing?: SimOrder | undefined;
  /** the placing client, the bracket parent's order id (0: none) and the OCA group ('' : none) */
  readonly clientId?: number;
  readonly parentId?: number;
  readonly ocaGroup?: string;
}

type Contingent = Pick<SimOrder, 'clientId' | 'parentId' | 'ocaGroup'>;

/** One OCA group: its OCA group name, else its bracket (a parent's children are OCA peers); undefined for a lone order. */
const ocaKey = (o: Partial<Contingent>): string | undefined =>
  o.ocaGroup ? `oca:${o.ocaGroup}` : o.parentId ? `parent:${o.clientId ?? 0}:${o.parentId}` : undefined;

/**
 * Sums `value` over orders with each OCA group counted once (its largest member); the group `mine` (the
 * one the order being checked joins) is returned apart, not summed.
 */
function byOcaGroup(orders: readonly SimOrder[], value: (o: SimOrder) => Decimal, mine: string | undefined): { others: Decimal; mine: Decimal } {
  const groups = new Map<string, Decimal>();
  let lone = new Decimal(0);
  for (const o of orders) {
    const key = ocaKey(o);
    if (key === undefined) lone = lone.add(value(o));
    else groups.set(key, Decimal.max(groups.get(key) ?? 0, value(o)));
  }
  let others = lone;
  for (const [key, v] of groups) if (key !== mine) others = others.add(v);
  return { others, mine: (mine !== undefined ? groups.get(mine) : undefined) ?? new Decimal(0) };
}

/** Shares of the contract an open BUY parent of `o` will still add before `o` may work (0 without one). */
function parentCover(o: Partial<Contingent>, conId: number, orders: readonly SimOrder[]): number {
  if (!o.parentId) return 0;
  const p = orders.find((x) => x.clientId === o.clientId && x.orderId === o.parentId);
  return p && p.action === 'BUY' && p.instrument.conId === conId ? remainingOf(p) : 0;
}

const f2 = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);

function working(orders: Iterable<SimOrder>, intent: OrderIntent): SimOrder[] {
  const out: SimOrder[] = [];
  for (const o of orders) {
    if (o === intent.replacing || !isOpen(o) || o.account !== intent.account.id) continue;
    out.push(o);
  }
  return out;
}

/**
 * Cash (in the order's currency) that working BUY orders of the account may still spend, an OCA group
 * once (its dearest member); `mine` is the reservation of the checked order's own OCA group.
 */
function reservedCash(orders: SimOrder[], currency: string, market: Market, mineKey?: string): { others: Decimal; mine: Decimal } {
  const buys = orders.filter((o) => o.action === 'BUY' && o.instrument.currency === currency && o.instrument.secType !== 'FUT');
  return byOcaGroup(buys, (o) => referencePrice(o, market.quote(o.instrument)).mul(remainingOf(o)).mul(o.instrument.multiplier), mineKey);
}

/** Reserved cash as one sum (for checks that do not join an OCA group). */
const reservedTotal = (orders: SimOrder[], currency: string, market: Market): Decimal => {
  const r = reservedCash(orders, currency, market);
  return r.others.add(r.mine);
};

/**
 * The IRA short-sale check of a stock SELL: the position (plus what the order's BUY parent will add),
 * less the working SELLs (an OCA group once, each less its own parent's cover) and shares covering calls.
 */
function checkIraStockSell(intent: OrderIntent, orders: SimOrder[], instruments: InstrumentRegistry): string | null {
  const { account, instrument: ins, quantity } = intent;
  const held = account.positionQty(ins.conId);
  const key = ocaKey(intent);
  const net = (o: SimOrder) => new Decimal(Math.max(remainingOf(o) - parentCover(o, ins.conId, orders), 0));
  const groups = byOcaGroup(orders.filter((o) => o.action === 'SELL' && o.instrument.conId === ins.conId), net, key);
  const cover = parentCover(intent, ins.conId, orders);
  const mine = Decimal.max(groups.mine, Math.max(quantity - cover, 0)).toNumber();
  const sells = groups.others.toNumber();
  const locked = sharesLockedByCalls(account, ins, orders, instruments);
  if (mine + sells + locked <= held) return null;
  return `YOUR ORDER IS NOT ACCEPTED. SHORT SALES ARE NOT PERMITTED IN AN IRA (CASH) ACCOUNT: SELL ${quantity} ${ins.symbol} EXCEEDS THE LONG POSITION OF ${held}`
    + `${cover > 0 ? ` PLUS ${cover} ITS PARENT ORDER BUYS` : ''}${sells > 0 ? ` LESS ${sells} IN WORKING SELL ORDERS` : ''}`
    + `${groups.mine.gt(0) ? ` LESS ${groups.mine.toString()} IN ITS OCA GROUP` : ''}${locked > 0 ? ` LESS ${locked} COVERING SHORT CALLS` : ''}`;
}

function checkIra(intent: OrderIntent, orders: SimOrder[], market: Market, instruments: InstrumentRegistry): string | null {
  const { account, instrument: ins, quantity } = intent;
  const q = market.quote(ins);
  if (ins.secType === 'FUT') {
    const need = ins.initialMargin.mul(quantity);
    const have = accountTotals(account, market, instruments).settledCash;
    if (need.gt(have)) {
      return `YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR SETTLED CASH [${f2(have)} ${account.baseCurrency}] MUST EXCEED THE INITIAL MARGIN [${f2(need)} ${account.baseCurrency}]`;
    }
    return null;
  }
  if (intent.action === 'SELL' && ins.secType === 'OPT') {
    return checkIraOptionSell(account, ins, quantity, orders, instruments, account.settledIn(ins.currency).sub(reservedTotal(orders, ins.currency, market)));
  }
  if (intent.action === 'SELL' && ins.secType !== 'CASH') return checkIraStockSell(intent, orders, instruments);
  const cur = intent.action === 'BUY' ? ins.currency : ins.symbol;
  const value = intent.action === 'BUY'
    ? referencePrice({ ...intent }, q).mul(quantity).mul(ins.multiplier)
    : new Decimal(quantity);
  // an order joining an OCA group needs only what the group's dearest member needs
  const reserved = reservedCash(orders, cur, market, intent.action === 'BUY' ? ocaKey(intent) : undefined);
  const cost = Decimal.max(value, reserved.mine);
  const have = account.settledIn(cur).sub(reserved.others).sub(cashSecuringPuts(account, cur, orders, instruments));
  if (cost.gt(have)) {
    return `YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR SETTLED CASH [${f2(have)} ${cur}] MUST EXCEED THE ORDER VALUE [${f2(cost)} ${cur}] (IRA ACCOUNTS CANNOT USE MARGIN OR UNSETTLED FUNDS)`;
  }
  return null;
}

function marginNeed(intent: OrderIntent, opening: number, price: Decimal, market: Market, instruments: InstrumentRegistry): Decimal {
  const ins = intent.instrument;
  if (ins.secType === 'FUT') return ins.initialMargin.mul(opening);
  if (ins.secType !== 'OPT') return price.mul(opening).mul(ins.multiplier).mul(0.25);
  if (intent.action === 'BUY') return price.mul(opening).mul(ins.multiplier);
  const und = ins.underlyingConId ? instruments.byConId(ins.underlyingConId) : undefined;
  return shortOptionMargin(ins, price, und ? market.quote(und).last : new Decimal(ins.strike ?? 0), opening);
}

function checkMargin(intent: OrderIntent, market: Market, instruments: InstrumentRegistry): string | null {
  const { account, instrument: ins, quantity } = intent;
  if (ins.secType === 'CASH') return null;
  const held = account.positionQty(ins.conId);
  const signed = intent.action === 'BUY' ? quantity : -quantity;
  const opening = Math.max(Math.abs(held + signed) - Math.abs(held), 0);
  if (opening === 0) return null;
  const price = referencePrice({ ...intent }, market.quote(ins));
  const need = marginNeed(intent, opening, price, market, instruments);
  const t = accountTotals(account, market, instruments);
  if (need.gt(t.availableFunds)) {
    return `YOUR ORDER IS NOT ACCEPTED. IN ORDER TO OBTAIN THE DESIRED POSITION YOUR EQUITY WITH LOAN VALUE [${f2(t.netLiquidation)} ${account.baseCurrency}] MUST EXCEED THE INITIAL MARGIN [${f2(t.initMargin.add(need))} ${account.baseCurrency}]`;
  }
  return null;
}

/** Runs IB's own checks for an order; returns the reject reason text (without the "Order rejected" prefix) or null. */
export function checkOrder(intent: OrderIntent, allOrders: Iterable<SimOrder>, market: Market, instruments: InstrumentRegistry): string | null {
  const orders = working(allOrders, intent);
  return intent.account.isIra ? checkIra(intent, orders, market, instruments) : checkMargin(intent, market, instruments);
}
