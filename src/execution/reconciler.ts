/**
 * SHELL: brings our outbox in line with the broker, using the pure `reconcile()`. It runs
 *  - at every session start and after every 1101/1102 (the IB adapter calls `onSnapshot` and keeps
 *    orders blocked until it returns: no trading before reconciliation),
 *  - whenever an order has waited past the ack timeout (the in-flight monitor), and periodically,
 *  - on demand, when a redelivered job finds an order whose fate is unknown (`runNow`).
 * Invariants: passes never overlap (each `runNow` gets a pass that starts after the call); an order is
 * treated as absent from the broker only when connectivity stayed clear for the whole pass; a fill is
 * published once per execId; every action is audited.
 */
import type { Subscription } from 'rxjs';
import type { Clock } from '../domain/clock.js';
import type { OrderEvent, OrderState } from '../domain/order-state.js';
import type { AuditLog } from '../infra/audit.js';
import type { Outbox } from '../infra/outbox.js';
import type { StreamPublisher } from '../infra/streams.js';
import type { TradingStateStore } from '../infra/trading-state.js';
import type { Logger } from '../app/logger.js';
import type { BrokerPort, FillReport, OrderReport } from './broker-port.js';
import type { OrderEventProcessor } from './order-events.js';
import { reconcile, type ExpectedPosition, type LocalOrder, type ReconcileAction } from './reconcile.js';
import { settleOrphanIntents } from './settle-orphans.js';
import type { DuplicateOrder } from './order-guards.js';

export interface ReconcilerDeps {
  readonly broker: BrokerPort;
  readonly outbox: Outbox;
  readonly streams: StreamPublisher;
  readonly audit: AuditLog;
  readonly tradingState: TradingStateStore;
  readonly events: OrderEventProcessor;
  readonly clock: Clock;
  readonly logger: Logger;
  /** an order younger than this is never called absent (> the ack timeout) */
  readonly absentGraceMs: number;
  /** an in-flight order older than this triggers a pass */
  readonly inflightThresholdMs: number;
  /** the accounts whose positions are checked against the ledger (the declared ones) */
  readonly accounts: readonly string[];
  /** whether a signal job still exists and may run (orphan INTENTs); without it only the age bound applies */
  readonly jobIsLive?: (jobId: string) => Promise<boolean>;
  /** an INTENT older than this with no broker trace after a clear pass is settled as never sent (default 5 min) */
  readonly orphanIntentMs?: number;
  /** cancels and reports a second broker order for one orderRef (`DuplicateGuard`); without it: REDUCE_ONLY only */
  readonly duplicates?: { onDuplicate(d: DuplicateOrder): Promise<void> };
  /** told after every clear periodic pass which orders are still UNRESOLVED (`UnresolvedWatch`) */
  readonly unresolved?: { afterPass(orders: readonly { orderRef: string; account: string; signalId: string; orderId?: number }[]): Promise<void> };
  /** while true (IB's nightly restart window) positions are not compared with the ledger: no drift, no REDUCE_ONLY */
  readonly driftPaused?: () => boolean;
}

export interface BrokerSnapshot {
  readonly openOrders: readonly OrderReport[];
  readonly completedOrders: readonly OrderReport[];
  readonly executions: readonly FillReport[];
}

const OPEN_STATES: readonly OrderState[] = ['INTENT', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'PENDING_CANCEL', 'UNRESOLVED'];
const IN_FLIGHT: readonly OrderState[] = ['SUBMITTED', 'UNRESOLVED'];

const EVENT_TO: Readonly<Record<OrderState, OrderEvent | undefined>> = {
  INTENT: undefined,
  SUBMITTED: 'SENT',
  ACCEPTED: 'ACK',
  PARTIALLY_FILLED: 'PARTIAL_FILL',
  FILLED: 'FILL',
  PENDING_CANCEL: 'CANCEL_REQUESTED',
  CANCELLED: 'CANCELLED',
  REJECTED: 'REJECTED',
  UNRESOLVED: undefined,
};

const RESOLVED_TO: Readonly<Partial<Record<OrderState, OrderEvent>>> = {
  ACCEPTED: 'RESOLVED_ACCEPTED',
  PARTIALLY_FILLED: 'RESOLVED_PARTIALLY_FILLED',
  FILLED: 'RESOLVED_FILLED',
  CANCELLED: 'RESOLVED_CANCELLED',
  REJECTED: 'RESOLVED_REJECTED',
};

export class Reconciler {
  private chain: Promise<unknown> = Promise.resolve();
  private lastDisruptionAt = 0;
  private timers: NodeJS.Timeout[] = [];
  private sub: Subscription | undefined;
  private readonly knownConflicts = new Set<string>();
  private passes = 0;
  /** expected positions: a broker baseline plus every fill published since (undefined until a quiet pass) */
  private ledger: Map<string, ExpectedPosition> | undefined;
  /** drifts seen in the previous periodic pass: key → "expected/actual" */
  private suspects = new Map<string, string>();
  /** the "drift check paused" debug line is written once per window */
  private driftPauseLogged = false;

  constructor(private readonly d: ReconcilerDeps) {
    this.sub = d.broker.connection$.subscribe((s) => {
      if (s.state !== 'CONNECTED') this.lastDisruptionAt = d.clock.now();
    });
  }

  /** How many passes completed (for status and tests). */
  get completedPasses(): number {
    return this.passes;
  }

  /** The IB adapter's own pass (session start, 1101/1102): adopt, resolve and publish; never "absent". */
  onSnapshot(snap: BrokerSnapshot, why: string): Promise<void> {
    return this.serialize(() => this.apply(snap, false, why)).then(() => undefined);
  }

  /** Queries the broker now and applies the result; passes are serialized. */
  runNow(why = 'on demand'): Promise<{ connectivityClear: boolean }> {
    return this.serialize(async () => {
      const startedAt = this.d.clock.now();
      const openOrders = await this.d.broker.openOrders();
      const completedOrders = await this.d.broker.completedOrders();
      const executions = await this.d.broker.executions();
      const clear = this.d.broker.isReadyForOrders() && this.lastDisruptionAt < startedAt;
      const snap = { openOrders, completedOrders, executions };
      await this.apply(snap, clear, why, startedAt);
      if (clear) {
        await this.settleOrphans(snap, startedAt);
        // a cycle is a periodic pass: the in-flight monitor's passes come every second while an order is
        // young and may still be settled as absent once its grace is over
        if (why === 'periodic') await this.countUnresolved();
      }
      return { connectivityClear: clear };
    });
  }

  /**
   * Forgets the position ledger; the next quiet periodic pass takes the broker's positions as the new
   * baseline. After a loss of Redis state every fill is published again, which must not count twice.
   */
  resetLedger(): void {
    this.ledger = undefined;
    this.suspects = new Map();
  }

  /** Adds a newly published fill to the position ledger. */
  noteFill(f: FillReport): void {
    if (!this.ledger) return;
    const key = ledgerKey(f.account, f.instrument.secType, f.instrument.symbol);
    const cur = this.ledger.get(key) ?? { account: f.account, symbol: f.instrument.symbol, secType: f.instrument.secType, quantity: 0 };
    this.ledger.set(key, { ...cur, quantity: cur.quantity + (f.side === 'BOT' ? f.shares : -f.shares) });
  }

  /** Starts the in-flight monitor and the periodic pass. */
  start(opts: { inflightCheckMs: number; intervalMs: number }): void {
    const tick = (fn: () => Promise<unknown>) => () => void fn().catch((err: unknown) => this.d.logger.warn({ err }, 'reconciliation pass failed'));
    this.timers.push(setInterval(tick(() => this.checkInflight()), opts.inflightCheckMs));
    this.timers.push(setInterval(tick(() => (this.d.broker.isReadyForOrders() ? this.periodic() : Promise.resolve())), opts.intervalMs));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  /**
   * The periodic pass, plus the position check: broker positions vs the ledger. A drift must show the
   * same figures in two consecutive passes (a fill racing the snapshot shows once) before the account is
   * put in REDUCE_ONLY; the broker's figure then becomes the new baseline.
   */
  private async periodic(): Promise<void> {
    const { connectivityClear } = await this.runNow('periodic');
    if (!connectivityClear) return;
    await this.serialize(async () => {
      const inflight = await this.d.outbox.listByState(['INTENT', 'SUBMITTED', 'UNRESOLVED']);
      // only the instruments with an order in flight are skipped (their fills may race the snapshot);
      // the baseline itself needs a quiet moment
      const busy = new Set(inflight.map((r) => ledgerKey(r.account, r.secType, r.symbol)));
      if (!this.ledger && inflight.length > 0) return;
      const positions = await this.d.broker.positions();
      if (!this.ledger) {
        // a zero placeholder per account makes accounts without positions part of the comparison
        const placeholders = this.d.accounts.map((a): [string, ExpectedPosition] => [ledgerKey(a, 'STK', ''), { account: a, symbol: '', secType: 'STK', quantity: 0 }]);
        this.ledger = new Map([...placeholders, ...positions.map((p): [string, ExpectedPosition] => [ledgerKey(p.account, p.secType, p.symbol), { account: p.account, symbol: p.symbol, secType: p.secType, quantity: p.quantity }])]);
        return;
      }
      if (this.d.driftPaused?.()) {
        if (!this.driftPauseLogged) this.d.logger.debug('position drift check paused: in the restart window');
        this.driftPauseLogged = true;
        this.suspects = new Map();
        return;
      }
      this.driftPauseLogged = false;
      const actions = reconcile([], { open: [], completed: [], executions: [], knownExecIds: new Set(), positions }, { now: this.d.clock.now(), connectivityClear: true, expectedPositions: [...this.ledger.values()] });
      const seen = new Map<string, string>();
      for (const a of actions) {
        if (a.type !== 'POSITION_DRIFT') continue;
        const key = ledgerKey(a.account, a.secType, a.symbol);
        if (busy.has(key)) continue;
        const figures = `${a.expected}/${a.actual}`;
        if (this.suspects.get(key) === figures) {
          await this.applyAction(a, undefined);
          this.ledger.set(key, { account: a.account, symbol: a.symbol, secType: a.secType, quantity: a.actual });
        } else seen.set(key, figures);
      }
      this.suspects = seen;
    });
  }

  /** Orphan INTENTs after a clear pass (see settle-orphans.ts). */
  private async settleOrphans(snap: BrokerSnapshot, startedAt: number): Promise<void> {
    const intents = await this.d.outbox.listByState(['INTENT']);
    await settleOrphanIntents(
      { outbox: this.d.outbox, audit: this.d.audit, logger: this.d.logger, orphanAfterMs: this.d.orphanIntentMs ?? 300_000, isSending: (r) => this.d.events.isSending(r), ...(this.d.jobIsLive ? { jobIsLive: this.d.jobIsLive } : {}) },
      intents,
      snap,
      startedAt,
      this.d.clock.now(),
    );
  }

  /** Stuck UNRESOLVED orders escalate after `execution.maxUnresolvedCycles` clear passes (order-guards.ts). */
  private async countUnresolved(): Promise<void> {
    if (!this.d.unresolved) return;
    const still = await this.d.outbox.listByState(['UNRESOLVED']);
    await this.d.unresolved.afterPass(still.map((r) => ({ orderRef: r.orderRef, account: r.account, signalId: r.signalId, ...(r.orderId !== undefined ? { orderId: r.orderId } : {}) })));
  }

  private async checkInflight(): Promise<void> {
    if (!this.d.broker.isReadyForOrders()) return;
    const now = this.d.clock.now();
    const stale = (await this.d.outbox.listByState(IN_FLIGHT)).filter(
      (r) => !this.d.events.isSending(r.orderRef) && now - (r.sentAt ?? r.updatedAt) >= this.d.inflightThresholdMs,
    );
    if (stale.length > 0) await this.runNow('in-flight orders past the ack timeout');
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /**
   * `snapshotFrom`: when the broker queries started. An order sent at or after it may be missing from the
   * snapshot although it is at the broker (it would look "missing" → a false CONFLICT): it waits for the next pass.
   */
  private async apply(snap: BrokerSnapshot, connectivityClear: boolean, why: string, snapshotFrom = Number.POSITIVE_INFINITY): Promise<void> {
    const records = await this.d.outbox.listByState(OPEN_STATES);
    const local: LocalOrder[] = records
      .filter((r) => !this.d.events.isSending(r.orderRef) && (r.sentAt ?? r.createdAt) < snapshotFrom)
      .map((r) => ({
        orderRef: r.orderRef,
        signalId: r.signalId,
        account: r.account,
        state: r.state,
        quantity: r.quantity,
        filled: r.filled,
        ...(r.orderId !== undefined ? { orderId: r.orderId } : {}),
        ...(r.permId !== undefined ? { permId: r.permId } : {}),
        ...(r.sentAt !== undefined ? { sentAt: r.sentAt } : {}),
      }));
    const knownExecIds = await this.d.streams.publishedExecIds(snap.executions.map((e) => e.execId));
    const actions = reconcile(
      local,
      { open: snap.openOrders, completed: snap.completedOrders, executions: snap.executions, knownExecIds },
      { now: this.d.clock.now(), connectivityClear, absentGraceMs: this.d.absentGraceMs, knownConflicts: this.knownConflicts },
    );
    for (const a of actions) await this.applyAction(a, records.find((r) => 'orderRef' in a && r.orderRef === a.orderRef)?.signalId);
    this.passes += 1;
    await this.d.audit.append({
      type: 'reconciliation',
      data: { why, connectivityClear, local: local.length, open: snap.openOrders.length, completed: snap.completedOrders.length, executions: snap.executions.length, actions: actions.map((a) => a.type) },
    });
  }

  private async applyAction(a: ReconcileAction, signalId: string | undefined): Promise<void> {
    const fig = 'filled' in a ? { ...(a.orderId !== undefined ? { orderId: a.orderId } : {}), ...(a.permId !== undefined ? { permId: a.permId } : {}), filled: a.filled, ...(a.avgFillPrice ? { avgFillPrice: a.avgFillPrice } : {}) } : {};
    switch (a.type) {
      case 'ADOPT': {
        const ev = EVENT_TO[a.to];
        if (ev) await this.d.events.apply(a.orderRef, ev, fig, 'reconcile');
        return;
      }
      case 'RESOLVE': {
        const ev = RESOLVED_TO[a.to] ?? EVENT_TO[a.to];
        if (ev) await this.d.events.apply(a.orderRef, ev, fig, 'reconcile');
        return;
      }
      case 'MARK_ABSENT':
        // UNRESOLVED: its job already answered; the order is settled as never placed, not re-sent.
        // SUBMITTED: its job crashed after sending; back to INTENT so the redelivered job may send it.
        if (a.from === 'UNRESOLVED') {
          await this.d.events.apply(a.orderRef, 'RESOLVED_REJECTED', { note: 'never reached the broker (absent after a full reconciliation pass); not re-sent' }, 'reconcile');
        } else {
          await this.d.events.apply(a.orderRef, 'ABSENT', { note: 'absent at the broker after a full reconciliation pass' }, 'reconcile');
        }
        return;
      case 'PUBLISH_FILL': {
        // the action has no orderRef of its own (so `signalId` is never passed): find the signal by the fill's orderRef
        const sid = signalId ?? (a.fill.orderRef ? (await this.d.outbox.get(a.fill.orderRef))?.signalId : undefined);
        await this.d.events.publishFill(a.fill, { ...(sid ? { signalId: sid } : {}), source: 'reconcile' });
        return;
      }
      case 'UNTRACKED':
        // `local` holds open records only: an order whose record is terminal (or being sent) is ours and tracked
        if (await this.d.outbox.get(a.orderRef)) return;
        this.d.logger.warn({ orderRef: a.orderRef, account: a.account }, 'the broker holds an order of ours we have no record of');
        await this.d.audit.append({ type: 'reconciliation.untracked', account: a.account, orderRef: a.orderRef, data: { state: a.state, orderId: a.report.orderId, permId: a.report.permId ?? null } });
        return;
      case 'DUPLICATE': {
        // a live duplicate is offered to the guard on every pass until it is done (a refused cancel is retried)
        if (!['CANCELLED', 'FILLED', 'INACTIVE'].includes(a.extra.status)) this.knownConflicts.delete(a.key);
        else this.knownConflicts.add(a.key);
        if (this.d.duplicates) {
          await this.d.duplicates.onDuplicate({ orderRef: a.orderRef, account: a.account, ...(a.signalId ?? signalId ? { signalId: a.signalId ?? signalId } : {}), keep: a.keep, extra: a.extra, source: 'reconcile' });
          return;
        }
        const previous = await this.d.tradingState.setAccount(a.account, 'REDUCE_ONLY');
        this.d.logger.error({ action: a }, 'reconciliation found two broker orders for one orderRef; account set to REDUCE_ONLY');
        await this.d.audit.append({ type: 'trading-state', account: a.account, data: { previous, current: 'REDUCE_ONLY', cause: a } });
        return;
      }
      case 'POSITION_DRIFT':
      case 'CONFLICT': {
        this.knownConflicts.add(a.type === 'CONFLICT' ? a.key : `drift:${a.account}:${a.symbol}`);
        const previous = await this.d.tradingState.setAccount(a.account, 'REDUCE_ONLY');
        this.d.logger.error({ action: a }, `reconciliation found a ${a.type === 'CONFLICT' ? 'conflict' : 'position drift'}; account set to REDUCE_ONLY`);
        await this.d.audit.append({ type: 'trading-state', account: a.account, data: { previous, current: 'REDUCE_ONLY', cause: a } });
        return;
      }
    }
  }
}

const ledgerKey = (account: string, secType: string, symbol: string): string => `${account}|${secType}|${symbol}`;
