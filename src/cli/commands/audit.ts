/** `ibkr-exec audit verify` and `ibkr-exec audit tail` (CONTRACT §5, §6). */
import type { Command } from 'commander';
import { tailAudit, verifyAudit } from '../../infra/audit.js';
import { cliConfig, cliKeys, cliRedis, globalOptions } from '../context.js';
import { CliError, formatTable, printJson } from '../output.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  audit
    .command('verify')
    .description('recompute the hash chain; exits 1 naming the first bad seq')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = cliConfig(cmd);
      const redis = await cliRedis(config);
      try {
        const key = cliKeys(config).audit;
        const res = await verifyAudit(redis, key);
        if (globalOptions(cmd).json) printJson(res);
        if (!res.ok) throw new CliError(`audit chain broken at seq ${res.seq}: ${res.reason}`);
        if (!globalOptions(cmd).json) process.stdout.write(`audit chain ok: ${res.count} records in ${key}\n`);
      } finally {
        redis.disconnect();
      }
    });

  audit
    .command('tail')
    .description('the newest audit records')
    .option('-n, --lines <n>', 'how many records', '20')
    .action(async (opts: { lines: string }, cmd: Command) => {
      const n = Number(opts.lines);
      if (!Number.isInteger(n) || n <= 0) throw new CliError(`--lines: expected a positive integer, received ${opts.lines}`, 2);
      const config = cliConfig(cmd);
      const redis = await cliRedis(config);
      try {
        const records = await tailAudit(redis, cliKeys(config).audit, n);
        if (globalOptions(cmd).json) return printJson(records);
        const rows = records.map((r) => [r.seq, r.ts, r.type, r.account, r.signalId, r.orderRef, r.hash.slice(0, 12)]);
        process.stdout.write(formatTable(['seq', 'ts', 'type', 'account', 'signal', 'orderRef', 'hash'], rows) + '\n');
      } finally {
        redis.disconnect();
      }
    });
}
