/**
 * The simulator's own pre-trade checks, as IB applies them (the daemon's checks come first; these are
 * the second line): IRA accounts (IB accountType "IRA") may not sell short nor buy beyond settled cash
 * (per currency, net of cash reserved by working buys), and futures need initial margin; margin
 * accounts need available funds for the initial margin of an opening trade. A failure is a 201 reason.
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

/** Cash (in the order's currency) that working BUY orders of the account may still spend. */
function reservedCash(orders: SimOrder[], currency: string, market: Market): Decimal {
  let sum = new Decimal(0);
  for (const o of orders) {
    if (o.action !== 'BUY' || o.instrument.currency !== currency || o.instrument.secType === 'FUT') continue;
    sum = sum.add(referencePrice(o, market.quote(o.instrument)).mul(remainingOf(o)).mul(o.instrument.multiplier));
  }
  return sum;
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
    return checkIraOptionSell(account, ins, quantity, orders, instruments, account.settledIn(ins.currency).sub(reservedCash(orders, ins.currency, market)));
  }
  if (intent.action === 'SELL' && ins.secType !== 'CASH') {
    const held = account.positionQty(ins.conId);
    const sells = orders.filter((o) => o.action === 'SELL' && o.instrument.conId === ins.conId).reduce((s, o) => s + remainingOf(o), 0);
    const locked = sharesLockedByCalls(account, ins, orders, instruments);
    if (quantity > held - sells - locked) {
      return `YOUR ORDER IS NOT ACCEPTED. SHORT SALES ARE NOT PERMITTED IN AN IRA (CASH) ACCOUNT: SELL ${quantity} ${ins.symbol} EXCEEDS THE LONG POSITION OF ${held}${sells > 0 ? ` LESS ${sells} IN WORKING SELL ORDERS` : ''}${locked > 0 ? ` LESS ${locked} COVERING SHORT CALLS` : ''}`;
    }
    return null;
  }
  const cur = intent.action === 'BUY' ? ins.currency : ins.symbol;
  const cost = intent.action === 'BUY'
    ? referencePrice({ ...intent }, q).mul(quantity).mul(ins.multiplier)
    : new Decimal(quantity);
  const have = account.settledIn(cur).sub(reservedCash(orders, cur, market)).sub(cashSecuringPuts(account, cur, orders, instruments));
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
