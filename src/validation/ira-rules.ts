/**
 * IRA rules (IBKR cash IRA, reference ib-operations §1.11). They apply when the config declares an IRA or
 * IB reports one. Pure. Invariants:
 *  - every IRA is treated as a CASH IRA: no short stock, no sell-to-open options, no debit, only settled
 *    cash in the base currency, no borrowing of a foreign currency, no UBTI securities (MLPs), futures only
 *    with `ira.futuresMarginMultiplier` × initial margin in cash;
 *  - cash and shares committed by this daemon's working orders are subtracted first (two signals can
 *    never spend the same cash or sell the same shares).
 */
import { Decimal } from '../domain/types.js';
import { fmtMoney, fmtPrice } from '../domain/money.js';
import type { Exposure } from '../sizing/exposure.js';
import { futuresKey, futuresNeed, heldFuturesMargin } from '../sizing/futures-book.js';
import type { PreTradeIntent, Rule } from './rule.js';
import { describeOrder, isIraAccount, reason } from './rule.js';

const cashBreakdown = (x: Exposure): string =>
  `${fmtMoney(x.availableCash)} ${x.currency} (cash ${fmtMoney(x.cash)} − reserved by working buys ${fmtMoney(x.reservedCash)} − buffer ${fmtMoney(x.buffer)})`;

/** quantity × cost price × multiplier, in the instrument currency. */
const costOf = (i: PreTradeIntent, x: Exposure): Decimal | undefined => {
  const p = i.costPrice ?? i.referencePrice;
  return p && new Decimal(i.quantity).mul(p).mul(x.multiplier);
};

/** IRA_SHORT_SALE: an IRA SELL of stock or futures beyond the long position net of our working sells (options: `option-rules.ts`). */
export const iraNoShortSale: Rule = (i, ctx) => {
  const x = ctx.exposure;
  if (!isIraAccount(ctx) || !x || i.signal.side !== 'SELL' || i.quantity === 0 || i.signal.instrument.secType === 'OPT') return null;
  const long = Math.max(x.position, 0);
  if (i.quantity <= long - x.workingSells) return null;
  const net = x.workingSells > 0 ? ` less ${x.workingSells} already being sold by working orders` : '';
  return reason('IRA_SHORT_SALE', `${describeOrder(i)} exceeds the long position of ${long}${net} (IRA accounts cannot sell short)`);
};

/**
 * IRA_MARGIN: an IRA BUY (not a future) in the base currency costing more than available settled cash —
 * less `ira.futuresMarginMultiplier` × the initial margin of the futures held or working, which that cash
 * backs (denied when such a margin is unknown).
 */
export const iraNoMargin: Rule = (i, ctx) => {
  const x = ctx.exposure;
  if (!isIraAccount(ctx) || !x || i.signal.side !== 'BUY' || i.quantity === 0) return null;
  if (i.signal.instrument.secType === 'FUT' || x.currency !== x.baseCurrency) return null;
  const cost = costOf(i, x);
  if (!cost) return null;
  const held = ctx.futuresBook ? heldFuturesMargin(ctx.futuresBook) : undefined;
  if (held && held.unknown.length > 0 && ctx.brokerAsked !== false) {
    return reason('IRA_MARGIN', `the initial margin of the futures held or working in ${i.account} (${held.unknown.join(', ')}) is unknown, so the cash they leave for ${describeOrder(i)} cannot be confirmed`);
  }
  const backing = held ? held.margin.mul(ctx.ira.futuresMarginMultiplier) : undefined;
  const available = backing ? x.availableCash.minus(backing) : x.availableCash;
  if (cost.lte(available)) return null;
  const futures = backing?.gt(0) ? ` less ${fmtMoney(backing)} backing the futures held or working (initial margin × ${ctx.ira.futuresMarginMultiplier.toString()})` : '';
  return reason('IRA_MARGIN', `${describeOrder(i)} costs ${fmtMoney(cost)} ${x.currency} but only ${cashBreakdown(x)}${futures} of settled cash is available (IRA accounts cannot borrow)`);
};

/** IRA_FX_BORROW: an IRA BUY in a foreign currency costing more than the account holds of that currency. */
export const iraNoFxBorrow: Rule = (i, ctx) => {
  const x = ctx.exposure;
  if (!isIraAccount(ctx) || !x || i.signal.side !== 'BUY' || i.quantity === 0) return null;
  if (i.signal.instrument.secType === 'FUT' || x.currency === x.baseCurrency) return null;
  const cost = costOf(i, x);
  if (!cost || cost.lte(x.availableCash)) return null;
  return reason(
    'IRA_FX_BORROW',
    `${describeOrder(i)} costs ${fmtMoney(cost)} ${x.currency} but the account holds only ${cashBreakdown(x)} (IRA accounts cannot borrow ${x.currency}; convert first)`,
  );
};

const MLP_TEXT = /\bMLP\b|PARTNERSHIP|LTD PART/i;
const LP_NAME = /\bL\.?P\.?$|\bMLP\b|LIMITED PARTNERSHIP/i;

/** Why a contract looks like an MLP / partnership (UBTI), or undefined. */
export function mlpEvidence(c: { stockType?: string; industry?: string; category?: string; subcategory?: string; longName?: string }): string | undefined {
  for (const field of ['stockType', 'industry', 'category', 'subcategory'] as const) {
    const v = c[field];
    if (v && MLP_TEXT.test(v)) return `${field} is ${v}`;
  }
  if (c.longName && LP_NAME.test(c.longName.trim())) return `its name ${c.longName} marks partnership units`;
  return undefined;
}

/**
 * IRA_PROHIBITED_SECURITY: an IRA BUY of a symbol in `ira.prohibitedSymbols`, or of a stock whose contract
 * details indicate an MLP / partnership. Selling one already held is allowed (that is how you get rid of
 * it). Pitfall: an IRA stock BUY without contract details is denied, since an MLP cannot be ruled out.
 */
export const iraNoProhibitedSecurity: Rule = (i, ctx) => {
  if (!isIraAccount(ctx) || i.signal.side !== 'BUY') return null;
  const sym = i.signal.instrument.symbol;
  if (ctx.ira.prohibitedSymbols.some((s) => s.toUpperCase() === sym.toUpperCase())) {
    return reason('IRA_PROHIBITED_SECURITY', `${sym} is listed in ira.prohibitedSymbols and cannot be bought in an IRA`);
  }
  if (i.signal.instrument.secType !== 'STK') return null;
  if (!ctx.contract) {
    return reason('IRA_PROHIBITED_SECURITY', `contract details for ${sym} are unavailable, so an MLP (UBTI) cannot be ruled out for an IRA purchase`);
  }
  const evidence = mlpEvidence(ctx.contract);
  return evidence
    ? reason('IRA_PROHIBITED_SECURITY', `${sym} looks like an MLP or partnership (${evidence}); it can generate UBTI and is not bought in an IRA`)
    : null;
};

/**
 * IRA_FUTURES_MARGIN: an IRA futures BUY after which `ira.futuresMarginMultiplier` × initial margin, summed
 * over the futures held, this daemon's working futures orders (worst case per contract) and this order,
 * exceeds available cash (base currency). Denied too when any margin in the sum is unknown. (A futures
 * SELL beyond the long position is already IRA_SHORT_SALE.)
 */
export const iraFuturesMargin: Rule = (i, ctx) => {
  const x = ctx.exposure;
  if (!isIraAccount(ctx) || !x || i.signal.instrument.secType !== 'FUT' || i.signal.side !== 'BUY' || i.quantity === 0) return null;
  const m = ctx.futuresInitialMargin;
  const k = ctx.ira.futuresMarginMultiplier;
  if (!m) {
    if (ctx.brokerAsked === false) return null;
    return reason('IRA_FUTURES_MARGIN', `the initial margin of ${i.signal.instrument.symbol} is unknown, so the IRA cannot confirm it holds ${k.toString()}× the margin in cash`);
  }
  const book = ctx.futuresBook ?? { lines: [] };
  const sym = i.signal.instrument.symbol;
  const need = futuresNeed(book, { key: futuresKey(ctx.contract?.conId ?? i.signal.instrument.conId, sym), symbol: sym, side: 'BUY', quantity: i.quantity, margin: m });
  if (need.unknown.length > 0) {
    return reason('IRA_FUTURES_MARGIN', `the initial margin of the futures held or working in ${i.account} (${need.unknown.join(', ')}) is unknown, so the IRA cannot confirm it holds ${k.toString()}× the margin in cash`);
  }
  const required = need.margin.mul(k);
  const cash = x.availableCash.mul(x.fxToBase);
  if (required.lte(cash)) return null;
  const held = need.marginBefore.gt(0) ? ` including ${fmtMoney(need.marginBefore.mul(k))} for the futures already held or working` : '';
  return reason(
    'IRA_FUTURES_MARGIN',
    `${describeOrder(i)} needs ${fmtMoney(required)} ${x.baseCurrency} in cash (initial margin ${fmtPrice(m)} × ${k.toString()} per contract, ${need.contracts} contract(s) in all${held}) but only ${cashBreakdown(x)} is available`,
  );
};
