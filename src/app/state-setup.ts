/**
 * What the daemon prepares before it touches Redis state: the state directory (created 0700 on a first
 * start, with a log line saying where), the control and audit keys (created 0600 when missing), the audit
 * anchor, and the check of Redis' persistence settings (live mode refuses a Redis that keeps nothing on
 * disk unless `redis.allowVolatile: true`).
 */
import type { Redis } from 'ioredis';
import type { Config, Env } from '../config.js';
import { ConfigError } from '../infra/field-reader.js';
import type { Clock } from '../domain/clock.js';
import { AuditAnchor } from '../infra/audit-anchor.js';
import { loadKeys } from '../infra/secrets.js';
import { StateDir } from '../infra/state-dir.js';
import type { Logger } from './logger.js';

/** The prepared state directory, keys and anchor. */
export interface PreparedState {
  readonly dir: StateDir;
  readonly secrets: { readonly controlKey: Buffer; readonly auditKey: Buffer };
  readonly anchor: AuditAnchor;
}

/** Creates what is missing (directory, keys) and says where; never logs a key. */
export function prepareState(config: Config, env: Env, logger: Logger, clock: Clock): PreparedState {
  const dir = new StateDir(config.stateDir, config.redis.prefix);
  if (dir.ensure()) logger.info({ stateDir: config.stateDir }, 'created the state directory (mode 0700): it holds what must outlive Redis; back it up');
  const keys = loadKeys({ env, stateDir: config.stateDir, create: true });
  for (const k of [keys.control, keys.audit]) if (k.created) logger.info({ file: k.location }, `created the ${k.name} key (mode 0600)`);
  const epoch = dir.readEpoch()?.epoch ?? 'unknown';
  const anchor = new AuditAnchor(dir, epoch, clock, (err) => logger.error({ err, stateDir: dir.dir }, 'cannot anchor the audit head in the state directory'));
  return { dir, secrets: { controlKey: keys.control.key, auditKey: keys.audit.key }, anchor };
}

/** What CONFIG GET tells about persistence; `known: false` when CONFIG is not allowed (ACL, managed Redis). */
export interface Persistence {
  readonly known: boolean;
  readonly aof: boolean;
  readonly rdb: boolean;
  readonly error?: string;
}

/** Reads `appendonly` and `save`. */
export async function readPersistence(redis: Redis): Promise<Persistence> {
  try {
    const get = async (name: string): Promise<string> => ((await redis.config('GET', name)) as string[])[1] ?? '';
    const [appendonly, save] = [await get('appendonly'), await get('save')];
    return { known: true, aof: appendonly === 'yes', rdb: save.trim() !== '' };
  } catch (e) {
    return { known: false, aof: false, rdb: false, error: (e as Error).message.split('\n')[0] ?? String(e) };
  }
}

/**
 * Live mode with neither AOF nor RDB: refuse to start (ConfigError, exit 2) unless `redis.allowVolatile`.
 * CONFIG not permitted: one warning, and the start goes on (the epoch check still catches a loss).
 */
export async function checkPersistence(redis: Redis, config: Config, logger: Logger): Promise<Persistence> {
  const p = await readPersistence(redis);
  if (!p.known) {
    logger.warn({ reason: p.error }, `could not read Redis persistence settings (${p.error ?? 'CONFIG GET failed'}); make sure AOF or RDB is on — a loss of state is still detected and halts trading`);
    return p;
  }
  if (p.aof || p.rdb || config.mode !== 'live') return p;
  if (config.redis.allowVolatile) {
    logger.warn('live mode on a Redis that keeps nothing on disk (redis.allowVolatile: true): a Redis restart halts trading until "ibkr-exec resume"');
    return p;
  }
  throw new ConfigError([
    'redis: live mode needs a Redis that persists its data (appendonly yes, or RDB "save" points), but this one keeps nothing on disk; turn on AOF, or set redis.allowVolatile: true to accept that a Redis restart halts trading',
  ]);
}
