/**
 * `ibkr-exec redis-acl` (CONTRACT §6): prints Redis ACL lines for the configured queue and prefix that give
 * producers only the signals queue and the daemon (and the operator's CLI) the rest (redis-acl.ts).
 * The lines go to stdout (an ACL file holds no comments), notes to stderr. Passwords are read from the environment when set (`IBKR_EXEC_REDIS_DAEMON_PASSWORD`,
 * `IBKR_EXEC_REDIS_PRODUCER_PASSWORD`) and written as SHA-256 hashes; otherwise placeholders are printed.
 */
import type { Command } from 'commander';
import { redisAclLines, redisAclNotes } from '../../infra/redis-acl.js';
import { cliConfig, globalOptions } from '../context.js';
import { printJson } from '../output.js';

export function registerRedisAclCommand(program: Command): void {
  program
    .command('redis-acl')
    .description('Redis ACL lines: producers may only use the signals queue, the daemon the rest')
    .option('--daemon-user <name>', 'the Redis user of the daemon and the operator\'s CLI (default: the default user, password as with requirepass)', 'default')
    .option('--producer-user <name>', 'the Redis user of signal producers', 'producer')
    .action((o: { daemonUser: string; producerUser: string }, cmd: Command) => {
      const config = cliConfig(cmd);
      const env = process.env;
      const acl = {
        prefix: config.redis.prefix,
        queue: config.queue.name,
        daemonUser: o.daemonUser,
        producerUser: o.producerUser,
        ...(env.IBKR_EXEC_REDIS_DAEMON_PASSWORD ? { daemonPassword: env.IBKR_EXEC_REDIS_DAEMON_PASSWORD } : {}),
        ...(env.IBKR_EXEC_REDIS_PRODUCER_PASSWORD ? { producerPassword: env.IBKR_EXEC_REDIS_PRODUCER_PASSWORD } : {}),
      };
      const lines = redisAclLines(acl);
      if (globalOptions(cmd).json) return printJson({ lines });
      process.stderr.write(redisAclNotes(acl).join('\n') + '\n');
      process.stdout.write(lines.join('\n') + '\n');
    });
}
