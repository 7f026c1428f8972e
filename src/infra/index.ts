/**
 * The Redis side-effect layer, wired from a `Config` in one call (for the daemon and the CLI). One
 * `client`-role connection serves streams, audit, outbox, trading state and counters: every multi-key
 * step is a single Lua script, so sharing a connection is safe. BullMQ gets its own connections (see
 * `redisOptionsFor`). Call `checkRedisPolicy(infra.redis)` at start and log its warnings.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Clock } from '../domain/clock.js';
import { AuditLog, type AuditLogOptions } from './audit.js';
import { DailyNotional } from './daily-notional.js';
import { keysFor, type Keys } from './keys.js';
import { OrderIdStore, ReconcileCheckpoint } from './order-ids.js';
import { Outbox, type ReplicaAck } from './outbox.js';
import { createRedis, usesSentinel } from './redis.js';
import { StreamPublisher } from './streams.js';
import { TradingStateStore } from './trading-state.js';

export interface Infra {
  readonly redis: Redis;
  readonly keys: Keys;
  readonly streams: StreamPublisher;
  readonly audit: AuditLog;
  readonly tradingState: TradingStateStore;
  readonly outbox: Outbox;
  readonly orderIds: OrderIdStore;
  readonly checkpoint: ReconcileCheckpoint;
  /** per-account notional placed today (limits.maxDailyNotional) */
  readonly dailyNotional: DailyNotional;
  /** QUIT the connection (pending commands finish first) */
  close(): Promise<void>;
}

/** What the layer needs besides the connection: the HMAC keys (secrets.ts), a clock, the audit anchor hook. */
export interface InfraOptions {
  readonly secrets: { readonly controlKey: Buffer; readonly auditKey: Buffer };
  readonly clock?: Clock;
  /** called with the audit head after each append (the daemon anchors it in the state directory) */
  readonly onAuditAppended?: AuditLogOptions['onAppended'];
  /** the declared account ids (see TradingStateStore: an undeclared account's missing key adds no HALTED) */
  readonly declaredAccounts?: readonly string[];
  /** wait for a replica's acknowledgement of each intent (set when Redis is reached through Sentinel) */
  readonly replicaAck?: ReplicaAck;
}

/** Build the layer on an existing connection (tests, or a caller that manages the connection). */
export function infraOn(redis: Redis, prefix: string, o: InfraOptions): Omit<Infra, 'close'> {
  const keys = keysFor(prefix);
  return {
    redis,
    keys,
    streams: new StreamPublisher(redis, keys),
    audit: new AuditLog(redis, keys.audit, o.secrets.auditKey, { ...(o.clock ? { clock: o.clock } : {}), ...(o.onAuditAppended ? { onAppended: o.onAuditAppended } : {}) }),
    tradingState: new TradingStateStore(redis, keys, o.secrets.controlKey, o.clock, o.declaredAccounts ? new Set(o.declaredAccounts) : undefined),
    outbox: new Outbox(redis, keys, o.replicaAck),
    orderIds: new OrderIdStore(redis, keys),
    checkpoint: new ReconcileCheckpoint(redis, keys),
    dailyNotional: new DailyNotional(redis, keys),
  };
}

/** Connect to `config.redis.url` (password from `redisPassword(env)`, passed in) and build the layer. */
export function createInfra(config: Config, opts: InfraOptions & { password?: string }): Infra {
  const redis = createRedis(config.redis.url, {
    role: 'client',
    connectionName: 'ibkr-exec:infra',
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  });
  return {
    ...infraOn(redis, config.redis.prefix, { declaredAccounts: config.accounts.map((a) => a.id), ...(usesSentinel() ? { replicaAck: { replicas: 1 } } : {}), ...opts }),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
