/** `ibkr-exec signal F|- [--wait]`: validate a signal and enqueue it on the `signals` queue (CONTRACT §6). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Queue, QueueEvents } from 'bullmq';
import { parseSignal, formatFieldErrors } from '../../ingest/parse-signal.js';
import { enqueueSignal, jobIdForSignal } from '../../ingest/enqueue.js';
import { redisOptionsFor } from '../../infra/redis.js';
import { redisPassword } from '../../config.js';
import type { Outcome } from '../../domain/types.js';
import { CLI_REDIS_TIMEOUT_MS, cliConfig, cliRedis, globalOptions, redisProblem } from '../context.js';
import { CliError, formatTable, printJson } from '../output.js';

export function registerSignalCommand(program: Command): void {
  program
    .command('signal')
    .description('validate a signal (JSON file, or - for stdin) and enqueue it')
    .argument('<file>', 'signal JSON file, or - to read stdin')
    .option('--wait', 'wait for the outcome and print it')
    .option('--timeout <ms>', 'how long --wait waits', '60000')
    .action(async (file: string, opts: { wait?: boolean; timeout: string }, cmd: Command) => {
      const payload = readPayload(file);
      const parsed = parseSignal(payload, { now: Date.now() });
      if (!parsed.ok) throw new CliError(`invalid signal: ${formatFieldErrors(parsed.errors)}`, 2);
      const config = cliConfig(cmd);
      const waitMs = Number(opts.timeout);
      if (!Number.isFinite(waitMs) || waitMs <= 0) throw new CliError(`--timeout: expected milliseconds above 0, received ${opts.timeout}`, 2);
      // one bounded PING first: BullMQ's own connection would wait for Redis forever
      (await cliRedis(config, 'producer')).disconnect();
      const password = redisPassword(process.env);
      const connection = { url: config.redis.url, ...redisOptionsFor({ role: 'producer', ...(password ? { password } : {}) }) };
      const queue = new Queue(config.queue.name, { connection });
      queue.on('error', () => undefined);
      const events = opts.wait ? new QueueEvents(config.queue.name, { connection: { ...connection, enableOfflineQueue: true } }) : undefined;
      try {
        await withTimeout(queue.waitUntilReady(), CLI_REDIS_TIMEOUT_MS, 'no answer').catch((e: Error) => {
          throw new CliError(redisProblem(config.redis.url, e.message));
        });
        const jobId = jobIdForSignal(parsed.signal.id);
        const existing = await queue.getJob(jobId);
        if (!existing) await enqueueSignal(queue, payload as { id: string });
        const job = existing ?? (await queue.getJob(jobId));
        if (!job) throw new CliError(`signal ${parsed.signal.id} was not enqueued (job ${jobId} vanished)`);
        const json = Boolean(globalOptions(cmd).json);
        if (existing) process.stderr.write(`ibkr-exec: signal ${parsed.signal.id} was already enqueued as job ${jobId}; not added again\n`);
        if (!opts.wait || !events) {
          if (json) printJson({ signalId: parsed.signal.id, jobId, enqueued: !existing });
          else process.stdout.write(`enqueued signal ${parsed.signal.id} as job ${jobId} on queue ${config.queue.name}\n`);
          return;
        }
        await withTimeout(events.waitUntilReady(), CLI_REDIS_TIMEOUT_MS, 'no answer').catch((e: Error) => {
          throw new CliError(redisProblem(config.redis.url, e.message));
        });
        const outcome = (await job.waitUntilFinished(events, waitMs).catch((e: Error) => {
          if (/timed out/i.test(e.message)) {
            throw new CliError(`no outcome for signal ${parsed.signal.id} within ${waitMs} ms; it stays queued as job ${jobId} — is the daemon running (\`ibkr-exec daemon\`), and are Redis and TWS / IB Gateway up? (\`ibkr-exec status\` shows what it waits for)`);
          }
          throw new CliError(`signal ${parsed.signal.id} failed: ${e.message}`);
        })) as Outcome;
        if (json) printJson(outcome);
        else process.stdout.write(formatOutcome(outcome) + '\n');
      } finally {
        await events?.close();
        await queue.close();
      }
    });
}

/** `p`, or a rejection with `what` after `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

function readPayload(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${file === '-' ? 'stdin' : file}: ${(e as Error).message}`, 2);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file === '-' ? 'stdin' : file} is not JSON: ${(e as Error).message}`, 2);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${file === '-' ? 'stdin' : file}: expected a JSON object (one signal)`, 2);
  }
  return value as Record<string, unknown>;
}

/** The outcome of one signal as a table: one row per account. */
export function formatOutcome(outcome: Outcome): string {
  const rows = outcome.results.map((r) => [
    outcome.signalId,
    r.account,
    r.accountType,
    r.decision,
    r.quantity,
    r.orderId ?? '',
    [...r.reasons.map((x) => `${x.code}: ${x.message}`), ...r.notes].join('; '),
  ]);
  return formatTable(['signal', 'account', 'type', 'decision', 'qty', 'orderId', 'reasons / notes'], rows);
}
