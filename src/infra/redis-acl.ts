/**
 * Redis ACL lines that separate producers of signals from the daemon (CONTRACT §6 `ibkr-exec redis-acl`).
 * Producers need write access to BullMQ's keys, and without ACLs that is write access to everything: the
 * kill switch, the outbox, the audit trail. With these users:
 *  - `producer` may use only the signals queue: keys `bull:<queue>:*`, the commands BullMQ's Queue and
 *    QueueEvents need (its Lua scripts, reads, XREAD for events, INFO for its version check, CLIENT SETNAME
 *    for connection names), no pub/sub channels. It cannot XADD `<p>:control` nor SET `<p>:trading-state`;
 *  - the daemon user (also the operator's CLI) may use the queue and every `<p>:*` key, with every
 *    command except the dangerous ones (FLUSHALL, CONFIG SET, DEBUG, …), plus `CONFIG GET` (the
 *    persistence check), INFO and the CLIENT subcommands ioredis and BullMQ use;
 *  - the daemon user defaults to `default` with a password (what `requirepass` sets): the daemon and the
 *    CLI then authenticate with `REDIS_PASSWORD` / `REDIS_PASSWORD_FILE` alone. A named daemon user
 *    switches `default` off; give its name and password in `REDIS_URL` (`redis://name:password@host`) —
 *    ioredis lets a username-only URL override a separate password. Nothing is reachable unauthenticated.
 * Passwords: `#<sha256 hex>` when given (the ACL file then holds no plaintext), else a placeholder to
 * replace. Pure.
 */
import { createHash } from 'node:crypto';

export interface AclOptions {
  readonly prefix: string;
  readonly queue: string;
  readonly daemonUser?: string;
  readonly producerUser?: string;
  readonly daemonPassword?: string;
  readonly producerPassword?: string;
}

const pass = (pw: string | undefined, placeholder: string): string =>
  pw === undefined ? `>${placeholder}` : `#${createHash('sha256').update(pw).digest('hex')}`;

/**
 * What to tell a human about the lines (an ACL file holds no comments: the CLI prints these on stderr).
 */
export function redisAclNotes(o: AclOptions): string[] {
  return [
    `# Redis ACL for ibkr-exec: queue "${o.queue}" (BullMQ keys bull:${o.queue}:*), key prefix "${o.prefix}"`,
    '# save stdout as an ACL file and load it with `aclfile <file>` in redis.conf (or redis-server --aclfile <file>);',
    '# replace any CHANGE-ME password first (ACL files hold no comments: these notes go to stderr)',
  ];
}

/** The ACL-file lines, one user each. */
export function redisAclLines(o: AclOptions): string[] {
  const daemon = o.daemonUser ?? 'default';
  const producer = o.producerUser ?? 'producer';
  const bull = `bull:${o.queue}:*`;
  const client = ['+client|setname', '+client|getname', '+client|id', '+client|info'];
  return [
    ...(daemon === 'default' ? [] : ['user default off']),
    `user ${daemon} on ${pass(o.daemonPassword, 'CHANGE-ME-daemon-password')} ~${o.prefix}:* ~${bull} &* +@all -@dangerous +info +config|get ${client.join(' ')}`,
    `user ${producer} on ${pass(o.producerPassword, 'CHANGE-ME-producer-password')} ~${bull} resetchannels -@all +@read +@write +@scripting -@dangerous -script|flush -script|kill -function|flush -function|delete -function|restore +ping +info ${client.join(' ')}`,
  ];
}
