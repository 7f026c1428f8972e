/**
 * `IbBroker`: the `BrokerPort` over a real TWS / IB Gateway socket (plain @stoqey/ib `IBApi`). The only
 * module of the daemon that talks to IB; no @stoqey/ib type crosses its public surface.
 *
 * Construction (the lead wires it from `Config`):
 *
 * ```ts
 * const broker = new IbBroker({
 *   host: config.ib.host, port: config.ib.port, clientId: config.ib.clientId,   // fixed id, never incremented
 *   maxMessagesPerSecond: config.ib.maxMessagesPerSecond,                       // one budget for everything
 *   orderIdStore: fromSingleReserve(redisOrderIdStore),                        // ids never go backwards
 *   onReconnected: async (snap) => { … reconcile orders by orderRef … },        // blocks orders until done
 *   logger,
 * });
 * await broker.connect();          // resolves when CONNECTED (session up + first reconciliation pass)
 * ```
 *
 * Behaviour: see `ib-connection.ts` (reconnect, 1100/1101/1102, 326, liveness), `ib-orders.ts` (ids,
 * brackets, events), `ib-queries.ts` and `ib-reconcile.ts`.
 */
import type { Observable } from 'rxjs';
import type { Clock } from '../domain/clock.js';
import { systemClock } from '../domain/clock.js';
import type {
  ContractInfo, Decimal, Instrument, OptionChainParams, OptionChainQuery, OptionChainSnapshot, OptionGreeks, OrderLeg, PositionSnapshot, Quote,
} from '../domain/types.js';
import { BrokerUnavailableError } from '../execution/broker-port.js';
import type {
  Bar,
  BrokerAccountSummary,
  BrokerEvent,
  BrokerPort,
  ConnectionStatus,
  ExecutionQuery,
  FillReport,
  HistoryRequest,
  OrderReport,
  PlacedLeg,
  WhatIfReport,
} from '../execution/broker-port.js';
import { IbConnection } from './ib-connection.js';
import type { IbConnectionOptions } from './ib-connection.js';
import type { IbLogger } from './ib-log.js';
import { silentLogger } from './ib-log.js';
import { IbOptions } from './ib-options.js';
import { IbOrders } from './ib-orders.js';
import { IbQueries } from './ib-queries.js';
import type { IbQueryOptions } from './ib-queries.js';
import { IbReconcile } from './ib-reconcile.js';
import type { ReconciliationSnapshot } from './ib-reconcile.js';
import { InMemoryOrderIdStore, OrderIdAllocator } from './order-ids.js';
import type { OrderIdStore } from './order-ids.js';

/** Constructor options of `IbBroker` (connection options plus the ones below). */
export interface IbBrokerOptions extends IbConnectionOptions {
  /** persistent high-water mark of order ids (Redis in the daemon); default in-memory (tests, CLI) */
  readonly orderIdStore?: OrderIdStore;
  /**
   * Called after every built-in reconciliation pass (session start, 1101/1102) with what it saw; orders
   * stay blocked until it resolves. A rejection fails the pass, which is retried.
   */
  readonly onReconnected?: (snapshot: ReconciliationSnapshot) => Promise<void> | void;
  /** `connect()` gives up after this long (default 30 s); the reconnect loop keeps going unless `reconnect: false` */
  readonly connectTimeoutMs?: number;
  readonly queries?: IbQueryOptions;
  /** checked right before each order/cancel socket write; false = refused, nothing sent (the HA lease) */
  readonly mayWrite?: () => boolean;
}

/** Counters for tests and `status`. */
export interface IbBrokerStats {
  readonly clientId: number;
  readonly messagesSent: number;
  /** messages waiting in the outbound pacer now */
  readonly pacingQueueDepth: number;
  /** 505 decoder errors: must stay 0 */
  readonly decoderErrors: number;
  readonly nextOrderId: number;
}

/** The `BrokerPort` over TWS / IB Gateway (see the module doc for construction). */
export class IbBroker implements BrokerPort {
  readonly connection$: Observable<ConnectionStatus>;
  readonly events$: Observable<BrokerEvent>;
  private readonly conn: IbConnection;
  private readonly ids: OrderIdAllocator;
  private readonly orders: IbOrders;
  private readonly queries: IbQueries;
  private readonly options: IbOptions;
  private readonly rec: IbReconcile;
  private readonly log: IbLogger;

  constructor(private readonly o: IbBrokerOptions) {
    const clock: Clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger;
    this.conn = new IbConnection(o);
    this.ids = new OrderIdAllocator(o.orderIdStore ?? new InMemoryOrderIdStore(), (r) =>
      this.log.warn(r, 'IB: nextValidId is below our highest used order id (gateway rollback?); keeping ours'),
    );
    this.conn.onNextValidId((id) => this.ids.onNextValidId(id));
    this.orders = new IbOrders(this.conn, this.ids, clock, this.log, o.mayWrite);
    this.queries = new IbQueries(this.conn, clock, o.queries);
    this.options = new IbOptions(this.conn, clock, this.queries, o.queries?.timeoutMs !== undefined ? { timeoutMs: o.queries.timeoutMs } : {});
    this.rec = new IbReconcile(this.conn, this.orders, o.queries?.timeoutMs);
    this.conn.setReconciler(async (why) => {
      const snap = await this.rec.pass(why);
      this.log.info({ why, open: snap.openOrders.length, completed: snap.completedOrders.length, fills: snap.executions.length }, 'IB: reconciled');
      await o.onReconnected?.(snap);
    });
    this.connection$ = this.conn.status$.asObservable();
    this.events$ = this.orders.events$.asObservable();
  }

  /**
   * Start the session and resolve once it is CONNECTED (server version, nextValidId, managed accounts and
   * the first reconciliation pass). With `reconnect: false` the first failure rejects at once with
   * `BrokerUnavailableError` naming the cause (e.g. "connect ECONNREFUSED 127.0.0.1:7497").
   */
  async connect(): Promise<void> {
    this.conn.start();
    const once = this.o.reconnect === false;
    const s = await this.conn.waitFor((st) => st.state === 'CONNECTED' || (once && st.state === 'DISCONNECTED'), this.o.connectTimeoutMs ?? 30_000);
    if (s.state !== 'CONNECTED') {
      throw new BrokerUnavailableError(`cannot connect to IB at ${this.o.host}:${this.o.port}: ${s.reason ?? 'disconnected'}`);
    }
  }

  /**
   * Start the session without waiting for it (the daemon waits on `connection$` itself, forever); the
   * reconnect loop keeps trying with backoff. Idempotent.
   */
  start(): void {
    this.conn.start();
  }

  disconnect(): Promise<void> {
    return this.conn.stop();
  }

  isReadyForOrders(): boolean {
    return this.conn.isReady() && this.ids.isSeeded();
  }

  /** Linked accounts as IB reports them on connect. */
  managedAccounts(): Promise<readonly string[]> {
    if (!this.conn.isSessionUp()) return Promise.reject(new BrokerUnavailableError('not connected to IB'));
    return Promise.resolve(this.conn.managedAccounts());
  }

  accountSummaries(): Promise<readonly BrokerAccountSummary[]> {
    return this.queries.accountSummaries();
  }

  positions(): Promise<readonly PositionSnapshot[]> {
    return this.queries.positions();
  }

  contractDetails(instrument: Instrument): Promise<ContractInfo> {
    return this.queries.contractDetails(instrument);
  }

  quote(instrument: Instrument): Promise<Quote> {
    return this.queries.quote(instrument);
  }

  historicalBars(instrument: Instrument, request: HistoryRequest): Promise<readonly Bar[]> {
    return this.queries.historicalBars(instrument, request);
  }

  shortableShares(instrument: Instrument): Promise<number | undefined> {
    return this.queries.shortableShares(instrument);
  }

  /** Borrow fee rate (percent per year) from FEE_RATE history; undefined when IB has none. Not in BrokerPort. */
  borrowFee(instrument: Instrument): Promise<Decimal | undefined> {
    return this.queries.borrowFee(instrument);
  }

  optionChainParams(underlying: Instrument): Promise<readonly OptionChainParams[]> {
    return this.options.optionChainParams(underlying);
  }

  optionGreeks(option: Instrument): Promise<OptionGreeks | undefined> {
    return this.options.optionGreeks(option);
  }

  optionChain(underlying: Instrument, query?: OptionChainQuery): Promise<OptionChainSnapshot> {
    return this.options.optionChain(underlying, query);
  }

  contracts(query: Instrument): Promise<readonly Instrument[]> {
    return this.options.contracts(query);
  }

  whatIf(leg: OrderLeg): Promise<WhatIfReport> {
    return this.orders.whatIf(leg);
  }

  placeOrders(legs: readonly OrderLeg[]): Promise<readonly PlacedLeg[]> {
    if (!this.isReadyForOrders()) return Promise.reject(new BrokerUnavailableError(`IB not ready for orders (${this.describe()})`));
    return this.orders.placeOrders(legs);
  }

  cancelOrder(orderId: number): Promise<void> {
    return this.orders.cancelOrder(orderId);
  }

  cancelAll(): Promise<void> {
    return this.orders.cancelAll();
  }

  openOrders(): Promise<readonly OrderReport[]> {
    return this.rec.openOrders();
  }

  completedOrders(): Promise<readonly OrderReport[]> {
    return this.rec.completedOrders();
  }

  executions(query?: ExecutionQuery): Promise<readonly FillReport[]> {
    return this.rec.executions(query);
  }

  /** The orderRef known for an order id (sent by us or echoed by IB). */
  orderRefFor(orderId: number): string | undefined {
    return this.orders.refFor(orderId);
  }

  /** The session's current status (synchronous; `connection$` emits its changes). */
  connectionStatus(): ConnectionStatus {
    return this.conn.status$.value;
  }

  /** Counters (client id actually used, messages sent, decoder errors). */
  stats(): IbBrokerStats {
    return {
      clientId: this.conn.clientId,
      messagesSent: this.conn.messagesSent(),
      pacingQueueDepth: this.conn.pacingQueueDepth(),
      decoderErrors: this.conn.decoderErrorCount(),
      nextOrderId: this.ids.peekNext(),
    };
  }

  private describe(): string {
    const s = this.conn.status$.value;
    return `${s.state}${s.reason ? `: ${s.reason}` : ''}`;
  }
}

export type { ReconciliationSnapshot } from './ib-reconcile.js';
export type { OrderIdStore } from './order-ids.js';
export { InMemoryOrderIdStore, fromSingleReserve } from './order-ids.js';
