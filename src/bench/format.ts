/**
 * Human renderings of a `BenchReport`: aligned text tables for stdout, and a Markdown section for
 * BENCHMARKS.md (written between `<!-- bench:begin -->` and `<!-- bench:end -->`, so prose around it
 * survives a re-run).
 */
import { formatTable, type Cell } from '../cli/output.js';
import type { BenchReport } from './report.js';
import type { LatencySummary } from './stats.js';

const fmt = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));
const latRow = (name: string, s: LatencySummary): Cell[] => [name, s.count, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max)];
const LAT_COLS = ['path (ms)', 'n', 'p50', 'p95', 'p99', 'max'];

function sections(r: BenchReport): { title: string; columns: string[]; rows: Cell[][] }[] {
  const l = r.latency;
  const b = r.burst;
  const res = r.resources;
  return [
    {
      title: `Latency: ${r.settings.rate}/s for ${r.settings.durationSec} s, one account, MKT BUY ${r.settings.quantity} of ${r.settings.symbols.join('/')} (${l.placed}/${l.signals} PLACED)`,
      columns: LAT_COLS,
      rows: [
        latRow('enqueue → order at simulator', l.toWire),
        latRow('enqueue → ack seen by daemon', l.toAck),
        latRow('enqueue → fill on fills stream', l.toFill),
        latRow('enqueue → job completed', l.toOutcome),
        latRow('baseline: enqueue → no-op processor', r.baseline.toProcessor),
      ],
    },
    { title: 'Where the time to the wire goes', columns: LAT_COLS, rows: Object.entries(l.breakdown).map(([k, s]) => latRow(k, s)) },
    {
      title: `Burst: ${b.signals} signals at once (${b.placed} PLACED), budget ${r.settings.budgetPerSecond} msgs/s`,
      columns: ['figure', 'value'],
      rows: [
        ['drain, enqueue → last order at simulator (ms)', fmt(b.drainToWireMs, 0)],
        ['drain, enqueue → last job completed (ms)', fmt(b.drainSettledMs, 0)],
        ['pacing bound, orders ÷ budget (ms)', fmt(b.pacingBoundMs, 0)],
        ['drain over bound', fmt(b.drainOverBound)],
        ['most client messages in one second (whole run)', b.maxMessagesPerSecond],
        ['messages over the simulator limit (error 100)', b.messagesOverLimit],
        ['client messages per signal, burst / steady', `${fmt(b.messagesPerSignal)} / ${fmt(l.messagesPerSignal)}`],
      ],
    },
    {
      title: `Resources (${res.measured})`,
      columns: ['figure', 'value'],
      rows: [
        ['peak RSS (MB)', fmt(res.peakRssMb, 1)],
        ['RSS after start-up (MB)', fmt(res.rssAfterStartMb, 1)],
        ['CPU s per 1,000 signals, steady / burst / both', `${fmt(res.cpuSecondsPer1000Steady)} / ${fmt(res.cpuSecondsPer1000Burst)} / ${fmt(res.cpuSecondsPer1000)}`],
      ],
    },
    {
      title: 'Targets (reported, not asserted)',
      columns: ['target', 'goal', 'actual', 'met'],
      rows: r.targets.map((t) => [t.name, `${t.target} ${t.unit}`, `${fmt(t.actual)} ${t.unit}`, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO']),
    },
  ];
}

function machineLine(r: BenchReport): string {
  const m = r.machine;
  return `${m.cpus} × ${m.cpuModel}, Node ${m.node}, Redis ${m.redis}, ${m.platform} — ${r.at}`;
}

function callsLine(r: BenchReport): string | undefined {
  const calls = Object.entries(r.latency.brokerCalls).map(([k, c]) => `${k} ${c.count}× (mean ${fmt(c.totalMs / Math.max(c.count, 1))} ms, max ${fmt(c.maxMs)} ms)`);
  return calls.length ? `Broker queries by the daemon (warm-up + latency phase): ${calls.join(', ')}.` : undefined;
}

/** The stdout table. */
export function formatReport(r: BenchReport): string {
  const out = [`ibkr-exec bench — ${machineLine(r)}`, ''];
  for (const s of sections(r)) out.push(s.title, formatTable(s.columns, s.rows), '');
  const calls = callsLine(r);
  if (calls) out.push(calls, '');
  for (const p of r.problems) out.push(`problem: ${p}`);
  return out.join('\n').trimEnd() + '\n';
}

function mdTable(columns: string[], rows: Cell[][]): string {
  const esc = (c: Cell): string => (c === null || c === undefined ? '' : String(c)).replaceAll('|', '\\|');
  return [`| ${columns.join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** The generated Markdown block (with its markers). */
export function formatMarkdown(r: BenchReport): string {
  const out = ['<!-- bench:begin -->', `Machine: ${machineLine(r)}`, ''];
  for (const s of sections(r)) out.push(`**${s.title}**`, '', mdTable(s.columns, s.rows), '');
  const calls = callsLine(r);
  if (calls) out.push(calls, '');
  for (const p of r.problems) out.push(`- problem: ${p}`);
  out.push('<!-- bench:end -->');
  return out.join('\n');
}

/** Replaces the generated block in `existing` (or appends it when there is none). */
export function spliceMarkdown(existing: string, block: string): string {
  const re = /<!-- bench:begin -->[\s\S]*?<!-- bench:end -->/;
  return re.test(existing) ? existing.replace(re, block) : `${existing.trimEnd()}\n\n${block}\n`;
}
