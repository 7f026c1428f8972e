/**
 * Redis connections and small helpers shared by the side-effect layer.
 *
 * Roles (BullMQ "going to production"):
 *  - `worker`: BullMQ Worker / blocking connections: `maxRetriesPerRequest: null` (required by BullMQ);
 *  - `producer`: BullMQ Queue / `ibkr-exec signal`: `enableOfflineQueue: false` so `add` fails fast when
 *    Redis is down instead of queueing in memory;
 *  - `client` (default): streams, audit, outbox, trading state: commands queue while reconnecting and
 *    fail after a few retries, so a caller that must fail closed learns about an outage.
 */
import { createHash } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { asFenced, fenceOf, fencedSource, tokenFor } from './fencing.js';

export type RedisRole = 'worker' | 'producer' | 'client';

export interface CreateRedisOptions {
  readonly role?: RedisRole;
  /** from `redisPassword(env)`; overrides a password in the URL */
  readonly password?: string;
  /** shown in CLIENT LIST */
  readonly connectionName?: string;
  /** do not connect until the first command (or `connect()`) */
  readonly lazyConnect?: boolean;
}

/** Where Redis is: the URL alone, or Redis Sentinel (`redis.sentinels`, `redis.name`; docs/ha.md). */
export interface RedisTopology {
  readonly sentinels: readonly { readonly host: string; readonly port: number }[] | null;
  readonly name: string | null;
}

let topology: RedisTopology | undefined;

/**
 * Sets the process's Redis topology once, from the config (daemon, CLI, MCP): with sentinels, every
 * connection made with `redisOptionsFor`/`createRedis` (BullMQ's too) asks Sentinel for the master and
 * follows it on failover; the URL then only carries the password, database and TLS settings.
 */
export function useRedisTopology(t: RedisTopology): void {
  topology = t.sentinels && t.sentinels.length > 0 ? t : undefined;
}

/** True when connections go through Sentinel (the outbox then waits for a replica's acknowledgement). */
export const usesSentinel = (): boolean => topology !== undefined;

function sentinelOptions(t: RedisTopology): RedisOptions {
  return {
    sentinels: t.sentinels!.map((s) => ({ host: s.host, port: s.port })),
    name: t.name ?? 'mymaster',
    // +switch-master is followed at once, not only when the old master's connection drops
    failoverDetector: true,
    // a demoted master answers READONLY: reconnect (Sentinel names the new master) and resend
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/** The ioredis options for a role (exported for BullMQ, which takes options or a connection). */
export function redisOptionsFor(opts: CreateRedisOptions = {}): RedisOptions {
  const role = opts.role ?? 'client';
  const o: RedisOptions = {
    connectionName: opts.connectionName ?? `ibkr-exec:${role}`,
    lazyConnect: opts.lazyConnect ?? false,
    ...(topology ? sentinelOptions(topology) : {}),
  };
  if (opts.password !== undefined) o.password = opts.password;
  if (role === 'worker') o.maxRetriesPerRequest = null;
  else if (role === 'producer') o.enableOfflineQueue = false;
  else o.maxRetriesPerRequest = 3;
  return o;
}

/** Create an ioredis connection for `url` (redis:// or rediss://) in the given role. */
export function createRedis(url: string, opts: CreateRedisOptions = {}): Redis {
  return new Redis(url, redisOptionsFor(opts));
}

/** The Redis settings `checkRedisPolicy` looks at (CONFIG GET values). */
export interface RedisPolicySettings {
  readonly maxmemoryPolicy?: string;
  readonly appendonly?: string;
  readonly save?: string;
}

/** Warnings for the given settings (pure): eviction other than noeviction; no persistence at all. */
export function policyWarnings(s: RedisPolicySettings): string[] {
  const warnings: string[] = [];
  if (s.maxmemoryPolicy !== undefined && s.maxmemoryPolicy !== 'noeviction') {
    warnings.push(`Redis maxmemory-policy is ${s.maxmemoryPolicy}; set it to noeviction or keys the daemon relies on may be evicted`);
  }
  if (s.appendonly === 'no' && (s.save ?? '').trim() === '') {
    warnings.push('Redis persistence is off (no AOF, no RDB snapshots); a Redis restart loses the outbox and audit trail');
  }
  return warnings;
}

/**
 * Warnings about Redis settings that break our guarantees: `maxmemory-policy` other than `noeviction`
 * (Redis could evict outbox records, idempotency keys or the audit head) and persistence switched off.
 * Tolerates CONFIG being disabled or renamed (managed Redis, ACL): then one warning says it could not check.
 */
export async function checkRedisPolicy(redis: Redis): Promise<string[]> {
  try {
    const get = async (name: string): Promise<string | undefined> => ((await redis.config('GET', name)) as string[])[1];
    return policyWarnings({ maxmemoryPolicy: await get('maxmemory-policy'), appendonly: await get('appendonly'), save: await get('save') });
  } catch (e) {
    return [`could not read the Redis configuration (${(e as Error).message.split('\n')[0]}); make sure maxmemory-policy is noeviction`];
  }
}

/**
 * A Lua script run with EVALSHA, falling back to EVAL once when the script cache was flushed. On a
 * connection with a `Fence` (fencing.ts) it runs the fenced variant: lease key and token first, refused
 * with `FencedError` when this process does not lead.
 */
export class LuaScript {
  readonly sha: string;
  private fenced?: LuaScript;
  /** `guarded: false` for the lease scripts themselves, which carry their own token check */
  constructor(
    readonly source: string,
    private readonly guarded = true,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const fence = this.guarded ? fenceOf(redis) : undefined;
    if (fence === undefined) return this.exec(redis, keys, args);
    this.fenced ??= new LuaScript(fencedSource(this.source));
    try {
      return await this.fenced.exec(redis, [fence.leaseKey, ...keys], [tokenFor(fence), ...args]);
    } catch (e) {
      throw asFenced(e);
    }
  }

  private async exec(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.includes('NOSCRIPT')) throw e;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

// KEYS: the key written   ARGV: command, args... (one write command, run under the fence)
const WRITE_LUA = new LuaScript(`return redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2))`);

/**
 * One single-key write command (`XADD`, `SET`, `HSET`, …) on `key`: sent as is on an unfenced connection,
 * as a fenced one-command script on a fenced one (the same guard as every script).
 */
export async function fencedWrite(redis: Redis, command: string, key: string, args: readonly (string | number)[]): Promise<unknown> {
  if (fenceOf(redis) === undefined) return redis.call(command, key, ...args);
  return WRITE_LUA.run(redis, [key], [command, ...args]);
}

/** Epoch ms → ISO-8601 UTC with milliseconds, the `ts` format of every stream entry. */
export const isoTs = (ms: number): string => new Date(ms).toISOString();
