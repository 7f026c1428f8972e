/**
 * Streaming quotes: one `reqMktData` subscription per instrument (not a snapshot per call), kept open and
 * folded into a latest-quote record, so a quote in steady state costs no outbound IB message.
 *
 * - First call for an instrument: `reqMktData(reqId, contract, '', false, false)` through the pacer
 *   ('data'), then wait (at most `quoteTimeoutMs`) until bid, ask and last are in (bid and ask for CASH),
 *   or `SETTLE_MS` after the first price tick; on timeout the quote is answered as is (stale, maybe empty).
 *   Concurrent first calls share the one subscription.
 * - Later calls answer at once from the record: `ts` = newest tick (price or size), `stale` = no bid/ask/last
 *   or no tick within `quoteFreshMs`. Pitfall: a quiet instrument (no price or size change for that long)
 *   reads as stale although the subscription is live.
 * - 354 switches the session to market data type 3 (delayed; IB still sends live data where subscribed)
 *   and subscribes once more; 10167 and delayed tick types (66–68, 75) or marketDataType ≥ 3 mark it delayed.
 *   An error for an established subscription drops it; the next call subscribes again.
 * - Each subscription holds a market-data line of the shared `LinePool`; when the pool is full the least
 *   recently used established subscription is cancelled (`cancelMktData`, 'control') to make room.
 * - Session end (and 1101, "data lost") ends every subscription at IB: the records are dropped, waiting
 *   first calls fail with `BrokerUnavailableError` (1101: retryable `BrokerError`), the next call subscribes
 *   again on the new session.
 */
import type { Contract } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import type { Clock } from '../domain/clock.js';
import type { Decimal, Instrument, Quote } from '../domain/types.js';
import { BrokerError, BrokerUnavailableError } from '../execution/broker-port.js';
import type { IbConnection } from './ib-connection.js';
import { classifyIbCode } from './ib-errors.js';
import { decOrUndefined, instrumentKey, toWireContract } from './ib-mapping.js';
import { requestError } from './ib-requests.js';
import { LineBudget } from './pacing.js';

/** After the first price tick, answer the first call this long later even if bid/ask/last are not all in. */
const SETTLE_MS = 100;

type Field = 'bid' | 'ask' | 'last' | 'close';
const FIELD: Readonly<Record<number, Field>> = { 1: 'bid', 2: 'ask', 4: 'last', 9: 'close', 66: 'bid', 67: 'ask', 68: 'last', 75: 'close' };

/**
 * The market-data line budget shared by quote subscriptions and short-lived requests (shortable shares).
 * FIFO; `acquire()` on a full pool asks `evict` to free a line held by an idle subscription.
 */
export class LinePool {
  private readonly budget: LineBudget;
  private readonly waiters: (() => void)[] = [];
  /** frees one line held by an idle subscription (its release hands it on); false when there is none */
  evict: () => boolean = () => false;

  constructor(max = 90) {
    this.budget = new LineBudget(max);
  }

  /** Resolves once a line is ours; call `release()` exactly once afterwards. */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.budget.tryAcquire()) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.evict();
    return p;
  }

  /** Give a line back (handed straight to the first waiter, if any). */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.budget.release();
  }

  /** A subscription finished opening: if someone waits for a line, evict one. */
  kick(): void {
    if (this.waiters.length > 0) this.evict();
  }

  inUse(): number {
    return this.budget.inUse();
  }
}

/** Options of `QuoteStream`. */
export interface QuoteStreamOptions {
  /** wait for the first ticks of a new subscription (5 s) */
  readonly quoteTimeoutMs?: number;
  /** a quote whose newest tick is older than this is stale (10 s) */
  readonly quoteFreshMs?: number;
}

interface Sub {
  readonly key: string;
  /** for messages: "quote AAPL" */
  readonly name: string;
  readonly reqId: number;
  readonly cash: boolean;
  /** the session generation it belongs to */
  readonly gen: number;
  /** market data type in force when it was requested */
  readonly mdAtOpen: number;
  readonly px: Partial<Record<Field, Decimal>>;
  delayed: boolean;
  newest: number;
  opening: boolean;
  sent: boolean;
  dropped: boolean;
  settle?: { resolve: () => void; reject: (e: Error) => void };
  timers: NodeJS.Timeout[];
}

class FallBack extends Error {}

/** Streaming quotes over an `IbConnection` (see the module doc). */
export class QuoteStream {
  /** by instrument key, least recently used first */
  private readonly subs = new Map<string, Sub>();
  private readonly byReqId = new Map<number, Sub>();
  private readonly opening = new Map<string, Promise<Sub>>();
  private gen = 0;
  /** market data type in force for the current session (1 live, 3 delayed) */
  private mdType = 1;

  constructor(
    private readonly conn: IbConnection,
    private readonly clock: Clock,
    private readonly lines: LinePool,
    private readonly o: QuoteStreamOptions = {},
  ) {
    lines.evict = () => this.evictIdle();
    const hub = conn.hub;
    hub.on(EventName.tickPrice, (id: number, field: number, value: number) => this.onPrice(id, field, value));
    hub.on(EventName.tickSize, (id: number) => this.touchTick(this.byReqId.get(id)));
    hub.on(EventName.marketDataType, (id: number, type: number) => {
      const s = this.byReqId.get(id);
      if (s && type >= 3) s.delayed = true;
    });
    hub.on(EventName.error, (err: Error, code: number, id: number) => this.onError(err.message, code, id));
    hub.on(EventName.info, (_m: string, code: number) => {
      if (code === 1101) this.dropAll(new BrokerError('market data lost (IB 1101): subscribe again', 'retryable', 1101));
    });
    hub.on('sessionEnded', (reason: string) => {
      this.mdType = 1;
      this.dropAll(new BrokerUnavailableError(`quote: IB session ended (${reason})`));
    });
  }

  /** The latest quote of `instrument`, subscribing first if needed (see the module doc). */
  async quote(instrument: Instrument): Promise<Quote> {
    const key = instrumentKey(instrument);
    const sub = this.subs.get(key);
    if (sub && !sub.opening) {
      this.subs.delete(key);
      this.subs.set(key, sub);
      return this.build(sub);
    }
    let p = this.opening.get(key);
    if (!p) {
      const mine = this.open(instrument, key, true);
      p = mine;
      this.opening.set(key, mine);
      const forget = (): void => void (this.opening.get(key) === mine && this.opening.delete(key));
      mine.then(forget, forget);
    }
    return this.build(await p);
  }

  /** Open subscriptions (for tests and status). */
  size(): number {
    return this.subs.size;
  }

  private async open(instrument: Instrument, key: string, mayFallBack: boolean): Promise<Sub> {
    if (!this.conn.isSessionUp()) throw new BrokerUnavailableError(`quote ${instrument.symbol}: not connected to IB`);
    await this.lines.acquire();
    const sub: Sub = { key, name: `quote ${instrument.symbol}`, reqId: this.conn.nextReqId(), cash: instrument.secType === 'CASH', gen: this.gen, mdAtOpen: this.mdType,
      px: {}, delayed: this.mdType >= 3, newest: 0, opening: true, sent: false, dropped: false, timers: [] };
    this.subs.delete(key);
    this.subs.set(key, sub);
    this.byReqId.set(sub.reqId, sub);
    try {
      await new Promise<void>((resolve, reject) => {
        sub.settle = { resolve, reject };
        sub.timers.push(setTimeout(resolve, this.o.quoteTimeoutMs ?? 5_000));
        const contract = toWireContract(instrument) as unknown as Contract;
        this.conn.send('data', (api) => {
          sub.sent = true;
          api.reqMktData(sub.reqId, contract, '', false, false);
        }).catch(reject);
      });
    } catch (e) {
      this.drop(sub, true);
      if (!(e instanceof FallBack) || !mayFallBack) throw e instanceof FallBack ? requestError(sub.name, 354, e.message) : e;
      if (this.mdType < 3) {
        this.mdType = 3;
        await this.conn.send('data', (api) => api.reqMarketDataType(3));
      }
      return this.open(instrument, key, false);
    } finally {
      sub.timers.forEach(clearTimeout);
      sub.timers = [];
      delete sub.settle;
    }
    sub.opening = false;
    this.lines.kick();
    return sub;
  }

  private onPrice(id: number, field: number, value: number): void {
    const s = this.byReqId.get(id);
    const k = FIELD[field];
    if (!s || !k) return;
    const d = value > 0 ? decOrUndefined(value) : undefined;
    if (d === undefined) delete s.px[k]; // -1 / 0: IB has no value for the field now
    else s.px[k] = d;
    if (field >= 66) s.delayed = true;
    this.touchTick(s);
    if (!s.settle) return;
    if (s.px.bid && s.px.ask && (s.px.last || s.cash)) s.settle.resolve();
    else if (s.timers.length < 2) s.timers.push(setTimeout(s.settle.resolve, SETTLE_MS));
  }

  private touchTick(s: Sub | undefined): void {
    if (s) s.newest = this.clock.now();
  }

  private onError(message: string, code: number, id: number): void {
    if (code === 1101) return this.dropAll(new BrokerError('market data lost (IB 1101): subscribe again', 'retryable', 1101));
    const s = this.byReqId.get(id);
    if (!s) return;
    if (code === 10167) {
      s.delayed = true;
      return;
    }
    if (code === 354 && s.settle && s.mdAtOpen < 3) return s.settle.reject(new FallBack(message));
    const kind = classifyIbCode(code, message, 'request').kind;
    if (kind === 'info' || kind === 'warning') return;
    if (s.settle) s.settle.reject(requestError(s.name, code, message));
    else this.drop(s, true);
  }

  private build(s: Sub): Quote {
    const now = this.clock.now();
    const live = s.px.bid !== undefined || s.px.ask !== undefined || s.px.last !== undefined;
    return { ...s.px, delayed: s.delayed, stale: !live || now - s.newest > (this.o.quoteFreshMs ?? 10_000), ts: s.newest || now };
  }

  /** Cancel the least recently used established subscription; false when there is none. */
  private evictIdle(): boolean {
    for (const s of this.subs.values()) {
      if (s.opening) continue;
      this.drop(s, true);
      return true;
    }
    return false;
  }

  /** Forget a subscription and give its line back; `cancel` also tells IB (when it is of this session). */
  private drop(s: Sub, cancel: boolean): void {
    if (s.dropped) return;
    s.dropped = true;
    if (this.subs.get(s.key) === s) this.subs.delete(s.key);
    this.byReqId.delete(s.reqId);
    if (cancel && s.sent && s.gen === this.gen && this.conn.isSessionUp()) {
      this.conn.send('control', (api) => api.cancelMktData(s.reqId)).catch(() => undefined);
    }
    this.lines.release();
  }

  /** Every subscription is gone at IB: drop them all without a cancel; waiting first calls fail with `why`. */
  private dropAll(why: Error): void {
    this.gen += 1;
    for (const s of [...this.subs.values()]) {
      s.settle?.reject(why);
      this.drop(s, false);
    }
  }
}
