/**
 * `ibkr-exec init` (CONTRACT §6): creates what a deployment needs and is missing — the state directory
 * (0700), the control and audit keys, and the MCP token, the HTTP token and the webhook secret — and
 * prints where each lives. Never prints a value. What is missing goes to the OS credential store when it
 * answers, else to 0600 files in the state directory (or where `IBKR_EXEC_CONTROL_KEY_FILE` /
 * `IBKR_EXEC_AUDIT_KEY_FILE` point); see docs/secrets.md. Safe to run again: what exists is kept (a new
 * key would make every signed value and the audit chain unverifiable). The daemon makes the keys on its
 * first start too; `init` is for setting up the CLI's host or a deployment before the first start.
 */
import type { Command } from 'commander';
import { ensureSecret, loadKeys, setSecretsLogger } from '../../infra/secrets.js';
import { cliConfig, cliStateDir, globalOptions } from '../context.js';
import { formatTable, printJson } from '../output.js';

export interface InitReport {
  readonly stateDir: { readonly path: string; readonly created: boolean };
  readonly keys: readonly { readonly name: string; readonly file: string; readonly created: boolean }[];
  /** the tokens: where each is (a file or the credential store entry) */
  readonly secrets: readonly { readonly name: string; readonly location: string; readonly created: boolean }[];
}

const TOKENS = ['mcp-token', 'http-token', 'webhook-secret'] as const;

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('create what is missing (state directory, control and audit keys, MCP/HTTP tokens, webhook secret); prints where')
    .action((_o: unknown, cmd: Command) => {
      const config = cliConfig(cmd);
      if (globalOptions(cmd).verbose) setSecretsLogger({ debug: (obj, msg) => process.stderr.write(`ibkr-exec: debug: ${msg ?? ''} ${JSON.stringify(obj)}\n`) });
      const created = cliStateDir(config).ensure();
      const o = { env: process.env, stateDir: config.stateDir };
      const keys = loadKeys({ ...o, create: true });
      const report: InitReport = {
        stateDir: { path: config.stateDir, created },
        keys: [keys.control, keys.audit].map((k) => ({ name: k.name, file: k.location, created: k.created })),
        secrets: TOKENS.map((name) => ensureSecret(name, o)),
      };
      if (globalOptions(cmd).json) return printJson(report);
      const status = (c: boolean) => (c ? 'created' : 'exists (kept)');
      const rows = [
        ['state directory', report.stateDir.path, created ? 'created (0700)' : 'exists'],
        ...report.keys.map((k) => [`${k.name} key`, k.file, status(k.created)]),
        ...report.secrets.map((s) => [s.name, s.location, status(s.created)]),
      ];
      process.stdout.write(
        formatTable(['what', 'where', 'status'], rows) +
          '\nback these up: losing the keys makes the trading state read HALTED and the audit trail unverifiable\n' +
          'read a token with "ibkr-exec secrets get NAME" (it refuses a terminal without --reveal)\n',
      );
    });
}
