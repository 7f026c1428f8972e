/**
 * IB's own option rules for an IRA (the simulator's second line behind the daemon): a sell-to-open is
 * accepted only as a covered call (shares held, less shares already covering short calls and working
 * call sells, ≥ multiplier × contracts) or a cash-secured put (settled cash, less cash reserved by
 * working buys and other short puts, ≥ strike × multiplier × contracts). Shares that cover a short call
 * cannot be sold. Pure: a failure is the 201 reason text.
 */
import { Decimal } from '../../domain/types.js';
import type { SimAccount } from './accounts.js';
import type { InstrumentRegistry, SimInstrument } from './instruments.js';
import { cashSecuredAmount } from './option-margin.js';
import { remainingOf, type SimOrder } from './orders.js';

const f2 = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);

/** The contract as IB prints it: "AAPL 20261218 200 C". */
export function describeContract(i: SimInstrument): string {
  return i.secType === 'OPT' ? `${i.symbol} ${i.lastTradeDateOrContractMonth} ${i.strike ?? ''} ${i.right}` : i.symbol;
}

/** Short calls on an underlying, held and working (sells beyond the long option position), in contracts × multiplier. */
export function sharesCoveringCalls(account: SimAccount, underlyingConId: number, working: readonly SimOrder[], instruments: InstrumentRegistry): number {
  let shares = 0;
  for (const o of instruments.optionsOf(underlyingConId)) {
    if (o.right !== 'C') continue;
    const held = account.positionQty(o.conId);
    const sells = working.filter((w) => w.action === 'SELL' && w.instrument.conId === o.conId).reduce((s, w) => s + remainingOf(w), 0);
    const shortAfter = Math.max(sells - Math.max(held, 0), 0) + Math.max(-held, 0);
    shares += shortAfter * o.multiplier.toNumber();
  }
  return shares;
}

/** Cash securing short puts (held and working sell-to-open puts) of an account in a currency. */
export function cashSecuringPuts(account: SimAccount, currency: string, working: readonly SimOrder[], instruments: InstrumentRegistry): Decimal {
  let sum = new Decimal(0);
  for (const o of instruments.all()) {
    if (o.secType !== 'OPT' || o.right !== 'P' || o.currency !== currency) continue;
    const held = account.positionQty(o.conId);
    const sells = working.filter((w) => w.action === 'SELL' && w.instrument.conId === o.conId).reduce((s, w) => s + remainingOf(w), 0);
    const shortAfter = Math.max(sells - Math.max(held, 0), 0) + Math.max(-held, 0);
    if (shortAfter > 0) sum = sum.add(cashSecuredAmount(o, shortAfter));
  }
  return sum;
}

/** IRA SELL of an option: closing is fine; opening must be a covered call or a cash-secured put. */
export function checkIraOptionSell(
  account: SimAccount, ins: SimInstrument, quantity: number, working: readonly SimOrder[], instruments: InstrumentRegistry, freeSettledCash: Decimal,
): string | null {
  const held = account.positionQty(ins.conId);
  const sells = working.filter((o) => o.action === 'SELL' && o.instrument.conId === ins.conId).reduce((s, o) => s + remainingOf(o), 0);
  const opening = Math.max(quantity - Math.max(held - sells, 0), 0);
  if (opening === 0) return null;
  const name = describeContract(ins);
  if (ins.right === 'C') {
    const und = ins.underlyingConId;
    const free = account.positionQty(und) - sharesCoveringCalls(account, und, working, instruments)
      - working.filter((o) => o.action === 'SELL' && o.instrument.conId === und).reduce((s, o) => s + remainingOf(o), 0);
    const need = opening * ins.multiplier.toNumber();
    if (free >= need) return null;
    return `YOUR ORDER IS NOT ACCEPTED. AN IRA MAY SELL ONLY COVERED CALLS: SELL ${opening} ${name} NEEDS ${need} SHARES NOT ALREADY COVERING, THE ACCOUNT HAS ${Math.max(free, 0)}`;
  }
  const need = cashSecuredAmount(ins, opening);
  const have = freeSettledCash.sub(cashSecuringPuts(account, ins.currency, working, instruments));
  if (have.gte(need)) return null;
  return `YOUR ORDER IS NOT ACCEPTED. AN IRA MAY SELL ONLY CASH-SECURED PUTS: SELL ${opening} ${name} NEEDS ${f2(need)} ${ins.currency} OF SETTLED CASH, THE ACCOUNT HAS ${f2(have)} ${ins.currency}`;
}

/** IRA SELL of stock: shares covering short calls are not available to sell. */
export function sharesLockedByCalls(account: SimAccount, ins: SimInstrument, working: readonly SimOrder[], instruments: InstrumentRegistry): number {
  return ins.secType === 'STK' ? sharesCoveringCalls(account, ins.conId, working, instruments) : 0;
}
