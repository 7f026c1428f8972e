/**
 * SHELL: turns broker events into order state, stream entries and audit records — the one place where an
 * order's recorded state changes after it was sent. Invariants:
 *  - every state change goes through the pure table of `domain/order-state.ts`; a move the table does
 *    not allow is audited and ignored, never applied;
 *  - events of one orderRef are applied one at a time, in arrival order; events that arrive while the
 *    order is still being handed to the socket wait until its SUBMITTED record is written, so `ibkr:orders`
 *    always shows SUBMITTED before ACCEPTED;
 *  - `ibkr:orders` gets an entry only when the state or the filled quantity changes (IB repeats itself);
 *  - fills go to `ibkr:fills` once per execId (the stream publisher dedupes atomically).
 */
import type { Subscription, Observable } from 'rxjs';
import { applyOrderEvent, orderEventFromBrokerStatus, type OrderEvent, type OrderState } from '../domain/order-state.js';
import type { Clock } from '../domain/clock.js';
import { isOwnOrderRef } from '../domain/order-ref.js';
import type { Decimal } from '../domain/types.js';
import type { AuditLog } from '../infra/audit.js';
import type { Outbox, OutboxRecord } from '../infra/outbox.js';
import type { OrderEventType, StreamPublisher } from '../infra/streams.js';
import type { Logger } from '../app/logger.js';
import type { BrokerEvent, FillReport, OrderStatusUpdate } from './broker-port.js';
import type { OwnOrderActivity } from './market-context.js';
import type { DuplicateOrder } from './order-guards.js';

/** The broker's first definite answer to a sent order. */
export type Ack =
  | { readonly kind: 'accepted'; readonly orderId: number; readonly permId?: number; readonly state: OrderState }
  | { readonly kind: 'rejected'; readonly orderId: number; readonly code?: number; readonly message: string };

export interface AckWaiter {
  /** resolves with the answer, or undefined when none came within the timeout */
  readonly promise: Promise<Ack | undefined>;
  cancel(): void;
}

/** Figures that may accompany a state event. */
export interface OrderFigures {
  readonly orderId?: number;
  readonly permId?: number;
  readonly filled?: number;
  readonly avgFillPrice?: Decimal;
  readonly note?: string;
}

export interface OrderEventDeps {
  readonly outbox: Outbox;
  readonly streams: StreamPublisher;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * told about activity in an account: `own` names our order and whether shares changed hands (told
   * BEFORE the order leaves the working set, so its reservation never lapses); without `own` the
   * activity could not be attributed to one of our orders
   */
  readonly onAccountActivity: (account: string, own?: OwnOrderActivity) => void;
  /** told about every fill newly published on the fills stream (the position ledger) */
  readonly onFillPublished?: (fill: FillReport) => void;
  /**
   * told about every status event of a second broker order for one of our orderRefs (see
   * `DuplicateGuard`); such events are never applied to our record
   */
  readonly onDuplicate?: (d: DuplicateOrder) => Promise<void>;
}

const STREAM_EVENT: Readonly<Record<OrderState, OrderEventType | undefined>> = {
  INTENT: undefined,
  SUBMITTED: 'SUBMITTED',
  ACCEPTED: 'ACCEPTED',
  PARTIALLY_FILLED: 'PARTIALLY_FILLED',
  FILLED: 'FILLED',
  PENDING_CANCEL: undefined,
  CANCELLED: 'CANCELLED',
  REJECTED: 'REJECTED',
  UNRESOLVED: 'UNRESOLVED',
};

const ACCEPTING: readonly OrderEvent[] = ['ACK', 'PARTIAL_FILL', 'FILL', 'CANCEL_REQUESTED'];

/** Applies broker events to the outbox and publishes them; see the module comment. */
export class OrderEventProcessor {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly sending = new Map<string, { promise: Promise<void>; release: () => void }>();
  private readonly waiters = new Map<string, (ack: Ack) => void>();
  /** the latest warning text per orderId, to explain a later Cancelled/Inactive */
  private readonly lastWarning = new Map<number, { code: number; message: string }>();

  constructor(private readonly deps: OrderEventDeps) {}

  /** Starts consuming the broker's events. */
  attach(events$: Observable<BrokerEvent>): Subscription {
    return events$.subscribe((e) => {
      this.handle(e).catch((err: unknown) => this.deps.logger.error({ err, event: e.type }, 'order event handling failed'));
    });
  }

  /** Holds events of these orderRefs until `endSend`, so SUBMITTED is recorded first. */
  beginSend(refs: readonly string[]): void {
    for (const ref of refs) {
      let release = () => undefined as void;
      const promise = new Promise<void>((r) => (release = r));
      this.sending.set(ref, { promise, release });
    }
  }

  endSend(refs: readonly string[]): void {
    for (const ref of refs) {
      this.sending.get(ref)?.release();
      this.sending.delete(ref);
    }
  }

  /** True while the order is being handed to the broker (reconciliation leaves it alone). */
  isSending(ref: string): boolean {
    return this.sending.has(ref);
  }

  /** Registers interest in the first definite answer for `ref`; call before sending. */
  awaitAck(ref: string, timeoutMs: number): AckWaiter {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<Ack | undefined>((resolve) => {
      this.waiters.set(ref, (ack) => {
        clearTimeout(timer);
        this.waiters.delete(ref);
        resolve(ack);
      });
      timer = setTimeout(() => {
        this.waiters.delete(ref);
        resolve(undefined);
      }, timeoutMs);
    });
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        this.waiters.delete(ref);
      },
    };
  }

  /**
   * Applies one lifecycle event to the order `ref` (serialized per ref). Returns the record after it,
   * or undefined when the order is not ours.
   */
  apply(ref: string, event: OrderEvent, fig: OrderFigures = {}, source = 'broker'): Promise<OutboxRecord | undefined> {
    return this.serial(ref, () => this.applyNow(ref, event, fig, source));
  }

  /** Runs `fn` after everything already queued for `ref` (one at a time per orderRef, arrival order). */
  private serial<T>(ref: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(ref) ?? Promise.resolve();
    const next = prev.then(fn);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(ref, tail);
    void tail.then(() => {
      if (this.chains.get(ref) === tail) this.chains.delete(ref);
    });
    return next;
  }

  // -- EVENTS ---------------------------------------------------------------------------------------

  private async handle(e: BrokerEvent): Promise<void> {
    switch (e.type) {
      case 'orderStatus':
        return this.onStatus(e.update);
      case 'orderRejected':
        return this.onRejected(e.orderId, e.orderRef, e.code, e.message);
      case 'orderWarning': {
        this.lastWarning.set(e.orderId, { code: e.code, message: e.message });
        const ref = e.orderRef ?? (await this.deps.outbox.findByOrderId(e.orderId))?.orderRef;
        await this.deps.audit.append({ type: 'broker.warning', orderRef: ref ?? '', data: { orderId: e.orderId, code: e.code, message: e.message } });
        return;
      }
      case 'fill':
        return this.onFill(e.fill);
      case 'commission':
        await this.deps.streams.commission({ execId: e.execId, commission: e.commission, currency: e.currency, ts: this.deps.clock.now() });
        return;
    }
  }

  private async refOf(orderRef: string | undefined, orderId: number): Promise<string | undefined> {
    if (orderRef) return orderRef;
    return (await this.deps.outbox.findByOrderId(orderId))?.orderRef;
  }

  private async onStatus(u: OrderStatusUpdate): Promise<void> {
    const ref = await this.refOf(u.orderRef, u.orderId);
    if (!ref) return;
    const event = orderEventFromBrokerStatus(u.status, u.filled, u.remaining);
    // serialized with every other event of this orderRef, so a second booking is judged against our
    // record as the earlier events left it (its fills included)
    await this.serial(ref, async () => {
      if (await this.divertDuplicate(ref, u)) return;
      if (!event) return;
      if (ACCEPTING.includes(event)) this.resolveAck(ref, { kind: 'accepted', orderId: u.orderId, ...(u.permId ? { permId: u.permId } : {}), state: 'ACCEPTED' });
      if (event === 'CANCELLED' || event === 'REJECTED') {
        const w = this.lastWarning.get(u.orderId);
        this.resolveAck(ref, { kind: 'rejected', orderId: u.orderId, ...(w ? { code: w.code } : {}), message: w?.message ?? `the broker reports the order ${u.status}` });
      }
      await this.applyNow(ref, event, {
        orderId: u.orderId,
        ...(u.permId ? { permId: u.permId } : {}),
        filled: u.filled,
        ...(u.avgFillPrice && u.filled > 0 ? { avgFillPrice: u.avgFillPrice } : {}),
      }, 'broker');
    });
  }

  /**
   * One ref, one order: a status of a broker order other than the one our record names (another permId,
   * or another order id before the permId is known) goes to the duplicate guard, never to our record.
   */
  private async divertDuplicate(ref: string, u: OrderStatusUpdate): Promise<boolean> {
    if (!this.deps.onDuplicate) return false;
    await this.sending.get(ref)?.promise;
    const rec = await this.deps.outbox.get(ref);
    if (!rec || rec.orderId === undefined) return false;
    const other = u.permId !== undefined && rec.permId !== undefined ? u.permId !== rec.permId : u.orderId !== rec.orderId;
    if (!other) return false;
    await this.deps.onDuplicate({
      orderRef: ref,
      account: rec.account,
      signalId: rec.signalId,
      keep: { orderId: rec.orderId, ...(rec.permId !== undefined ? { permId: rec.permId } : {}), filled: rec.filled },
      extra: { orderId: u.orderId, ...(u.permId !== undefined ? { permId: u.permId } : {}), status: u.status, filled: u.filled },
      source: 'live',
    });
    return true;
  }

  private async onRejected(orderId: number, orderRef: string | undefined, code: number, message: string): Promise<void> {
    const ref = await this.refOf(orderRef, orderId);
    if (!ref) return;
    this.resolveAck(ref, { kind: 'rejected', orderId, code, message });
    await this.apply(ref, 'REJECTED', { orderId, note: `${code}: ${message}` });
  }

  private async onFill(f: FillReport): Promise<void> {
    const ref = await this.refOf(f.orderRef, f.orderId);
    const rec = ref ? await this.deps.outbox.get(ref) : undefined;
    this.deps.onAccountActivity(f.account, rec ? { order: rec, executed: true } : undefined);
    // only our own executions go to the fills stream (and the position ledger); a trade placed elsewhere
    // shows up as position drift instead
    if (!rec && !isOwnOrderRef(f.orderRef)) return;
    await this.publishFill(f, { ...(rec ? { signalId: rec.signalId } : {}), ...(ref ? { orderRef: ref } : {}), source: 'live' });
  }

  /**
   * Puts one of our executions on the fills stream (once per execId) and in the audit trail. The audit
   * record is written first: a crash between the two writes repeats the audit record on the next delivery,
   * it never loses it (the stream write is the atomic once-per-execId step).
   */
  async publishFill(f: FillReport, ctx: { readonly signalId?: string; readonly orderRef?: string; readonly source: string }): Promise<void> {
    if ((await this.deps.streams.publishedExecIds([f.execId])).has(f.execId)) return;
    await this.deps.audit.append({
      type: 'fill',
      account: f.account,
      signalId: ctx.signalId ?? '',
      orderRef: ctx.orderRef ?? f.orderRef ?? '',
      data: { execId: f.execId, orderId: f.orderId, side: f.side, shares: f.shares, price: f.price, cumQty: f.cumQty, symbol: f.instrument.symbol, source: ctx.source },
    });
    const res = await this.deps.streams.fill({ ...f, ...(ctx.signalId ? { signalId: ctx.signalId } : {}), ts: this.deps.clock.now() });
    if (res.status === 'FILL') this.deps.onFillPublished?.(f);
  }

  private resolveAck(ref: string, ack: Ack): void {
    this.waiters.get(ref)?.(ack);
  }

  // -- STATE ----------------------------------------------------------------------------------------

  private async applyNow(ref: string, event: OrderEvent, fig: OrderFigures, source: string): Promise<OutboxRecord | undefined> {
    await this.sending.get(ref)?.promise;
    const rec = await this.deps.outbox.get(ref);
    if (!rec) return undefined;
    // an answer that overtook our SUBMITTED write (e.g. after a crash between send and record)
    const from = rec.state === 'INTENT' && event !== 'SENT' && event !== 'ABSENT' ? 'SUBMITTED' : rec.state;
    const t = applyOrderEvent(from, event);
    if (!t.ok) {
      await this.deps.audit.append({ type: 'order.invalid-transition', account: rec.account, signalId: rec.signalId, orderRef: ref, data: { ...t.error, source } });
      this.deps.logger.warn({ orderRef: ref, from: t.error.from, event }, 'ignored an order event the lifecycle does not allow');
      return rec;
    }
    const filled = Math.max(rec.filled, fig.filled ?? 0);
    const changed = t.state !== rec.state || filled !== rec.filled || (fig.permId !== undefined && fig.permId !== rec.permId);
    if (!changed) return rec;
    const executed = filled > rec.filled || (t.state !== rec.state && (t.state === 'FILLED' || t.state === 'PARTIALLY_FILLED'));
    if (executed) this.deps.onAccountActivity(rec.account, { order: rec, executed });
    const now = this.deps.clock.now();
    const res = await this.deps.outbox.update(
      ref,
      {
        state: t.state,
        filled,
        updatedAt: now,
        ...(fig.orderId !== undefined && rec.orderId === undefined ? { orderId: fig.orderId } : {}),
        ...(fig.permId !== undefined ? { permId: fig.permId } : {}),
        ...(fig.avgFillPrice !== undefined ? { avgFillPrice: fig.avgFillPrice } : {}),
        ...(fig.note !== undefined ? { note: fig.note } : {}),
      },
      { ifStateIn: [rec.state] },
    );
    if (!res.ok) return this.applyNow(ref, event, fig, source); // raced a writer outside this chain: re-read
    await this.publish(res.record, rec.state, source, fig.note);
    if (!executed) this.deps.onAccountActivity(rec.account, { order: res.record, executed });
    return res.record;
  }

  private async publish(r: OutboxRecord, from: OrderState, source: string, note: string | undefined): Promise<void> {
    const base = {
      signalId: r.signalId,
      account: r.account,
      orderRef: r.orderRef,
      ...(r.orderId !== undefined ? { orderId: r.orderId } : {}),
      ...(r.permId !== undefined ? { permId: r.permId } : {}),
      symbol: r.symbol,
      side: r.side,
      quantity: r.quantity,
      filled: r.filled,
      remaining: Math.max(r.quantity - r.filled, 0),
      ...(r.avgFillPrice !== undefined ? { avgFillPrice: r.avgFillPrice } : {}),
      ts: this.deps.clock.now(),
    };
    const event = STREAM_EVENT[r.state];
    if (event) await this.deps.streams.orderEvent({ ...base, event, ...(note ? { reason: note } : {}) });
    if (from === 'UNRESOLVED' && r.state !== 'UNRESOLVED') {
      await this.deps.streams.orderEvent({ ...base, event: 'RESOLVED', reason: `resolved as ${r.state === 'INTENT' ? 'ABSENT' : r.state}${note ? `: ${note}` : ''}` });
    }
    await this.deps.audit.append({
      type: 'order.state',
      account: r.account,
      signalId: r.signalId,
      orderRef: r.orderRef,
      data: { from, to: r.state, orderId: r.orderId ?? null, permId: r.permId ?? null, filled: r.filled, source, note: note ?? null },
    });
  }
}
