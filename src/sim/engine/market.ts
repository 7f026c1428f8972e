/**
 * Prices: one quote per instrument, keyed by conId (bid/ask one tick either side of last), the day's
 * open/high/low, the previous close, volume, and a seeded random walk. An option does not walk: its
 * price follows its underlying through Black-Scholes (the instrument's volatility and rate) whenever
 * the underlying moves. No timers here: the server calls `step()`.
 */
import { Decimal } from '../../domain/types.js';
import { normal, type Prng } from './prng.js';
import { optionModel, type InstrumentRegistry, type SimInstrument } from './instruments.js';

/** A snapshot of one instrument's market. */
export interface SimQuote {
  readonly conId: number;
  readonly symbol: string;
  readonly bid: Decimal;
  readonly ask: Decimal;
  readonly last: Decimal;
  readonly bidSize: number;
  readonly askSize: number;
  readonly lastSize: number;
  readonly open: Decimal;
  readonly high: Decimal;
  readonly low: Decimal;
  readonly close: Decimal;
  readonly volume: number;
  /** epoch ms of the last change */
  readonly ts: number;
}

type MutableQuote = { -readonly [K in keyof SimQuote]: SimQuote[K] };

/** Rounds a price to the instrument's tick, never below one tick. */
export function roundToTick(price: Decimal, tick: Decimal): Decimal {
  const r = price.div(tick).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).mul(tick);
  return Decimal.max(r, tick);
}

/** Holds and moves every instrument's quote. */
export class Market {
  private readonly quotes = new Map<number, MutableQuote>();

  constructor(
    private readonly instruments: InstrumentRegistry,
    private readonly rand: Prng,
    private readonly now: () => number,
  ) {
    for (const i of instruments.all()) {
      const last = roundToTick(i.initialPrice, i.minTick);
      this.quotes.set(i.conId, {
        conId: i.conId, symbol: i.symbol, last, bid: last.sub(i.minTick), ask: last.add(i.minTick),
        bidSize: 100, askSize: 100, lastSize: 100, open: last, high: last, low: last, close: last,
        volume: 0, ts: now(),
      });
    }
  }

  /** The current quote of an instrument (or conId); throws for an unknown one (a bug in the caller). */
  quote(ins: SimInstrument | number): SimQuote {
    const id = typeof ins === 'number' ? ins : ins.conId;
    const q = this.quotes.get(id);
    if (!q) throw new Error(`no quote for conId ${id}`);
    return q;
  }

  /**
   * Sets the last price (admin POST /price or a test); bid/ask follow one tick either side. Returns
   * every instrument whose quote changed: this one and, for an underlying, its options (repriced).
   */
  move(ins: SimInstrument, price: Decimal, size = 100): SimInstrument[] {
    this.setPrice(ins, price, size);
    return [ins, ...this.repriceOptions(ins)];
  }

  /** Reprices the options of an underlying at its current last price; returns those whose last changed. */
  repriceOptions(und: SimInstrument): SimInstrument[] {
    const spot = this.quote(und).last.toNumber();
    const changed: SimInstrument[] = [];
    for (const o of this.instruments.optionsOf(und.conId)) {
      const theo = new Decimal(optionModel(o, spot, this.now()).price.toFixed(6));
      const before = this.quote(o).last;
      if (!roundToTick(theo, o.minTick).eq(before)) {
        this.setPrice(o, theo, 1, false);
        changed.push(o);
      }
    }
    return changed;
  }

  /** Sets the last price of one instrument only (`randomSizes` false: fixed sizes, the PRNG is not used). */
  setPrice(ins: SimInstrument, price: Decimal, size = 100, randomSizes = true): SimQuote {
    const q = this.quotes.get(ins.conId);
    if (!q) throw new Error(`no quote for ${ins.symbol} (conId ${ins.conId})`);
    const last = roundToTick(price, ins.minTick);
    q.last = last;
    q.bid = Decimal.max(last.sub(ins.minTick), ins.minTick);
    q.ask = last.add(ins.minTick);
    q.high = Decimal.max(q.high, last);
    q.low = Decimal.min(q.low, last);
    q.lastSize = size;
    q.bidSize = randomSizes ? 100 + Math.floor(this.rand() * 9) * 100 : 10;
    q.askSize = randomSizes ? 100 + Math.floor(this.rand() * 9) * 100 : 10;
    q.volume += size;
    q.ts = this.now();
    return q;
  }

  /** One random-walk step for every instrument; returns the instruments whose price changed (options included). */
  step(stepsPerDay: number): SimInstrument[] {
    const changed: SimInstrument[] = [];
    for (const ins of this.instruments.all()) {
      if (ins.secType === 'OPT' && ins.underlyingConId !== 0) continue;
      const q = this.quote(ins);
      const sigma = ins.volatility / Math.sqrt(Math.max(stepsPerDay, 1));
      const factor = Math.exp(sigma * normal(this.rand));
      const next = roundToTick(q.last.mul(factor), ins.minTick);
      if (!next.eq(q.last)) changed.push(...this.move(ins, next, 100 * (1 + Math.floor(this.rand() * 5))));
    }
    return changed;
  }

  /** Starts a new trading day: yesterday's last becomes the close, open/high/low reset. */
  rollDay(): void {
    for (const q of this.quotes.values()) {
      q.close = q.last;
      q.open = q.last;
      q.high = q.last;
      q.low = q.last;
      q.volume = 0;
    }
  }
}
