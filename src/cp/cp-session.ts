/**
 * The Client Portal session keeper: brings the brokerage session up (auth status → ssodh/init when
 * unauthenticated → poll until authenticated → GET /iserver/accounts and /portfolio/accounts, which
 * the gateway needs before anything else), keeps it alive with /tickle on a timer (about every minute),
 * notices expiry (a tickle, a 401) and re-authenticates. A competing session (the same username logged in
 * elsewhere) is never fought: init without `compete`, and the state says why nothing trades.
 */
import { BehaviorSubject } from 'rxjs';
import { BrokerUnavailableError, type ConnectionStatus } from '../execution/broker-port.js';
import type { CpHttp } from './cp-http.js';

/** Options of the keeper. */
export interface CpSessionOptions {
  readonly tickleMs: number;
  /** polls of auth/status after an init (each `authPollMs` apart) */
  readonly authPolls: number;
  readonly authPollMs: number;
  readonly now: () => number;
  readonly log: (msg: string, data?: Record<string, unknown>) => void;
  /** after every (re)authentication, before CONNECTED is announced: reconcile */
  readonly onSession?: (first: boolean) => Promise<void>;
}

interface AuthStatus {
  authenticated?: boolean;
  competing?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One brokerage session kept alive. */
export class CpSessionKeeper {
  readonly connection$: BehaviorSubject<ConnectionStatus>;
  accounts: readonly string[] = [];
  accountTypes = new Map<string, string>();
  /** GET /iserver/account/orders answered once in this session (the gateway's pre-flight call) */
  ordersPreflighted = false;
  private timer: NodeJS.Timeout | undefined;
  private bringing: Promise<void> | undefined;
  private sessions = 0;
  private stopped = false;

  constructor(private readonly http: CpHttp, private readonly o: CpSessionOptions) {
    this.connection$ = new BehaviorSubject<ConnectionStatus>({ state: 'DISCONNECTED', since: o.now() });
  }

  get connected(): boolean {
    return this.connection$.value.state === 'CONNECTED';
  }

  /** Authenticated and primed: requests may go out (also during the reconciliation before CONNECTED). */
  get usable(): boolean {
    return this.connected || this.primedNow;
  }

  private primedNow = false;

  /** Brings the session up (once at a time); rejects with BrokerUnavailableError saying why. */
  ensure(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.bringing ??= this.bringUp().finally(() => (this.bringing = undefined));
    return this.bringing;
  }

  /** Starts the tickle timer. */
  start(): void {
    this.stopped = false;
    this.timer ??= setInterval(() => void this.tickle(), this.o.tickleMs);
    this.timer.unref();
  }

  /** Stops the timer; the session is left to expire on the gateway. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.set('DISCONNECTED', 'disconnected by us');
  }

  /** A request found the session gone (401 / "no bridge"): mark it, and re-authenticate in the background. */
  lost(reason: string): void {
    if (!this.connected) return;
    this.set('DISCONNECTED', reason);
    if (!this.stopped) this.ensure().catch((e: unknown) => this.o.log('Client Portal re-authentication failed', { reason: (e as Error).message }));
  }

  private async tickle(): Promise<void> {
    try {
      const r = await this.http.request('POST', '/tickle', undefined, { maxWaitMs: this.o.tickleMs });
      const auth = (r.body as { iserver?: { authStatus?: AuthStatus } } | undefined)?.iserver?.authStatus;
      if (r.status === 200 && auth?.authenticated === true) return;
      this.lost(auth?.competing ? 'competing session: the username logged in elsewhere' : `session expired (tickle answered ${r.status})`);
      if (!this.connected && !this.stopped) await this.ensure();
    } catch (e) {
      this.o.log('Client Portal tickle failed', { reason: (e as Error).message });
    }
  }

  private async status(): Promise<AuthStatus> {
    const r = await this.http.request('POST', '/iserver/auth/status');
    if (r.status !== 200) return {};
    return (r.body ?? {}) as AuthStatus;
  }

  private async bringUp(): Promise<void> {
    this.set('CONNECTING', 'authenticating with the Client Portal gateway');
    try {
      let st = await this.status();
      if (st.competing) throw new BrokerUnavailableError('competing session: the same username is logged in elsewhere (TWS, mobile, web); log it out or use a second username — we never take over');
      if (!st.authenticated) {
        await this.http.request('POST', '/iserver/auth/ssodh/init', { publish: true, compete: false });
        for (let i = 0; i < this.o.authPolls && !st.authenticated; i++) {
          await sleep(this.o.authPollMs);
          st = await this.status();
        }
        if (!st.authenticated) throw new BrokerUnavailableError('the Client Portal brokerage session is not authenticated (log in to the gateway in a browser first)');
      }
      await this.prime();
      this.ordersPreflighted = false;
      this.primedNow = true;
      const first = this.sessions++ === 0;
      await this.o.onSession?.(first);
      this.set('CONNECTED', first ? 'authenticated' : 're-authenticated');
    } catch (e) {
      this.set('DISCONNECTED', (e as Error).message);
      throw e instanceof BrokerUnavailableError ? e : new BrokerUnavailableError(`Client Portal gateway unavailable: ${(e as Error).message}`);
    }
  }

  /** GET /iserver/accounts (the pre-flight of every /iserver call) and /portfolio/accounts (types). */
  async prime(): Promise<void> {
    const r = await this.http.request('GET', '/iserver/accounts');
    const ids = (r.body as { accounts?: unknown } | undefined)?.accounts;
    if (r.status !== 200 || !Array.isArray(ids) || ids.length === 0) throw new BrokerUnavailableError(`GET /iserver/accounts answered ${r.status} without accounts`);
    this.accounts = ids.map(String);
    const p = await this.http.request('GET', '/portfolio/accounts');
    if (p.status === 200 && Array.isArray(p.body)) {
      for (const a of p.body as { id?: unknown; type?: unknown }[]) if (typeof a.id === 'string' && typeof a.type === 'string') this.accountTypes.set(a.id, a.type);
    }
  }

  private set(state: ConnectionStatus['state'], reason: string): void {
    if (state !== 'CONNECTED') this.primedNow = false;
    const cur = this.connection$.value;
    if (cur.state === state && cur.reason === reason) return;
    this.connection$.next({ state, since: this.o.now(), reason });
  }
}
