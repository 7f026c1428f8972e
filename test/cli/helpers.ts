/**
 * Runs CLI commands in-process: a commander program with the real global options and only the commands
 * under test, the config injected (an in-process stack's), output captured.
 */
import { Command } from 'commander';
import { parseConfig, DEFAULT_CONFIG_INPUT, type Config } from '../../src/config.js';
import { registerKillSwitchCommands } from '../../src/cli/commands/kill-switch.js';
import { registerStatusCommand, type StatusDeps } from '../../src/cli/commands/status.js';

export interface CliRun {
  readonly out: string;
}

/** Parses `args` (user args, no "node ibkr-exec") against a fresh program; rejects with the command's error. */
export async function runCli(config: Config, args: readonly string[], extra: Pick<StatusDeps, 'connect'> = {}): Promise<CliRun> {
  let out = '';
  const deps = { loadConfig: () => config, out: (t: string) => void (out += t), ...extra };
  const program = new Command('ibkr-exec')
    .option('--config <file>')
    .option('--json')
    .option('--verbose')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerKillSwitchCommands(program, deps);
  registerStatusCommand(program, deps);
  await program.parseAsync([...args], { from: 'user' });
  return { out };
}

/** A valid config with overrides (e.g. an unreachable Redis or TWS). */
export function configWith(overrides: Record<string, unknown>): Config {
  const res = parseConfig({ ...DEFAULT_CONFIG_INPUT, ...overrides }, {});
  if (!res.ok) throw new Error(res.errors.join('; '));
  return res.config;
}
