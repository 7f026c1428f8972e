/**
 * The benchmark report: its JSON shape (`--json` prints it as is; keep field names stable), the
 * figures computed from the phases' raw timestamps, and the targets it is read against. Targets are
 * reported, never asserted.
 */
import type { SentSignal } from './harness.js';
import type { BaselineResult, BurstResult, SteadyResult } from './phases.js';
import type { ChildMarks } from './protocol.js';
import { ratio, summarize, type LatencySummary } from './stats.js';

/** The machine a report came from. */
export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly redis: string;
  readonly platform: string;
}

/** The settings a report was made with (defaults filled in). */
export interface BenchSettings {
  readonly rate: number;
  readonly durationSec: number;
  readonly burst: number;
  readonly symbols: readonly string[];
  readonly quantity: number;
  readonly budgetPerSecond: number;
  readonly workerConcurrency: number;
}

/** One target of the issue, the measured figure and whether it was met. */
export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly actual: number | null;
  readonly unit: string;
  /** null when the figure could not be measured */
  readonly met: boolean | null;
}

/** The whole report (`--json` output, schema `ibkr-exec-bench/1`). Durations in ms. */
export interface BenchReport {
  readonly schema: 'ibkr-exec-bench/1';
  readonly at: string;
  readonly machine: MachineInfo;
  readonly settings: BenchSettings;
  readonly latency: {
    readonly signals: number;
    readonly placed: number;
    /** enqueue → order received by the simulator */
    readonly toWire: LatencySummary;
    /** enqueue → first order status seen by the daemon */
    readonly toAck: LatencySummary;
    /** enqueue → fill entry added to the fills stream (Redis stream id, 1 ms resolution) */
    readonly toFill: LatencySummary;
    /** enqueue → job completed, as QueueEvents reports it */
    readonly toOutcome: LatencySummary;
    /** where the time to the wire goes, segment by segment */
    readonly breakdown: Readonly<Record<string, LatencySummary>>;
    readonly messagesPerSignal: number | null;
    readonly brokerCalls: ChildMarks['calls'];
  };
  readonly baseline: { readonly jobs: number; readonly toProcessor: LatencySummary };
  /** our enqueue → wire over the baseline's enqueue → processor start */
  readonly overBaseline: { readonly p50: number | null; readonly p99: number | null };
  readonly burst: {
    readonly signals: number;
    readonly placed: number;
    readonly drainToWireMs: number | null;
    readonly drainSettledMs: number | null;
    readonly pacingBoundMs: number;
    readonly drainOverBound: number | null;
    readonly maxMessagesPerSecond: number;
    readonly messagesOverLimit: number;
    readonly messagesPerSignal: number | null;
  };
  readonly resources: {
    readonly measured: string;
    readonly peakRssMb: number;
    readonly rssAfterStartMb: number;
    readonly cpuSecondsPer1000Steady: number | null;
    readonly cpuSecondsPer1000Burst: number | null;
    readonly cpuSecondsPer1000: number | null;
  };
  readonly targets: readonly TargetCheck[];
  readonly problems: readonly string[];
}

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
const r3 = (v: number): number => Math.round(v * 1000) / 1000;

function diffs(sent: readonly SentSignal[], at: (s: SentSignal) => number | undefined, from: (s: SentSignal) => number | undefined = (s) => s.t0): number[] {
  const out: number[] = [];
  for (const s of sent) {
    const a = at(s);
    const b = from(s);
    if (a !== undefined && b !== undefined) out.push(a - b);
  }
  return out;
}

function placedCount(sent: readonly SentSignal[], completed: ReadonlyMap<string, { ok: boolean; value?: string }>): number {
  return sent.filter((s) => {
    const c = completed.get(s.jobId);
    return c?.ok === true && (c.value ?? '').includes('"PLACED"');
  }).length;
}

function breakdown(r: SteadyResult, wire: ReadonlyMap<string, number>): Record<string, LatencySummary> {
  const m = r.marks;
  const audit = (type: string) => (s: SentSignal) => m.audit[`${type}|${s.id}`];
  const place0 = (s: SentSignal) => m.place[s.orderRef]?.[0];
  const place1 = (s: SentSignal) => m.place[s.orderRef]?.[1];
  const w = (s: SentSignal) => wire.get(s.orderRef);
  return {
    'enqueue → daemon picks the job up': summarize(diffs(r.sent, audit('signal'))),
    'pick-up → decision (context + evaluation)': summarize(diffs(r.sent, audit('decision'), audit('signal'))),
    'decision → placeOrders called (outbox intent)': summarize(diffs(r.sent, place0, audit('decision'))),
    'placeOrders → resolved (pacer + socket write)': summarize(diffs(r.sent, place1, place0)),
    'placeOrders called → simulator has the order': summarize(diffs(r.sent, w, place0)),
    'simulator → daemon sees the ack': summarize(diffs(r.sent, (s) => m.ack[s.orderRef], w)),
  };
}

/** Everything `buildReport` computes from. */
export interface ReportInput {
  readonly machine: MachineInfo;
  readonly settings: BenchSettings;
  readonly steady: SteadyResult;
  readonly baseline: BaselineResult;
  readonly burst: BurstResult;
  readonly wire: ReadonlyMap<string, number>;
  readonly completed: ReadonlyMap<string, { at: number; ok: boolean; value?: string }>;
  readonly sim: { readonly maxPerSecond: number; readonly violations: number };
  readonly rssAfterStartBytes: number;
  readonly extraProblems: readonly string[];
}

/** Computes every figure of the report from the raw phase results. */
export function buildReport(i: ReportInput): BenchReport {
  const { steady, burst, baseline, wire, completed } = i;
  const toWire = summarize(diffs(steady.sent, (s) => wire.get(s.orderRef)));
  const toProcessor = summarize(baseline.sent.map((s) => (baseline.processed[s.jobId] ?? NaN) - s.t0));
  const lastWire = Math.max(...burst.sent.map((s) => wire.get(s.orderRef) ?? NaN));
  const lastDone = Math.max(...burst.sent.map((s) => completed.get(s.jobId)?.at ?? NaN));
  const boundMs = (burst.sent.length / i.settings.budgetPerSecond) * 1000;
  const drainToWireMs = Number.isFinite(lastWire) ? r3(lastWire - burst.t0) : null;
  const cpuPer1000 = (micros: number, n: number): number | null => (n > 0 ? r3((micros / 1e6 / n) * 1000) : null);
  const steadyCpu = steady.usageAfter.cpuMicros - steady.usageBefore.cpuMicros;
  const burstCpu = burst.usageAfter.cpuMicros - burst.usageBefore.cpuMicros;
  const peakRssMb = mb(Math.max(burst.usageAfter.maxRssBytes, steady.usageAfter.maxRssBytes));
  const report: Omit<BenchReport, 'targets'> = {
    schema: 'ibkr-exec-bench/1',
    at: new Date().toISOString(),
    machine: i.machine,
    settings: i.settings,
    latency: {
      signals: steady.sent.length,
      placed: placedCount(steady.sent, completed),
      toWire,
      toAck: summarize(diffs(steady.sent, (s) => steady.marks.ack[s.orderRef])),
      toFill: summarize(diffs(steady.sent, (s) => steady.fills.get(s.orderRef))),
      toOutcome: summarize(diffs(steady.sent, (s) => completed.get(s.jobId)?.at)),
      breakdown: breakdown(steady, wire),
      messagesPerSignal: steady.sent.length ? r3(steady.messages / steady.sent.length) : null,
      brokerCalls: steady.marks.calls,
    },
    baseline: { jobs: baseline.sent.length, toProcessor },
    overBaseline: { p50: ratio(toWire.p50, toProcessor.p50), p99: ratio(toWire.p99, toProcessor.p99) },
    burst: {
      signals: burst.sent.length,
      placed: placedCount(burst.sent, completed),
      drainToWireMs,
      drainSettledMs: Number.isFinite(lastDone) ? r3(lastDone - burst.t0) : null,
      pacingBoundMs: r3(boundMs),
      drainOverBound: ratio(drainToWireMs, boundMs),
      maxMessagesPerSecond: i.sim.maxPerSecond,
      messagesOverLimit: i.sim.violations,
      messagesPerSignal: burst.sent.length ? r3(burst.messages / burst.sent.length) : null,
    },
    resources: {
      measured: 'daemon in its own child process (process.resourceUsage / memoryUsage); simulator and producer excluded',
      peakRssMb,
      rssAfterStartMb: mb(i.rssAfterStartBytes),
      cpuSecondsPer1000Steady: cpuPer1000(steadyCpu, steady.sent.length),
      cpuSecondsPer1000Burst: cpuPer1000(burstCpu, burst.sent.length),
      cpuSecondsPer1000: cpuPer1000(steadyCpu + burstCpu, steady.sent.length + burst.sent.length),
    },
    problems: [...i.extraProblems, ...steady.problems, ...baseline.problems, ...burst.problems],
  };
  return { ...report, targets: targets(report) };
}

function check(name: string, target: string, actual: number | null, unit: string, ok: (v: number) => boolean): TargetCheck {
  return { name, target, actual, unit, met: actual === null ? null : ok(actual) };
}

function targets(r: Omit<BenchReport, 'targets'>): TargetCheck[] {
  return [
    check('signal → wire p50', '≤ 1', r.latency.toWire.p50, 'ms', (v) => v <= 1),
    check('signal → wire p99', '≤ 5', r.latency.toWire.p99, 'ms', (v) => v <= 5),
    check('over bare BullMQ hop, p50', '≤ 2', r.overBaseline.p50, '×', (v) => v <= 2),
    check('burst drain over pacing bound', '≤ 1.1', r.burst.drainOverBound, '×', (v) => v <= 1.1),
    check('most client messages in one second', '≤ 50', r.burst.maxMessagesPerSecond, 'msgs', (v) => v <= 50),
    check('daemon peak RSS', '≤ 150', r.resources.peakRssMb, 'MB', (v) => v <= 150),
  ];
}
