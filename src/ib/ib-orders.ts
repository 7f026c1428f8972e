/**
 * Orders over the IB session: atomic id allocation + send, cancels, what-if, and the event stream
 * (`events$`) built from orderStatus / openOrder / completedOrder / execDetails / commissionReport /
 * order errors.
 *
 * - orderRef is attached to every order event: the join orderId → orderRef is learned from what we send
 *   (before it leaves) and from every openOrder / completedOrder / execDetails IB echoes.
 * - orderStatus updates are deduplicated (IB repeats identical ones); 202 "Order Canceled" becomes a
 *   CANCELLED status, never a rejection.
 * - fills: once per execId, corrections re-emitted with `replacesExecId`; live execDetails (reqId −1) and
 *   request answers alike. Commission events are emitted once per commission report, whether the report
 *   arrives before or after its fill (before: the fill also carries it).
 */
import type { Contract, IBApi, Order } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import { Subject } from 'rxjs';
import type { Clock } from '../domain/clock.js';
import type { Decimal, OrderLeg } from '../domain/types.js';
import { BrokerError, BrokerUnavailableError } from '../execution/broker-port.js';
import type { BrokerEvent, BrokerOrderStatus, OrderStatusUpdate, PlacedLeg, WhatIfReport } from '../execution/broker-port.js';
import { FillTracker, commissionFromWire } from './fill-tracker.js';
import type { IbConnection } from './ib-connection.js';
import { classifyIbCode } from './ib-errors.js';
import type { IbLogger } from './ib-log.js';
import {
  decOrUndefined,
  fillFromWire,
  mapIbStatus,
  qty,
  toWireContract,
  toWireOrder,
  transmitFlags,
  whatIfFromWire,
} from './ib-mapping.js';
import type { WireCommissionReport, WireContract, WireExecution, WireOrder, WireOrderState } from './ib-wire.js';
import { Mutex } from './mutex.js';
import type { OrderIdAllocator } from './order-ids.js';
import { on, runRequest } from './ib-requests.js';

const MAX_KNOWN = 100_000;

interface Known {
  orderRef?: string;
  account?: string;
  permId?: number;
  lastKey?: string;
  status?: BrokerOrderStatus;
  filled?: number;
}

/** Order placement and the order/fill event stream of an `IbConnection`. */
export class IbOrders {
  readonly events$ = new Subject<BrokerEvent>();
  readonly tracker = new FillTracker();
  private readonly known = new Map<number, Known>();
  private readonly idByRef = new Map<string, number>();
  private readonly idByPerm = new Map<number, number>();
  private readonly whatIfIds = new Set<number>();
  private readonly lock = new Mutex();

  constructor(
    private readonly conn: IbConnection,
    private readonly ids: OrderIdAllocator,
    private readonly clock: Clock,
    private readonly log: IbLogger,
    /** checked right before each order socket write (the HA lease, docs/ha.md); false = nothing is sent */
    private readonly mayWrite?: () => boolean,
  ) {
    this.listen();
  }

  /** `fn` guarded by `mayWrite` at the moment the paced queue hands it the socket. */
  private guard(fn: (api: IBApi) => void): (api: IBApi) => void {
    const may = this.mayWrite;
    if (may === undefined) return fn;
    return (api) => {
      if (!may()) throw new BrokerUnavailableError('this daemon no longer holds the leader lease: nothing was sent');
      fn(api);
    };
  }

  /** The orderRef known for an order id (sent by us or echoed by IB). */
  refFor(orderId: number): string | undefined {
    return this.known.get(orderId)?.orderRef;
  }

  /** The order id known for an orderRef (sent by us or echoed by IB). */
  idFor(orderRef: string): number | undefined {
    return this.idByRef.get(orderRef);
  }

  /**
   * The order id of an IB order message. completedOrder carries no order id (IB's protocol): it is found
   * through the permId or the orderRef learned earlier; 0 when unknown (an order of another session).
   */
  resolveId(o: { orderId?: number; permId?: number; orderRef?: string }): number {
    if (o.orderId !== undefined && o.orderId > 0) return o.orderId;
    return (o.permId ? this.idByPerm.get(o.permId) : undefined) ?? (o.orderRef ? this.idByRef.get(o.orderRef) : undefined) ?? 0;
  }

  /** Learn orderId ↔ orderRef / account / permId from an IB echo. */
  learn(orderId: number, orderRef?: string, account?: string, permId?: number): void {
    if (orderId === 0) return;
    // a negative id is one IB numbered itself (e.g. a second booking of one of ours): known by its own
    // id and permId, never the id of its orderRef, never an id we could allocate
    const ours = orderId > 0;
    const k = this.known.get(orderId) ?? {};
    if (orderRef) {
      k.orderRef = orderRef;
      if (ours || !this.idByRef.has(orderRef)) this.idByRef.set(orderRef, orderId);
    }
    if (account) k.account = account;
    if (permId) {
      k.permId = permId;
      this.idByPerm.set(permId, orderId);
    }
    this.known.set(orderId, k);
    this.trimKnown();
    if (ours) this.ids.observeUsedId(orderId);
  }

  /**
   * Allocate ids and send all legs as one atomic step (one lock around reserve + send), parent first
   * (transmit=false), children with parentId, the last leg of a bracket transmit=true. Resolves when
   * every leg was handed to the socket. Throws `BrokerUnavailableError` when the session is not ready.
   */
  placeOrders(legs: readonly OrderLeg[]): Promise<readonly PlacedLeg[]> {
    if (legs.length === 0) return Promise.resolve([]);
    if (!this.conn.isReady()) return Promise.reject(new BrokerUnavailableError('IB session not ready for orders'));
    return this.lock.run(async () => {
      if (!this.conn.isReady()) throw new BrokerUnavailableError('IB session not ready for orders');
      const first = await this.ids.allocate(legs.length);
      const inBatch = new Map(legs.map((l, i) => [l.orderRef, first + i] as const));
      const transmit = transmitFlags(legs);
      const wire = legs.map((leg, i) => {
        const parentId = leg.parentRef === undefined ? undefined : (inBatch.get(leg.parentRef) ?? this.idByRef.get(leg.parentRef));
        if (leg.parentRef !== undefined && parentId === undefined) {
          throw new BrokerError(`parent ${leg.parentRef} of ${leg.orderRef} is unknown`, 'fatal');
        }
        const o = toWireOrder(leg, { orderId: first + i, transmit: transmit[i]!, ...(parentId !== undefined ? { parentId } : {}) });
        return { leg, id: first + i, contract: toWireContract(leg.instrument), order: o };
      });
      for (const w of wire) this.learn(w.id, w.leg.orderRef, w.leg.account);
      const results = await Promise.allSettled(
        wire.map((w) => this.conn.send('order', this.guard((api) => placeOrder(api, w.id, w.contract, w.order)), { requireReady: true })),
      );
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        const reason = (results[failed] as PromiseRejectedResult).reason as Error;
        const sent = wire.slice(0, failed).map((w) => w.id);
        this.log.warn({ sent, reason: reason.message }, 'IB: batch interrupted');
        throw new BrokerUnavailableError(`order batch not sent (${reason.message})${sent.length ? `; ids ${sent.join(',')} left untransmitted` : ''}`);
      }
      return wire.map((w) => ({ orderRef: w.leg.orderRef, orderId: w.id }));
    });
  }

  /**
   * Cancel one order (resolves when the cancel was handed to the socket). Needs an order-ready session:
   * never while connectivity is lost (1100), when a cancel or modify can leave IB with two orders for
   * one orderRef (NautilusTrader#4564); rejects with `BrokerUnavailableError` then.
   */
  cancelOrder(orderId: number): Promise<void> {
    return this.conn.send('order', this.guard((api) => api.cancelOrder(orderId)), { requireReady: true });
  }

  /** Global cancel: every open order of the account(s), including ones placed in TWS. Not during 1100. */
  cancelAll(): Promise<void> {
    return this.conn.send('order', this.guard((api) => api.reqGlobalCancel()), { requireReady: true });
  }

  /**
   * What-if margin and commission: a whatIf=true order (consumes an order id; nothing is placed). IB
   * answers with an openOrder only. Needs an order-ready session (it travels as an order).
   */
  whatIf(leg: OrderLeg, timeoutMs = 10_000): Promise<WhatIfReport> {
    if (!this.conn.isReady()) return Promise.reject(new BrokerUnavailableError('IB session not ready for orders'));
    return this.lock.run(async () => {
      const id = await this.ids.allocate(1);
      this.whatIfIds.add(id);
      const contract = toWireContract(leg.instrument);
      const order = toWireOrder(leg, { orderId: id, transmit: true, whatIf: true });
      try {
        return await runRequest<WhatIfReport>(this.conn, {
          name: `what-if ${leg.side} ${leg.quantity} ${leg.instrument.symbol}`,
          timeoutMs,
          priority: 'order',
          reqId: id,
          listen: (done) =>
            on(this.conn, EventName.openOrder, (orderId: number, _c: WireContract, o: WireOrder, s: WireOrderState) => {
              if (orderId === id && o.whatIf) done(whatIfFromWire(s));
            }),
          send: this.guard((api) => placeOrder(api, id, contract, order)),
          onError: (code, message) => {
            const c = classifyIbCode(code, message, 'order');
            return c.kind === 'info' || c.kind === 'warning' ? 'ignore' : new BrokerError(`what-if rejected: IB ${code} ${message}`, c.kind, code);
          },
        });
      } finally {
        setTimeout(() => this.whatIfIds.delete(id), 60_000).unref();
      }
    });
  }

  /** Bound the join tables (oldest orders forgotten first; a day's orders are far fewer). */
  private trimKnown(): void {
    if (this.known.size <= MAX_KNOWN) return;
    const [oldest, k] = this.known.entries().next().value as [number, Known];
    this.known.delete(oldest);
    if (k.orderRef && this.idByRef.get(k.orderRef) === oldest) this.idByRef.delete(k.orderRef);
    if (k.permId && this.idByPerm.get(k.permId) === oldest) this.idByPerm.delete(k.permId);
  }

  /** Emit an order status (deduplicated against the last one for that order). */
  emitStatus(u: OrderStatusUpdate): void {
    const k = this.known.get(u.orderId) ?? {};
    const key = `${u.status}|${u.filled}|${u.remaining}|${u.avgFillPrice?.toString() ?? ''}`;
    if (k.lastKey === key) return;
    k.lastKey = key;
    k.status = u.status;
    k.filled = u.filled;
    if (u.permId) k.permId = u.permId;
    this.known.set(u.orderId, k);
    const orderRef = u.orderRef ?? k.orderRef;
    const account = u.account ?? k.account;
    const permId = u.permId ?? k.permId;
    this.events$.next({
      type: 'orderStatus',
      update: { ...u, ...(orderRef ? { orderRef } : {}), ...(account ? { account } : {}), ...(permId ? { permId } : {}) },
      ts: this.clock.now(),
    });
  }

  /** Feed one execDetails (live or from a request): emitted once per execId. */
  onExecution(contract: WireContract, exec: WireExecution): void {
    if (exec.orderId !== undefined) this.learn(exec.orderId, exec.orderRef, exec.acctNumber, exec.permId);
    const fill = fillFromWire(contract, exec, exec.orderId !== undefined ? this.refFor(exec.orderId) : undefined);
    const v = this.tracker.onFill(fill);
    if (v.kind === 'duplicate') return;
    if (v.kind === 'correction') this.log.warn({ execId: fill.execId, replaces: v.replaces }, 'IB: execution correction');
    this.events$.next({ type: 'fill', fill: v.fill, ts: this.clock.now() });
    if (v.commission) this.emitCommission(v.commission.execId, v.commission.commission, v.commission.currency);
  }

  private emitCommission(execId: string, commission: Decimal, currency: string): void {
    this.events$.next({ type: 'commission', execId, commission, currency, ts: this.clock.now() });
  }

  private listen(): void {
    on(this.conn, EventName.orderStatus, (orderId: number, status: string, filled: number, remaining: number, avg: number, permId?: number) => {
      if (this.whatIfIds.has(orderId)) return;
      if (permId) this.learn(orderId, undefined, undefined, permId);
      const avgFillPrice = decOrUndefined(avg);
      this.emitStatus({
        orderId,
        status: mapIbStatus(status),
        filled: qty(filled),
        remaining: qty(remaining),
        ...(permId ? { permId } : {}),
        ...(avgFillPrice !== undefined && !avgFillPrice.isZero() ? { avgFillPrice } : {}),
      });
    });
    on(this.conn, EventName.openOrder, (orderId: number, _c: WireContract, o: WireOrder) => {
      if (!o.whatIf) this.learn(orderId, o.orderRef, o.account, o.permId);
    });
    on(this.conn, EventName.completedOrder, (_c: WireContract, o: WireOrder, s: WireOrderState) => {
      const orderId = this.resolveId(o);
      if (!(orderId > 0)) return;
      this.learn(orderId, o.orderRef, o.account, o.permId);
      const status = mapIbStatus(s.status);
      const filled = qty(o.filledQuantity);
      if (status !== 'UNKNOWN') this.emitStatus({ orderId, status, filled, remaining: 0 });
    });
    on(this.conn, EventName.execDetails, (_reqId: number, c: WireContract, e: WireExecution) => this.onExecution(c, e));
    on(this.conn, EventName.commissionReport, (r: WireCommissionReport) => {
      const c = commissionFromWire(r.execId, r.commission, r.currency);
      if (!c) return;
      const v = this.tracker.onCommission(c);
      if (v.kind === 'emit') this.emitCommission(c.execId, c.commission, c.currency);
    });
    on(this.conn, EventName.error, (err: Error, code: number, reqId: number) => this.onOrderError(err.message, code, reqId));
  }

  private onOrderError(message: string, code: number, orderId: number): void {
    if (!this.known.has(orderId) || this.whatIfIds.has(orderId)) return;
    const c = classifyIbCode(code, message, 'order');
    const ts = this.clock.now();
    const orderRef = this.refFor(orderId);
    const ref = orderRef ? { orderRef } : {};
    if (c.status === 'CANCELLED') {
      const k = this.known.get(orderId);
      if (k?.status !== 'CANCELLED' && k?.status !== 'FILLED') this.emitStatus({ orderId, status: 'CANCELLED', filled: k?.filled ?? 0, remaining: 0 });
      return;
    }
    if (c.kind === 'info') return;
    if (c.kind === 'warning' || c.cancelRefused) {
      this.events$.next({ type: 'orderWarning', orderId, ...ref, code, message, ts });
      return;
    }
    this.log.warn({ orderId, orderRef, code, message }, 'IB: order rejected');
    this.events$.next({ type: 'orderRejected', orderId, ...ref, code, message, ts });
  }
}

/** The one place a wire order crosses into @stoqey/ib's enum-typed Order (same strings on the wire). */
function placeOrder(api: IBApi, id: number, contract: WireContract, order: WireOrder): void {
  api.placeOrder(id, contract as unknown as Contract, order as unknown as Order);
}

