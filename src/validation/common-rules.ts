/**
 * Rules for every account type: price availability, zero size, limits, the price collar, and buying power
 * for non-IRA accounts. Pure. Amounts are compared in the account base currency (converted with the
 * exposure's `fxToBase`; an order without a rate is denied NO_FX_RATE, never compared 1:1).
 */
import { fmtMoney, fmtPrice, HUNDRED } from '../domain/money.js';
import { marketPrice } from '../sizing/reference-price.js';
import type { Rule } from './rule.js';
import { describeOrder, isIraAccount, reason } from './rule.js';
import { baseNotional } from './limit-rules.js';

export { withinMaxNotional } from './limit-rules.js';

/** NO_PRICE: sizing could not find a reference price (or could not value the contract). */
export const hasPrice: Rule = (i, ctx) =>
  i.referencePrice === undefined && i.sizingFailure?.code === 'NO_PRICE' && !ctx.contractError ? i.sizingFailure : null;

/**
 * INVALID_SIGNAL (per account): the bracket is not on the profitable/protective sides of the reference
 * price. The schema checks this when the entry has a limit or stop price; a MKT-like entry can only be
 * checked here, against the live reference price. Also reports a riskPercent stop on the wrong side.
 */
export const bracketSides: Rule = (i) => {
  if (i.sizingFailure?.code === 'INVALID_SIGNAL') return i.sizingFailure;
  const b = i.signal.bracket;
  const ref = i.referencePrice;
  const o = i.signal.order;
  if (!b || !ref || o.limitPrice || o.stopPrice) return null;
  const buy = i.signal.side === 'BUY';
  const ok = buy ? b.takeProfit.gt(ref) && b.stopLoss.lt(ref) : b.takeProfit.lt(ref) && b.stopLoss.gt(ref);
  if (ok) return null;
  return reason(
    'INVALID_SIGNAL',
    `bracket takeProfit ${fmtPrice(b.takeProfit)} and stopLoss ${fmtPrice(b.stopLoss)} must lie ${buy ? 'above and below' : 'below and above'} the reference price ${fmtPrice(ref)} for a ${i.signal.side}`,
  );
};

/** ZERO_QUANTITY: a price was found but the size rounds down to 0 whole units. */
export const nonZeroQuantity: Rule = (i, ctx) => {
  if (i.referencePrice === undefined || i.quantity !== 0) return null;
  const held = i.signal.size.kind === 'positionPercent' && ctx.exposure ? ` (long position ${Math.max(ctx.exposure.position, 0)})` : '';
  return reason(
    'ZERO_QUANTITY',
    `${i.signal.side} ${i.signal.instrument.symbol} sized by ${i.signal.size.kind} rounds down to 0 whole units at a reference price of ${fmtPrice(i.referencePrice)}${held}`,
  );
};

/** MAX_QUANTITY: more units than `limits.maxOrderQuantity` (only an explicit quantity can get here). */
export const withinMaxQuantity: Rule = (i, ctx) =>
  i.quantity > ctx.limits.maxOrderQuantity
    ? reason('MAX_QUANTITY', `${describeOrder(i)} exceeds limits.maxOrderQuantity of ${ctx.limits.maxOrderQuantity}`)
    : null;

/**
 * PRICE_COLLAR: the entry's limit or stop price is further than `limits.priceCollarPercent` from the
 * market price (bid/ask mid, else last). Bracket children are exempt. A collar of 0 disables the check.
 * Pitfall: an order with a limit/stop price but no market price at all is denied (it cannot be checked).
 */
export const withinPriceCollar: Rule = (i, ctx) => {
  const collar = ctx.limits.priceCollarPercent;
  const o = i.signal.order;
  const prices = [
    ['limit', o.limitPrice],
    ['stop', o.stopPrice],
  ] as const;
  if (collar.lte(0) || i.quantity === 0) return null;
  const market = marketPrice(ctx.quote);
  for (const [name, p] of prices) {
    if (!p) continue;
    if (!market) {
      return reason('PRICE_COLLAR', `cannot check the ${name} price ${fmtPrice(p)} of ${describeOrder(i)} against the price collar: no current market price`);
    }
    const off = p.minus(market).abs().div(market).mul(HUNDRED);
    if (off.gt(collar)) {
      return reason(
        'PRICE_COLLAR',
        `${describeOrder(i)} ${name} price ${fmtPrice(p)} is ${off.toFixed(2)}% from the market price ${fmtPrice(market)} (limits.priceCollarPercent is ${collar.toString()})`,
      );
    }
  }
  return null;
};

/** Units this order opens (beyond the position it closes). */
function openingQuantity(i: Parameters<Rule>[0], position: number): number {
  const closable = i.signal.side === 'BUY' ? Math.max(-position, 0) : Math.max(position, 0);
  return Math.max(i.quantity - closable, 0);
}

/**
 * INSUFFICIENT_BUYING_POWER (non-IRA only): the part of the order that opens or adds to a position costs
 * more than IB's BuyingPower less cash reserved by our working buys in every currency, converted to the
 * base currency (stocks, options, forex: quantity × price × multiplier); for futures, initial margin × contracts above AvailableFunds. Futures without a
 * known margin pass (IB checks them).
 */
export const withinBuyingPower: Rule = (i, ctx) => {
  const x = ctx.exposure;
  const a = ctx.account;
  if (isIraAccount(ctx) || !x || !a || !i.referencePrice) return null;
  const opening = openingQuantity(i, x.position);
  if (opening === 0) return null;
  const ccy = x.baseCurrency;
  if (i.signal.instrument.secType === 'FUT') {
    const m = ctx.futuresInitialMargin;
    const need = m?.mul(opening); // IB reports margin in the account base currency
    if (!need || need.lte(a.availableFunds)) return null;
    return reason('INSUFFICIENT_BUYING_POWER', `${describeOrder(i)} needs initial margin of ${fmtMoney(need)} ${ccy}, more than the available funds of ${fmtMoney(a.availableFunds)} ${ccy}`);
  }
  const cost = baseNotional(opening, i.costPrice ?? i.referencePrice, ctx)!;
  if (x.reservedUnconverted.length > 0 && ctx.brokerAsked !== false) {
    return reason('NO_FX_RATE', `${describeOrder(i)}: cash reserved by working buys in ${x.reservedUnconverted.join(', ')} cannot be converted to ${ccy} (no rate), so buying power cannot be checked`);
  }
  const reserved = x.reservedBase;
  const power = a.buyingPower.minus(reserved);
  if (cost.lte(power)) return null;
  return reason(
    'INSUFFICIENT_BUYING_POWER',
    `${describeOrder(i)} costs ${fmtMoney(cost)} ${ccy}, more than the buying power of ${fmtMoney(a.buyingPower)} ${ccy} less ${fmtMoney(reserved)} reserved by working buys`,
  );
};
