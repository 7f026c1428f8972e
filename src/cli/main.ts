/**
 * The `ibkr-exec` command line (CONTRACT §6). Each command lives in `commands/`; this file only builds
 * the program, maps errors to exit codes (0 success, 1 failure, 2 bad usage or configuration) and keeps
 * stack traces out of the user's way unless `--verbose`.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';
import { registerCommands } from './commands/index.js';

// the package's own version (src/cli and dist/cli are both two levels below package.json)
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('ibkr-exec')
  .version(version, '-V, --version', 'print the version and exit')
  .description('Turns trading signals into Interactive Brokers orders, safely, across linked accounts.')
  .option('--config <file>', 'config file (JSON or YAML); default $IBKR_EXEC_CONFIG or the built-in household')
  .option('--json', 'machine-readable JSON on stdout')
  .option('--verbose', 'show stack traces and debug logs')
  .showHelpAfterError()
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; every other commander error is bad usage
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(e, Boolean(program.opts().verbose));
  }
}
