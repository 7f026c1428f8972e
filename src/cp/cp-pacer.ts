/**
 * The client's one pacing budget: the documented limits of `cp-limits.ts` (global and per endpoint),
 * waited for before a request leaves, and the penalty box: after a 429 every request waits out
 * Retry-After (the gateway locks a client out for about ten minutes after repeated violations).
 * `scale` shrinks every window for tests against the simulator. Time is injected.
 */
import { CP_GLOBAL_LIMIT, endpointLimit, scaled, type CpLimit } from './cp-limits.js';

/** Sliding-window pacer shared by every request of one gateway session. */
export class CpPacer {
  private readonly sent = new Map<string, number[]>();
  private blockedUntil = 0;

  constructor(
    private readonly now: () => number,
    private readonly scale = 1,
    /** a margin added to every window, for clock skew between us and the gateway */
    private readonly guardMs = 50,
  ) {}

  /** Milliseconds to wait before this request may leave (0 = now). Pure with respect to the counters. */
  delayFor(method: string, path: string): number {
    const t = this.now();
    let wait = Math.max(0, this.blockedUntil - t);
    for (const l of this.limits(method, path)) {
      const list = (this.sent.get(l.key) ?? []).filter((h) => t - h < l.windowMs + this.guardMs);
      this.sent.set(l.key, list);
      if (list.length >= l.count) wait = Math.max(wait, (list[list.length - l.count] ?? t) + l.windowMs + this.guardMs - t);
    }
    return wait;
  }

  /** Records that a request left now. */
  record(method: string, path: string): void {
    const t = this.now();
    for (const l of this.limits(method, path)) {
      const list = this.sent.get(l.key) ?? [];
      list.push(t);
      this.sent.set(l.key, list);
    }
  }

  /** A 429 arrived: nothing leaves for `retryAfterMs`. */
  penalize(retryAfterMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, this.now() + retryAfterMs);
  }

  /** Epoch ms until which the penalty box holds (0 when none). */
  penaltyUntil(): number {
    return this.blockedUntil > this.now() ? this.blockedUntil : 0;
  }

  private limits(method: string, path: string): CpLimit[] {
    const ep = endpointLimit(method, path);
    return [scaled(CP_GLOBAL_LIMIT, this.scale), ...(ep ? [scaled(ep, this.scale)] : [])];
  }
}
