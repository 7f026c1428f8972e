/**
 * `ibkr-exec init` (CONTRACT §6): creates what a deployment needs and is missing — the state directory
 * (0700) and the control and audit keys (0600; `IBKR_EXEC_CONTROL_KEY_FILE` / `IBKR_EXEC_AUDIT_KEY_FILE`,
 * else under the state directory) — and prints where each lives. Never prints a key. Safe to run again:
 * existing keys are kept (a new key would make every signed value and the audit chain unverifiable).
 * The daemon does the same on its first start; `init` is for setting up the CLI's host or a deployment
 * before the first start.
 */
import type { Command } from 'commander';
import { loadKeys } from '../../infra/secrets.js';
import { cliConfig, cliStateDir, globalOptions } from '../context.js';
import { formatTable, printJson } from '../output.js';

export interface InitReport {
  readonly stateDir: { readonly path: string; readonly created: boolean };
  readonly keys: readonly { readonly name: string; readonly file: string; readonly created: boolean }[];
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create the missing keys (control, audit) and the state directory; prints where they are')
    .action((_o: unknown, cmd: Command) => {
      const config = cliConfig(cmd);
      const created = cliStateDir(config).ensure();
      const keys = loadKeys({ env: process.env, stateDir: config.stateDir, create: true });
      const report: InitReport = {
        stateDir: { path: config.stateDir, created },
        keys: [keys.control, keys.audit].map((k) => ({ name: k.name, file: k.location, created: k.created })),
      };
      if (globalOptions(cmd).json) return printJson(report);
      const rows = [
        ['state directory', report.stateDir.path, created ? 'created (0700)' : 'exists'],
        ...report.keys.map((k) => [`${k.name} key`, k.file, k.created ? 'created (0600)' : 'exists (kept)']),
      ];
      process.stdout.write(formatTable(['what', 'where', 'status'], rows) + '\nback these up: losing the keys makes the trading state read HALTED and the audit trail unverifiable\n');
    });
}
