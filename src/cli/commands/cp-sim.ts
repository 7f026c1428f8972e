/**
 * `ibkr-exec cp-sim`: the Client Portal Web API simulator (CONTRACT §10) on 127.0.0.1 — HTTPS with a
 * self-signed certificate whose SHA-256 fingerprint it prints (pin it in `clientPortal.fingerprint`),
 * or `--http`. `--tws-port N` also serves the TWS protocol from the same engine (one household, both
 * protocols, one process). Bad options exit 2 with one sentence.
 */
import { intOption, readFixture } from './sim.js';
import type { Command } from 'commander';
import { startSimulator } from '../../sim/index.js';
import { startCpSimulator } from '../../sim/cp/index.js';
import { CliError } from '../output.js';

interface CpSimOptions {
  readonly port: string;
  readonly fixture?: string;
  readonly adminPort?: string;
  readonly twsPort?: string;
  readonly seed: string;
  readonly tickMs: string;
  readonly http?: boolean;
  readonly loginRequired?: boolean;
}

async function runCpSim(o: CpSimOptions, verbose: boolean): Promise<void> {
  const port = intOption('port', o.port, 0, 65535) ?? 5000;
  const adminPort = intOption('admin-port', o.adminPort, 0, 65535);
  const twsPort = intOption('tws-port', o.twsPort, 0, 65535);
  const seed = intOption('seed', o.seed, 0, 2 ** 32 - 1);
  const tickIntervalMs = intOption('tick-ms', o.tickMs, 0, 3_600_000) ?? 1000;
  const fixture = readFixture(o.fixture);
  const logger = (line: string): void => {
    if (verbose) process.stderr.write(`${line}\n`);
  };
  let tws;
  let cp;
  try {
    tws = twsPort === undefined ? undefined : await startSimulator({ port: twsPort, seed, tickIntervalMs, ...(fixture ? { fixture } : {}), logger });
    cp = await startCpSimulator({
      port, adminPort: adminPort ?? null, http: o.http ?? false, loginRequired: o.loginRequired ?? false, seed, tickIntervalMs,
      ...(tws ? { engine: tws.engine } : fixture ? { fixture } : {}), logger,
    });
  } catch (e) {
    await tws?.close();
    throw new CliError(`cannot start the Client Portal simulator: ${(e as Error).message}`, 1);
  }
  const out = (l: string): boolean => process.stdout.write(`ibkr-exec cp-sim: ${l}\n`);
  out(`Client Portal Web API on ${cp.baseUrl} (accounts ${cp.engine.accountIds().join(', ')}; session ${o.loginRequired ? 'not yet authenticated' : 'authenticated'})`);
  if (cp.certificate) out(`certificate SHA-256 fingerprint ${cp.certificate.fingerprint256}`);
  if (tws) out(`TWS API on 127.0.0.1:${tws.port} (same household)`);
  if (cp.adminPort !== undefined) out(`admin on http://127.0.0.1:${cp.adminPort}/state`);
  const handles = [cp, ...(tws ? [tws] : [])];
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      out(`${signal}, shutting down`);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      void Promise.all(handles.map((h) => h.close())).then(() => resolve(), () => resolve());
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/** Registers `ibkr-exec cp-sim [--port 5000] [--fixture F] [--admin-port N] [--http] [--login-required] [--tws-port N]`. */
export function registerCpSimCommand(program: Command): void {
  program
    .command('cp-sim')
    .description('run the Client Portal Web API simulator on 127.0.0.1 (CONTRACT §10)')
    .option('--port <n>', 'API port (0 = any free port)', '5000')
    .option('--fixture <file>', 'household fixture (JSON), the same format as `sim`')
    .option('--admin-port <n>', 'admin HTTP port for GET /state, POST /price, POST /fault (0 = any free port)')
    .option('--http', 'plain HTTP instead of HTTPS with a self-signed certificate')
    .option('--login-required', 'start with the brokerage session unauthenticated')
    .option('--tws-port <n>', 'also serve the TWS API from the same household on this port')
    .option('--seed <n>', 'seed of the random walk and historical bars', '1')
    .option('--tick-ms <n>', 'random-walk period in ms (0 = prices move only via admin)', '1000')
    .action(async (opts: CpSimOptions, cmd: Command) => {
      await runCpSim(opts, Boolean(cmd.optsWithGlobals<{ verbose?: boolean }>().verbose));
    });
}
