/**
 * The notional each account placed per UTC day, for `limits.maxDailyNotional`: one Redis hash per
 * (account, day) with a field per entry orderRef, so recording is idempotent (a redelivered job writes the
 * same field) and an intent that was never sent is simply removed. Amounts are exact decimal strings in
 * the account base currency. Hashes expire after three days.
 */
import type { Redis } from 'ioredis';
import { Decimal } from '../domain/types.js';
import type { Keys } from './keys.js';
import { LuaScript, fencedWrite } from './redis.js';

const TTL_SECONDS = 3 * 86_400;

// KEYS: hash   ARGV: orderRef, amount, ttlSeconds
const RECORD_LUA = new LuaScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
`);

/** The UTC day of an epoch-ms time, as YYYY-MM-DD. */
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export class DailyNotional {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Sum of what `account` placed on `day`. */
  async total(account: string, day: string): Promise<Decimal> {
    const values = await this.redis.hvals(this.keys.dailyNotional(account, day));
    return values.reduce((s, v) => s.plus(new Decimal(v)), new Decimal(0));
  }

  /** Records one entry order's notional (idempotent per orderRef). */
  async record(account: string, day: string, orderRef: string, amount: Decimal): Promise<void> {
    const key = this.keys.dailyNotional(account, day);
    await RECORD_LUA.run(this.redis, [key], [orderRef, amount.toString(), TTL_SECONDS]);
  }

  /** Forgets an entry order that was never sent. */
  async remove(account: string, day: string, orderRef: string): Promise<void> {
    await fencedWrite(this.redis, 'HDEL', this.keys.dailyNotional(account, day), [orderRef]);
  }
}
