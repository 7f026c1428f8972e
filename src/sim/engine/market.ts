/**
 * Prices: one quote per instrument (bid/ask one tick either side of last), the day's open/high/low,
 * the previous close, volume, and a seeded random walk. No timers here: the server calls `step()`.
 */
import { Decimal } from '../../domain/types.js';
import { normal, type Prng } from './prng.js';
import type { InstrumentRegistry, SimInstrument } from './instruments.js';

/** A snapshot of one instrument's market. */
export interface SimQuote {
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
  private readonly quotes = new Map<string, MutableQuote>();

  constructor(
    private readonly instruments: InstrumentRegistry,
    private readonly rand: Prng,
    private readonly now: () => number,
  ) {
    for (const i of instruments.all()) {
      const last = roundToTick(i.initialPrice, i.minTick);
      this.quotes.set(i.symbol, {
        symbol: i.symbol, last, bid: last.sub(i.minTick), ask: last.add(i.minTick),
        bidSize: 100, askSize: 100, lastSize: 100, open: last, high: last, low: last, close: last,
        volume: 0, ts: now(),
      });
    }
  }

  /** The current quote of a symbol; throws for an unknown symbol (a bug in the caller). */
  quote(symbol: string): SimQuote {
    const q = this.quotes.get(symbol);
    if (!q) throw new Error(`no quote for ${symbol}`);
    return q;
  }

  /** Sets the last price (admin POST /price or a test); bid/ask follow one tick either side. */
  setPrice(ins: SimInstrument, price: Decimal, size = 100): SimQuote {
    const q = this.quotes.get(ins.symbol);
    if (!q) throw new Error(`no quote for ${ins.symbol}`);
    const last = roundToTick(price, ins.minTick);
    q.last = last;
    q.bid = Decimal.max(last.sub(ins.minTick), ins.minTick);
    q.ask = last.add(ins.minTick);
    q.high = Decimal.max(q.high, last);
    q.low = Decimal.min(q.low, last);
    q.lastSize = size;
    q.bidSize = 100 + Math.floor(this.rand() * 9) * 100;
    q.askSize = 100 + Math.floor(this.rand() * 9) * 100;
    q.volume += size;
    q.ts = this.now();
    return q;
  }

  /** One random-walk step for every instrument; returns the instruments whose price changed. */
  step(stepsPerDay: number): SimInstrument[] {
    const changed: SimInstrument[] = [];
    for (const ins of this.instruments.all()) {
      const q = this.quote(ins.symbol);
      const sigma = ins.volatility / Math.sqrt(Math.max(stepsPerDay, 1));
      const factor = Math.exp(sigma * normal(this.rand));
      const next = roundToTick(q.last.mul(factor), ins.minTick);
      if (!next.eq(q.last)) {
        this.setPrice(ins, next, 100 * (1 + Math.floor(this.rand() * 5)));
        changed.push(ins);
      }
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
