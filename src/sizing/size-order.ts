/**
 * How many units one account should trade for a signal (CONTRACT §3 `size`). Pure. Invariants:
 *  - computed sizes round DOWN to whole units and are clipped to `limits.maxOrderQuantity`,
 *    `limits.maxOrderNotional` (base currency) and, for an IRA BUY, to available settled cash; every clip is
 *    a human-readable note;
 *  - an explicit `quantity` is NEVER changed here (the limit rules deny it later);
 *  - a zero result is a value, not a failure: the ZERO_QUANTITY rule reports it.
 */
import { Decimal, type AccountSnapshot, type IraPolicy, type Quote, type Reason, type RiskLimits, type Signal } from '../domain/types.js';
import { fmtMoney, fmtPrice, percentOf, unitsFor } from '../domain/money.js';
import type { Exposure } from './exposure.js';
import { futuresKey, futuresNeed, heldFuturesMargin, type FuturesBook } from './futures-book.js';
import { orderNotionalLimit } from '../domain/limits.js';
import { costPrice, referencePrice, type PriceSource } from './reference-price.js';

export interface SizingContext {
  readonly account: AccountSnapshot;
  /** IRA rules apply (declared IRA type, or the broker reports an IRA) */
  readonly isIra: boolean;
  readonly quote?: Quote;
  readonly exposure: Exposure;
  readonly limits: RiskLimits;
  readonly ira: IraPolicy;
  /** initial margin per futures contract, in the account base currency */
  readonly futuresInitialMargin?: Decimal;
  /** the account's futures held and working (the IRA cap subtracts their margin) */
  readonly futuresBook?: FuturesBook;
  /** the contract id from contract details */
  readonly conId?: number;
  /** base-currency notional placed today in this account (limits.maxDailyNotional) */
  readonly placedToday?: Decimal;
}

/** JSON-safe numbers used by a decision, for the audit record. */
export type AuditInputs = Readonly<Record<string, string | number | boolean>>;

export type SizingResult =
  | {
      readonly ok: true;
      readonly quantity: number;
      /** true for `size.quantity` (never clipped) */
      readonly explicit: boolean;
      readonly referencePrice: Decimal;
      readonly priceSource: PriceSource;
      /** per-unit price for cash checks (≥ reference for a BUY with a stop price) */
      readonly costPrice: Decimal;
      readonly notes: readonly string[];
      readonly inputs: AuditInputs;
    }
  | { readonly ok: false; readonly reason: Reason; readonly notes: readonly string[]; readonly inputs: AuditInputs };

interface Raw {
  readonly quantity: number;
  readonly inputs: AuditInputs;
  readonly notes?: readonly string[];
  readonly reason?: Reason;
}

const what = (s: Signal): string => `${s.side} ${s.instrument.symbol}`;

/** Unclipped size for a computed kind; `price` is the reference price, `unit` its value × multiplier. */
function rawSize(s: Signal, ctx: SizingContext, price: Decimal): Raw {
  const x = ctx.exposure;
  const unit = price.mul(x.multiplier);
  const toInstrumentCcy = (base: Decimal) => base.div(x.fxToBase);
  const size = s.size;
  switch (size.kind) {
    case 'quantity':
      return { quantity: size.quantity, inputs: {} };
    case 'notional':
      return { quantity: unitsFor(size.notional, unit), inputs: { notional: size.notional.toString() } };
    case 'equityPercent': {
      const budget = toInstrumentCcy(percentOf(ctx.account.netLiquidation, size.percent));
      return { quantity: unitsFor(budget, unit), inputs: { equityPercent: size.percent.toString(), budget: budget.toString() } };
    }
    case 'riskPercent':
      return riskSize(s, ctx, price, size.percent);
    case 'positionPercent':
      return positionSize(s, x, size.percent);
  }
}

function riskSize(s: Signal, ctx: SizingContext, price: Decimal, percent: Decimal): Raw {
  const stop = s.bracket?.stopLoss;
  const protective = stop !== undefined && (s.side === 'BUY' ? stop.lt(price) : stop.gt(price));
  const budget = percentOf(ctx.account.netLiquidation, percent).div(ctx.exposure.fxToBase);
  const inputs = { riskPercent: percent.toString(), riskBudget: budget.toString(), stopLoss: stop?.toString() ?? 'none' };
  if (!stop || !protective) {
    const dir = s.side === 'BUY' ? 'below' : 'above';
    const message = `bracket stopLoss ${stop ? fmtPrice(stop) : '(none)'} is not ${dir} the reference price ${fmtPrice(price)} for a ${s.side}, so the risk per unit is undefined`;
    return { quantity: 0, inputs, reason: { code: 'INVALID_SIGNAL', message } };
  }
  const perUnit = price.minus(stop).abs().mul(ctx.exposure.multiplier);
  return { quantity: unitsFor(budget, perUnit), inputs: { ...inputs, riskPerUnit: perUnit.toString() } };
}

function positionSize(s: Signal, x: Exposure, percent: Decimal): Raw {
  const long = Math.max(x.position, 0);
  const wanted = percentOf(new Decimal(long), percent).floor().toNumber();
  const free = Math.max(long - x.workingSells, 0);
  const inputs = { positionPercent: percent.toString(), longPosition: long, workingSells: x.workingSells };
  if (wanted <= free) return { quantity: wanted, inputs };
  const note = `${what(s)} sized ${wanted} (${percent.toString()}% of the long position ${long}) clipped to ${free}: ${x.workingSells} already being sold by working orders`;
  return { quantity: free, inputs, notes: [note] };
}

interface Cap {
  readonly max: number;
  readonly because: string;
}

/** The highest price any leg trades at (entry reference, bracket take-profit and stop-loss). */
function highestLegPrice(s: Signal, price: Decimal): Decimal {
  const b = s.bracket;
  return b ? Decimal.max(price, b.takeProfit, b.stopLoss) : price;
}

/** Caps from the per-account limits beyond one order: the day's notional and the position's notional. */
function accountCaps(s: Signal, ctx: SizingContext, baseUnit: Decimal): Cap[] {
  const x = ctx.exposure;
  const out: Cap[] = [];
  const daily = ctx.limits.maxDailyNotional;
  if (daily && daily.gt(0)) {
    const left = Decimal.max(daily.minus(ctx.placedToday ?? 0), 0);
    out.push({ max: unitsFor(left, baseUnit), because: `limits.maxDailyNotional is ${fmtMoney(daily)} ${x.baseCurrency} and ${fmtMoney(ctx.placedToday ?? new Decimal(0))} was placed today` });
  }
  const pos = ctx.limits.maxPositionNotional;
  if (pos && pos.gt(0)) {
    const units = unitsFor(pos, baseUnit);
    const max = s.side === 'BUY' ? units - (x.position + x.workingBuys) : x.position - x.workingSells + units;
    out.push({ max, because: `limits.maxPositionNotional is ${fmtMoney(pos)} ${x.baseCurrency} (position ${x.position} with working orders)` });
  }
  return out;
}

/** The IRA cash caps: a BUY entry at its cost price, BUY children of a SELL entry at their prices, futures by margin. */
function iraCaps(s: Signal, ctx: SizingContext, cost: Decimal): Cap[] {
  const x = ctx.exposure;
  const cashText = `IRA available cash is ${fmtMoney(x.availableCash)} ${x.currency} (cash ${fmtMoney(x.cash)} − reserved by working buys ${fmtMoney(x.reservedCash)} − buffer ${fmtMoney(x.buffer)})`;
  if (s.instrument.secType === 'FUT') {
    if (s.side !== 'BUY' || !ctx.futuresInitialMargin) return [];
    const k = ctx.ira.futuresMarginMultiplier;
    const perContract = ctx.futuresInitialMargin.mul(k);
    const held = futuresNeed(ctx.futuresBook ?? { lines: [] }, { key: futuresKey(ctx.conId ?? s.instrument.conId, s.instrument.symbol), symbol: s.instrument.symbol, side: 'BUY', quantity: 0, margin: ctx.futuresInitialMargin });
    const free = x.availableCash.mul(x.fxToBase).minus(held.marginBefore.mul(k));
    return [{ max: unitsFor(Decimal.max(free, 0), perContract), because: `${cashText}, ${fmtMoney(held.marginBefore.mul(k))} of it backs the futures held or working, and each contract needs ${fmtMoney(perContract)} (initial margin × ${k.toString()})` }];
  }
  const held = ctx.futuresBook ? heldFuturesMargin(ctx.futuresBook).margin.mul(ctx.ira.futuresMarginMultiplier) : undefined;
  const cash = held?.gt(0) && x.currency === x.baseCurrency ? x.availableCash.minus(held) : x.availableCash;
  const backing = cash === x.availableCash ? '' : ` less ${fmtMoney(held!)} backing the futures held or working`;
  if (s.side === 'BUY') return [{ max: unitsFor(cash, cost.mul(x.multiplier)), because: `${cashText}${backing} at ${fmtPrice(cost)} per unit` }];
  const b = s.bracket;
  if (!b) return [];
  const child = Decimal.max(b.takeProfit, b.stopLoss);
  return [{ max: unitsFor(cash, child.mul(x.multiplier)), because: `${cashText}${backing} and the bracket's BUY children pay up to ${fmtPrice(child)} per unit` }];
}

/** The caps a computed size is clipped to, in order. */
function caps(s: Signal, ctx: SizingContext, price: Decimal, cost: Decimal): Cap[] {
  const x = ctx.exposure;
  const { limits } = ctx;
  const top = highestLegPrice(s, price);
  const baseUnit = top.mul(x.multiplier).mul(x.fxToBase);
  const { limit, name } = orderNotionalLimit(limits, s.instrument.secType);
  const out: Cap[] = [
    { max: limits.maxOrderQuantity, because: `limits.maxOrderQuantity is ${limits.maxOrderQuantity}` },
    { max: unitsFor(limit, baseUnit), because: `${name} is ${fmtMoney(limit)} ${x.baseCurrency} at ${fmtPrice(top)} per unit` },
    ...accountCaps(s, ctx, price.mul(x.multiplier).mul(x.fxToBase)),
  ];
  return ctx.isIra ? [...out, ...iraCaps(s, ctx, cost)] : out;
}

/**
 * Sizes `signal` for one account. Fails only with NO_PRICE (no reference price, or a future without a
 * known multiplier) or INVALID_SIGNAL (riskPercent whose stop is not on the protective side of the
 * reference price). Pitfall: the returned quantity may be 0.
 */
export function sizeOrder(signal: Signal, ctx: SizingContext): SizingResult {
  const ref = referencePrice(signal.side, signal.order, ctx.quote);
  const base = { sizeKind: signal.size.kind, multiplier: ctx.exposure.multiplier.toString() };
  if (!ref) {
    const message = `no reference price for ${what(signal)}: no limit price, no ${signal.side === 'BUY' ? 'ask' : 'bid'} and no last trade`;
    return { ok: false, reason: { code: 'NO_PRICE', message }, notes: [], inputs: base };
  }
  if (ctx.exposure.multiplierAssumed && signal.instrument.secType === 'FUT') {
    const message = `no contract multiplier known for ${signal.instrument.symbol}, so the order cannot be valued`;
    return { ok: false, reason: { code: 'NO_PRICE', message }, notes: [], inputs: base };
  }
  const cost = costPrice(signal.side, signal.order, ref.price);
  const raw = rawSize(signal, ctx, ref.price);
  const inputs = { ...base, ...raw.inputs, referencePrice: ref.price.toString(), priceSource: ref.source, rawQuantity: raw.quantity };
  if (raw.reason) return { ok: false, reason: raw.reason, notes: [], inputs };
  const explicit = signal.size.kind === 'quantity';
  const notes = [...(raw.notes ?? [])];
  let quantity = raw.quantity;
  if (!explicit) {
    for (const cap of caps(signal, ctx, ref.price, cost)) {
      if (quantity > cap.max) {
        notes.push(`${what(signal)} sized ${quantity} clipped to ${Math.max(cap.max, 0)}: ${cap.because}`);
        quantity = Math.max(cap.max, 0);
      }
    }
  }
  return { ok: true, quantity, explicit, referencePrice: ref.price, priceSource: ref.source, costPrice: cost, notes, inputs: { ...inputs, quantity } };
}
