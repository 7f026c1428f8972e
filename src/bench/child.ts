/**
 * The benchmark's child process: either the real daemon (`startDaemon`, exactly as `ibkr-exec daemon`
 * runs it) or a bare BullMQ worker with a no-op processor (the baseline). Running it apart from the
 * simulator and the producer keeps its CPU and memory figures clean and its event loop to itself.
 *
 * Daemon mode observes without changing behaviour: it subscribes to the broker's event stream (first
 * answer per orderRef) and wraps a few methods of the live objects (audit appends, broker queries,
 * `placeOrders`) to timestamp the path. Timestamps are `epochNow()`, comparable across processes.
 *
 * Run only via `spawnBenchChild` (it needs an IPC channel); exits when the parent goes away.
 */
import { Worker } from 'bullmq';
import { parseConfig } from '../config.js';
import { startDaemon, type DaemonHandle } from '../app/daemon.js';
import { createLogger } from '../app/logger.js';
import { epochNow } from './clock.js';
import type { ChildMarks, ChildMessage, ParentMessage, StartCommand, UsageSample } from './protocol.js';

type AnyFn = (...args: unknown[]) => unknown;

const marks: ChildMarks = { ack: {}, audit: {}, place: {}, calls: {}, processed: {} };
let stopFn: (() => Promise<void>) | undefined;

function usage(): UsageSample {
  const r = process.resourceUsage();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, maxRssBytes: r.maxRSS * 1024, heapUsedBytes: m.heapUsed, cpuMicros: r.userCPUTime + r.systemCPUTime };
}

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

/** Replaces `obj[name]` by a wrapper that calls `around(original, args)`. */
function wrap(obj: object, name: string, around: (orig: AnyFn, args: unknown[]) => unknown): void {
  const o = obj as Record<string, AnyFn>;
  const orig = o[name]?.bind(obj);
  if (!orig) return;
  o[name] = (...args: unknown[]) => around(orig, args);
}

function timeCalls(broker: object, name: string): void {
  wrap(broker, name, (orig, args) => {
    const t0 = epochNow();
    const done = (): void => {
      const ms = epochNow() - t0;
      const c = (marks.calls[name] ??= { count: 0, totalMs: 0, maxMs: 0 });
      c.count += 1;
      c.totalMs += ms;
      c.maxMs = Math.max(c.maxMs, ms);
    };
    const p = orig(...args) as Promise<unknown>;
    p.then(done, done);
    return p;
  });
}

function instrument(d: DaemonHandle): void {
  d.broker.events$.subscribe((e) => {
    const ref = e.type === 'orderStatus' ? e.update.orderRef : e.type === 'orderRejected' ? e.orderRef : undefined;
    if (ref && marks.ack[ref] === undefined) marks.ack[ref] = epochNow();
  });
  wrap(d.infra.audit, 'append', (orig, args) => {
    const rec = args[0] as { type?: string; signalId?: string } | undefined;
    const key = `${rec?.type ?? ''}|${rec?.signalId ?? ''}`;
    if (rec?.signalId && marks.audit[key] === undefined) marks.audit[key] = epochNow();
    return orig(...args);
  });
  for (const name of ['quote', 'accountSummaries', 'positions', 'contractDetails', 'managedAccounts']) timeCalls(d.broker, name);
  wrap(d.broker, 'placeOrders', (orig, args) => {
    const legs = args[0] as readonly { orderRef: string }[];
    const ref = legs[0]?.orderRef ?? '';
    const t0 = epochNow();
    const p = orig(...args) as Promise<unknown>;
    const done = (): void => {
      marks.place[ref] = [t0, epochNow()];
    };
    p.then(done, done);
    return p;
  });
}

async function start(c: StartCommand): Promise<void> {
  if (c.mode === 'daemon') {
    const parsed = parseConfig(c.config, {});
    if (!parsed.ok) throw new Error(`config: ${parsed.errors.join('; ')}`);
    const d = await startDaemon({ config: parsed.config, env: {}, logger: createLogger({ silent: true }), workerConcurrency: c.workerConcurrency });
    instrument(d);
    stopFn = () => d.stop();
    return;
  }
  const worker = new Worker(
    c.queueName,
    async (job) => {
      marks.processed[job.id ?? ''] = epochNow();
    },
    { connection: { url: c.redisUrl, maxRetriesPerRequest: null }, concurrency: c.concurrency },
  );
  await worker.waitUntilReady();
  stopFn = () => worker.close();
}

async function onMessage(m: ParentMessage): Promise<void> {
  switch (m.cmd) {
    case 'start':
      await start(m);
      return send({ type: 'ready', usage: usage() });
    case 'usage':
      return send({ type: 'usage', usage: usage() });
    case 'collect':
      return send({ type: 'collected', marks, usage: usage() });
    case 'stop':
      await stopFn?.();
      send({ type: 'stopped', usage: usage() });
      process.disconnect?.();
      setTimeout(() => process.exit(0), 50).unref();
      return;
  }
}

process.on('message', (m: ParentMessage) => {
  onMessage(m).catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) }));
});
process.on('disconnect', () => {
  void (stopFn?.() ?? Promise.resolve()).finally(() => process.exit(0));
});
