/**
 * The benchmark still runs end to end (real Redis, the simulator over TCP, the daemon in a child
 * process) and its report has every field. Tiny numbers; no assertion on any timing value.
 */
import { describe, expect, it } from 'vitest';
import { runBenchmark } from '../../src/bench/run.js';
import { formatMarkdown, formatReport, spliceMarkdown } from '../../src/bench/format.js';
import { percentile, summarize } from '../../src/bench/stats.js';

const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SUMMARY_KEYS = ['count', 'p50', 'p95', 'p99', 'max', 'mean'];

describe('bench (smoke)', () => {
  it('runs latency, baseline and burst with tiny numbers and reports every field', async () => {
    const r = await runBenchmark({ redisUrl: REDIS, rate: 2, durationSec: 2, burst: 10, warmup: 1 });
    expect(r.problems).toEqual([]);
    expect(r.latency.signals).toBe(4);
    expect(r.latency.placed).toBe(4);
    for (const s of [r.latency.toWire, r.latency.toAck, r.latency.toFill, r.latency.toOutcome, r.baseline.toProcessor]) {
      expect(Object.keys(s).sort()).toEqual([...SUMMARY_KEYS].sort());
      expect(s.count).toBe(4);
      expect(typeof s.p50).toBe('number');
    }
    expect(Object.keys(r.latency.breakdown).length).toBeGreaterThan(0);
    expect(typeof r.overBaseline.p50).toBe('number');
    expect(typeof r.overBaseline.p99).toBe('number');
    expect(r.burst).toMatchObject({ signals: 10, placed: 10, pacingBoundMs: 250 });
    expect(typeof r.burst.drainToWireMs).toBe('number');
    expect(typeof r.burst.drainOverBound).toBe('number');
    expect(r.burst.maxMessagesPerSecond).toBeGreaterThan(0);
    expect(r.resources.peakRssMb).toBeGreaterThan(0);
    expect(typeof r.resources.cpuSecondsPer1000).toBe('number');
    expect(r.machine.cpus).toBeGreaterThan(0);
    expect(r.machine.redis).toMatch(/^\d+\./);
    expect(r.targets.map((t) => t.name)).toHaveLength(6);
    expect(formatReport(r)).toContain('enqueue → order at simulator');
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('percentiles are nearest-rank; the Markdown block replaces only itself', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(summarize([])).toMatchObject({ count: 0, p50: null });
    const doc = '# B\n\nprose\n\n<!-- bench:begin -->\nold\n<!-- bench:end -->\n\nmore prose\n';
    const out = spliceMarkdown(doc, '<!-- bench:begin -->\nnew\n<!-- bench:end -->');
    expect(out).toContain('prose\n\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\n\nmore prose');
    expect(out).not.toContain('old');
    expect(formatMarkdown).toBeTypeOf('function');
  });
});
