/**
 * `CpBroker implements BrokerPort` over the Client Portal Web API (the local gateway or the simulator).
 *
 * ```ts
 * const broker = new CpBroker({ baseUrl: config.clientPortal.baseUrl, caFile: config.clientPortal.caFile,
 *   fingerprint: config.clientPortal.fingerprint, onReconnected: (snap) => reconciler.onSnapshot(snap, 'CP session') });
 * await broker.connect(); // authenticated, /iserver/accounts primed, first reconciliation pass done
 * ```
 *
 * Events: the gateway pushes nothing over REST, so working orders are polled (live orders and trades of
 * each account with a working order, every `pollMs`, inside the one pacing budget); a status change is
 * emitted once, a fill once per execId. The websocket (`sor`/`str`) would shorten that delay; it is not
 * used yet. Queries the gateway cannot answer (shortable shares, option greeks) are left out or undefined.
 */
import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import type { ContractInfo, Instrument, OptionChainQuery, OptionChainSnapshot, OrderLeg, PositionSnapshot, Quote } from '../domain/types.js';
import { cpOptionChain } from './cp-options.js';
import type {
  Bar, BrokerAccountSummary, BrokerEvent, BrokerPort, ConnectionStatus, ExecutionQuery, FillReport, HistoryRequest, OrderReport, PlacedLeg, WhatIfReport,
} from '../execution/broker-port.js';
import type { ReconciliationSnapshot } from '../ib/ib-reconcile.js';
import { CpApi } from './cp-api.js';
import { CpBook } from './cp-book.js';
import { CpHttp } from './cp-http.js';
import { CpOrders } from './cp-orders.js';
import { CpPacer } from './cp-pacer.js';
import { CpQueries } from './cp-queries.js';
import { CpSessionKeeper } from './cp-session.js';
import { resolveTls } from './cp-tls.js';

/** Options of `new CpBroker`. */
export interface CpBrokerOptions {
  readonly baseUrl: string;
  readonly caFile?: string | null;
  readonly fingerprint?: string | null;
  /** reconcile after every (re)authentication; orders wait for it */
  readonly onReconnected?: (snapshot: ReconciliationSnapshot) => Promise<void> | void;
  /** /tickle period (default 60 000) */
  readonly tickleMs?: number;
  /** working-order poll period (default 5 000, the live-orders limit) */
  readonly pollMs?: number;
  /** scales the documented rate-limit windows (tests against the simulator; default 1) */
  readonly pacingScale?: number;
  readonly requestTimeoutMs?: number;
  readonly warmupMs?: number;
  readonly lookupTries?: number;
  readonly lookupMs?: number;
  /** start(): pause between failed connection attempts (default 5 000) */
  readonly retryMs?: number;
  readonly clock?: { now(): number };
  readonly logger?: { warn(o: object, msg: string): void; info?(o: object, msg: string): void };
}

const TERMINAL = new Set(['FILLED', 'CANCELLED', 'INACTIVE']);

/** The Client Portal backend of the BrokerPort. */
export class CpBroker implements BrokerPort {
  private readonly subject = new Subject<BrokerEvent>();
  private readonly conn: BehaviorSubject<ConnectionStatus>;
  readonly events$: Observable<BrokerEvent> = this.subject.asObservable();
  readonly connection$: Observable<ConnectionStatus>;
  private readonly now: () => number;
  private parts: { http: CpHttp; session: CpSessionKeeper; api: CpApi; queries: CpQueries; book: CpBook; orders: CpOrders } | undefined;
  private poller: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(private readonly o: CpBrokerOptions) {
    const clock = o.clock;
    this.now = clock ? () => clock.now() : Date.now;
    this.conn = new BehaviorSubject<ConnectionStatus>({ state: 'DISCONNECTED', since: this.now() });
    this.connection$ = this.conn.asObservable();
  }

  private log = (msg: string, data: Record<string, unknown> = {}): void => this.o.logger?.warn(data, msg);

  /** The current connection state (metrics, heartbeat). */
  connectionStatus(): ConnectionStatus {
    return this.conn.value;
  }

  /** Requests sent to the gateway; the pacer holds requests by waiting, not in a queue, so its depth is 0. */
  stats(): { readonly messagesSent: number; readonly pacingQueueDepth: number } {
    return { messagesSent: this.parts?.http.sent ?? 0, pacingQueueDepth: 0 };
  }

  async connect(): Promise<void> {
    if (!this.parts) {
      const base = new URL(this.o.baseUrl);
      const tls = base.protocol === 'https:' ? await resolveTls(base, { caFile: this.o.caFile ?? null, fingerprint: this.o.fingerprint ?? null }) : undefined;
      const http = new CpHttp(base, new CpPacer(this.now, this.o.pacingScale ?? 1), tls, { timeoutMs: this.o.requestTimeoutMs ?? 15_000, maxWaitMs: 60_000 });
      const session = new CpSessionKeeper(http, { tickleMs: this.o.tickleMs ?? 60_000, authPolls: 20, authPollMs: 500, now: this.now, log: this.log, onSession: () => this.reconcile() });
      session.connection$.subscribe((s) => this.conn.next(s));
      const api = new CpApi(http, session);
      const queries = new CpQueries(api, { warmupTries: 8, warmupMs: this.o.warmupMs ?? 400, now: this.now });
      const book = new CpBook(api, this.subject, this.now);
      const orders = new CpOrders(api, queries, book, this.subject, { lookupTries: this.o.lookupTries ?? 6, lookupMs: this.o.lookupMs ?? 2000, orderTimeoutMs: this.o.requestTimeoutMs ?? 15_000, now: this.now, log: this.log });
      this.parts = { http, session, api, queries, book, orders };
    }
    await this.parts.session.ensure();
    this.parts.session.start();
    this.poller ??= setInterval(() => void this.poll(), this.o.pollMs ?? 5000);
    this.poller.unref();
  }

  /** Connects in the background and keeps trying (every `retryMs`, default 5 s) until it succeeds or `disconnect()`. */
  start(): void {
    this.stopped = false;
    const attempt = (): void => {
      if (this.stopped) return;
      this.connect().catch((e: unknown) => {
        this.log('Client Portal connect failed; retrying', { reason: (e as Error).message });
        this.retry = setTimeout(attempt, this.o.retryMs ?? 5000);
        this.retry.unref();
      });
    };
    attempt();
  }

  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  async disconnect(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.parts?.session.stop();
    this.parts?.http.close();
  }

  isReadyForOrders(): boolean {
    const p = this.parts;
    return !!p && p.session.connected && p.http !== undefined;
  }

  private get p(): NonNullable<CpBroker['parts']> {
    if (!this.parts) throw new Error('CpBroker: connect() first');
    return this.parts;
  }

  async managedAccounts(): Promise<readonly string[]> {
    await this.p.session.ensure();
    return this.p.session.accounts;
  }

  async accountSummaries(): Promise<readonly BrokerAccountSummary[]> {
    return this.p.queries.accountSummaries(await this.managedAccounts(), this.p.session.accountTypes);
  }

  async positions(): Promise<readonly PositionSnapshot[]> {
    return this.p.queries.positions(await this.managedAccounts());
  }

  contractDetails(i: Instrument): Promise<ContractInfo> {
    return this.p.queries.contractDetails(i);
  }

  quote(i: Instrument): Promise<Quote> {
    return this.p.queries.quote(i);
  }

  historicalBars(i: Instrument, r: HistoryRequest): Promise<readonly Bar[]> {
    return this.p.queries.historicalBars(i, r);
  }

  /** The Client Portal has no shortable-shares figure. */
  shortableShares(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  /** A chain snapshot (secdef strikes/info and one snapshot with greeks). */
  optionChain(underlying: Instrument, query?: OptionChainQuery): Promise<OptionChainSnapshot> {
    return cpOptionChain(this.p.api, this.p.queries, { warmupTries: 8, warmupMs: this.o.warmupMs ?? 400, now: this.now }, underlying, query);
  }

  whatIf(leg: OrderLeg): Promise<WhatIfReport> {
    return this.p.queries.whatIf(leg);
  }

  placeOrders(legs: readonly OrderLeg[]): Promise<readonly PlacedLeg[]> {
    return this.p.orders.place(legs);
  }

  async cancelOrder(orderId: number): Promise<void> {
    await this.p.orders.cancel(orderId);
    setTimeout(() => void this.poll(), 0).unref();
  }

  async cancelAll(): Promise<void> {
    for (const o of await this.openOrders()) await this.p.orders.cancel(o.orderId);
  }

  async openOrders(): Promise<readonly OrderReport[]> {
    return (await this.allOrders()).filter((o) => !TERMINAL.has(o.status));
  }

  async completedOrders(): Promise<readonly OrderReport[]> {
    return (await this.allOrders()).filter((o) => TERMINAL.has(o.status));
  }

  async executions(q: ExecutionQuery = {}): Promise<readonly FillReport[]> {
    const accounts = q.account ? [q.account] : await this.managedAccounts();
    const days = q.since ? Math.ceil((this.now() - q.since.getTime()) / 86_400_000) : 1;
    const out: FillReport[] = [];
    for (const a of accounts) out.push(...(await this.p.book.trades(a, days)));
    return q.since ? out.filter((f) => !/^\d{8} /.test(f.time) || parseTime(f.time) >= (q.since as Date).getTime()) : out;
  }

  private async allOrders(): Promise<OrderReport[]> {
    const out: OrderReport[] = [];
    for (const a of await this.managedAccounts()) out.push(...(await this.p.book.liveOrders(a)));
    return out;
  }

  /** After each (re)authentication: the reconciliation snapshot (missed statuses and fills are emitted first). */
  private async reconcile(): Promise<void> {
    const p = this.p;
    p.session.ordersPreflighted = false;
    const orders: OrderReport[] = [];
    const fills: FillReport[] = [];
    for (const a of p.session.accounts) {
      orders.push(...(await p.book.liveOrders(a)));
      fills.push(...(await p.book.trades(a, 1)));
    }
    for (const f of fills) p.book.noteFill(f);
    for (const o of orders) p.book.noteOrder(o);
    await this.o.onReconnected?.({ why: 'session', openOrders: orders.filter((o) => !TERMINAL.has(o.status)), completedOrders: orders.filter((o) => TERMINAL.has(o.status)), executions: fills });
  }

  /** Polls the accounts with working orders: fills first (once per execId), then status changes. */
  private async poll(): Promise<void> {
    const p = this.parts;
    if (!p || this.polling || !p.session.connected) return;
    this.polling = true;
    try {
      for (const a of p.book.busyAccounts()) {
        for (const f of await p.book.trades(a, 1)) p.book.noteFill(f);
        for (const o of await p.book.liveOrders(a)) p.book.noteOrder(o);
      }
    } catch (e) {
      this.log('Client Portal order poll failed', { reason: (e as Error).message });
    } finally {
      this.polling = false;
    }
  }
}

function parseTime(t: string): number {
  const m = /^(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(t);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : 0;
}
