/**
 * The simulator's rate limiter: the documented limits of `cp/cp-limits.ts` (windows scaled by
 * `scale`), 429 over a limit, and the penalty box after repeated violations. Time is injected.
 */
import { CP_GLOBAL_LIMIT, CP_PENALTY, endpointLimit, scaled, type CpLimit } from '../../cp/cp-limits.js';

/** The verdict on one request. */
export type RateVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number; readonly penalty: boolean };

/** Sliding-window counters per limit key, plus the penalty box. */
export class CpRateLimiter {
  private readonly hits = new Map<string, number[]>();
  private violations: number[] = [];
  private penaltyUntil = 0;
  /** 429 answers given (for tests and GET /state) */
  rejected = 0;

  constructor(private readonly now: () => number, private readonly scale: number, private readonly enabled = true) {}

  /** Counts a request and says whether it may be served. */
  admit(method: string, path: string): RateVerdict {
    if (!this.enabled) return { ok: true };
    const t = this.now();
    if (t < this.penaltyUntil) return this.reject(this.penaltyUntil - t, true, false);
    const limits: CpLimit[] = [scaled(CP_GLOBAL_LIMIT, this.scale)];
    const ep = endpointLimit(method, path);
    if (ep) limits.push(scaled(ep, this.scale));
    for (const l of limits) {
      const list = (this.hits.get(l.key) ?? []).filter((h) => t - h < l.windowMs);
      this.hits.set(l.key, list);
      if (list.length >= l.count) return this.reject(l.windowMs - (t - (list[0] ?? t)), false, true);
    }
    for (const l of limits) this.hits.get(l.key)?.push(t);
    return { ok: true };
  }

  /** Puts the client in the penalty box now (admin fault). */
  penalize(ms: number): void {
    this.penaltyUntil = this.now() + ms;
  }

  private reject(retryAfterMs: number, penalty: boolean, count: boolean): RateVerdict {
    this.rejected += 1;
    if (count) {
      const t = this.now();
      this.violations = [...this.violations.filter((v) => t - v < CP_PENALTY.windowMs * this.scale), t];
      if (this.violations.length >= CP_PENALTY.violations) {
        this.violations = [];
        this.penaltyUntil = t + Math.round(CP_PENALTY.penaltyMs * this.scale);
        return { ok: false, retryAfterMs: Math.round(CP_PENALTY.penaltyMs * this.scale), penalty: true };
      }
    }
    return { ok: false, retryAfterMs: Math.max(1, retryAfterMs), penalty };
  }
}
