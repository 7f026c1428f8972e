import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { LuaScript, checkRedisPolicy, createRedis, policyWarnings, redisOptionsFor } from '../../src/infra/redis.js';
import { REDIS_URL, redisFixture } from './redis-fixture.js';

const fx = redisFixture('redis');
const redis = fx.connect();
afterAll(() => fx.cleanup());

describe('redisOptionsFor', () => {
  it('sets the BullMQ-required options per role', () => {
    expect(redisOptionsFor({ role: 'worker' }).maxRetriesPerRequest).toBeNull();
    expect(redisOptionsFor({ role: 'producer' }).enableOfflineQueue).toBe(false);
    expect(redisOptionsFor({}).maxRetriesPerRequest).toBe(3);
    expect(redisOptionsFor({ password: 'p' }).password).toBe('p');
  });
});

describe('createRedis', () => {
  it('a producer fails fast when Redis is unreachable instead of queueing', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r())); // nothing listens there now
    const p = createRedis(`redis://127.0.0.1:${port}`, { role: 'producer', lazyConnect: true });
    p.on('error', () => undefined);
    await expect(p.set('x', '1')).rejects.toThrow(/offline queue|Stream isn't writeable|enableOfflineQueue/i);
    p.disconnect();
  });
});

describe('policyWarnings', () => {
  it('warns unless noeviction, and when persistence is off', () => {
    expect(policyWarnings({ maxmemoryPolicy: 'noeviction', appendonly: 'yes', save: '' })).toEqual([]);
    expect(policyWarnings({ maxmemoryPolicy: 'noeviction', appendonly: 'no', save: '3600 1' })).toEqual([]);
    expect(policyWarnings({ maxmemoryPolicy: 'allkeys-lru', appendonly: 'yes' })[0]).toMatch(/allkeys-lru; set it to noeviction/);
    expect(policyWarnings({ maxmemoryPolicy: 'noeviction', appendonly: 'no', save: '' })[0]).toMatch(/persistence is off/);
  });
});

describe('checkRedisPolicy', () => {
  it('reads the live settings (the test server runs noeviction)', async () => {
    const warnings = await checkRedisPolicy(redis);
    expect(warnings.join('\n')).not.toMatch(/maxmemory-policy/);
  });

  it('tolerates CONFIG being forbidden', async () => {
    const user = `test-infra-${randomBytes(4).toString('hex')}`;
    await redis.acl('SETUSER', user, 'on', 'nopass', '~*', '+@all', '-config');
    const limited = createRedis(REDIS_URL.replace('redis://', `redis://${user}:x@`));
    try {
      const warnings = await checkRedisPolicy(limited);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^could not read the Redis configuration .*make sure maxmemory-policy is noeviction$/);
    } finally {
      limited.disconnect();
      await redis.acl('DELUSER', user);
    }
  });
});

describe('LuaScript', () => {
  it('runs by sha and falls back to EVAL when the script is not cached', async () => {
    const s = new LuaScript(`return ARGV[1] .. '${randomBytes(4).toString('hex')}'`);
    expect(await redis.script('EXISTS', s.sha)).toEqual([0]);
    expect(await s.run(redis, [], ['a'])).toMatch(/^a/);
    expect(await redis.script('EXISTS', s.sha)).toEqual([1]);
    expect(await s.run(redis, [], ['b'])).toMatch(/^b/);
  });
});
