/**
 * The lines of `ibkr-exec redis-acl` loaded into a real redis-server (--aclfile): a producer can add a
 * BullMQ job (BullMQ's default job options) but cannot XADD control, SET the trading state, touch the
 * audit trail or flush the database; unauthenticated clients are refused; the daemon, under its own
 * user, runs the whole stack and handles the producer's job.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startStack, type Stack } from '../../src/app/stack.js';
import { redisAclLines } from '../../src/infra/redis-acl.js';
import type { Outcome } from '../../src/domain/types.js';
import { PERSONAL, resultFor, sig } from '../integration/pipeline-helpers.js';
import { startPrivateRedis, type PrivateRedis } from '../integration/private-redis.js';

describe('redis-acl lines on a real redis-server', () => {
  const id = randomUUID().slice(0, 8);
  const prefix = `ibkr-acl-${id}`;
  const queueName = `signals-acl-${id}`;
  const dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-acl-'));
  let redisProc: PrivateRedis;
  let producer: Redis;
  let stack: Stack | undefined;

  beforeAll(async () => {
    const file = join(dir, 'users.acl');
    const lines = redisAclLines({ prefix, queue: queueName, daemonPassword: 'daemon-pw', producerPassword: 'producer-pw' });
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    redisProc = await startPrivateRedis({ persistence: 'aof', aclFile: file });
    producer = new Redis(`redis://producer:producer-pw@127.0.0.1:${redisProc.port}`, { maxRetriesPerRequest: 1 });
  }, 30_000);
  afterAll(async () => {
    producer?.disconnect();
    await stack?.stop();
    await redisProc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses unauthenticated clients and the producer outside its queue', async () => {
    const anon = new Redis(`redis://127.0.0.1:${redisProc.port}`, { maxRetriesPerRequest: 1, lazyConnect: true, enableReadyCheck: false });
    anon.on('error', () => undefined);
    await expect(anon.connect().then(() => anon.ping())).rejects.toThrow(/NOAUTH/);
    anon.disconnect();
    await expect(producer.xadd(`${prefix}:control`, '*', 'action', 'cancel')).rejects.toThrow(/NOPERM/);
    await expect(producer.set(`${prefix}:trading-state`, 'ACTIVE')).rejects.toThrow(/NOPERM/);
    await expect(producer.del(`${prefix}:audit`)).rejects.toThrow(/NOPERM/);
    await expect(producer.flushall()).rejects.toThrow(/NOPERM/);
    await expect(producer.config('SET', 'appendonly', 'no')).rejects.toThrow(/NOPERM/);
    await expect(producer.eval(`return redis.call('SET', KEYS[1], 'ACTIVE')`, 1, `${prefix}:trading-state`)).rejects.toThrow(/NOPERM/);
  });

  it('the daemon under its user runs the stack and handles a job the producer added with default options', async () => {
    stack = await startStack({ redisUrl: `redis://127.0.0.1:${redisProc.port}`, env: { REDIS_PASSWORD: 'daemon-pw' }, config: { redis: { prefix }, queue: { name: queueName } } });
    const connection = { url: `redis://producer:producer-pw@127.0.0.1:${redisProc.port}` };
    const queue = new Queue(queueName, { connection });
    const events = new QueueEvents(queueName, { connection });
    try {
      await events.waitUntilReady();
      const job = await queue.add('signal', sig(`acl-${id}`, { accounts: [PERSONAL], size: { quantity: 1 } }));
      const outcome = (await job.waitUntilFinished(events, 30_000)) as Outcome;
      expect(resultFor(outcome, PERSONAL).decision).toBe('PLACED');
    } finally {
      await events.close();
      await queue.close();
    }
  }, 60_000);
});
