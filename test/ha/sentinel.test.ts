/**
 * Redis Sentinel with real servers (a master, a replica, three sentinels on loopback ports): the daemon,
 * its BullMQ connections and a producer reach Redis through Sentinel and follow a forced failover
 * (`SENTINEL FAILOVER`) mid-burst: every signal gets its outcome, no (signal, account) gets a second order,
 * every intent written before the failover is on the new master. An intent counts only once a replica
 * acknowledged it (WAIT): with the replica gone, the outbox refuses (nothing would be sent).
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import type { Outcome } from '../../src/domain/types.js';
import { keysFor } from '../../src/infra/keys.js';
import { Outbox, ReplicaAckError, type NewOutboxRecord } from '../../src/infra/outbox.js';
import { createRedis, redisOptionsFor, useRedisTopology } from '../../src/infra/redis.js';
import { MASTER_NAME, startSentinelGroup, type SentinelGroup } from './sentinel-process.js';
import { sig } from '../integration/pipeline-helpers.js';

// the URL names no server at all: only Sentinel can lead the connections to the master
const URL_VIA_SENTINEL = 'redis://127.0.0.1:1';
const intent = (signalId: string): NewOutboxRecord => ({
  orderRef: orderRefFor(signalId, 'DU1000002', 'entry'), signalId, account: 'DU1000002', leg: 'entry', symbol: 'AAPL', secType: 'STK',
  currency: 'USD', side: 'BUY', quantity: 1, multiplier: 1, createdAt: 1,
});

describe('Redis Sentinel: failover under a running daemon', () => {
  let group: SentinelGroup;
  let stack: Stack;
  const prefix = `sentinel-${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    group = await startSentinelGroup();
    useRedisTopology({ sentinels: group.sentinels, name: MASTER_NAME });
    stack = await startStack({
      redisUrl: URL_VIA_SENTINEL,
      config: { redis: { prefix, sentinels: group.sentinels, name: MASTER_NAME }, execution: { reconcileIntervalMs: 2000 } },
      daemon: { retryBackoff: { initialMs: 200, maxMs: 1000 } },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await group?.stop();
  });

  it('the daemon and a producer follow SENTINEL FAILOVER; every signal has an outcome, none is ordered twice', async () => {
    const producer = new Queue(stack.config.queue.name, { connection: { url: URL_VIA_SENTINEL, ...redisOptionsFor({ role: 'worker' }) } });
    const jobs: Job[] = [];
    const outcomes: Promise<Outcome>[] = [];
    const send = async (n: number) => {
      const job = await producer.add('signal', sig(`${prefix}-${n}`, { accounts: ['DU1000002'], size: { quantity: 1 } }), { jobId: `${prefix}-${n}` });
      jobs.push(job);
      outcomes.push(stack.outcome(job, 60_000));
    };
    for (let n = 0; n < 5; n++) await send(n);
    await outcomes[0];
    const before = await group.masterUrl();
    await group.failover();
    expect(await group.masterUrl()).not.toBe(before);
    for (let n = 5; n < 10; n++) {
      for (let tries = 0; ; tries++) {
        try {
          await send(n); // a producer's add may fail once while the master changes; it says so and is repeated
          break;
        } catch (e) {
          if (tries > 20) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
    const results = await Promise.all(outcomes);
    expect(results.map((o) => o.results[0]?.decision)).toEqual(Array(10).fill('PLACED'));
    const state = (await (await fetch(`${stack.adminUrl}/state`)).json()) as { orders: { orderRef: string }[] };
    const refs = state.orders.map((o) => o.orderRef); // the stack's simulator is its own: every order is ours
    expect(refs).toHaveLength(10);
    expect(new Set(refs).size).toBe(refs.length);
    // every intent is on the new master (written before the failover and acknowledged by the replica)
    const master = new Redis(await group.masterUrl());
    const outbox = new Outbox(master, keysFor(prefix));
    for (let n = 0; n < 10; n++) expect((await outbox.listBySignal(`${prefix}-${n}`)).length, `signal ${n}`).toBe(1);
    master.disconnect();
    await producer.close();
  }, 120_000);

  it('an intent no replica acknowledged is refused and discarded (no order without an acknowledged intent)', async () => {
    const redis = createRedis(URL_VIA_SENTINEL);
    const outbox = new Outbox(redis, keysFor(`${prefix}-ack`), { replicas: 1, timeoutMs: 200, maxWaitMs: 600 });
    expect((await outbox.createIntent(intent('acked'))).created).toBe(true);
    const master = Number(new URL(await group.masterUrl()).port);
    await group.stopServer(master === group.ports.master ? group.ports.replica : group.ports.master);
    await expect(outbox.createIntent(intent('lonely'))).rejects.toBeInstanceOf(ReplicaAckError);
    expect(await outbox.get(intent('lonely').orderRef)).toBeUndefined();
    redis.disconnect();
  }, 60_000);
});
