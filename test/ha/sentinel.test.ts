/**
 * Redis Sentinel with real servers (a master, a replica, three sentinels on loopback ports): the daemon,
 * its BullMQ connections and a producer reach Redis through Sentinel and follow a forced failover
 * (`SENTINEL FAILOVER`) mid-burst: every signal gets its outcome, no (signal, account) gets a second order,
 * every order at the broker has its intent on the new master. An intent counts only once a replica
 * acknowledged it (WAIT): with the replica gone, the outbox refuses (nothing would be sent). Writes that
 * are not acknowledged (the audit tail) can be lost by a forced failover: the daemon then detects the
 * loss and halts (DENIED HALTED) until `resume` — fail closed, never a second order.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { createLogger } from '../../src/app/logger.js';
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
      ...(process.env.HA_LOG ? { logger: createLogger({ level: 'debug' }) } : {}),
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await group?.stop();
  });

  it('the daemon and a producer follow SENTINEL FAILOVER; every signal has an outcome, none is ordered twice', async () => {
    const producer = new Queue(stack.config.queue.name, { connection: { url: URL_VIA_SENTINEL, ...redisOptionsFor({ role: 'worker' }) } });
    // outcomes are polled (a blocked XREAD of QueueEvents may sit on the demoted master for a while)
    const outcome = async (id: string): Promise<Outcome> => {
      for (let i = 0; i < 600; i++) {
        const job = await producer.getJob(id).catch(() => undefined);
        if (job?.finishedOn) return job.returnvalue as Outcome;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no outcome for ${id}`);
    };
    const outcomes: Promise<Outcome>[] = [];
    const producerRedis = (await producer.client) as unknown as Redis;
    const send = async (n: number) => {
      await producer.add('signal', sig(`${prefix}-${n}`, { accounts: ['DU1000002'], size: { quantity: 1 } }), { jobId: `${prefix}-${n}` });
      // a producer that must not lose a signal in a failover waits for a replica (docs/ha.md)
      expect(Number(await producerRedis.call('WAIT', 1, 5000))).toBeGreaterThanOrEqual(1);
      outcomes.push(outcome(`${prefix}-${n}`));
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
    // every signal is answered: PLACED, or (when the failover lost the tail of the audit trail, which only
    // the intents are acknowledged for) DENIED HALTED after the daemon detected the loss and halted
    const results = (await Promise.all(outcomes)).map((o) => o.results[0]);
    const reader = new Redis(await group.masterUrl());
    const loss = await reader.get(keysFor(prefix).stateLoss);
    reader.disconnect();
    for (const r of results) {
      if (r?.decision !== 'PLACED') {
        expect(r?.decision).toBe('DENIED');
        expect(r?.reasons.map((x) => x.code)).toContain('HALTED');
        expect(loss, 'a DENIED outcome needs a detected loss of state').not.toBeNull();
      }
    }
    const state = (await (await fetch(`${stack.adminUrl}/state`)).json()) as { orders: { orderRef: string }[] };
    const refs = state.orders.map((o) => o.orderRef); // the stack's simulator is its own: every order is ours
    expect(refs).toHaveLength(results.filter((r) => r?.decision === 'PLACED').length);
    expect(new Set(refs).size).toBe(refs.length);
    // every intent is on the new master (written before the failover and acknowledged by the replica)
    const master = new Redis(await group.masterUrl());
    const outbox = new Outbox(master, keysFor(prefix));
    // every order at the broker has its intent on the new master (acknowledged by the replica before the send)
    for (const ref of refs) expect(await outbox.get(ref), ref).toBeDefined();
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
