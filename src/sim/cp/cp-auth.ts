/**
 * The Client Portal session state machine of the simulator (one username, one brokerage session):
 *
 *   unauthenticated ──ssodh/init | reauthenticate──▶ authenticated
 *   authenticated ──idle > idleTimeoutMs without /tickle or /iserver call──▶ unauthenticated (expired)
 *   authenticated ──fault competing-session──▶ competing ──ssodh/init {compete:true}──▶ authenticated
 *   any ──/logout | fault session-expired──▶ unauthenticated
 *
 * "Primed": `/iserver` data calls answer 500 "Please query /accounts first" until GET /iserver/accounts
 * has been called in this brokerage session. Time is injected (`now`).
 */

/** The session states the simulator models. */
export type CpAuthState = 'unauthenticated' | 'authenticated' | 'competing';

/** The auth/status document. */
export interface CpAuthStatus {
  authenticated: boolean;
  competing: boolean;
  connected: boolean;
  established?: boolean;
  message: string;
  MAC: string;
  fail?: string;
  serverInfo: { serverName: string; serverVersion: string };
}

/** The simulated brokerage session. */
export class CpSession {
  state: CpAuthState;
  primed = false;
  /** GET /iserver/account/orders answered once since init (the pre-flight call) */
  ordersPreflighted = false;
  /** conIds whose snapshot stream was started in this session (warm-up) */
  readonly warm = new Set<number>();
  /** suppressed question ids (until the next init) */
  readonly suppressed = new Set<string>();
  selectedAccount: string;
  sessionId = '';
  private lastActivity: number;
  private seq = 0;

  constructor(
    private readonly now: () => number,
    readonly idleTimeoutMs: number,
    loginRequired: boolean,
    firstAccount: string,
  ) {
    this.lastActivity = now();
    this.selectedAccount = firstAccount;
    this.state = 'unauthenticated';
    if (!loginRequired) this.init();
  }

  /** Expires an idle session; call before answering anything. */
  checkIdle(): void {
    if (this.state === 'authenticated' && this.now() - this.lastActivity > this.idleTimeoutMs) this.expire();
  }

  /** /tickle or any /iserver call: keeps an authenticated session alive. */
  touch(): void {
    if (this.state === 'authenticated') this.lastActivity = this.now();
  }

  /** ssodh/init or reauthenticate: a fresh brokerage session (not primed, no suppressions, cold snapshots). */
  init(): void {
    this.state = 'authenticated';
    this.primed = false;
    this.ordersPreflighted = false;
    this.warm.clear();
    this.suppressed.clear();
    this.sessionId = `cpsim${(++this.seq).toString(16).padStart(8, '0')}`;
    this.lastActivity = this.now();
  }

  /** Another platform logged in with this username. */
  compete(): void {
    if (this.state === 'authenticated') this.state = 'competing';
  }

  /** The session ended (logout, expiry, daily reset). */
  expire(): void {
    this.state = 'unauthenticated';
    this.primed = false;
  }

  /** The auth/status answer for the current state. */
  status(): CpAuthStatus {
    const authenticated = this.state === 'authenticated';
    return {
      authenticated, competing: this.state === 'competing', connected: true,
      ...(authenticated ? { established: true } : {}),
      message: '', MAC: '98:F2:B3:23:BF:A0', fail: '',
      serverInfo: { serverName: 'cpsim', serverVersion: 'Build 10.25.0a' },
    };
  }
}
