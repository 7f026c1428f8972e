/**
 * Commissions like IBKR Pro fixed: STK $0.005/share (min $1, max 1 % of trade value), FUT $2.25 per
 * contract, OPT $0.65 per contract (min $1), CASH 0.2 bp of the value (min $2). Charged in the
 * instrument's currency.
 */
import { Decimal } from '../../domain/types.js';
import type { CommissionSchedule } from '../fixture/schema.js';
import type { SimInstrument } from './instruments.js';

/** The schedule with every default filled in. */
export interface ResolvedCommission {
  readonly stkPerShare: Decimal;
  readonly stkMinimum: Decimal;
  readonly futPerContract: Decimal;
  readonly cashRate: Decimal;
  readonly cashMinimum: Decimal;
  readonly optPerContract: Decimal;
  readonly optMinimum: Decimal;
}

/** Fills the defaults of a fixture's commission schedule. */
export function resolveCommission(s: CommissionSchedule | undefined): ResolvedCommission {
  return {
    stkPerShare: new Decimal(s?.stkPerShare ?? 0.005),
    stkMinimum: new Decimal(s?.stkMinimum ?? 1),
    futPerContract: new Decimal(s?.futPerContract ?? 2.25),
    cashRate: new Decimal(s?.cashRate ?? 0.00002),
    cashMinimum: new Decimal(s?.cashMinimum ?? 2),
    optPerContract: new Decimal(s?.optPerContract ?? 0.65),
    optMinimum: new Decimal(s?.optMinimum ?? 1),
  };
}

/** Commission of one execution of `qty` units at `price`, rounded to cents. */
export function commissionFor(s: ResolvedCommission, ins: SimInstrument, qty: number, price: Decimal): Decimal {
  let c: Decimal;
  if (ins.secType === 'OPT') {
    c = Decimal.max(s.optPerContract.mul(qty), s.optMinimum);
  } else if (ins.secType === 'FUT') {
    c = s.futPerContract.mul(qty);
  } else if (ins.secType === 'CASH') {
    c = Decimal.max(price.mul(qty).mul(s.cashRate), s.cashMinimum);
  } else {
    const value = price.mul(qty);
    c = Decimal.max(s.stkPerShare.mul(qty), s.stkMinimum);
    const cap = value.mul(0.01);
    if (cap.gt(s.stkMinimum)) c = Decimal.min(c, cap);
  }
  return c.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}
