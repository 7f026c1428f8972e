/**
 * `ibkr-exec bench`: the benchmark of the whole path (signal on the queue → order at the simulator →
 * ack → fill), with a bare-BullMQ baseline, a burst against the pacing budget, and the daemon's CPU and
 * memory, all in one run on real Redis (REDIS_URL, else redis://127.0.0.1:6379) and the simulator over
 * TCP on loopback. Prints tables, or the JSON report with `--json`; `--markdown F` also rewrites the
 * generated block of F (BENCHMARKS.md). Targets are reported, never enforced: the exit code is 0
 * whenever the run completed, also when a target was missed.
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { formatMarkdown, formatReport, spliceMarkdown } from '../../bench/format.js';
import { runBenchmark } from '../../bench/run.js';
import { createRedis } from '../../infra/redis.js';
import { globalOptions } from '../context.js';
import { CliError, printJson } from '../output.js';

interface BenchCliOptions {
  readonly rate: string;
  readonly duration: string;
  readonly burst: string;
  readonly symbols: string;
  readonly quantity: string;
  readonly budget: string;
  readonly concurrency: string;
  readonly warmup: string;
  readonly markdown?: string;
  readonly cpuProf?: string;
}

function num(name: string, value: string, min: number, max: number, integer = true): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new CliError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`, 2);
  }
  return n;
}

async function checkRedis(url: string): Promise<void> {
  const redis = createRedis(url, { lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw new CliError(`cannot reach Redis at ${url.replace(/\/\/[^@/]*@/, '//')}: ${(e as Error).message} — start redis-server or set REDIS_URL`);
  } finally {
    redis.disconnect();
  }
}

async function runBenchCommand(o: BenchCliOptions, json: boolean): Promise<void> {
  const redisUrl = process.env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379';
  const options = {
    redisUrl,
    rate: num('rate', o.rate, 0.1, 1000, false),
    durationSec: num('duration', o.duration, 0.1, 3600, false),
    burst: num('burst', o.burst, 1, 100_000),
    symbols: o.symbols.split(',').map((s) => s.trim()).filter(Boolean),
    quantity: num('quantity', o.quantity, 1, 1000),
    budgetPerSecond: num('budget', o.budget, 1, 50),
    workerConcurrency: num('concurrency', o.concurrency, 1, 1000),
    warmup: num('warmup', o.warmup, 0, 10_000),
    ...(o.cpuProf ? { cpuProfDir: o.cpuProf } : {}),
    progress: (line: string) => process.stderr.write(`ibkr-exec bench: ${line}\n`),
  };
  await checkRedis(redisUrl);
  const report = await runBenchmark(options);
  if (json) printJson(report);
  else process.stdout.write(formatReport(report));
  if (o.markdown) {
    const existing = existsSync(o.markdown) ? readFileSync(o.markdown, 'utf8') : '# Benchmarks\n';
    writeFileSync(o.markdown, spliceMarkdown(existing, formatMarkdown(report)));
    process.stderr.write(`ibkr-exec bench: figures written to ${o.markdown}\n`);
  }
}

/** Registers `ibkr-exec bench [--rate 20] [--duration 30] [--burst 500] [--json] [--markdown F] …`. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark signal → order → ack → fill on Redis and the simulator, against a bare BullMQ baseline')
    .option('--rate <n>', 'steady signals per second (below the pacing budget)', '20')
    .option('--duration <s>', 'steady phase length in seconds', '30')
    .option('--burst <n>', 'signals enqueued at once in the burst phase', '500')
    .option('--symbols <list>', 'comma-separated symbols to cycle through', 'AAPL,MSFT,SPY')
    .option('--quantity <n>', 'shares per MKT BUY', '2')
    .option('--budget <n>', "the daemon's outbound messages per second (ib.maxMessagesPerSecond)", '40')
    .option('--concurrency <n>', 'BullMQ worker concurrency (daemon and baseline)', '32')
    .option('--warmup <n>', 'unmeasured signals before the latency phase', '20')
    .option('--markdown <file>', 'also rewrite the generated block of this Markdown file (BENCHMARKS.md)')
    .option('--cpu-prof <dir>', "write a V8 CPU profile of the daemon child into this directory")
    .action(async (opts: BenchCliOptions, cmd: Command) => {
      await runBenchCommand(opts, Boolean(globalOptions(cmd).json));
    });
}
