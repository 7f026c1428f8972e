/**
 * SHELL: the daemon's operations view, observed from the outside of the order path. `OpsObserver.instrument`
 * wraps four calls of the daemon's own infrastructure on their instances — the audit append, the orders and
 * fills stream publishers, and the Redis connection's `sendCommand` — and looks at what passed AFTER it
 * succeeded; nothing here can fail, delay or change a decision. From that it keeps:
 *  - the metrics (`metrics.ts`),
 *  - one structured info log line per signal outcome (per account), order state change and fill,
 *  - alerts (`alerts.ts`) on REDUCE_ONLY / HALTED trips, the loss of Redis state, a duplicate that filled, an
 *    order UNRESOLVED too long, a gateway whose API is read-only (321 on an order: every order would be
 *    refused), a burst of broker rejects (`rejectBurst` within `rejectWindowMs`);
 * and from the IB connection: a competing session (10197) and an outage a person must end (a gateway not back
 * `needsPersonMs` after the nightly restart window, the weekly 2FA), each reported once per outage.
 */
import type { Subscription } from 'rxjs';
import type { Redis } from 'ioredis';
import type { RestartWindow } from '../config-sections.js';
import type { Clock } from '../domain/clock.js';
import type { AccountResult } from '../domain/types.js';
import type { ConnectionStatus } from '../execution/broker-port.js';
import type { AuditInput } from '../infra/audit.js';
import type { Infra } from '../infra/index.js';
import type { FillInput, FillPublishResult, OrderStreamEvent } from '../infra/streams.js';
import type { AlertSink } from './alerts.js';
import type { Logger } from './logger.js';
import type { DaemonMetrics } from './metrics.js';
import { windowPosition } from './restart-window.js';
import { STATE_LOST_REASON } from './state-guard.js';

export interface OpsObserverOptions {
  readonly metrics: DaemonMetrics;
  readonly alerts: AlertSink;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly restartWindow: RestartWindow;
  readonly connection: () => ConnectionStatus;
  /** an outage longer than this (outside the restart window, counted from its end) needs a person (default 10 min) */
  readonly needsPersonMs?: number;
  /** how often the connection is looked at (default 5 s) */
  readonly checkMs?: number;
  /** this many REJECTED results within `rejectWindowMs` are an alert (default 5 in 5 min) */
  readonly rejectBurst?: number;
  readonly rejectWindowMs?: number;
}

/** Tuning of the operations view (tests shorten it). */
export type OpsTuning = Pick<OpsObserverOptions, 'needsPersonMs' | 'checkMs' | 'rejectBurst' | 'rejectWindowMs'>;

const MAX_TRACKED = 10_000;

/** Watches the daemon's work and connection for metrics, log lines and alerts. */
export class OpsObserver {
  private readonly pickedUp = new Map<string, number>();
  private readonly sentAt = new Map<string, number>();
  private rejects: number[] = [];
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private outage: { start: number; competing: boolean; needsPerson: boolean } | undefined;
  private sub: Subscription | undefined;

  constructor(private readonly o: OpsObserverOptions) {
    this.log = o.logger.child({ component: 'ops' });
  }

  /** Wraps the infrastructure's calls (once per daemon). */
  instrument(infra: Infra): void {
    const audit = infra.audit;
    const append = audit.append.bind(audit);
    audit.append = async (input: AuditInput) => {
      const r = await append(input);
      this.safely(() => this.onAudit(input));
      return r;
    };
    const streams = infra.streams;
    const orderEvent = streams.orderEvent.bind(streams);
    streams.orderEvent = async (e: OrderStreamEvent) => {
      const id = await orderEvent(e);
      this.safely(() => this.onOrderEvent(e));
      return id;
    };
    const fill = streams.fill.bind(streams);
    streams.fill = async (f: FillInput): Promise<FillPublishResult> => {
      const r = await fill(f);
      this.safely(() => this.onFill(f, r));
      return r;
    };
    timeRedis(infra.redis, this.o.metrics, () => this.o.clock.now());
  }

  /** Starts the connection check. */
  start(): void {
    this.timer = setInterval(() => this.safely(() => this.checkConnection()), this.o.checkMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sub?.unsubscribe();
  }

  /** True while the nightly restart window is open (no new signal is taken). */
  inWindow(): boolean {
    return windowPosition(this.o.clock.now(), this.o.restartWindow).inWindow;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.debug({ err }, 'operations view: an observation failed');
    }
  }

  private onAudit(a: AuditInput): void {
    const data = (a.data ?? {}) as Record<string, unknown>;
    if (a.type === 'signal' && a.signalId) this.onPickup(a.signalId, data);
    else if (a.type === 'outcome' && a.signalId) this.onOutcome(a.signalId, (data.results ?? []) as readonly AccountResult[], data.jobId);
    else if (a.type === 'signal.invalid') {
      this.o.metrics.invalidSignals.inc();
      this.log.info({ jobId: data.jobId, decision: 'INVALID', reasons: ['INVALID_SIGNAL'] }, 'signal invalid: dead-lettered');
    } else if (a.type === 'trading-state') this.onTradingState(a, data);
    else if (a.type === 'order.duplicate-filled') {
      this.alert({ kind: 'DUPLICATE_FILLED', logged: true, ...(a.account ? { account: a.account } : {}), text: `both broker orders for orderRef ${a.orderRef ?? '?'} traded: the position holds more than the signal asked; an operator must act`, details: { orderRef: a.orderRef ?? null, signalId: a.signalId ?? null } });
    }
  }

  private onPickup(signalId: string, data: Record<string, unknown>): void {
    const now = this.o.clock.now();
    if (!this.pickedUp.has(signalId)) this.track(this.pickedUp, signalId, now);
    const created = Date.parse(String((data.payload as { createdAt?: unknown } | undefined)?.createdAt ?? ''));
    if (Number.isFinite(created) && Number(data.attempt ?? 0) === 0) this.o.metrics.latency.observe({ stage: 'queue' }, Math.max(0, (now - created) / 1000));
  }

  private onOutcome(signalId: string, results: readonly AccountResult[], jobId: unknown): void {
    const start = this.pickedUp.get(signalId);
    if (start !== undefined) this.o.metrics.latency.observe({ stage: 'decision' }, Math.max(0, (this.o.clock.now() - start) / 1000));
    for (const r of results) {
      const reasons = r.reasons.map((x) => x.code);
      this.o.metrics.signalResults.inc({ decision: r.decision, reason: reasons[0] ?? 'none' });
      this.log.info({ signalId, jobId, account: r.account, decision: r.decision, quantity: r.quantity, orderRef: r.orderRef ?? null, reasons }, `signal ${signalId}: ${r.decision} on ${r.account}`);
      if (r.decision === 'REJECTED') this.onReject(r);
    }
  }

  /** A read-only API (321) is an alert at once; other rejects only in a burst. */
  private onReject(r: AccountResult): void {
    if (r.reasons.some((x) => x.brokerCode === 321)) {
      this.alert({ kind: 'READ_ONLY_API', text: `IB refused an order on ${r.account} with error 321: the TWS / IB Gateway API is in Read-Only mode, so every order will be refused; untick "Read-Only API" in the API settings (gnzsnz/ib-gateway: READ_ONLY_API=no), or set readOnly: true in the config` });
    }
    const now = this.o.clock.now();
    const windowMs = this.o.rejectWindowMs ?? 300_000;
    this.rejects = [...this.rejects.filter((t) => now - t < windowMs), now];
    const burst = this.o.rejectBurst ?? 5;
    if (this.rejects.length >= burst) {
      this.alert({ kind: 'REJECT_BURST', text: `${this.rejects.length} orders were rejected by IB within ${Math.round(windowMs / 60_000)} min (the last on ${r.account}: ${r.reasons[0]?.message ?? 'no reason given'})` });
      this.rejects = [];
    }
  }

  private onOrderEvent(e: OrderStreamEvent): void {
    const now = this.o.clock.now();
    this.o.metrics.orderEvents.inc({ event: e.event });
    if (e.event === 'SUBMITTED') {
      this.track(this.sentAt, e.orderRef, now);
      const picked = this.pickedUp.get(e.signalId);
      if (picked !== undefined) this.o.metrics.latency.observe({ stage: 'wire' }, Math.max(0, (now - picked) / 1000));
    } else if (e.event === 'ACCEPTED' || e.event === 'FILLED' || e.event === 'REJECTED') {
      const sent = this.sentAt.get(e.orderRef);
      if (sent !== undefined) this.o.metrics.latency.observe({ stage: 'ack' }, Math.max(0, (now - sent) / 1000));
      this.sentAt.delete(e.orderRef);
    }
    this.log.info({ signalId: e.signalId, account: e.account, orderRef: e.orderRef, orderId: e.orderId ?? null, event: e.event, symbol: e.symbol, side: e.side, quantity: e.quantity, filled: e.filled, remaining: e.remaining, ...(e.reason ? { reason: e.reason } : {}) }, `order ${e.orderRef}: ${e.event}`);
  }

  private onFill(f: FillInput, r: FillPublishResult): void {
    if (r.status !== 'FILL' && r.status !== 'CORRECTION') return;
    this.o.metrics.fills.inc({ side: f.side });
    this.log.info({ signalId: f.signalId ?? null, account: f.account, orderRef: f.orderRef, orderId: f.orderId, execId: f.execId, side: f.side, shares: String(f.shares), price: String(f.price), correction: r.status === 'CORRECTION' }, `fill ${f.execId}: ${f.side} ${String(f.shares)} ${f.instrument.symbol} at ${String(f.price)}`);
  }

  private onTradingState(a: AuditInput, data: Record<string, unknown>): void {
    const current = data.current;
    const cause = (data.cause ?? {}) as { type?: string };
    if (cause.type) this.o.metrics.reconcileConflicts.inc({ type: cause.type });
    if (current !== 'REDUCE_ONLY' && current !== 'HALTED') return;
    this.o.metrics.tradingStateTrips.inc({ state: current });
    const scope = a.account ? `account ${a.account}` : 'all accounts';
    if (data.reason === STATE_LOST_REASON) {
      this.alert({ kind: 'STATE_LOST', text: 'Redis lost its state: trading is HALTED on all accounts until an operator reviews and runs "ibkr-exec resume"' });
      return;
    }
    const why = cause.type === 'UNRESOLVED_TOO_LONG' ? 'an order stayed UNRESOLVED too long' : cause.type ? `reconciliation found ${cause.type}` : typeof data.reason === 'string' ? data.reason : 'set by an operator or a control command';
    const kind = cause.type === 'UNRESOLVED_TOO_LONG' ? 'UNRESOLVED_TOO_LONG' : current;
    this.alert({ kind, ...(a.account ? { account: a.account } : {}), text: `${scope} set to ${current}: ${why}`, details: { cause: data.cause ?? null, orderRef: a.orderRef ?? null } });
  }

  private alert(a: Parameters<AlertSink['notify']>[0]): void {
    this.o.alerts.notify(a);
  }

  /** One look at the connection: a competing session, or an outage a person must end, once per outage. */
  private checkConnection(): void {
    const s = this.o.connection();
    const now = this.o.clock.now();
    if (s.state === 'CONNECTED') {
      if (this.outage?.needsPerson || this.outage?.competing) this.log.info('IB is back: the outage reported earlier is over');
      this.outage = undefined;
      return;
    }
    const outage = (this.outage ??= { start: now, competing: false, needsPerson: false });
    if (s.code === 10197 && !outage.competing) {
      outage.competing = true;
      this.alert({ kind: 'COMPETING_SESSION', text: `${s.reason ?? 'competing session (10197)'}` });
    }
    const pos = windowPosition(now, this.o.restartWindow);
    if (pos.inWindow || outage.needsPerson) return; // the nightly restart: expected, quiet
    const windowEnd = now - pos.sinceEndMs;
    const from = outage.start < windowEnd ? Math.max(outage.start, windowEnd) : outage.start;
    if (now - from < (this.o.needsPersonMs ?? 600_000)) return;
    outage.needsPerson = true;
    this.alert({ kind: 'GATEWAY_NEEDS_PERSON', text: `IB has not been connected for ${Math.round((now - outage.start) / 60_000)} min (${s.state}${s.reason ? `: ${s.reason}` : ''}): TWS / IB Gateway is not back; after IB's weekly restart it needs a fresh login with 2FA that a person must answer (IBKR Mobile), or the gateway is down` });
  }

  private track(m: Map<string, number>, k: string, v: number): void {
    if (m.size >= MAX_TRACKED) m.delete(m.keys().next().value as string);
    m.set(k, v);
  }
}

/** Times each command of the connection (send to reply) into `ibkr_exec_redis_command_seconds`. */
function timeRedis(redis: Redis, metrics: DaemonMetrics, now: () => number): void {
  type Send = Redis['sendCommand'];
  const send: Send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Parameters<Send>[0], ...rest: unknown[]) => {
    const t0 = now();
    const name = typeof command.name === 'string' ? command.name.toLowerCase() : 'unknown';
    const done = (): void => void metrics.redisCommands.observe({ command: name }, Math.max(0, (now() - t0) / 1000));
    command.promise.then(done, done);
    return (send as (...a: unknown[]) => ReturnType<Send>)(command, ...rest);
  }) as Send;
}
