/**
 * `ibkr-exec sim`: the TWS / IB Gateway simulator (CONTRACT §6, §7). Binds 127.0.0.1 only, prints where
 * it listens, and shuts down cleanly on SIGINT/SIGTERM. A bad fixture or option is refused with one
 * sentence on stderr and exit code 2 (via CliError).
 */
import type { Command } from 'commander';
import { FixtureError, loadFixture, startSimulator, type Fixture } from '../../sim/index.js';
import { CliError } from '../output.js';

interface SimOptions {
  readonly port: string;
  readonly fixture?: string;
  readonly adminPort?: string;
  readonly seed?: string;
  readonly tickMs: string;
  readonly pacing: string;
  readonly maxRate: string;
}

/** An integer option in [min, max], or undefined when absent; anything else is bad usage (exit 2). */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`, 2);
  return n;
}

/** The fixture at `path` (undefined without one); an invalid fixture is bad usage naming its fields. */
export function readFixture(path: string | undefined): Fixture | undefined {
  if (path === undefined) return undefined;
  try {
    return loadFixture(path);
  } catch (e) {
    if (e instanceof FixtureError) throw new CliError(e.message, 2);
    throw e;
  }
}

async function runSim(o: SimOptions, verbose: boolean): Promise<void> {
  const port = intOption('port', o.port, 0, 65535) ?? 7497;
  const adminPort = intOption('admin-port', o.adminPort, 0, 65535);
  const seed = intOption('seed', o.seed, 0, 2 ** 32 - 1);
  const tickIntervalMs = intOption('tick-ms', o.tickMs, 0, 3_600_000) ?? 1000;
  const maxMessagesPerSecond = intOption('max-rate', o.maxRate, 1, 100_000) ?? 50;
  if (o.pacing !== 'reject' && o.pacing !== 'pace') throw new CliError(`--pacing must be "reject" or "pace", got "${o.pacing}"`, 2);
  const fixture = readFixture(o.fixture);
  let sim;
  try {
    sim = await startSimulator({
      port, adminPort: adminPort ?? null, seed, tickIntervalMs, pacing: o.pacing, maxMessagesPerSecond,
      ...(fixture ? { fixture } : {}),
      logger: (line) => {
        if (verbose) process.stderr.write(`${line}\n`);
      },
    });
  } catch (e) {
    throw new CliError(`cannot start the simulator: ${(e as Error).message}`, 1);
  }
  process.stdout.write(`ibkr-exec sim: TWS API on 127.0.0.1:${sim.port} (accounts ${sim.engine.accountIds().join(', ')})\n`);
  if (sim.adminPort !== undefined) process.stdout.write(`ibkr-exec sim: admin on http://127.0.0.1:${sim.adminPort}/state\n`);
  const handle = sim;
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`ibkr-exec sim: ${signal}, shutting down\n`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      void handle.close().then(resolve, resolve);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/** Registers `ibkr-exec sim [--port 7497] [--fixture F] [--admin-port N] [--seed N] [--tick-ms N] [--pacing reject|pace]`. */
export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run the TWS / IB Gateway simulator on 127.0.0.1 (CONTRACT §7)')
    .option('--port <n>', 'TWS API port (0 = any free port)', '7497')
    .option('--fixture <file>', 'household fixture (JSON); default: the built-in household')
    .option('--admin-port <n>', 'admin HTTP port for GET /state, POST /price, POST /fault (0 = any free port)')
    .option('--seed <n>', 'seed of the random walk and historical bars', '1')
    .option('--tick-ms <n>', 'random-walk period in ms (0 = prices move only via admin)', '1000')
    .option('--pacing <mode>', 'over 50 msg/s: "reject" (error 100, drop after the 3rd) or "pace" (delay)', 'reject')
    .option('--max-rate <n>', 'client messages per second allowed', '50')
    .action(async (opts: SimOptions, cmd: Command) => {
      await runSim(opts, Boolean(cmd.optsWithGlobals<{ verbose?: boolean }>().verbose));
    });
}
