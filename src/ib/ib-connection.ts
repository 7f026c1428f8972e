/**
 * The socket session to TWS / IB Gateway over plain `IBApi` (not IBApiNext), with our own reconnect loop.
 *
 * Why plain IBApi: IBApiNext increments the client id on reconnect unless told otherwise, closes the
 * socket on 1100 (we must keep it and wait for 1101/1102), has no `reqCompletedOrders`, and routes live
 * `execDetails` (reqId −1) only to open subscriptions. Here every IBApi event of the current session is
 * re-emitted on `hub`, whatever request is open.
 *
 * Invariants:
 *  - the client id is the FIXED `clientId` option on every attempt (never @stoqey/ib's env/.env default,
 *    never incremented); host and port are explicit too;
 *  - a NEW IBApi object per attempt: @stoqey/ib buffers commands while its socket is down and would flush
 *    them on the next session — a stale order must never leave that way, so the old object is dropped
 *    with its buffer, and our own queue (`Pacer`) rejects what it still holds;
 *  - reconnect with capped exponential backoff + jitter; after 326 (client id in use) retry slowly
 *    (`slowRetryMs`) and report DISCONNECTED with the reason; after 10197 (a competing session) leave the
 *    session and retry at `slowRetryMs` doubling up to 8× (never a reconnect storm against the other login);
 *  - a liveness probe (`reqCurrentTime`, answered within `livenessTimeoutMs`) catches half-open sockets
 *    and forces a reconnect;
 *  - every session starts with a reconciliation pass (`reconciler`), and so does every 1101/1102 after a
 *    1100/2110; orders are allowed only after it (see `connection-state.ts`).
 */
import { EventEmitter } from 'node:events';
import type { IBApi } from '@stoqey/ib';
import { BehaviorSubject } from 'rxjs';
import type { Clock } from '../domain/clock.js';
import { systemClock } from '../domain/clock.js';
import { BrokerUnavailableError } from '../execution/broker-port.js';
import type { ConnectionStatus } from '../execution/broker-port.js';
import type { ConnAction, ConnEvent, ConnState } from './connection-state.js';
import { initialConnState, isReady, reduceConn } from './connection-state.js';
import { classifyIbCode } from './ib-errors.js';
import { closeAttempt, openAttempt } from './ib-attempt.js';
import { LivenessProbe } from './ib-liveness.js';
import type { IbLogger } from './ib-log.js';
import { silentLogger } from './ib-log.js';
import { Pacer } from './ib-pacer.js';
import type { Priority } from './ib-pacer.js';
import type { IbConnectionOptions } from './ib-connection-options.js';
import { backoffDelay } from './pacing.js';

export type { IbConnectionOptions } from './ib-connection-options.js';

/** Called for every reconciliation pass; must resolve when the pass is complete. */
export type Reconciler = (why: 'session' | 'restored') => Promise<void>;

/** Request ids start here so an error's id never collides with an order id. */
const REQ_ID_BASE = 1_900_000_000;

/** One logical connection: successive sockets (sessions) with the same client id, one pacer, one hub. */
export class IbConnection {
  /** every IBApi event of the current session, same name and arguments as @stoqey/ib's */
  readonly hub = new EventEmitter();
  readonly status$: BehaviorSubject<ConnectionStatus>;
  private state: ConnState;
  /** the IBApi of the current session once it is up (nextValidId + accounts) */
  private api: IBApi | undefined;
  /** the IBApi of the current attempt, up or not (closed by teardown) */
  private attemptApi: IBApi | undefined;
  private session = 0;
  private attempt = 0;
  private accounts: readonly string[] = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private liveness: LivenessProbe | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private lastSocketError: string | undefined;
  private reqId = REQ_ID_BASE;
  private decodeErrors = 0;
  private readonly pacer: Pacer;
  private readonly clock: Clock;
  private readonly log: IbLogger;
  private reconciler: Reconciler = () => Promise.resolve();
  private nextValidIdListener: (id: number) => void = () => undefined;

  constructor(private readonly o: IbConnectionOptions) {
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger;
    this.state = initialConnState(this.clock.now());
    this.status$ = new BehaviorSubject(this.state.status);
    this.pacer = new Pacer(this.clock, o.maxMessagesPerSecond ?? 40);
    this.hub.setMaxListeners(0);
    // node's EventEmitter throws on an unheard 'error' event; IB errors are routed by listeners below
    this.hub.on('error', () => undefined);
  }

  /** Install the reconciliation pass (called on each session start and each 1101/1102). */
  setReconciler(r: Reconciler): void {
    this.reconciler = r;
  }

  /** Called with every nextValidId (feeds the order-id allocator). */
  onNextValidId(fn: (id: number) => void): void {
    this.nextValidIdListener = fn;
  }

  get clientId(): number {
    return this.o.clientId;
  }

  /** Managed accounts of the current (or last) session. */
  managedAccounts(): readonly string[] {
    return this.accounts;
  }

  /** Decoder errors (505) seen so far: must stay 0. */
  decoderErrorCount(): number {
    return this.decodeErrors;
  }

  /** Messages sent through the pacer so far. */
  messagesSent(): number {
    return this.pacer.sent();
  }

  /** Messages waiting in the pacer now. */
  pacingQueueDepth(): number {
    return this.pacer.pending();
  }

  isReady(): boolean {
    return isReady(this.state) && this.api !== undefined;
  }

  /** True while a socket session is up (data requests allowed), even when orders are blocked. */
  isSessionUp(): boolean {
    return this.api !== undefined && ['reconciling', 'ready', 'lost', 'restoredReconciling'].includes(this.state.phase);
  }

  nextReqId(): number {
    this.reqId += 1;
    return this.reqId;
  }

  /** Start connecting (idempotent). Progress is visible on `status$`. */
  start(): void {
    if (this.state.phase !== 'down' && this.state.phase !== 'stopped') return;
    if (this.state.phase === 'stopped') this.state = initialConnState(this.clock.now());
    this.attempt = 0;
    this.connectOnce();
  }

  /** Stop for good: close the socket, cancel timers, reject queued messages. */
  stop(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.teardown('disconnect() called');
    this.dispatch({ type: 'stopped' });
    return Promise.resolve();
  }

  /**
   * Send one message through the paced queue. `order` messages require an order-ready session and are
   * re-checked right before they leave; everything else requires a socket session. Rejects with
   * `BrokerUnavailableError` when that is not the case (nothing was sent).
   */
  send(priority: Priority, fn: (api: IBApi) => void, opts: { requireReady?: boolean } = {}): Promise<void> {
    const requireReady = opts.requireReady ?? false;
    const gate = (): Error | undefined => {
      if (requireReady && !this.isReady()) return new BrokerUnavailableError(`IB session not ready for orders (${this.describe()})`);
      if (!this.isSessionUp()) return new BrokerUnavailableError(`not connected to IB (${this.describe()})`);
      return undefined;
    };
    const blocked = gate();
    if (blocked) return Promise.reject(blocked);
    const session = this.session;
    return this.pacer.submit(priority, () => {
      if (session !== this.session || !this.api) throw new BrokerUnavailableError('IB session ended before sending');
      fn(this.api);
    }, gate);
  }

  /** Wait until `pred(status)` holds; rejects after `timeoutMs`. */
  waitFor(pred: (s: ConnectionStatus) => boolean, timeoutMs: number): Promise<ConnectionStatus> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new BrokerUnavailableError(`timed out after ${timeoutMs} ms waiting for IB (${this.describe()})`));
      }, timeoutMs);
      const sub = this.status$.subscribe((s) => {
        if (!pred(s)) return;
        clearTimeout(timer);
        queueMicrotask(() => sub.unsubscribe());
        resolve(s);
      });
    });
  }

  /** Last transport error text, if any (e.g. "connect ECONNREFUSED 127.0.0.1:7497"). */
  lastError(): string | undefined {
    return this.lastSocketError;
  }

  /** Force the socket closed and reconnect (liveness failure, 1300). */
  forceReconnect(reason: string): void {
    if (!this.attemptApi) return;
    this.log.warn({ reason }, 'IB: forcing reconnect');
    this.onClosed(this.session, reason);
  }

  private describe(): string {
    const s = this.status$.value;
    return `${s.state}${s.reason ? `: ${s.reason}` : ''}`;
  }

  private connectOnce(): void {
    this.session += 1;
    const session = this.session;
    const live = (): boolean => session === this.session;
    let gotId = false;
    let gotAccounts = false;
    this.lastSocketError = undefined;
    this.api = undefined;
    this.dispatch({ type: 'connecting' });
    const ready = (): void => {
      if (!live() || !gotId || !gotAccounts || this.api) return;
      if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
      this.api = api;
      this.attempt = 0;
      this.log.info({ host: this.o.host, port: this.o.port, clientId: this.o.clientId, accounts: this.accounts }, 'IB: session up');
      this.dispatch({ type: 'sessionReady' });
      this.startLiveness(session);
    };
    const api = openAttempt(this.o, {
      forward: (name, args) => void (live() && this.hub.emit(name, ...args)),
      // START_API leaves with the server-version reply, outside our queue: it still counts against the budget
      connected: () => void (live() && this.pacer.recordExternal()),
      accounts: (list) => {
        if (!live()) return;
        this.accounts = list;
        gotAccounts = true;
        ready();
      },
      nextValidId: (id) => {
        if (!live()) return;
        this.nextValidIdListener(id);
        gotId = true;
        ready();
      },
      code: (code, message) => this.onCode(session, code, message),
      decodeError: (err) => this.onDecodeError(err),
      closed: () => this.onClosed(session, this.lastSocketError ?? 'socket closed by peer'),
    });
    this.attemptApi = api;
    this.handshakeTimer = setTimeout(
      () => this.onClosed(session, this.lastSocketError ?? 'handshake timed out (no nextValidId / managedAccounts)'),
      this.o.handshakeTimeoutMs ?? 10_000,
    );
  }

  private startLiveness(session: number): void {
    this.liveness = new LivenessProbe(
      { intervalMs: this.o.livenessIntervalMs ?? 30_000, timeoutMs: this.o.livenessTimeoutMs ?? 10_000 },
      this.hub,
      () => void this.send('control', (api) => api.reqCurrentTime()).catch(() => undefined),
      (reason) => {
        if (session === this.session) this.forceReconnect(reason);
      },
    );
    this.liveness.start();
  }

  private onDecodeError(err: Error): void {
    this.decodeErrors += 1;
    this.log.error({ code: 505, message: err.message }, 'IB: decoder error (client/server message layout mismatch)');
  }

  private onCode(session: number, code: number, message: string): void {
    if (session !== this.session) return;
    const c = classifyIbCode(code, message, 'connection');
    const level = c.kind === 'info' ? 'debug' : c.kind === 'warning' ? 'info' : 'warn';
    this.log[level]({ code, kind: c.kind, message }, 'IB: code');
    if (code === 502 || code === 504 || code === 507) this.lastSocketError = message;
    this.dispatch({ type: 'code', code, message });
    if (code === 326) this.onClosed(session, `client id ${this.o.clientId} already in use: ${message}`);
    // a competing login owns the session: leave it (no orders, no data), and come back slowly (state machine)
    if (code === 10197) this.onClosed(session, `competing session (10197): ${message}`);
    if (code === 1300) this.forceReconnect(`socket port reset (1300): ${message}`);
  }

  private onClosed(session: number, reason: string): void {
    if (session !== this.session) return;
    this.session += 1; // invalidates every callback of the closed session
    this.teardown(reason);
    this.dispatch({ type: 'socketClosed', reason });
  }

  private teardown(reason: string): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    this.liveness?.stop();
    this.liveness = undefined;
    this.pacer.failAll(new BrokerUnavailableError(`IB session ended: ${reason}`));
    const api = this.attemptApi;
    this.api = undefined;
    this.attemptApi = undefined;
    this.hub.emit('sessionEnded', reason);
    if (api) closeAttempt(api);
  }

  private dispatch(e: ConnEvent): void {
    const t = reduceConn(this.state, e, this.clock.now());
    const changed = t.state.status !== this.state.status;
    this.state = t.state;
    if (changed) {
      // a reconnect loop (attempt > 1) alternates DISCONNECTED/CONNECTING each try: only the first try is logged at info
      const level = this.attempt > 1 ? 'debug' : 'info';
      this.log[level]({ state: t.state.status.state, reason: t.state.status.reason, code: t.state.status.code }, 'IB: connection');
      this.status$.next(t.state.status);
    }
    for (const a of t.actions) this.perform(a);
  }

  private perform(a: ConnAction): void {
    if (a.type === 'reconcile') {
      this.reconciler(a.why).then(
        () => this.dispatch({ type: 'reconciled', seq: a.seq }),
        (err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          this.log.warn({ reason }, 'IB: reconciliation failed');
          setTimeout(() => this.dispatch({ type: 'reconcileFailed', seq: a.seq, reason }), this.o.reconcileRetryMs ?? 2_000).unref();
        },
      );
      return;
    }
    if (this.o.reconnect === false) return;
    const slowMs = this.o.slowRetryMs ?? 60_000;
    // a competing session: 1×, 2×, 4× … the slow delay, capped at 8× (8 min by default)
    const delay = a.competingRetries ? slowMs * 2 ** Math.min(a.competingRetries - 1, 3) : a.slow ? slowMs : backoffDelay(this.attempt, this.o.backoff, this.o.random);
    this.attempt += 1;
    this.log[this.attempt > 1 ? 'debug' : 'info']({ delayMs: delay, attempt: this.attempt }, 'IB: reconnect scheduled');
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state.phase === 'down') this.connectOnce();
    }, delay);
  }
}
