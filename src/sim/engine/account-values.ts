/**
 * Account values as TWS reports them (account summary tags, account updates keys), computed from
 * cash, positions and current prices. Invariants: values are per account (never aggregated over the
 * household); base-currency totals convert other currencies with the CASH pair's last price.
 * Margin model: cash (IRA) accounts need 100 % of stock value, margin accounts 25 %; futures need
 * their initial / maintenance margin per contract.
 */
import { Decimal } from '../../domain/types.js';
import type { SimAccount, SimPosition } from './accounts.js';
import type { InstrumentRegistry } from './instruments.js';
import type { Market } from './market.js';
import { optionPositionMargin } from './option-margin.js';

const ZERO = new Decimal(0);

/** One key/value/currency triple ("" currency for text values such as AccountType). */
export interface AccountValue {
  readonly key: string;
  readonly value: string;
  readonly currency: string;
}

/** Base-currency totals of one account. */
export interface AccountTotals {
  readonly netLiquidation: Decimal;
  readonly totalCash: Decimal;
  readonly settledCash: Decimal;
  readonly stockValue: Decimal;
  readonly grossPositionValue: Decimal;
  readonly futuresPnl: Decimal;
  readonly unrealizedPnl: Decimal;
  readonly realizedPnl: Decimal;
  readonly initMargin: Decimal;
  readonly maintMargin: Decimal;
  readonly availableFunds: Decimal;
  readonly excessLiquidity: Decimal;
  readonly buyingPower: Decimal;
}

/** Exchange rate from `cur` to `base` via a CASH instrument (1 when unknown or equal). */
export function fxRate(instruments: InstrumentRegistry, market: Market, cur: string, base: string): Decimal {
  if (cur === base) return new Decimal(1);
  for (const i of instruments.all()) {
    if (i.secType !== 'CASH') continue;
    if (i.symbol === cur && i.currency === base) return market.quote(i).last;
    if (i.symbol === base && i.currency === cur) return new Decimal(1).div(market.quote(i).last);
  }
  return new Decimal(1);
}

/** Market price, value (multiplied) and unrealized P&L of one position, in the instrument's currency. */
export function valuePosition(p: SimPosition, market: Market): { price: Decimal; value: Decimal; unrealized: Decimal } {
  const ins = p.instrument;
  const price = market.quote(ins).last;
  const value = price.mul(p.quantity).mul(ins.multiplier);
  const unrealized = price.sub(p.avgCost).mul(p.quantity).mul(ins.multiplier);
  return { price, value, unrealized };
}

/** Variation margin of a futures position: the price move since entry, commission excluded (cash already paid it). */
function futuresPnl(p: SimPosition, market: Market): Decimal {
  return market.quote(p.instrument).last.sub(p.avgPrice).mul(p.quantity).mul(p.instrument.multiplier);
}

/** Margin of an option position: long = premium, short per `option-margin.ts` (IRA short calls covered by the account's shares). */
export function optionMarginOf(a: SimAccount, p: SimPosition, market: Market, instruments: InstrumentRegistry): Decimal {
  const ins = p.instrument;
  const und = ins.underlyingConId ? instruments.byConId(ins.underlyingConId) : undefined;
  const undPrice = und ? market.quote(und).last : new Decimal(ins.strike ?? 0);
  return optionPositionMargin(ins, p.quantity, market.quote(ins).last, undPrice, a.isIra, und ? a.positionQty(und.conId) : 0);
}

/** Computes the base-currency totals of an account. */
export function accountTotals(a: SimAccount, market: Market, instruments: InstrumentRegistry): AccountTotals {
  const rate = (cur: string): Decimal => fxRate(instruments, market, cur, a.baseCurrency);
  let totalCash = ZERO, settledCash = ZERO, stockValue = ZERO, gross = ZERO, futPnl = ZERO;
  let unreal = ZERO, realized = ZERO, init = ZERO, maint = ZERO;
  for (const cur of a.currencies()) {
    totalCash = totalCash.add(a.cashIn(cur).mul(rate(cur)));
    settledCash = settledCash.add(a.settledIn(cur).mul(rate(cur)));
  }
  const stockRate = a.isIra ? new Decimal(1) : new Decimal(0.25);
  for (const p of a.positions.values()) {
    if (p.quantity === 0 && p.realizedPnl.isZero()) continue;
    const r = rate(p.instrument.currency);
    const v = valuePosition(p, market);
    unreal = unreal.add(v.unrealized.mul(r));
    realized = realized.add(p.realizedPnl.mul(r));
    if (p.instrument.secType === 'OPT') {
      const m = optionMarginOf(a, p, market, instruments);
      stockValue = stockValue.add(v.value.mul(r));
      gross = gross.add(v.value.abs().mul(r));
      init = init.add(m.mul(r));
      maint = maint.add(m.mul(r));
    } else if (p.instrument.secType === 'FUT') {
      futPnl = futPnl.add(futuresPnl(p, market).mul(r));
      init = init.add(p.instrument.initialMargin.mul(Math.abs(p.quantity)).mul(r));
      maint = maint.add(p.instrument.maintMargin.mul(Math.abs(p.quantity)).mul(r));
    } else {
      stockValue = stockValue.add(v.value.mul(r));
      gross = gross.add(v.value.abs().mul(r));
      init = init.add(v.value.abs().mul(stockRate).mul(r));
      maint = maint.add(v.value.abs().mul(stockRate).mul(r));
    }
  }
  const netLiq = totalCash.add(stockValue).add(futPnl);
  const available = netLiq.sub(init);
  const excess = netLiq.sub(maint);
  const buyingPower = a.isIra ? Decimal.max(Decimal.min(settledCash, available), ZERO) : Decimal.max(available.mul(4), ZERO);
  return {
    netLiquidation: netLiq, totalCash, settledCash, stockValue, grossPositionValue: gross, futuresPnl: futPnl,
    unrealizedPnl: unreal, realizedPnl: realized, initMargin: init, maintMargin: maint,
    availableFunds: available, excessLiquidity: excess, buyingPower,
  };
}

const fmt = (d: Decimal): string => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);

/** The summary tags of an account in its base currency (account summary, account updates). */
export function summaryValues(a: SimAccount, market: Market, instruments: InstrumentRegistry): AccountValue[] {
  const t = accountTotals(a, market, instruments);
  const base = a.baseCurrency;
  const money: [string, Decimal][] = [
    ['NetLiquidation', t.netLiquidation], ['TotalCashValue', t.totalCash], ['SettledCash', t.settledCash],
    ['AccruedCash', ZERO], ['BuyingPower', t.buyingPower], ['EquityWithLoanValue', t.netLiquidation],
    ['PreviousDayEquityWithLoanValue', t.netLiquidation], ['GrossPositionValue', t.grossPositionValue],
    ['RegTEquity', t.netLiquidation], ['RegTMargin', t.initMargin], ['SMA', Decimal.max(t.availableFunds, ZERO)],
    ['InitMarginReq', t.initMargin], ['MaintMarginReq', t.maintMargin], ['AvailableFunds', t.availableFunds],
    ['ExcessLiquidity', t.excessLiquidity], ['FullInitMarginReq', t.initMargin], ['FullMaintMarginReq', t.maintMargin],
    ['FullAvailableFunds', t.availableFunds], ['FullExcessLiquidity', t.excessLiquidity],
    ['LookAheadInitMarginReq', t.initMargin], ['LookAheadMaintMarginReq', t.maintMargin],
    ['LookAheadAvailableFunds', t.availableFunds], ['LookAheadExcessLiquidity', t.excessLiquidity],
    ['HighestSeverity', ZERO],
  ];
  const cushion = t.netLiquidation.isZero() ? ZERO : t.excessLiquidity.div(t.netLiquidation);
  return [
    { key: 'AccountType', value: a.accountType, currency: '' },
    ...money.map(([key, v]) => ({ key, value: fmt(v), currency: base })),
    { key: 'Cushion', value: cushion.toDecimalPlaces(6).toString(), currency: '' },
    { key: 'DayTradesRemaining', value: '-1', currency: '' },
    { key: 'Leverage', value: t.netLiquidation.isZero() ? '0' : t.grossPositionValue.div(t.netLiquidation).toDecimalPlaces(4).toString(), currency: '' },
  ];
}

/** `$LEDGER:ALL`-style values: per currency plus BASE (CashBalance, TotalCashBalance, …). */
export function ledgerValues(a: SimAccount, market: Market, instruments: InstrumentRegistry, only?: string): AccountValue[] {
  const out: AccountValue[] = [];
  const t = accountTotals(a, market, instruments);
  const currencies = a.currencies().filter((c) => only === undefined || c === only);
  for (const cur of currencies) {
    let stock = ZERO, fut = ZERO, unreal = ZERO, realized = ZERO;
    for (const p of a.positions.values()) {
      if (p.instrument.currency !== cur) continue;
      const v = valuePosition(p, market);
      if (p.instrument.secType === 'FUT') fut = fut.add(futuresPnl(p, market));
      else stock = stock.add(v.value);
      unreal = unreal.add(v.unrealized);
      realized = realized.add(p.realizedPnl);
    }
    const cash = a.cashIn(cur);
    const rows: [string, Decimal][] = [
      ['CashBalance', cash], ['TotalCashBalance', cash], ['SettledCash', a.settledIn(cur)], ['AccruedCash', ZERO],
      ['StockMarketValue', stock], ['FuturesPNL', fut], ['NetLiquidationByCurrency', cash.add(stock).add(fut)],
      ['UnrealizedPnL', unreal], ['RealizedPnL', realized], ['ExchangeRate', fxRate(instruments, market, cur, a.baseCurrency)],
    ];
    for (const [key, v] of rows) out.push({ key, value: key === 'ExchangeRate' ? v.toString() : fmt(v), currency: cur });
  }
  if (only === undefined || only === 'BASE') {
    const rows: [string, Decimal][] = [
      ['CashBalance', t.totalCash], ['TotalCashBalance', t.totalCash], ['SettledCash', t.settledCash], ['AccruedCash', ZERO],
      ['StockMarketValue', t.stockValue], ['FuturesPNL', t.futuresPnl], ['NetLiquidationByCurrency', t.netLiquidation],
      ['UnrealizedPnL', t.unrealizedPnl], ['RealizedPnL', t.realizedPnl], ['ExchangeRate', new Decimal(1)],
    ];
    for (const [key, v] of rows) out.push({ key, value: key === 'ExchangeRate' ? '1.00' : fmt(v), currency: 'BASE' });
  }
  return out;
}
