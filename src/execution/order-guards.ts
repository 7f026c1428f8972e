/**
 * SHELL: guards on orders already at the broker.
 *
 *  - One ref, one order (`DuplicateGuard`): a second live broker order for one of our orderRefs (IB can
 *    book one after a modify during 1100; a re-sent id after a Redis loss does it too) is cancelled at
 *    once, keeping the first (the one our record names); the duplicate is audited and the account goes
 *    REDUCE_ONLY. If both traded, an alert-level log line and audit record say so: shares changed hands
 *    twice for one signal and an operator must look.
 *  - Stuck UNRESOLVED escalates (`UnresolvedWatch`): an order still UNRESOLVED after
 *    `execution.maxUnresolvedCycles` periodic reconciliation passes (`execution.reconcileIntervalMs`, with
 *    clear connectivity) puts its account in REDUCE_ONLY, naming it.
 */
import type { AuditLog } from '../infra/audit.js';
import type { TradingStateStore } from '../infra/trading-state.js';
import type { Logger } from '../app/logger.js';
import type { BrokerOrderStatus, BrokerPort } from './broker-port.js';

/** A broker order carrying one of our orderRefs that is not the order our record names. */
export interface DuplicateOrder {
  readonly orderRef: string;
  readonly account: string;
  readonly signalId?: string;
  /** the order kept: the one our record names */
  readonly keep: { readonly orderId?: number; readonly permId?: number; readonly filled: number };
  /** the other booking */
  readonly extra: { readonly orderId: number; readonly permId?: number; readonly status: BrokerOrderStatus; readonly filled: number };
  /** where it was seen: 'live' (an order event) or 'reconcile' */
  readonly source: string;
}

const DONE: readonly BrokerOrderStatus[] = ['CANCELLED', 'FILLED', 'INACTIVE'];

export interface GuardDeps {
  readonly broker: Pick<BrokerPort, 'cancelOrder'>;
  readonly tradingState: TradingStateStore;
  readonly audit: AuditLog;
  readonly logger: Logger;
}

/** Cancels and reports second bookings of one orderRef; idempotent per (orderRef, permId). */
export class DuplicateGuard {
  private readonly cancelled = new Set<string>();
  private readonly reported = new Set<string>();
  private readonly alerted = new Set<string>();

  constructor(private readonly d: GuardDeps) {}

  /**
   * Handles one sighting of a duplicate (called for every event of it; acts once per step). The report
   * (REDUCE_ONLY, log, audit) comes before the cancel, so a crash between them cannot leave a cancelled copy
   * that nothing reports; a report that failed (Redis away) is tried again on the next sighting, and the
   * cancel is sent whether or not the report could be written.
   */
  async onDuplicate(x: DuplicateOrder): Promise<void> {
    const key = `${x.orderRef}|${x.extra.permId ?? `id${x.extra.orderId}`}`;
    const live = !DONE.includes(x.extra.status);
    if (!this.reported.has(key)) await this.report(x, key, live);
    if (live && !this.cancelled.has(key)) {
      this.cancelled.add(key);
      try {
        await this.d.broker.cancelOrder(x.extra.orderId);
      } catch (err) {
        this.cancelled.delete(key); // not sent (e.g. 1100): the next sighting or pass tries again
        this.d.logger.warn({ orderRef: x.orderRef, orderId: x.extra.orderId, err: (err as Error).message }, 'could not cancel a duplicate broker order yet; retrying on the next sighting');
      }
    }
    if (x.extra.filled > 0 && x.keep.filled > 0 && !this.alerted.has(key)) {
      this.alerted.add(key);
      this.d.logger.error({ alert: 'DUPLICATE_FILLED', orderRef: x.orderRef, account: x.account, keep: x.keep, duplicate: x.extra }, `ALERT: both broker orders for orderRef ${x.orderRef} traded (${x.keep.filled} and ${x.extra.filled}): the position holds more than the signal asked; an operator must act`);
      await this.d.audit.append({ type: 'order.duplicate-filled', account: x.account, signalId: x.signalId ?? '', orderRef: x.orderRef, data: { keep: x.keep, duplicate: x.extra, source: x.source } });
    }
  }

  /** REDUCE_ONLY, an error-level log line and the audit records; never throws (retried on the next sighting). */
  private async report(x: DuplicateOrder, key: string, live: boolean): Promise<void> {
    this.reported.add(key);
    try {
      const previous = await this.d.tradingState.setAccount(x.account, 'REDUCE_ONLY');
      this.d.logger.error({ orderRef: x.orderRef, account: x.account, keep: x.keep, duplicate: x.extra, source: x.source }, `a second broker order for orderRef ${x.orderRef} (orderId ${x.extra.orderId}, permId ${x.extra.permId ?? '?'}): ${live ? 'cancelling it, keeping the first' : `it is already ${x.extra.status}`}; account ${x.account} set to REDUCE_ONLY`);
      await this.d.audit.append({ type: 'order.duplicate', account: x.account, signalId: x.signalId ?? '', orderRef: x.orderRef, data: { keep: x.keep, duplicate: x.extra, cancelSent: live, source: x.source } });
      await this.d.audit.append({ type: 'trading-state', account: x.account, data: { previous, current: 'REDUCE_ONLY', cause: { type: 'DUPLICATE_ORDER', orderRef: x.orderRef, duplicate: x.extra } } });
    } catch (err) {
      this.reported.delete(key);
      this.d.logger.warn({ orderRef: x.orderRef, err: (err as Error).message }, 'could not record a duplicate broker order yet; retrying on the next sighting');
    }
  }
}

/** Counts reconciliation passes per UNRESOLVED order and escalates past the bound. */
export class UnresolvedWatch {
  private readonly cycles = new Map<string, number>();
  private readonly escalated = new Set<string>();

  constructor(private readonly d: Omit<GuardDeps, 'broker'> & { readonly maxCycles: number }) {}

  /** Called after each reconciliation pass with the orders still UNRESOLVED. */
  async afterPass(unresolved: readonly { readonly orderRef: string; readonly account: string; readonly signalId: string; readonly orderId?: number }[]): Promise<void> {
    const now = new Set(unresolved.map((u) => u.orderRef));
    for (const ref of [...this.cycles.keys()]) if (!now.has(ref)) this.cycles.delete(ref);
    for (const u of unresolved) {
      const n = (this.cycles.get(u.orderRef) ?? 0) + 1;
      this.cycles.set(u.orderRef, n);
      if (n <= this.d.maxCycles || this.escalated.has(u.orderRef)) continue;
      this.escalated.add(u.orderRef);
      const previous = await this.d.tradingState.setAccount(u.account, 'REDUCE_ONLY');
      this.d.logger.error({ orderRef: u.orderRef, account: u.account, orderId: u.orderId, cycles: n }, `order ${u.orderRef} is still UNRESOLVED after ${n} reconciliation passes (execution.maxUnresolvedCycles ${this.d.maxCycles}); account ${u.account} set to REDUCE_ONLY`);
      await this.d.audit.append({ type: 'trading-state', account: u.account, signalId: u.signalId, orderRef: u.orderRef, data: { previous, current: 'REDUCE_ONLY', cause: { type: 'UNRESOLVED_TOO_LONG', orderRef: u.orderRef, orderId: u.orderId ?? null, cycles: n, maxUnresolvedCycles: this.d.maxCycles } } });
    }
  }
}
