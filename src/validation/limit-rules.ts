/**
 * Limits in the account base currency (CONTRACT §2 `limits`, §4 codes): the order notional (with per-secType
 * overrides), the daily notional and the position notional per account, plus the two preconditions every
 * limit needs — a contract the broker can define and an FX rate to the base currency. Pure.
 * Notional = quantity × price × contract multiplier × FX rate to base; for a future that is
 * multiplier × price per contract (one ES at 6,000 is 300,000 USD), not its margin.
 */
import { Decimal } from '../domain/types.js';
import { orderNotionalLimit } from '../domain/limits.js';
import { fmtMoney, fmtPrice } from '../domain/money.js';
import type { PreTradeContext, PreTradeIntent, Rule } from './rule.js';
import { describeOrder, reason } from './rule.js';

/** Order value in the account base currency: quantity × price × multiplier × fxToBase. */
export function baseNotional(quantity: number, price: Decimal, ctx: PreTradeContext): Decimal | undefined {
  const x = ctx.exposure;
  return x ? new Decimal(quantity).mul(price).mul(x.multiplier).mul(x.fxToBase) : undefined;
}

/** BROKER_REJECTED (denied, nothing sent): the broker has no definition for the contract. */
export const knownContract: Rule = (_i, ctx) => ctx.contractError ?? null;

/** NO_FX_RATE: the instrument's currency is not the account's base currency and no rate could be had. */
export const fxRateKnown: Rule = (i, ctx) => {
  const x = ctx.exposure;
  if (!x?.fxAssumed || ctx.brokerAsked === false) return null;
  return reason(
    'NO_FX_RATE',
    `${describeOrder(i)} is in ${x.currency} but account ${i.account} reports in ${x.baseCurrency}, and no ${x.currency}.${x.baseCurrency} rate could be had: its limits and budgets cannot be checked`,
  );
};

/** MAX_NOTIONAL: quantity × price × multiplier above the per-order limit (base currency). */
export const withinMaxNotional: Rule = (i, ctx) => {
  const value = i.referencePrice && baseNotional(i.quantity, i.referencePrice, ctx);
  const { limit, name } = orderNotionalLimit(ctx.limits, i.signal.instrument.secType);
  if (!value || value.lte(limit)) return null;
  const ccy = ctx.exposure?.baseCurrency ?? '';
  return reason('MAX_NOTIONAL', `${describeOrder(i)} at ${fmtPrice(i.referencePrice!)} is ${fmtMoney(value)} ${ccy}, above ${name} of ${fmtMoney(limit)} ${ccy}`);
};

/** MAX_DAILY_NOTIONAL: today's entry notional in this account plus this order above `limits.maxDailyNotional`. */
export const withinDailyNotional: Rule = (i, ctx) => {
  const limit = ctx.limits.maxDailyNotional;
  if (!limit || limit.lte(0) || (i.leg && i.leg !== 'entry')) return null;
  const value = i.referencePrice && baseNotional(i.quantity, i.referencePrice, ctx);
  const today = ctx.placedToday ?? new Decimal(0);
  if (!value || today.plus(value).lte(limit)) return null;
  const ccy = ctx.exposure?.baseCurrency ?? '';
  return reason(
    'MAX_DAILY_NOTIONAL',
    `${describeOrder(i)} is ${fmtMoney(value)} ${ccy}; with ${fmtMoney(today)} ${ccy} already placed today in ${i.account} that is above limits.maxDailyNotional of ${fmtMoney(limit)} ${ccy}`,
  );
};

/** Signed position after this order and this daemon's working orders on the same side all fill. */
export function positionAfter(i: PreTradeIntent, ctx: PreTradeContext): { readonly before: number; readonly after: number } | undefined {
  const x = ctx.exposure;
  if (!x) return undefined;
  return i.signal.side === 'BUY'
    ? { before: x.position, after: x.position + x.workingBuys + i.quantity }
    : { before: x.position, after: x.position - x.workingSells - i.quantity };
}

/**
 * MAX_POSITION_NOTIONAL: an order that grows the position in this instrument (with our working orders on
 * the same side) to more than `limits.maxPositionNotional` at its price. Orders that only reduce pass.
 */
export const withinPositionNotional: Rule = (i, ctx) => {
  const limit = ctx.limits.maxPositionNotional;
  if (!limit || limit.lte(0) || !i.referencePrice || i.quantity === 0) return null;
  const p = positionAfter(i, ctx);
  if (!p || Math.abs(p.after) <= Math.abs(p.before)) return null;
  const value = baseNotional(Math.abs(p.after), i.referencePrice, ctx)!;
  if (value.lte(limit)) return null;
  const ccy = ctx.exposure?.baseCurrency ?? '';
  return reason(
    'MAX_POSITION_NOTIONAL',
    `${describeOrder(i)} would take the ${i.signal.instrument.symbol} position from ${p.before} to ${p.after} (with working orders), ${fmtMoney(value)} ${ccy} at ${fmtPrice(i.referencePrice)}, above limits.maxPositionNotional of ${fmtMoney(limit)} ${ccy}`,
  );
};
