/**
 * What one account already holds and has committed for one instrument: the figures sizing and the
 * pre-trade rules share, computed once per (signal, account). Pure. Invariants:
 *  - cash figures are in the INSTRUMENT's currency; `fxToBase` converts to the account base currency;
 *  - IRAs are treated as cash IRAs: only settled cash counts in the base currency, and a foreign
 *    currency counts only what the account holds of it (`cashByCurrency`);
 *  - working orders are this daemon's own (they carry `reservedCash` / `remaining`);
 *  - `account.positions` is trusted to hold this account's positions only.
 */
import {
  Decimal,
  type AccountSnapshot,
  type ContractInfo,
  type Instrument,
  type IraPolicy,
  type PositionSnapshot,
  type WorkingOrder,
} from '../domain/types.js';
import { percentOf, ZERO } from '../domain/money.js';

export interface Exposure {
  /** the instrument's currency; every cash figure below is in it */
  readonly currency: string;
  readonly baseCurrency: string;
  /** base-currency units per one unit of `currency`; 1 when they are the same */
  readonly fxToBase: Decimal;
  /** true when the currencies differ and no rate was given: conversions were done 1:1 */
  readonly fxAssumed: boolean;
  /** signed position in this instrument (negative = short) */
  readonly position: number;
  /** remaining quantity of this daemon's working SELLs / BUYs on this instrument */
  readonly workingSells: number;
  readonly workingBuys: number;
  /** settled cash (base currency) or the cash balance held in a foreign currency */
  readonly cash: Decimal;
  /** cash still reserved by this daemon's working BUYs in this currency */
  readonly reservedCash: Decimal;
  /** cash reserved by this daemon's working BUYs in every currency, in the base currency (buying power) */
  readonly reservedBase: Decimal;
  /** currencies of working BUYs whose reservation could not be converted (no rate) */
  readonly reservedUnconverted: readonly string[];
  /** IRA cash buffer (`ira.cashBufferPercent` of NetLiquidation), in this currency */
  readonly buffer: Decimal;
  /** cash − reserved − buffer (may be negative) */
  readonly availableCash: Decimal;
  /** contract multiplier (1 for stock, 100 assumed for options without one) */
  readonly multiplier: Decimal;
  /** true when the multiplier was not known and a default was assumed */
  readonly multiplierAssumed: boolean;
}

export interface ExposureInput {
  readonly account: AccountSnapshot;
  readonly instrument: Instrument;
  readonly contract?: ContractInfo;
  readonly working: readonly WorkingOrder[];
  readonly ira: IraPolicy;
  /** base-currency units per one unit of the instrument currency, when it differs from base */
  readonly fxToBase?: Decimal;
  /** base-currency units per one unit of other currencies (of working buys), by ISO code */
  readonly fxRates?: ReadonlyMap<string, Decimal>;
}

/**
 * True when a position is in the instrument: by conId when both sides know it; otherwise by symbol,
 * secType and currency — except options, which never match without conIds (the symbol is the underlying).
 */
export function isSameInstrument(p: PositionSnapshot, inst: Instrument, conId: number | undefined): boolean {
  if (conId !== undefined && p.conId !== undefined) return p.conId === conId;
  if (inst.secType === 'OPT') return false;
  return p.symbol === inst.symbol && p.secType === inst.secType && p.currency === inst.currency;
}

function positionOf(i: ExposureInput): number {
  const { account, instrument } = i;
  if (instrument.secType === 'CASH') return account.cashByCurrency[instrument.symbol]?.floor().toNumber() ?? 0;
  const conId = i.contract?.conId ?? instrument.conId;
  return account.positions
    .filter((p) => isSameInstrument(p, instrument, conId))
    .reduce((sum, p) => sum + p.quantity, 0);
}

function multiplierOf(i: ExposureInput): { multiplier: Decimal; assumed: boolean } {
  const m = i.contract?.multiplier ?? (i.instrument.multiplier ? new Decimal(i.instrument.multiplier) : undefined);
  if (m && m.gt(0)) return { multiplier: m, assumed: false };
  return { multiplier: new Decimal(i.instrument.secType === 'OPT' ? 100 : 1), assumed: i.instrument.secType !== 'STK' && i.instrument.secType !== 'CASH' };
}

/** Cash reserved by the account's working BUYs in every currency, converted to the base currency. */
function reservedInBase(i: ExposureInput, currency: string, fxToBase: Decimal): { reservedBase: Decimal; reservedUnconverted: string[] } {
  let reservedBase = ZERO;
  const unconverted = new Set<string>();
  for (const w of i.working) {
    if (w.account !== i.account.id || w.side !== 'BUY' || w.reservedCash.isZero()) continue;
    const rate = w.currency === i.account.baseCurrency ? new Decimal(1) : w.currency === currency && i.fxToBase ? fxToBase : i.fxRates?.get(w.currency);
    if (rate) reservedBase = reservedBase.plus(w.reservedCash.mul(rate));
    else unconverted.add(w.currency);
  }
  return { reservedBase, reservedUnconverted: [...unconverted] };
}

/** Computes the shared figures. Pure; never throws. */
export function computeExposure(i: ExposureInput): Exposure {
  const { account, instrument } = i;
  const currency = instrument.currency;
  const foreign = currency !== account.baseCurrency;
  const fxToBase = foreign ? (i.fxToBase ?? new Decimal(1)) : new Decimal(1);
  const mine = i.working.filter(
    (w) => w.account === account.id && w.symbol === instrument.symbol && w.secType === instrument.secType,
  );
  const sum = (side: 'BUY' | 'SELL') => mine.filter((w) => w.side === side).reduce((s, w) => s + w.remaining, 0);
  // Base-currency cash is the settled total, but never more than the base-currency balance itself: cash
  // held in another currency does not pay for a base-currency buy (that would be an FX borrow).
  const baseBalance = account.cashByCurrency[currency];
  const cash = foreign ? (account.cashByCurrency[currency] ?? ZERO) : baseBalance !== undefined ? Decimal.min(account.settledCash, baseBalance) : account.settledCash;
  const reservedCash = i.working
    .filter((w) => w.account === account.id && w.side === 'BUY' && w.currency === currency)
    .reduce((s, w) => s.plus(w.reservedCash), ZERO);
  // Without a rate the buffer of a foreign currency is the same percentage of what is held in it.
  const buffer =
    foreign && i.fxToBase === undefined
      ? percentOf(cash, i.ira.cashBufferPercent)
      : percentOf(account.netLiquidation, i.ira.cashBufferPercent).div(fxToBase);
  const { multiplier, assumed } = multiplierOf(i);
  const { reservedBase, reservedUnconverted } = reservedInBase(i, currency, fxToBase);
  return {
    currency,
    baseCurrency: account.baseCurrency,
    fxToBase,
    fxAssumed: foreign && i.fxToBase === undefined,
    position: positionOf(i),
    workingSells: sum('SELL'),
    workingBuys: sum('BUY'),
    cash,
    reservedCash,
    reservedBase,
    reservedUnconverted,
    buffer,
    availableCash: cash.minus(reservedCash).minus(buffer),
    multiplier,
    multiplierAssumed: assumed,
  };
}
