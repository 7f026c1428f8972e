/**
 * What-if answers: the margin and commission an order would cause, as the strings TWS puts in the
 * OPEN_ORDER order state. Nothing is kept.
 */
import { Decimal } from '../../domain/types.js';
import { accountTotals, fxRate } from './account-values.js';
import { commissionFor } from './commission.js';
import type { EngineContext } from './context.js';
import type { SimInstrument } from './instruments.js';
import type { ParsedOrder } from './order-intake.js';
import { optionPositionMargin } from './option-margin.js';
import { referencePrice } from './orders.js';
import type { WireOrderState } from '../wire/messages.js';

const s2 = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toString();

/** Option margin after minus before the order (long: premium; short: `option-margin.ts`). */
function optionMarginChange(ctx: EngineContext, p: ParsedOrder, ins: SimInstrument, before: number, after: number, price: Decimal): Decimal {
  const und = ins.underlyingConId ? ctx.instruments.byConId(ins.underlyingConId) : undefined;
  const undPrice = und ? ctx.market.quote(und).last : new Decimal(ins.strike ?? 0);
  const shares = und ? p.account.positionQty(und.conId) : 0;
  const m = (q: number): Decimal => optionPositionMargin(ins, q, price, undPrice, p.account.isIra, shares);
  return m(after).sub(m(before));
}

/** The order state of a what-if OPEN_ORDER: status PreSubmitted, margins before/change/after, commission. */
export function whatIfState(ctx: EngineContext, p: ParsedOrder, ins: SimInstrument): WireOrderState {
  const t = accountTotals(p.account, ctx.market, ctx.instruments);
  const price = referencePrice(p, ctx.market.quote(ins));
  const rate = fxRate(ctx.instruments, ctx.market, ins.currency, p.account.baseCurrency);
  const held = p.account.positionQty(ins.conId);
  const signed = p.action === 'BUY' ? p.quantity : -p.quantity;
  const delta = Math.abs(held + signed) - Math.abs(held);
  let initChange: Decimal;
  if (ins.secType === 'FUT') initChange = ins.initialMargin.mul(delta);
  else if (ins.secType === 'CASH') initChange = new Decimal(0);
  else if (ins.secType === 'OPT') initChange = optionMarginChange(ctx, p, ins, held, held + signed, price).mul(rate);
  else initChange = price.mul(delta).mul(ins.multiplier).mul(rate).mul(p.account.isIra ? 1 : 0.25);
  const maintChange = ins.secType === 'FUT' ? ins.maintMargin.mul(delta) : initChange;
  const commission = commissionFor(ctx.commission, ins, p.quantity, price);
  return {
    status: 'PreSubmitted',
    initMarginBefore: s2(t.initMargin), maintMarginBefore: s2(t.maintMargin), equityWithLoanBefore: s2(t.netLiquidation),
    initMarginChange: s2(initChange), maintMarginChange: s2(maintChange), equityWithLoanChange: s2(commission.neg()),
    initMarginAfter: s2(t.initMargin.add(initChange)), maintMarginAfter: s2(t.maintMargin.add(maintChange)),
    equityWithLoanAfter: s2(t.netLiquidation.sub(commission)),
    commission: s2(commission), minCommission: s2(commission), maxCommission: s2(commission),
    commissionCurrency: ins.currency, warningText: '',
  };
}
