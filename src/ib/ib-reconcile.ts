/**
 * Reconciliation queries: every open order (reqAllOpenOrders), today's completed orders
 * (reqCompletedOrders — low-level IBApi only), executions since a time (ExecutionFilter), each mapped to
 * `OrderReport` / `FillReport` carrying the orderRef; and the built-in reconciliation pass run on every
 * session start and after 1101/1102.
 *
 * Side effects (on purpose): every order id seen raises the allocator's floor (new ids must exceed every
 * id returned); completed orders and executions also flow through `IbOrders`, so statuses and fills missed
 * while disconnected are emitted on `events$` (fills at most once per execId in this process — consumers
 * that persist fills still dedupe by execId across restarts).
 */
import { EventName } from '@stoqey/ib';
import type { ExecutionQuery, FillReport, OrderReport } from '../execution/broker-port.js';
import type { IbConnection } from './ib-connection.js';
import type { IbOrders } from './ib-orders.js';
import { fillFromWire, formatExecFilterTime, orderReportFromWire } from './ib-mapping.js';
import type { KnownStatus } from './ib-mapping.js';
import { all, on, runRequest } from './ib-requests.js';
import type { WireContract, WireExecution, WireOrder, WireOrderState } from './ib-wire.js';
import { Mutex } from './mutex.js';

/** What one reconciliation pass saw; handed to the execution layer's hook. */
export interface ReconciliationSnapshot {
  readonly why: 'session' | 'restored';
  readonly openOrders: readonly OrderReport[];
  readonly completedOrders: readonly OrderReport[];
  readonly executions: readonly FillReport[];
}

/** Reconciliation queries and the built-in pass. */
export class IbReconcile {
  private readonly openLock = new Mutex();
  private readonly completedLock = new Mutex();

  constructor(
    private readonly conn: IbConnection,
    private readonly orders: IbOrders,
    private readonly timeoutMs = 15_000,
  ) {}

  /** All open orders of the account(s), any client. */
  openOrders(): Promise<OrderReport[]> {
    return this.openLock.run(() => {
      const seen = new Map<number, { c: WireContract; o: WireOrder; s: WireOrderState }>();
      const status = new Map<number, KnownStatus>();
      return runRequest(this.conn, {
        name: 'open orders',
        timeoutMs: this.timeoutMs,
        listen: (done) =>
          all(
            on(this.conn, EventName.openOrder, (id: number, c: WireContract, o: WireOrder, s: WireOrderState) => {
              if (!o.whatIf) seen.set(id, { c, o, s });
            }),
            on(this.conn, EventName.orderStatus,
              (id: number, st: string, filled: number, remaining: number, avgFillPrice: number, permId?: number, parentId?: number, _l?: number, clientId?: number) => {
                status.set(id, { status: st, filled, remaining, avgFillPrice, ...(permId ? { permId } : {}), ...(parentId ? { parentId } : {}),
                  ...(clientId !== undefined ? { clientId } : {}) });
              }),
            on(this.conn, EventName.openOrderEnd, () =>
              done([...seen.entries()].map(([id, x]) => this.report(id, x.c, x.o, x.s, 'open', status.get(id))))),
          ),
        send: (api) => api.reqAllOpenOrders(),
      });
    });
  }

  /** Today's completed (filled, cancelled, rejected) orders, API and TWS ones. */
  completedOrders(): Promise<OrderReport[]> {
    return this.completedLock.run(() => {
      const out: OrderReport[] = [];
      return runRequest(this.conn, {
        name: 'completed orders',
        timeoutMs: this.timeoutMs,
        listen: (done) =>
          all(
            on(this.conn, EventName.completedOrder, (c: WireContract, o: WireOrder, s: WireOrderState) => {
              out.push(this.report(this.orders.resolveId(o), c, o, s, 'completed'));
            }),
            on(this.conn, EventName.completedOrdersEnd, () => done(out)),
          ),
        send: (api) => api.reqCompletedOrders(false),
      });
    });
  }

  /** Executions since `query.since` (default: IB's own default, today), optionally for one account. */
  executions(query: ExecutionQuery = {}): Promise<FillReport[]> {
    const reqId = this.conn.nextReqId();
    const out: FillReport[] = [];
    const filter = {
      ...(query.since ? { time: formatExecFilterTime(query.since) } : {}),
      ...(query.account ? { acctCode: query.account } : {}),
    };
    return runRequest<FillReport[]>(this.conn, {
      name: 'executions',
      timeoutMs: this.timeoutMs,
      reqId,
      listen: (done) =>
        all(
          on(this.conn, EventName.execDetails, (id: number, c: WireContract, e: WireExecution) => {
            if (id === reqId) out.push(fillFromWire(c, e, e.orderId !== undefined ? this.orders.refFor(e.orderId) : undefined));
          }),
          on(this.conn, EventName.execDetailsEnd, (id: number) => {
            if (id === reqId) done(out);
          }),
        ),
      send: (api) => api.reqExecutions(reqId, filter),
    }).then((fills) =>
      fills.map((f) => {
        const c = this.orders.tracker.commissionFor(f.execId);
        return c ? { ...f, commission: c.commission, commissionCurrency: c.currency } : f;
      }),
    );
  }

  /** The built-in pass: open orders, then completed orders, then executions (orders before fills). */
  async pass(why: 'session' | 'restored'): Promise<ReconciliationSnapshot> {
    const openOrders = await this.openOrders();
    const completedOrders = await this.completedOrders();
    const executions = await this.executions();
    return { why, openOrders, completedOrders, executions };
  }

  private report(id: number, c: WireContract, o: WireOrder, s: WireOrderState, source: OrderReport['source'], k?: KnownStatus): OrderReport {
    const r = orderReportFromWire(id, c, o, s, source, k);
    const orderRef = r.orderRef ?? (id > 0 ? this.orders.refFor(id) : undefined);
    if (id > 0) this.orders.learn(id, orderRef, r.account, r.permId);
    return orderRef && !r.orderRef ? { ...r, orderRef } : r;
  }
}
