/** Redis Cluster key layout: one household, one slot (checked against the server's own CLUSTER KEYSLOT). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/app/demo.js';
import { DEFAULT_CONFIG_INPUT, parseConfig } from '../../src/config.js';
import { assertClusterLayout, clusterLayoutProblems, hashTag, isClusterNode, keySlot } from '../../src/infra/cluster.js';
import { keysFor } from '../../src/infra/keys.js';
import { createRedis } from '../../src/infra/redis.js';

const standalone = createRedis('redis://127.0.0.1:6379');
// a private cluster-enabled node (no slots assigned): it answers CLUSTER KEYSLOT, the reference
const dir = mkdtempSync(join(tmpdir(), 'ibkr-cluster-'));
let proc: ChildProcess;
let redis: Redis;
beforeAll(async () => {
  const port = await freePort();
  proc = spawn(process.env.CHAOS_REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redis = createRedis(`redis://127.0.0.1:${port}`);
  redis.on('error', () => undefined); // refused until the server listens
  for (let i = 0; (await redis.ping().catch(() => 'down')) !== 'PONG'; i++) {
    if (i > 100) throw new Error('the cluster-enabled redis-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
});
afterAll(async () => {
  await Promise.all([standalone.quit(), redis.quit()]);
  proc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('hash slots', () => {
  it('computes the slot Redis computes, hash tags honoured', async () => {
    const k = keysFor('{hh1}');
    for (const key of ['ibkr:orders', '{hh1}:orders', k.outboxOrder('ix1-abc'), 'bull:{hh1}signals:wait', 'a{}b', '{}{x}', 'κλειδί', 'foo{bar}{zap}']) {
      expect(keySlot(key), key).toBe(Number(await redis.call('CLUSTER', 'KEYSLOT', key)));
    }
    expect(keySlot('123456789')).toBe(12739); // the CRC16/XMODEM check value (0x31C3) mod 16384
    expect(hashTag('a{}b')).toBeUndefined();
    expect(hashTag('foo{bar}{zap}')).toBe('bar');
  });

  it('accepts a tagged prefix and a queue name with the same tag; names what spans slots otherwise', () => {
    expect(clusterLayoutProblems('{hh1}', '{hh1}signals')).toEqual([]);
    expect(clusterLayoutProblems('house-{hh2}', 'q{hh2}')).toEqual([]);
    const untagged = clusterLayoutProblems('ibkr', 'signals');
    expect(untagged).toHaveLength(2);
    expect(untagged[0]).toMatch(/^redis\.prefix "ibkr" has no hash tag/);
    expect(clusterLayoutProblems('{hh1}', 'signals')).toEqual([expect.stringMatching(/^queue\.name "signals" puts BullMQ's keys in slot \d+, not the household's slot \d+; give it the same hash tag, e.g. "\{hh1\}signals"$/)]);
  });

  it('the config takes a hash-tagged prefix and queue name', () => {
    const r = parseConfig({ ...DEFAULT_CONFIG_INPUT, redis: { prefix: '{hh1}' }, queue: { name: '{hh1}signals' } }, {});
    expect(r.ok && [r.config.redis.prefix, r.config.queue.name]).toEqual(['{hh1}', '{hh1}signals']);
  });

  it('tells a cluster node from a standalone server', async () => {
    expect(await isClusterNode(standalone)).toBe(false);
    expect(await isClusterNode(redis)).toBe(true);
  });

  it('a daemon start on a cluster node refuses a layout that spans slots, naming the fix', async () => {
    await expect(assertClusterLayout(redis, 'ibkr', 'signals')).rejects.toThrow(/Redis Cluster: redis\.prefix "ibkr" has no hash tag/);
    await expect(assertClusterLayout(redis, '{hh1}', '{hh1}signals')).resolves.toBeUndefined();
    await expect(assertClusterLayout(standalone, 'ibkr', 'signals')).resolves.toBeUndefined();
  });
});
