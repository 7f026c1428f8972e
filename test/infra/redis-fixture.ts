/** Test fixture: real Redis at 127.0.0.1:6379, a random key prefix per suite, every key deleted after. */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis } from '../../src/infra/redis.js';
import { keysFor, type Keys } from '../../src/infra/keys.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisFixture {
  readonly prefix: string;
  readonly keys: Keys;
  /** a new connection, closed by `cleanup()` */
  connect(): Redis;
  /** delete every key under the prefix and close all connections */
  cleanup(): Promise<void>;
}

export function redisFixture(name: string): RedisFixture {
  const prefix = `test-infra-${name}-${randomBytes(6).toString('hex')}`;
  const conns: Redis[] = [];
  return {
    prefix,
    keys: keysFor(prefix),
    connect() {
      const r = createRedis(REDIS_URL, { connectionName: `test:${prefix}` });
      conns.push(r);
      return r;
    },
    async cleanup() {
      const r = createRedis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, found] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (found.length > 0) await r.del(...found);
        cursor = next;
      } while (cursor !== '0');
      await Promise.all([...conns, r].map((c) => c.quit().catch(() => undefined)));
    },
  };
}
