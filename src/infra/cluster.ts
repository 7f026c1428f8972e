/**
 * Redis Cluster key layout (docs/scaling.md): every key of one household must live in one hash slot, or
 * the multi-key Lua scripts (outbox, fills, audit, fencing) fail with CROSSSLOT. A household's keys are
 * `<redis.prefix>:…` and BullMQ's are `bull:<queue.name>:…`, so both must carry the same hash tag, e.g.
 * `redis.prefix: "{hh1}"` and `queue.name: "{hh1}signals"`. Several households share a cluster with one
 * tag each (their slots spread over the nodes).
 */
import type { Redis } from 'ioredis';
import { ConfigError } from './field-reader.js';
import { keysFor } from './keys.js';

const TABLE = ((): Uint16Array => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC16/XMODEM of a string's UTF-8 bytes (the Redis Cluster key hash). */
function crc16(s: string): number {
  let crc = 0;
  for (const b of Buffer.from(s, 'utf8')) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b) & 0xff]!;
  return crc;
}

/** The hash tag of a key (the part between the first "{" and the next "}", when not empty), else undefined. */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/** The Redis Cluster slot of a key (0‥16383), hash tags honoured, as `CLUSTER KEYSLOT` computes it. */
export function keySlot(key: string): number {
  return crc16(hashTag(key) ?? key) % 16_384;
}

/**
 * Why this prefix and queue name would spread one household over several slots (pure; empty = one slot).
 * Looks at every fixed key of the prefix, a per-account and a per-order key, and BullMQ's keys of the queue.
 */
export function clusterLayoutProblems(prefix: string, queueName: string, bullPrefix = 'bull'): string[] {
  const k = keysFor(prefix);
  const ours = [k.orders, k.audit, k.auditHead, k.outboxOrder('x'), k.outboxState('INTENT'), k.tradingStateFor('DU1'), k.leader, k.orderId, k.dailyNotional('DU1', '2026-01-01')];
  const slot = keySlot(k.orders);
  const problems: string[] = [];
  if (ours.some((key) => keySlot(key) !== slot) || hashTag(k.orders) === undefined) {
    problems.push(`redis.prefix ${JSON.stringify(prefix)} has no hash tag, so the household's keys spread over many slots (the Lua scripts would fail with CROSSSLOT); use a tagged prefix such as "{hh1}"`);
  }
  const bull = `${bullPrefix}:${queueName}:wait`;
  if (keySlot(bull) !== slot) {
    const tag = hashTag(k.orders) ?? 'hh1';
    problems.push(`queue.name ${JSON.stringify(queueName)} puts BullMQ's keys in slot ${keySlot(bull)}, not the household's slot ${slot}; give it the same hash tag, e.g. "{${tag}}signals"`);
  }
  return problems;
}

/**
 * On a cluster node, refuses (ConfigError, exit 2) a prefix and queue name that would spread the household
 * over several slots; on a standalone server or Sentinel, nothing to check.
 */
export async function assertClusterLayout(redis: Redis, prefix: string, queueName: string): Promise<void> {
  if (!(await isClusterNode(redis))) return;
  const problems = clusterLayoutProblems(prefix, queueName);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `Redis Cluster: ${p}`));
}

/** Whether the server runs in cluster mode (`INFO cluster`); false when it cannot tell. */
export async function isClusterNode(redis: Redis): Promise<boolean> {
  const info = await redis.info('cluster').catch(() => '');
  return /^cluster_enabled:1\b/m.test(info);
}
