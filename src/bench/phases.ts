/**
 * The three measured phases. Each returns raw timestamps; `report.ts` turns them into figures.
 *  - steady: `count` signals at `rate` per second (drift-free schedule), each stamped right before its
 *    enqueue call; waits (bounded) for every job to settle and every fill to be published;
 *  - baseline: the same count and rate into a bare BullMQ worker (no-op processor) in its own process;
 *  - burst: `count` signals added with one `addBulk` call; waits for every order on the wire and every
 *    job settled.
 */
import { SIGNAL_JOB_OPTIONS } from '../ingest/enqueue.js';
import { spawnBenchChild } from './child-handle.js';
import { epochNow, sleep, waitUntil } from './clock.js';
import { baselineQueue, type Harness, type SentSignal } from './harness.js';
import type { ChildMarks, UsageSample } from './protocol.js';

/** Raw results of a steady phase: what was sent, fills, the daemon's marks and usage around the phase. */
export interface SteadyResult {
  readonly sent: readonly SentSignal[];
  readonly fills: ReadonlyMap<string, number>;
  readonly marks: ChildMarks;
  readonly usageBefore: UsageSample;
  readonly usageAfter: UsageSample;
  readonly messages: number;
  readonly problems: readonly string[];
}

/** Calls `fn(i)` for i < count at `rate` per second on an absolute schedule (no drift). */
async function paced(count: number, rate: number, fn: (i: number) => void): Promise<void> {
  const start = epochNow();
  for (let i = 0; i < count; i++) {
    const wait = start + (i * 1000) / rate - epochNow();
    if (wait > 1) await sleep(wait);
    fn(i);
  }
}

function settledWithin(h: Harness, sent: readonly SentSignal[], timeoutMs: number): Promise<boolean> {
  return waitUntil(() => sent.every((s) => h.completed.has(s.jobId)), timeoutMs, 25);
}

/** Steady-rate signals through the daemon (also used, unmeasured, as the warm-up). */
export async function runSteady(h: Harness, tag: string, count: number, rate: number): Promise<SteadyResult> {
  const problems: string[] = [];
  const usageBefore = await h.daemon.usage();
  const msg0 = h.simStats().messages;
  const sent: SentSignal[] = [];
  const adds: Promise<unknown>[] = [];
  await paced(count, rate, (i) => {
    const s = h.stamp(`b${h.runId}-${tag}-${i}`);
    sent.push(s);
    adds.push(h.add(s, i));
  });
  await Promise.all(adds);
  if (!(await settledWithin(h, sent, 30_000 + count * 50))) problems.push(`${tag}: ${sent.filter((s) => !h.completed.has(s.jobId)).length} of ${count} jobs did not settle in time`);
  let fills = await h.fills();
  const haveFills = async (): Promise<boolean> => {
    fills = await h.fills();
    return sent.every((s) => fills.has(s.orderRef));
  };
  if (!(await waitUntil(haveFills, 10_000, 100))) problems.push(`${tag}: ${sent.filter((s) => !fills.has(s.orderRef)).length} of ${count} fills were not published in time`);
  const { marks, usage: usageAfter } = await h.daemon.collect();
  return { sent, fills, marks, usageBefore, usageAfter, messages: h.simStats().messages - msg0, problems };
}

/** Raw results of the baseline: enqueue stamps and processor-start stamps by job id. */
export interface BaselineResult {
  readonly sent: readonly { jobId: string; t0: number }[];
  readonly processed: Readonly<Record<string, number>>;
  readonly problems: readonly string[];
}

/** The bare BullMQ hop: same Redis, same rate, same job options and payload shape, no-op processor. */
export async function runBaseline(h: Harness, redisUrl: string, count: number, rate: number, concurrency: number): Promise<BaselineResult> {
  const name = `${h.stack.config.queue.name}-baseline`;
  const q = baselineQueue(redisUrl, name);
  const child = await spawnBenchChild({ cmd: 'start', mode: 'baseline', redisUrl, queueName: name, concurrency });
  try {
    const problems: string[] = [];
    const warm = Math.min(20, count);
    const sent: { jobId: string; t0: number }[] = [];
    const adds: Promise<unknown>[] = [];
    for (const [tag, n] of [['warm', warm], ['run', count]] as const) {
      const batch: { jobId: string; t0: number }[] = [];
      await paced(n, rate, (i) => {
        const jobId = `base-${tag}-${i}`;
        batch.push({ jobId, t0: epochNow() });
        adds.push(q.queue.add('signal', h.payload(`b${h.runId}-base-${tag}-${i}`, i), { ...SIGNAL_JOB_OPTIONS, jobId }));
      });
      if (tag === 'run') sent.push(...batch);
      await Promise.all(adds);
    }
    let processed: Readonly<Record<string, number>> = {};
    const all = async (): Promise<boolean> => {
      processed = (await child.collect()).marks.processed;
      return sent.every((s) => processed[s.jobId] !== undefined);
    };
    if (!(await waitUntil(all, 15_000, 100))) problems.push(`baseline: ${sent.filter((s) => processed[s.jobId] === undefined).length} of ${count} jobs were not processed in time`);
    return { sent, processed, problems };
  } finally {
    await child.stop();
    await q.close();
  }
}

/** Raw results of the burst: one enqueue stamp for all, the daemon's marks and usage around it. */
export interface BurstResult {
  readonly sent: readonly SentSignal[];
  readonly t0: number;
  readonly marks: ChildMarks;
  readonly usageBefore: UsageSample;
  readonly usageAfter: UsageSample;
  readonly messages: number;
  readonly problems: readonly string[];
}

/** `count` signals in one addBulk; waits for every order on the wire and every job settled. */
export async function runBurst(h: Harness, count: number, budgetPerSecond: number): Promise<BurstResult> {
  const problems: string[] = [];
  const usageBefore = await h.daemon.usage();
  const msg0 = h.simStats().messages;
  const t0 = epochNow();
  const sent = Array.from({ length: count }, (_, i) => ({ ...h.stamp(`b${h.runId}-burst-${i}`), t0 }));
  await h.stack.queue.addBulk(sent.map((s, i) => ({ name: 'signal', data: h.payload(s.id, i), opts: { ...SIGNAL_JOB_OPTIONS, jobId: s.jobId } })));
  const timeoutMs = 30_000 + ((count / budgetPerSecond) * 1000) * 4;
  if (!(await waitUntil(() => sent.every((s) => h.wire.has(s.orderRef)), timeoutMs, 25))) {
    problems.push(`burst: ${sent.filter((s) => !h.wire.has(s.orderRef)).length} of ${count} orders never reached the simulator`);
  }
  if (!(await settledWithin(h, sent, 15_000))) problems.push(`burst: ${sent.filter((s) => !h.completed.has(s.jobId)).length} of ${count} jobs did not settle in time`);
  const { marks, usage: usageAfter } = await h.daemon.collect();
  return { sent, t0, marks, usageBefore, usageAfter, messages: h.simStats().messages - msg0, problems };
}
