/** `ibkr-exec daemon [--config F]`: the service. SIGTERM/SIGINT drain in-flight work and exit 0. */
import type { Command } from 'commander';
import { launchDaemon } from '../../app/daemon.js';
import { createLogger } from '../../app/logger.js';
import { redactConfig } from '../../config.js';
import { cliConfig, globalOptions } from '../context.js';

export function registerDaemonCommand(program: Command): void {
  program
    .command('daemon')
    .description('run the service: consume signals, place orders, publish events (SIGTERM drains and exits 0)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (opts: { logLevel: string }, cmd: Command) => {
      const config = cliConfig(cmd);
      const logger = createLogger({ level: globalOptions(cmd).verbose ? 'debug' : opts.logLevel });
      logger.info({ config: redactConfig(config) }, 'effective configuration');
      // the daemon waits for Redis and IB forever (start them in any order); SIGTERM works meanwhile too
      const daemon = launchDaemon({ config, env: process.env, logger });
      await new Promise<void>((resolve) => {
        const onSignal = (sig: string) => {
          logger.info({ signal: sig }, 'shutting down');
          daemon.stop().then(resolve, (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGTERM', () => onSignal('SIGTERM'));
        process.once('SIGINT', () => onSignal('SIGINT'));
      });
    });
}
