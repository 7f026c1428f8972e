/** Options of the IB session (`IbConnection`, and through it `IbBroker`). */
import type { Clock } from '../domain/clock.js';
import type { IbLogger } from './ib-log.js';
import type { BackoffOptions } from './pacing.js';

/**
 * Host, port and client id are always explicit (never @stoqey/ib's env / .env defaults). Timers are real;
 * tests shorten them (backoff, liveness) and pin the jitter with `random`.
 */
export interface IbConnectionOptions {
  /** TWS / IB Gateway host (loopback in this project) */
  readonly host: string;
  /** TWS 7497 paper / 7496 live, Gateway 4002 / 4001 */
  readonly port: number;
  /** fixed on every (re)connect */
  readonly clientId: number;
  /** the one outbound budget, messages/second (default 40; TWS allows 50) */
  readonly maxMessagesPerSecond?: number;
  /** false = one attempt only (CLI); default true */
  readonly reconnect?: boolean;
  /** reconnect backoff: initial 500 ms, ×2, capped at 30 s, jitter 0.5 */
  readonly backoff?: BackoffOptions;
  /** delay between attempts after 326 "client id in use" (default 60 s) */
  readonly slowRetryMs?: number;
  /** jitter source (tests pass a constant) */
  readonly random?: () => number;
  /** liveness probe period; 0 disables (default 30 s) */
  readonly livenessIntervalMs?: number;
  /** probe answer deadline (default 10 s) */
  readonly livenessTimeoutMs?: number;
  /** socket up → nextValidId + managedAccounts deadline (default 10 s) */
  readonly handshakeTimeoutMs?: number;
  /** pause before a failed reconciliation pass is retried (default 2 s) */
  readonly reconcileRetryMs?: number;
  /** `since` of connection statuses and the pacer's time base (default system clock) */
  readonly clock?: Clock;
  /** pino-compatible; default silent */
  readonly logger?: IbLogger;
}
