/**
 * Entry script of the daemon under chaos: run as a child process (`node --import tsx`, forked with an
 * IPC channel) so the suite can SIGKILL it at any moment and start it again. It reads its settings from
 * the environment variable CHAOS_DAEMON (JSON `DaemonChildSettings`), starts the real daemon with
 * `startDaemon`, and sends `{ ready: true }` over IPC once it consumes signals. Logs (pino JSON) go to
 * stdout, which the parent appends to a file. SIGTERM drains and exits 0, like `ibkr-exec daemon`.
 */
import { parseConfig } from '../../src/config.js';
import { startDaemon } from '../../src/app/daemon.js';
import { createLogger } from '../../src/app/logger.js';

/** What the parent passes in CHAOS_DAEMON. */
export interface DaemonChildSettings {
  /** raw config input (validated here with `parseConfig`) */
  readonly config: Readonly<Record<string, unknown>>;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly logLevel: string;
  readonly ibBackoff: { readonly initialMs: number; readonly maxMs: number };
  /** the daemon's own retry pacing of jobs that met an outage (a short clock for the suite) */
  readonly retryBackoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly brokerWaitMs?: number;
  readonly orphanIntentMs?: number;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.env.CHAOS_DAEMON ?? '') as DaemonChildSettings;
  const parsed = parseConfig(settings.config, {});
  if (!parsed.ok) {
    console.error(`daemon-child: bad config: ${parsed.errors.join('; ')}`);
    process.exit(2);
  }
  const logger = createLogger({ level: settings.logLevel });
  const daemon = await startDaemon({
    config: parsed.config,
    env: {},
    logger,
    lockDurationMs: settings.lockDurationMs,
    stalledIntervalMs: settings.stalledIntervalMs,
    ibBackoff: settings.ibBackoff,
    ...(settings.retryBackoff ? { retryBackoff: settings.retryBackoff } : {}),
    ...(settings.brokerWaitMs !== undefined ? { brokerWaitMs: settings.brokerWaitMs } : {}),
    ...(settings.orphanIntentMs !== undefined ? { orphanIntentMs: settings.orphanIntentMs } : {}),
  });
  process.send?.({ ready: true, pid: process.pid });
  process.once('SIGTERM', () => {
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'daemon-child: stop failed');
        process.exit(1);
      },
    );
  });
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('daemon-child: start failed', err);
  process.exit(1);
});
