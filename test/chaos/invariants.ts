/**
 * The end-of-run checks of the chaos suite, as plain data: every violation is a string naming the
 * signal, account or execId involved, so a failing run says exactly what broke.
 *   1. at most one entry order at the simulator per (signal, account), and none we cannot map back;
 *   2. exactly one where a job's outcome says PLACED for that account, none where it says DENIED or
 *      REJECTED (and no job says PLACED twice for one account);
 *   3. every job is terminal: valid signals completed with an Outcome, invalid payloads failed and are on
 *      the dead-letter stream;
 *   4. no execId twice on the fills stream, and every simulator execution of ours is on it;
 *   (5. the audit chain is checked by the caller with `verifyAudit`.)
 */
import type { Job } from 'bullmq';
import type { Outcome } from '../../src/domain/types.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import type { StreamEntry } from '../../src/infra/streams.js';
import type { PlannedJob } from './scenario.js';

/** The part of the simulator's GET /state the checks read. */
export interface SimState {
  readonly orders: readonly { orderId: number; orderRef: string; account: string; status: string; filled: number }[];
  readonly executions: readonly { execId: string; orderRef: string; account: string; shares: number }[];
}

/** A planned job with what BullMQ holds for it at the end (state `missing` when the job is gone). */
export interface JobView {
  readonly planned: PlannedJob;
  readonly job: Job | undefined;
  readonly state: string;
}

/** The violations found (empty = pass) and the counts printed in the summary line. */
export interface Verdict {
  readonly violations: string[];
  readonly counts: {
    signals: number;
    jobs: number;
    invalid: number;
    replays: number;
    results: Record<string, number>;
    orders: number;
    duplicates: number;
    /** second bookings made by the broker (duplicate-next) and how many are still live */
    rebooked: number;
    duplicatesLive: number;
    lost: number;
    unresolved: number;
    fills: number;
    executions: number;
  };
}

/** Checks 1–4 over the final state. */
export function checkInvariants(jobs: readonly JobView[], sim: SimState, fills: readonly StreamEntry[], deadLetter: readonly StreamEntry[], accounts: readonly string[]): Verdict {
  const v: string[] = [];
  const results: Record<string, number> = {};
  let lost = 0;
  let unresolved = 0;
  let duplicates = 0;

  // (signal, account) → decisions of every job of that signal
  const decisions = new Map<string, string[]>();
  // a negative order id is a second booking made by the broker (the duplicate-next fault), never ours
  const simByRef = new Map(sim.orders.filter((o) => o.orderId > 0).map((o) => [o.orderRef, o]));
  const deadJobIds = new Set(deadLetter.map((e) => e.fields.jobId));
  const signals = new Set<string>();
  for (const j of jobs) {
    signals.add(j.planned.signalId);
    if (j.planned.invalid) {
      if (j.state !== 'failed') v.push(`invalid job ${j.planned.jobId} is ${j.state}, expected failed`);
      else if (!(j.job?.failedReason ?? '').includes('INVALID_SIGNAL')) v.push(`invalid job ${j.planned.jobId} failed with "${j.job?.failedReason}", expected INVALID_SIGNAL`);
      if (!deadJobIds.has(j.planned.jobId)) v.push(`invalid job ${j.planned.jobId} is not on the dead-letter stream`);
      continue;
    }
    const outcome = j.job?.returnvalue as Outcome | undefined;
    if (j.state !== 'completed' || !outcome || !Array.isArray(outcome.results)) {
      lost += 1;
      v.push(`LOST: job ${j.planned.jobId} is ${j.state}${j.job?.failedReason ? ` (${j.job.failedReason})` : ''} without an outcome`);
      continue;
    }
    if (outcome.signalId !== j.planned.signalId) v.push(`job ${j.planned.jobId} answered for signal ${outcome.signalId}`);
    for (const r of outcome.results) {
      results[r.decision] = (results[r.decision] ?? 0) + 1;
      if (r.decision === 'UNRESOLVED') unresolved += 1;
      const key = `${j.planned.signalId}|${r.account}`;
      const at = r.orderRef ? simByRef.get(r.orderRef) : undefined;
      if (r.decision === 'PLACED' && at && r.orderId !== undefined && r.orderId !== at.orderId) {
        v.push(`${key}: the outcome says orderId ${r.orderId}, the simulator holds ${r.orderRef} as ${at.orderId}`);
      }
      decisions.set(key, [...(decisions.get(key) ?? []), r.decision]);
    }
  }

  // entry orders at the simulator by orderRef
  const expected = new Map<string, string>();
  for (const s of signals) for (const a of accounts) expected.set(orderRefFor(s, a, 'entry'), `${s}|${a}`);
  const ours = sim.orders.filter((o) => o.orderRef.startsWith('ix1-') && o.orderId > 0);
  const rebooked = sim.orders.filter((o) => o.orderRef.startsWith('ix1-') && o.orderId <= 0);
  let duplicatesLive = 0;
  for (const o of rebooked) {
    if (o.status === 'Submitted' || o.status === 'PreSubmitted' || o.status === 'PendingSubmit') {
      duplicatesLive += 1;
      v.push(`DUPLICATE LEFT LIVE: the broker's second booking ${o.orderId} of ${o.orderRef} is still ${o.status}`);
    }
  }
  const byRef = new Map<string, number>();
  for (const o of ours) {
    if (!expected.has(o.orderRef)) v.push(`order ${o.orderId} (${o.orderRef}) at the simulator maps to no planned (signal, account)`);
    byRef.set(o.orderRef, (byRef.get(o.orderRef) ?? 0) + 1);
  }
  for (const [ref, n] of byRef) {
    if (n > 1) {
      duplicates += n - 1;
      v.push(`DUPLICATE: ${n} orders at the simulator for ${expected.get(ref) ?? ref} (${ref})`);
    }
  }
  for (const [ref, key] of expected) {
    const n = byRef.get(ref) ?? 0;
    const d = decisions.get(key) ?? [];
    const placed = d.filter((x) => x === 'PLACED').length;
    if (placed > 1) v.push(`${key}: ${placed} jobs say PLACED`);
    if (placed >= 1 && n === 0) {
      lost += 1;
      v.push(`LOST ORDER: ${key} is PLACED but the simulator has no order ${ref}`);
    }
    const settled = d.filter((x) => x !== 'DUPLICATE');
    if (n > 0 && settled.length > 0 && settled.every((x) => x === 'DENIED' || x === 'REJECTED')) {
      v.push(`${key}: the simulator holds ${ref} but the outcome says ${settled.join('/')}`);
    }
    if (n > 0 && d.length === 0) v.push(`${key}: the simulator holds ${ref} but no outcome names the account`);
  }

  // fills
  const seen = new Map<string, number>();
  for (const e of fills) {
    if (e.fields.type === 'COMMISSION') continue;
    const id = e.fields.execId ?? '';
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  for (const [id, n] of seen) if (n > 1) v.push(`execId ${id} is ${n} times on the fills stream`);
  // CONTRACT §5: a fill names its signal and account; ours map back through the orderRef
  const refToKey = new Map<string, string>();
  for (const s of signals) for (const a of accounts) refToKey.set(orderRefFor(s, a, 'entry'), `${s}|${a}`);
  for (const e of fills) {
    if (e.fields.type === 'COMMISSION') continue;
    const key = refToKey.get(e.fields.orderRef ?? '');
    if (key && key !== `${e.fields.signalId ?? ''}|${e.fields.account ?? ''}`) {
      v.push(`fill ${e.fields.execId} of ${e.fields.orderRef} says signal "${e.fields.signalId ?? ''}" account "${e.fields.account ?? ''}", expected ${key}`);
    }
  }
  const ourExecs = sim.executions.filter((e) => e.orderRef.startsWith('ix1-'));
  for (const e of ourExecs) if (!seen.has(e.execId)) v.push(`execution ${e.execId} (${e.orderRef}, ${e.shares}) is not on the fills stream`);

  return {
    violations: v,
    counts: {
      signals: signals.size,
      jobs: jobs.length,
      invalid: jobs.filter((j) => j.planned.invalid).length,
      replays: jobs.filter((j) => j.planned.replay).length,
      results,
      orders: ours.length,
      duplicates,
      rebooked: rebooked.length,
      duplicatesLive,
      lost,
      unresolved,
      fills: seen.size,
      executions: ourExecs.length,
    },
  };
}

/** The executions of ours at the simulator that are not (yet) on the fills stream. */
export function missingFills(sim: SimState, fills: readonly StreamEntry[]): string[] {
  const seen = new Set(fills.map((e) => e.fields.execId));
  return sim.executions.filter((e) => e.orderRef.startsWith('ix1-') && !seen.has(e.execId)).map((e) => e.execId);
}

/**
 * Checks on the audit trail besides the chain: no trading-state change (a false CONFLICT or drift would
 * stop an account) and no order of ours reported as untracked. Also counts fills on the stream without an
 * audit record (reported only: the stream write and the audit append are not atomic).
 */
export function checkAuditTrail(audit: readonly StreamEntry[], fills: readonly StreamEntry[]): { violations: string[]; untracked: number; unauditedFills: number } {
  const violations: string[] = [];
  // a second broker booking of one orderRef rightly stops its account (REDUCE_ONLY); nothing else may
  const expected = (e: StreamEntry): boolean => (JSON.parse(e.fields.data ?? '{}') as { cause?: { type?: string } }).cause?.type === 'DUPLICATE_ORDER';
  for (const e of audit.filter((x) => x.fields.type === 'trading-state' && !expected(x)).slice(0, 5)) {
    violations.push(`audit seq ${e.fields.seq}: trading state of ${e.fields.account || 'all'} changed: ${(e.fields.data ?? '').slice(0, 300)}`);
  }
  const untracked = audit.filter((e) => e.fields.type === 'reconciliation.untracked');
  for (const e of untracked.slice(0, 5)) violations.push(`audit seq ${e.fields.seq}: reconciliation reported ${e.fields.orderRef} as untracked`);
  const audited = new Set(audit.filter((e) => e.fields.type === 'fill').map((e) => (JSON.parse(e.fields.data ?? '{}') as { execId?: string }).execId));
  const unauditedFills = fills.filter((e) => e.fields.type !== 'COMMISSION' && !audited.has(e.fields.execId)).length;
  return { violations, untracked: untracked.length, unauditedFills };
}
