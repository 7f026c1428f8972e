/**
 * SHELL: settles orphan INTENT records (see `orphanIntents` in reconcile.ts). An INTENT is written
 * before an order is sent; normally its job sends it or discards it within milliseconds. When the job
 * died in between and will never run again (retries gone, job removed), nothing else would ever settle
 * it: it would reserve its cash or shares forever and hold back position-drift checks. After a clear
 * reconciliation pass with no broker trace, such a record is removed (never sent), and audited.
 */
import type { AuditLog } from '../infra/audit.js';
import type { Outbox, OutboxRecord } from '../infra/outbox.js';
import type { Logger } from '../app/logger.js';
import type { BrokerSnapshot } from './reconciler.js';
import { orphanIntents, type IntentView } from './reconcile.js';

export interface OrphanSettlerDeps {
  readonly outbox: Outbox;
  readonly audit: AuditLog;
  readonly logger: Logger;
  /** whether a BullMQ job still exists and may run (waiting, delayed, active…); false once finished or removed */
  readonly jobIsLive?: (jobId: string) => Promise<boolean>;
  /** an INTENT older than this with no broker trace is settled even when its job still exists */
  readonly orphanAfterMs: number;
  /** true while the order is being handed to the socket */
  readonly isSending: (orderRef: string) => boolean;
}

/** The job id an intent's payload names (the execution service writes `{ jobId, leg }`). */
function jobIdOf(rec: OutboxRecord): string | undefined {
  try {
    const p = JSON.parse(rec.payload ?? '') as { jobId?: unknown };
    return typeof p.jobId === 'string' ? p.jobId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Settles the orphans among `intents` against `snap` (a pass that started at `snapshotFrom`); returns
 * how many were settled. Only call after a pass with clear connectivity.
 */
export async function settleOrphanIntents(d: OrphanSettlerDeps, intents: readonly OutboxRecord[], snap: BrokerSnapshot, snapshotFrom: number, now: number): Promise<number> {
  const candidates = intents.filter((r) => r.state === 'INTENT' && !d.isSending(r.orderRef));
  if (candidates.length === 0) return 0;
  const views: IntentView[] = [];
  for (const r of candidates) {
    const jobId = jobIdOf(r);
    const live = jobId !== undefined && d.jobIsLive ? await d.jobIsLive(jobId).catch(() => true) : true;
    views.push({ orderRef: r.orderRef, account: r.account, createdAt: r.createdAt, jobGone: !live });
  }
  const orphans = orphanIntents(views, { open: snap.openOrders, completed: snap.completedOrders, executions: snap.executions }, { now, connectivityClear: true, snapshotFrom, orphanAfterMs: d.orphanAfterMs });
  let settled = 0;
  for (const o of orphans) {
    const rec = candidates.find((r) => r.orderRef === o.orderRef);
    if (!rec || d.isSending(o.orderRef)) continue;
    // atomic: removed only while still INTENT (a job that just sent it wins)
    if (!(await d.outbox.discardIntent(o.orderRef, rec.signalId))) continue;
    settled += 1;
    d.logger.warn({ orderRef: o.orderRef, account: o.account, why: o.why }, 'settled an orphan order intent as never sent; its reservation is released');
    await d.audit.append({ type: 'order.orphan-settled', account: o.account, signalId: rec.signalId, orderRef: o.orderRef, data: { why: o.why, jobId: jobIdOf(rec) ?? null, side: rec.side, quantity: rec.quantity, symbol: rec.symbol, createdAt: rec.createdAt } });
  }
  return settled;
}
