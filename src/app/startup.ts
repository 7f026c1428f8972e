/**
 * SHELL: the daemon's view of the two services it needs, Redis and IB. Start in any order: the daemon
 * waits for both forever (with backoff), logs each change of what it is waiting for ONCE (not once per
 * reconnect attempt), and names the service that is down — an IB session whose reconciliation fails
 * because Redis is unreachable is reported as Redis being down, never as IB.
 */
import { combineLatest, distinctUntilChanged, map, of, type Observable, type Subscription } from 'rxjs';
import type { Redis } from 'ioredis';
import type { ConnectionStatus } from '../execution/broker-port.js';
import type { SignalSource } from '../ingest/bullmq-source.js';
import { backoffDelay } from '../ib/pacing.js';
import type { Logger } from './logger.js';

export interface ServiceWatchOptions {
  readonly redis: Redis;
  /** the Redis URL without credentials */
  readonly redisLabel: string;
  readonly connection$: Observable<ConnectionStatus>;
  /** host:port of TWS / IB Gateway */
  readonly ibLabel: string;
  readonly logger: Logger;
  /** retry pacing of the Redis probe at start (default 250 ms … 5 s) */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** why an IB outage now is expected (IB's nightly restart window): then it is logged at info, not warn */
  readonly expectedOutage?: () => string | undefined;
}

/**
 * What the daemon waits for, as one value: a change of it is one log line. DISCONNECTED and CONNECTING
 * are one blocker (`ib-down`): a reconnect loop alternates between them on every attempt.
 */
export type Blocker = 'none' | 'redis' | 'ib-down' | 'ib-lost' | 'ib-competing';

/**
 * The one sentence for a blocker (pure). Redis first: while it is down, IB's reconciliation cannot run,
 * so an IB state then says nothing about IB.
 */
export function describeBlocker(b: Blocker, o: { redisLabel: string; ibLabel: string; reason?: string }): string {
  if (b === 'none') return 'Redis and IB are both up; IB reconciled';
  if (b === 'redis') return `Redis is not reachable at ${o.redisLabel}${o.reason ? ` (${o.reason})` : ''}; waiting for it (is redis-server running? REDIS_URL overrides the config)`;
  const why = o.reason ? ` (${o.reason})` : '';
  if (b === 'ib-competing') return `IB session at ${o.ibLabel} was taken by a ${o.reason ?? 'competing session (10197)'}`;
  if (b === 'ib-lost') return `IB reports connectivity lost between TWS / IB Gateway and IB's servers${why}; no new signals are taken until it is restored`;
  return `IB is not connected at ${o.ibLabel}${why}; waiting for it (is TWS / IB Gateway running with the API enabled on that port?)`;
}

/** The blocker for a Redis readiness and an IB status (pure). */
export function blockerOf(redisUp: boolean, ib: ConnectionStatus): Blocker {
  if (!redisUp) return 'redis';
  if (ib.state === 'CONNECTED') return 'none';
  if (ib.code === 10197) return 'ib-competing';
  return ib.state === 'CONNECTIVITY_LOST' ? 'ib-lost' : 'ib-down';
}

/** A Redis URL without its credentials, for messages and logs (never print a password). */
export function safeRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/** Watches Redis and IB for the daemon's lifetime; logs each change once. */
export class ServiceWatch {
  private redisUp: boolean;
  private redisReason: string | undefined;
  private ib: ConnectionStatus | undefined;
  private last: Blocker | undefined;
  private sub: Subscription | undefined;
  private readonly onError = (err: Error): void => {
    this.redisReason = err.message;
    this.setRedis(false);
  };
  private readonly onReady = (): void => this.setRedis(true);
  private readonly onClose = (): void => this.setRedis(false);

  constructor(private readonly o: ServiceWatchOptions) {
    // optimistic until a command or a connection event says otherwise: a connection still being opened is not an outage
    this.redisUp = o.redis.status !== 'end' && o.redis.status !== 'close';
  }

  start(): void {
    this.o.redis.on('error', this.onError);
    this.o.redis.on('ready', this.onReady);
    this.o.redis.on('close', this.onClose);
    this.sub = this.o.connection$.subscribe((s) => {
      this.ib = s;
      this.report();
    });
  }

  stop(): void {
    this.o.redis.off('error', this.onError);
    this.o.redis.off('ready', this.onReady);
    this.o.redis.off('close', this.onClose);
    this.sub?.unsubscribe();
  }

  /** Resolves once Redis answers a PING (retried forever with backoff), or false when `signal` aborts first. */
  async waitForRedis(signal: AbortSignal): Promise<boolean> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.o.redis.ping();
        this.setRedis(true);
        return true;
      } catch (e) {
        this.redisReason = (e as Error).message;
        this.setRedis(false);
      }
      await sleep(backoffDelay(attempt, { initialMs: this.o.backoff?.initialMs ?? 250, maxMs: this.o.backoff?.maxMs ?? 5_000 }), signal);
    }
    return false;
  }

  /** Resolves true once IB is CONNECTED (session up and reconciled), or false when `signal` aborts first. */
  waitForIb(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        sub.unsubscribe();
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = (): void => done(false);
      signal.addEventListener('abort', onAbort);
      const sub = this.o.connection$.subscribe((s) => {
        if (s.state === 'CONNECTED') queueMicrotask(() => done(true));
      });
      if (signal.aborted) done(false);
    });
  }

  private setRedis(up: boolean): void {
    if (up === this.redisUp) return;
    this.redisUp = up;
    if (up) this.redisReason = undefined;
    this.report();
  }

  private report(): void {
    const ib = this.ib;
    // not a verdict on IB yet: never tried, or an attempt / reconciliation under way
    if (this.redisUp && (!ib || ib.state === 'CONNECTING' || (ib.state === 'DISCONNECTED' && ib.reason === 'not connected yet'))) return;
    const b = blockerOf(this.redisUp, ib ?? { state: 'DISCONNECTED', since: 0 });
    const reason = b === 'redis' ? this.redisReason : ib?.reason;
    if (b === this.last) return;
    const first = this.last === undefined;
    this.last = b;
    if (first && b === 'none') return;
    const text = describeBlocker(b, { redisLabel: this.o.redisLabel, ibLabel: this.o.ibLabel, ...(reason !== undefined ? { reason } : {}) });
    const expected = b === 'ib-down' || b === 'ib-lost' ? this.o.expectedOutage?.() : undefined;
    if (b === 'none') this.o.logger.info(text);
    else if (expected) this.o.logger.info({ waitingFor: 'ib', expected: true }, `${text} — ${expected}`);
    else this.o.logger.warn({ waitingFor: b === 'redis' ? 'redis' : 'ib' }, text);
  }
}

/**
 * While IB is not CONNECTED (disconnected, reconnecting, 1100 connectivity lost, reconciling) or IB's nightly
 * restart window is open (`inWindow$`), the worker takes no new job; jobs already in flight finish or go back
 * to delayed, and signals wait in the queue (their max age still applies when they are handled). Logs each
 * change once.
 */
export function gateFetching(connection$: Observable<ConnectionStatus>, source: Pick<SignalSource, 'setFetching'>, logger: Logger, inWindow$: Observable<boolean> = of(false)): Subscription {
  let first = true;
  return combineLatest([connection$.pipe(map((s) => s.state === 'CONNECTED')), inWindow$])
    .pipe(
      map(([up, win]) => (win ? 'window' : up ? 'on' : 'off')),
      distinctUntilChanged(),
    )
    .subscribe((v) => {
      source.setFetching(v === 'on');
      if (v === 'window') logger.info("IB's nightly restart window is open: no new signals are taken until it ends (they wait in the queue)");
      else if (!first) logger.info(v === 'on' ? 'IB is ready: taking new signals again' : 'IB is not ready: no new signals are taken until it is');
      first = false;
    });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
