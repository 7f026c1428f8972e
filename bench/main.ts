/**
 * Runs `ibkr-exec bench` from the sources, without a build: `npx tsx bench/main.ts [options]`
 * (same options as the CLI command, plus the global `--json`). `npm run bench` uses the built CLI.
 */
import { Command } from 'commander';
import { registerBenchCommand } from '../src/cli/commands/bench.js';
import { reportError } from '../src/cli/output.js';

const program = new Command('ibkr-exec').option('--json', 'machine-readable JSON on stdout').option('--verbose', 'stack traces');
registerBenchCommand(program);
try {
  await program.parseAsync(['node', 'ibkr-exec', 'bench', ...process.argv.slice(2)]);
  process.exit(0);
} catch (e) {
  process.exit(reportError(e, process.argv.includes('--verbose')));
}
