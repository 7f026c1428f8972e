/**
 * Small pure helpers for money, prices and whole-unit quantities. Invariants:
 *  - every amount is a `Decimal`; no arithmetic on JS floats;
 *  - computed quantities are rounded DOWN to whole units and returned as safe integers;
 *  - formatting is for human sentences only (reasons, notes), never for parsing back.
 */
import { Decimal } from './types.js';

/** Zero, shared (Decimal values are immutable). */
export const ZERO = new Decimal(0);
/** One hundred, for percentages. */
export const HUNDRED = new Decimal(100);

/**
 * Whole units of `amount / unitCost`, rounded DOWN, clamped at 0 and at `Number.MAX_SAFE_INTEGER`.
 * A zero or negative `unitCost` yields 0 (nothing can be bought at a non-positive price).
 */
export function unitsFor(amount: Decimal, unitCost: Decimal): number {
  if (unitCost.lte(0) || amount.lte(0)) return 0;
  const q = amount.div(unitCost).floor();
  return q.gt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : q.toNumber();
}

/** `p` percent of `base` (p = 5 → base × 0.05). */
export const percentOf = (base: Decimal, p: Decimal): Decimal => base.mul(p).div(HUNDRED);

/**
 * Money for messages: two decimals with thousands separators, e.g. `57,000.00`.
 * Pitfall: rounds half-up for display only.
 */
export function fmtMoney(x: Decimal): string {
  const fixed = x.toFixed(2);
  const neg = fixed.startsWith('-');
  const [int = '0', frac = '00'] = (neg ? fixed.slice(1) : fixed).split('.');
  return `${neg ? '-' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}

/** Prices for messages: as given (no trailing zeros added), e.g. `190.25`. */
export const fmtPrice = (x: Decimal): string => x.toString();

/** The larger of two decimals. */
export const maxDecimal = (a: Decimal, b: Decimal): Decimal => (a.gte(b) ? a : b);
