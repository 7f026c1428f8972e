/**
 * Option margin as the simulator models it (close to the CBOE / Reg T rules IB applies):
 *  - long option: its full premium (options are not marginable);
 *  - short option in a margin account: premium + max(20 % × underlying − out-of-the-money amount,
 *    10 % × underlying for a call / 10 % × strike for a put), per unit, × multiplier × contracts;
 *  - in an IRA: a short call covered by shares needs nothing, a short put is cash-secured (strike ×
 *    multiplier × contracts), anything else the margin-account amount (IB refuses it anyway).
 * Pure: money as Decimal, prices passed in.
 */
import { Decimal } from '../../domain/types.js';
import type { SimInstrument } from './instruments.js';

/** Margin of a short option position of `contracts` (positive) in a margin account. */
export function shortOptionMargin(ins: SimInstrument, optionPrice: Decimal, underlyingPrice: Decimal, contracts: number): Decimal {
  const strike = new Decimal(ins.strike ?? 0);
  const otm = ins.right === 'C' ? Decimal.max(strike.sub(underlyingPrice), 0) : Decimal.max(underlyingPrice.sub(strike), 0);
  const floor = ins.right === 'C' ? underlyingPrice.mul(0.1) : strike.mul(0.1);
  const perUnit = optionPrice.add(Decimal.max(underlyingPrice.mul(0.2).sub(otm), floor));
  return perUnit.mul(ins.multiplier).mul(contracts);
}

/** Cash that secures a short put in an IRA: strike × multiplier × contracts. */
export function cashSecuredAmount(ins: SimInstrument, contracts: number): Decimal {
  return new Decimal(ins.strike ?? 0).mul(ins.multiplier).mul(contracts);
}

/**
 * Initial margin of an option position (signed `quantity`): long → premium value; short → see above.
 * `coveredShares` is the underlying long stock available to cover short calls (IRA rule).
 */
export function optionPositionMargin(
  ins: SimInstrument, quantity: number, optionPrice: Decimal, underlyingPrice: Decimal, ira: boolean, coveredShares: number,
): Decimal {
  if (quantity >= 0) return optionPrice.mul(quantity).mul(ins.multiplier);
  const contracts = -quantity;
  if (ira && ins.right === 'C') {
    const covered = Math.min(contracts, Math.floor(Math.max(coveredShares, 0) / ins.multiplier.toNumber()));
    return covered === contracts ? new Decimal(0) : shortOptionMargin(ins, optionPrice, underlyingPrice, contracts - covered);
  }
  if (ira) return cashSecuredAmount(ins, contracts);
  return shortOptionMargin(ins, optionPrice, underlyingPrice, contracts);
}
