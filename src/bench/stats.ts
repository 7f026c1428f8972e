/**
 * Latency summaries: nearest-rank percentiles over a sample (no interpolation, so p99 of 600 samples
 * is the 594th smallest value). Pure.
 */

/** A latency distribution in milliseconds. `count` 0 means no sample (all figures are then null). */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/** The nearest-rank `p`-th percentile (0 < p ≤ 100) of an ascending array; undefined when empty. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

const round = (v: number | undefined): number | null => (v === undefined ? null : Math.round(v * 1000) / 1000);

/** Summarizes durations (ms); non-finite values are dropped. Figures are rounded to the microsecond. */
export function summarize(values: readonly number[]): LatencySummary {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : undefined;
  return { count: s.length, p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), p99: round(percentile(s, 99)), max: round(s.at(-1)), mean: round(mean) };
}

/** `a / b` rounded to two decimals, or null when either is missing or `b` is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}
