/**
 * Entry script of one daemon of a hot-standby group under test (forked with IPC, `node --import tsx`):
 * settings in HA_DAEMON (JSON `HaChildSettings`). Sends `{ leading: true }` once the daemon consumes
 * (i.e. it holds the lease), `{ lost: why }` when it lost the lease, then exits 1 after its stop, like
 * `ibkr-exec daemon`. SIGTERM drains and exits 0.
 */
import { parseConfig } from '../../src/config.js';
import { launchDaemon } from '../../src/app/daemon.js';
import { createLogger } from '../../src/app/logger.js';

/** What the parent passes in HA_DAEMON. */
export interface HaChildSettings {
  readonly config: Readonly<Record<string, unknown>>;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
}

const settings = JSON.parse(process.env.HA_DAEMON ?? '') as HaChildSettings;
const parsed = parseConfig(settings.config, {});
if (!parsed.ok) {
  console.error(`ha-child: bad config: ${parsed.errors.join('; ')}`);
  process.exit(2);
}
const daemon = launchDaemon({
  config: parsed.config,
  env: {},
  logger: createLogger({ level: process.env.HA_LOG_LEVEL ?? 'info' }),
  lockDurationMs: settings.lockDurationMs,
  stalledIntervalMs: settings.stalledIntervalMs,
  ibBackoff: { initialMs: 200, maxMs: 1000 },
  retryBackoff: { initialMs: 250, maxMs: 2000 },
  brokerWaitMs: 1500,
});
void daemon.ready.then((ok) => ok && process.send?.({ leading: true, pid: process.pid }));
void daemon.leadershipLost?.then(async (why) => {
  process.send?.({ lost: why });
  await daemon.stop();
  process.exit(1);
});
process.once('SIGTERM', () => void daemon.stop().then(() => process.exit(0), () => process.exit(1)));
