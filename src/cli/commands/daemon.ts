/** `ibkr-exec daemon [--config F]`: the service. SIGTERM/SIGINT drain in-flight work and exit 0. */
import type { Command } from 'commander';
import { launchDaemon } from '../../app/daemon.js';
import { createLogger } from '../../app/logger.js';
import { ConfigError, redactConfig } from '../../config.js';
import { setSecretsLogger } from '../../infra/secrets.js';
import { cliConfig, globalOptions } from '../context.js';

export function registerDaemonCommand(program: Command): void {
  program
    .command('daemon')
    .description('run the service: consume signals, place orders, publish events (SIGTERM drains and exits 0)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: { logLevel: string }, cmd: Command) => {
      const config = cliConfig(cmd);
      const logger = createLogger({ level: globalOptions(cmd).verbose ? 'debug' : opts.logLevel });
      setSecretsLogger(logger.child({ component: 'secrets' }));
      logger.info({ config: redactConfig(config) }, 'effective configuration');
      // the daemon waits for Redis and IB forever (start them in any order); SIGTERM works meanwhile too
      const daemon = launchDaemon({ config, env: process.env, logger });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = (why: string, code: number) => {
          if (stopping) return;
          stopping = true;
          logger.info({ why }, 'shutting down');
          daemon.stop().then(
            () => {
              if (code !== 0) process.exitCode = code;
              resolve();
            },
            (err: unknown) => {
              logger.error({ err }, 'shutdown failed');
              process.exitCode = 1;
              resolve();
            },
          );
        };
        process.once('SIGTERM', () => shutdown('SIGTERM', 0));
        process.once('SIGINT', () => shutdown('SIGINT', 0));
        // a start-up that failed for another reason than an outage (it waits for those) ends the process, so a
        // supervisor (`restart: unless-stopped`) starts it again
        // a leader that lost its lease (hot standby) already disconnected and stops; exit 1 (a failure) so its supervisor restarts it, as a standby
        void daemon.leadershipLost?.then((why) => shutdown(`leader lease lost: ${why}`, 1));
        void daemon.ready.then((ok) => {
          // a refusal of the configuration (e.g. live mode on a Redis that keeps nothing) is exit 2, like a bad config file
          if (!ok) shutdown('the daemon could not start', daemon.startError() instanceof ConfigError ? 2 : 1);
        });
      });
    });
}
