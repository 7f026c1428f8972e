/**
 * Persistent counters that must never go backwards:
 *  - `OrderIdStore`: the highest IB order id this deployment ever used, so ids stay increasing across our
 *    restarts and a gateway restart that rolls `nextValidId` back (error 103 otherwise). Implements the
 *    `OrderIdStore` interface of src/ib/order-ids.ts.
 *  - `ReconcileCheckpoint`: the newest execution time already reconciled (for `reqExecutions` filters).
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';
import { LuaScript } from './redis.js';

// KEYS: counter   ARGV: min, count  → first = max(stored + 1, min); stored = first + count - 1
const RESERVE_LUA = new LuaScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local first = math.max(cur + 1, tonumber(ARGV[1]))
local last = first + tonumber(ARGV[2]) - 1
redis.call('SET', KEYS[1], string.format('%d', last))
return first
`);

// KEYS: counter   ARGV: value  → stored = max(stored, value); returns stored
const RAISE_LUA = new LuaScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local v = tonumber(ARGV[1])
if v > cur then redis.call('SET', KEYS[1], string.format('%d', v)); cur = v end
return string.format('%d', cur)
`);

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name}: expected an integer ≥ ${min}, received ${v}`);
}

/** The order-id high-water mark in Redis (`<p>:order-id`); atomic across processes. */
export class OrderIdStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Atomically reserve `count` consecutive ids: returns `first = max(highest + 1, min)` and stores
   * `first + count - 1` as the new highest. Concurrent callers always get disjoint, increasing ranges.
   */
  async reserve(min: number, count = 1): Promise<number> {
    checkInt('min', min, 0);
    checkInt('count', count, 1);
    return Number(await RESERVE_LUA.run(this.redis, [this.keys.orderId], [min, count]));
  }

  /** Raise the high-water mark to at least `id` (an id seen at the broker, e.g. in open orders). */
  async observe(id: number): Promise<number> {
    checkInt('id', id, 0);
    return Number(await RAISE_LUA.run(this.redis, [this.keys.orderId], [id]));
  }

  /** The highest id used so far (0 when none). */
  async peek(): Promise<number> {
    return Number((await this.redis.get(this.keys.orderId)) ?? '0');
  }
}

/** The reconciliation checkpoint (`<p>:reconcile:checkpoint`): epoch ms, only ever moves forward. */
export class ReconcileCheckpoint {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Epoch ms of the newest reconciled execution, or undefined before the first reconciliation. */
  async get(): Promise<number | undefined> {
    const v = await this.redis.get(this.keys.checkpoint);
    return v === null ? undefined : Number(v);
  }

  /** Move the checkpoint forward to `ms` (an older value is ignored); returns the stored value. */
  async advance(ms: number): Promise<number> {
    checkInt('ms', ms, 0);
    return Number(await RAISE_LUA.run(this.redis, [this.keys.checkpoint], [ms]));
  }
}
