/**
 * `ibkr-exec audit verify` and `ibkr-exec audit tail` (CONTRACT §5, §6).
 *
 * `verify` recomputes the keyed chain (the audit key from the secrets) and compares it with the head the
 * daemon anchored in the state directory: exit 1 naming the first bad seq or the gap on an edited, forged,
 * reordered, renumbered, truncated or deleted trail, and when the Redis state epoch is not the one the
 * anchor was written under (Redis lost the trail). Without an anchor (a CLI on another host than the
 * daemon) only the chain is checked, and a warning says so.
 */
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { tailAudit, verifyAudit, type VerifyResult } from '../../infra/audit.js';
import type { AnchorFile } from '../../infra/state-dir.js';
import { cliConfig, cliKeys, cliRedis, cliSecrets, cliStateDir, globalOptions } from '../context.js';
import { CliError, formatTable, printJson } from '../output.js';

/** `verifyAudit` with the anchor, after checking the anchor belongs to the Redis state that is there now. */
export async function verifyAnchored(redis: Redis, key: string, epochKey: string, auditKey: Buffer, anchor: AnchorFile | undefined): Promise<VerifyResult> {
  if (anchor !== undefined) {
    const epoch = await redis.get(epochKey);
    if (epoch !== anchor.epoch) {
      const found = epoch === null ? 'missing' : epoch;
      return { ok: false, seq: 1, reason: `Redis lost its state: the state epoch is ${found}, not ${anchor.epoch}; records 1–${anchor.seq} of the anchored trail are gone` };
    }
  }
  return verifyAudit(redis, key, auditKey, anchor);
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  audit
    .command('verify')
    .description('recompute the hash chain; exits 1 naming the first bad seq')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = cliConfig(cmd);
      const { auditKey } = cliSecrets(config);
      const dir = cliStateDir(config);
      let anchor;
      try {
        anchor = dir.readAnchor();
      } catch (e) {
        throw new CliError(`cannot read the anchored audit head: ${(e as Error).message}`);
      }
      const redis = await cliRedis(config);
      try {
        const keys = cliKeys(config);
        const res = await verifyAnchored(redis, keys.audit, keys.epoch, auditKey, anchor);
        if (globalOptions(cmd).json) printJson(res);
        if (!res.ok) throw new CliError(`audit chain broken at seq ${res.seq}: ${res.reason}`);
        if (!anchor) process.stderr.write(`ibkr-exec: warning: no anchored audit head in ${dir.dir}; checked the chain only (truncation or deletion of the whole trail cannot be detected from here)\n`);
        const where = anchor ? ` (anchored head seq ${anchor.seq} matches)` : '';
        if (!globalOptions(cmd).json) process.stdout.write(`audit chain ok: ${res.count} records in ${keys.audit}${where}\n`);
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
