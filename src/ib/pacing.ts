/**
 * Pure pacing logic for the IB session. No timers, no I/O: every method takes `now` (epoch ms) from an
 * injected clock and answers "how long must I wait" (0 = go). The scheduler in `ib-pacer.ts` turns the
 * answers into setTimeout calls.
 *
 * Limits (ib-operations.md §1.1–1.3):
 *  - TWS allows 50 messages/s for ALL outbound messages together; we keep ONE budget (default 40/s).
 *    `OutboundLimiter` = token bucket (smooth, small burst) + a sliding-window cap, so that in ANY window of
 *    `windowMs` at most `perWindow` messages leave, whatever the bucket parameters.
 *  - historical data: ≤ 60 requests / 10 min, no identical request within 15 s, ≤ 5 per contract / 2 s.
 *  - market-data lines: a fixed number of concurrent subscriptions (default 90 of IB's 100).
 */

/** Classic token bucket: `capacity` tokens, refilled continuously at `ratePerSec`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly capacity: number,
    readonly ratePerSec: number,
    now: number,
  ) {
    if (!(capacity >= 1) || !(ratePerSec > 0)) throw new Error('TokenBucket needs capacity ≥ 1 and rate > 0');
    this.tokens = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
      this.last = now;
    }
  }

  /** Milliseconds until one token is available (0 = now). Does not consume. */
  waitMs(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec);
  }

  /** Consume one token if available; returns false (and consumes nothing) otherwise. */
  tryTake(now: number): boolean {
    if (this.waitMs(now) > 0) return false;
    this.tokens -= 1;
    return true;
  }
}

/** At most `limit` events in any half-open window (t − windowMs, t]. Exact, keeps the last `limit` stamps. */
export class SlidingWindow {
  private readonly stamps: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {
    if (!(limit >= 1) || !(windowMs > 0)) throw new Error('SlidingWindow needs limit ≥ 1 and windowMs > 0');
  }

  /** Milliseconds until one more event fits (0 = now). */
  waitMs(now: number): number {
    if (this.stamps.length < this.limit) return 0;
    const oldest = this.stamps[this.stamps.length - this.limit]!;
    return Math.max(0, oldest + this.windowMs - now);
  }

  /** Record an event at `now` (call only when `waitMs(now) === 0`). */
  record(now: number): void {
    this.stamps.push(now);
    if (this.stamps.length > this.limit) this.stamps.splice(0, this.stamps.length - this.limit);
  }

  /** Number of events inside (now − windowMs, now]. */
  countIn(now: number): number {
    return this.stamps.filter((t) => t > now - this.windowMs).length;
  }
}

/** Options of the single outbound budget. */
export interface OutboundLimiterOptions {
  /** messages per second, default 40 (TWS allows 50) */
  readonly perSecond?: number;
  /** token-bucket burst, default perSecond / 10 (rounded up): ~ @stoqey/ib's 4 per 100 ms */
  readonly burst?: number;
  /**
   * extra window length, default 100 ms: at most `perSecond` messages in any (1000 + guard) ms, so that
   * messages delayed unevenly on their way (event-loop stalls, Nagle) still arrive ≤ perSecond per
   * second at TWS. Costs ~10% of the nominal throughput.
   */
  readonly windowGuardMs?: number;
}

/** The one outbound budget: a smooth token bucket plus a hard cap of `perSecond` in any (1 s + guard) window. */
export class OutboundLimiter {
  private readonly bucket: TokenBucket;
  private readonly window: SlidingWindow;
  readonly perSecond: number;

  constructor(now: number, opts: OutboundLimiterOptions = {}) {
    this.perSecond = opts.perSecond ?? 40;
    const burst = opts.burst ?? Math.max(1, Math.ceil(this.perSecond / 10));
    this.bucket = new TokenBucket(burst, this.perSecond, now);
    this.window = new SlidingWindow(this.perSecond, 1000 + (opts.windowGuardMs ?? 100));
  }

  waitMs(now: number): number {
    return Math.max(this.bucket.waitMs(now), this.window.waitMs(now));
  }

  /** Take one send slot; false when the caller must wait `waitMs(now)` first. */
  tryTake(now: number): boolean {
    if (this.waitMs(now) > 0) return false;
    this.bucket.tryTake(now);
    this.window.record(now);
    return true;
  }

  /** Count a message that left without asking (the handshake's START_API): it uses the budget too. */
  recordExternal(now: number): void {
    this.bucket.tryTake(now);
    this.window.record(now);
  }
}

/** Historical-data pacing limits (IB's small-bar rules, applied to every request to stay safe). */
export interface HistoricalPacingOptions {
  readonly maxPerWindow?: number; // 60
  readonly windowMs?: number; // 10 min
  readonly identicalGapMs?: number; // 15 s
  readonly perContractLimit?: number; // 5
  readonly perContractWindowMs?: number; // 2 s
}

/**
 * Historical-data pacer. `key` identifies a request exactly (contract + end + duration + bar + what);
 * `contractKey` the contract (+ whatToShow, as IB counts "same contract, exchange and tick type").
 */
export class HistoricalPacer {
  private readonly all: SlidingWindow;
  private readonly lastByKey = new Map<string, number>();
  private readonly perContract = new Map<string, SlidingWindow>();
  private readonly o: Required<HistoricalPacingOptions>;

  constructor(opts: HistoricalPacingOptions = {}) {
    this.o = {
      maxPerWindow: opts.maxPerWindow ?? 60,
      windowMs: opts.windowMs ?? 600_000,
      identicalGapMs: opts.identicalGapMs ?? 15_000,
      perContractLimit: opts.perContractLimit ?? 5,
      perContractWindowMs: opts.perContractWindowMs ?? 2_000,
    };
    this.all = new SlidingWindow(this.o.maxPerWindow, this.o.windowMs);
  }

  private contractWindow(k: string): SlidingWindow {
    let w = this.perContract.get(k);
    if (!w) {
      w = new SlidingWindow(this.o.perContractLimit, this.o.perContractWindowMs);
      this.perContract.set(k, w);
    }
    return w;
  }

  /** Milliseconds until this request may be sent (0 = now). */
  waitMs(key: string, contractKey: string, now: number): number {
    const last = this.lastByKey.get(key);
    const identical = last === undefined ? 0 : Math.max(0, last + this.o.identicalGapMs - now);
    return Math.max(identical, this.all.waitMs(now), this.contractWindow(contractKey).waitMs(now));
  }

  /** Record that the request was sent at `now`. */
  record(key: string, contractKey: string, now: number): void {
    this.all.record(now);
    this.contractWindow(contractKey).record(now);
    this.lastByKey.set(key, now);
    for (const [k, t] of this.lastByKey) if (t + this.o.identicalGapMs < now) this.lastByKey.delete(k);
  }
}

/** Concurrent market-data lines. Pure counter; the adapter queues callers while `available() === 0`. */
export class LineBudget {
  private used = 0;

  constructor(readonly max = 90) {
    if (!(max >= 1)) throw new Error('LineBudget needs max ≥ 1');
  }

  available(): number {
    return this.max - this.used;
  }

  tryAcquire(): boolean {
    if (this.used >= this.max) return false;
    this.used += 1;
    return true;
  }

  release(): void {
    if (this.used > 0) this.used -= 1;
  }

  inUse(): number {
    return this.used;
  }
}

/** Capped exponential backoff with full jitter in [delay/2, delay]. `random` is injectable for tests. */
export interface BackoffOptions {
  readonly initialMs?: number; // 500
  readonly maxMs?: number; // 30 000
  readonly factor?: number; // 2
  /** 0 = no jitter, 1 = delay uniformly in [0, d]; default 0.5 → [d/2, d] */
  readonly jitter?: number;
}

/** Delay before reconnect attempt `attempt` (0-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const factor = opts.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  return Math.round(base * (1 - jitter * random()));
}
