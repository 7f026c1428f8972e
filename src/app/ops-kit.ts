/**
 * SHELL: the daemon's operations parts in one place, so `daemon.ts` wires them in a few lines: metrics
 * (`/metrics`), the heartbeat for `ibkr-exec status`, alert webhooks, the operations observer (log lines,
 * competing session, outages that need a person) and the nightly restart window (no new signal is taken
 * while it is open; a disconnect in it is expected and logged quietly).
 */
import { distinctUntilChanged, interval, map, startWith, type Observable } from 'rxjs';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import type { BrokerAccountSummary, ConnectionStatus } from '../execution/broker-port.js';
import type { Infra } from '../infra/index.js';
import type { HttpPluginsFactory } from '../http/daemon-http.js';
import { AlertSink } from './alerts.js';
import { Heartbeat } from './heartbeat.js';
import type { Logger } from './logger.js';
import { DaemonMetrics, metricsHttpPlugin } from './metrics.js';
import { OpsObserver, type OpsTuning } from './ops.js';

/** Tuning of the operations parts (tests shorten it); every field optional. */
export interface OpsOptions extends OpsTuning {
  /** heartbeat period (default 5 s; the heartbeat lives three periods) */
  readonly heartbeatMs?: number;
  /** first retry of an alert POST, doubling (default 1 s) */
  readonly alertRetryMs?: number;
}

/** What the operations parts read from the daemon. */
export interface OpsBroker {
  connectionStatus(): ConnectionStatus;
  stats(): { readonly messagesSent: number; readonly pacingQueueDepth: number };
  managedAccounts(): Promise<readonly string[]>;
  accountSummaries(): Promise<readonly BrokerAccountSummary[]>;
}

export interface DaemonOps {
  readonly metrics: DaemonMetrics;
  readonly alerts: AlertSink;
  readonly observer: OpsObserver;
  readonly heartbeat: Heartbeat;
  /** true while the restart window is open; the worker takes no new signal then */
  readonly window$: Observable<boolean>;
  /** the listener's plugins plus `/metrics` */
  plugins(base: HttpPluginsFactory): HttpPluginsFactory;
  /** why an IB disconnect now is expected (the restart window), else undefined */
  expectedOutage(): string | undefined;
  start(): void;
  stop(): Promise<void>;
}

/** Builds the parts and instruments `infra` (call once, right after the infrastructure is built). */
export function createDaemonOps(o: {
  config: Config;
  infra: Infra;
  broker: OpsBroker;
  readOnly: boolean;
  liveAccounts: readonly string[];
  clock: Clock;
  logger: Logger;
  consuming: () => boolean;
  options?: OpsOptions;
}): DaemonOps {
  const { config, infra, broker, clock, logger } = o;
  const metrics = new DaemonMetrics({
    redis: infra.redis,
    keys: infra.keys,
    connection: () => broker.connectionStatus(),
    pacing: () => ({ sent: broker.stats().messagesSent, depth: broker.stats().pacingQueueDepth }),
    now: () => clock.now(),
  });
  const alerts = new AlertSink({ urls: config.alerts.webhooks, logger: logger.child({ component: 'alerts' }), clock, ...(o.options?.alertRetryMs !== undefined ? { retryMs: o.options.alertRetryMs } : {}), onResult: (kind, delivered) => metrics.alerts.inc({ kind, delivered: String(delivered) }) });
  const observer = new OpsObserver({ metrics, alerts, logger, clock, restartWindow: config.ib.restartWindow, connection: () => broker.connectionStatus(), ...o.options });
  observer.instrument(infra);
  const heartbeat = new Heartbeat({
    config, infra, readOnly: o.readOnly, liveAccounts: o.liveAccounts, clock, logger, metrics,
    connection: () => broker.connectionStatus(),
    managedAccounts: () => broker.managedAccounts(),
    accountSummaries: () => broker.accountSummaries(),
    consuming: o.consuming,
    inWindow: () => observer.inWindow(),
    ...(o.options?.heartbeatMs !== undefined ? { intervalMs: o.options.heartbeatMs } : {}),
  });
  const w = config.ib.restartWindow;
  // the first value at subscription (synchronously), so no job slips in before the gate knows the window is open
  const window$ = interval(Math.min(o.options?.checkMs ?? 5_000, 5_000)).pipe(startWith(-1), map(() => observer.inWindow()), distinctUntilChanged());
  return {
    metrics, alerts, observer, heartbeat, window$,
    plugins: (base) => (ctx) => [...base(ctx), metricsHttpPlugin(metrics)],
    expectedOutage: () => (observer.inWindow() ? `expected: IB's nightly restart window (${w.time} ${w.timeZone}, ${w.minutes} min)` : undefined),
    start: () => {
      observer.start();
      heartbeat.start();
    },
    stop: async () => {
      observer.stop();
      await heartbeat.stop();
      await alerts.close();
    },
  };
}
