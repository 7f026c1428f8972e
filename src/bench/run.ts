/**
 * `runBenchmark`: the whole path on real Redis and the simulator over TCP, with the daemon in a child
 * process. Order: start-up → warm-up (unmeasured) → steady latency → baseline (bare BullMQ worker,
 * same Redis, same rate and count) → burst. Phases run one after another, never overlapping.
 *
 * Needs a reachable Redis; everything it creates lives under a fresh key prefix and queue name and is
 * removed at the end (also on failure).
 */
import { cpus, platform, release } from 'node:os';
import { startHarness } from './harness.js';
import { runBaseline, runBurst, runSteady } from './phases.js';
import { buildReport, type BenchReport } from './report.js';

/** Options of `runBenchmark`; only `redisUrl` is required. */
export interface BenchOptions {
  readonly redisUrl: string;
  /** steady signals per second (default 20) */
  readonly rate?: number;
  /** steady phase length in seconds (default 30) */
  readonly durationSec?: number;
  /** burst size (default 500) */
  readonly burst?: number;
  /** symbols cycled through (default AAPL, MSFT, SPY) */
  readonly symbols?: readonly string[];
  /** shares per order (default 2) */
  readonly quantity?: number;
  /** the daemon's outbound budget, config ib.maxMessagesPerSecond (default 40) */
  readonly budgetPerSecond?: number;
  /** the daemon's BullMQ concurrency; the baseline worker gets the same (default 32, as the daemon) */
  readonly workerConcurrency?: number;
  /** unmeasured signals before the steady phase (default 20) */
  readonly warmup?: number;
  /** write a V8 CPU profile of the daemon here */
  readonly cpuProfDir?: string;
  /** progress lines (default: none) */
  readonly progress?: (line: string) => void;
}

/** Runs the benchmark and returns its report. Throws only when the stack cannot start. */
export async function runBenchmark(o: BenchOptions): Promise<BenchReport> {
  const settings = {
    rate: o.rate ?? 20,
    durationSec: o.durationSec ?? 30,
    burst: o.burst ?? 500,
    symbols: o.symbols?.length ? o.symbols : ['AAPL', 'MSFT', 'SPY'],
    quantity: o.quantity ?? 2,
    budgetPerSecond: o.budgetPerSecond ?? 40,
    workerConcurrency: o.workerConcurrency ?? 32,
  };
  const log = o.progress ?? (() => undefined);
  const count = Math.max(1, Math.round(settings.rate * settings.durationSec));
  log('starting the simulator and the daemon (child process)');
  const h = await startHarness({
    redisUrl: o.redisUrl,
    symbols: settings.symbols,
    quantity: settings.quantity,
    workerConcurrency: settings.workerConcurrency,
    maxMessagesPerSecond: settings.budgetPerSecond,
    ...(o.cpuProfDir ? { cpuProfDir: o.cpuProfDir } : {}),
  });
  try {
    const rssAfterStart = (await h.daemon.usage()).rssBytes;
    const warm = o.warmup ?? 20;
    if (warm > 0) {
      log(`warm-up: ${warm} signals`);
      await runSteady(h, 'warm', warm, settings.rate);
    }
    log(`latency: ${count} signals at ${settings.rate}/s`);
    const steady = await runSteady(h, 'lat', count, settings.rate);
    log(`baseline: ${count} jobs at ${settings.rate}/s into a bare BullMQ worker`);
    const baseline = await runBaseline(h, o.redisUrl, count, settings.rate, settings.workerConcurrency);
    log(`burst: ${settings.burst} signals at once`);
    const burst = await runBurst(h, settings.burst, settings.budgetPerSecond);
    const cpu = cpus();
    return buildReport({
      machine: {
        cpus: cpu.length,
        cpuModel: cpu[0]?.model.trim() ?? 'unknown',
        node: process.version,
        redis: await h.redisVersion(),
        platform: `${platform()} ${release()}`,
      },
      settings,
      steady,
      baseline,
      burst,
      wire: h.wire,
      completed: h.completed,
      sim: h.simStats(),
      rssAfterStartBytes: rssAfterStart,
      extraProblems: [],
    });
  } finally {
    log('stopping');
    await h.close();
  }
}
