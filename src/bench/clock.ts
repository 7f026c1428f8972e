/**
 * The benchmark's clock: epoch milliseconds with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`). Every process of one benchmark reads the same host
 * clock this way, so a timestamp taken in the daemon child compares with one taken in the benchmark
 * process (to well under a millisecond on one host). Monotonic within a process.
 */
import { performance } from 'node:perf_hooks';

/** Epoch ms, fractional. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `cond` every `everyMs` until it is true or `timeoutMs` passes; resolves with whether it held.
 * Bounded: never waits longer than `timeoutMs` (+ one poll).
 */
export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
