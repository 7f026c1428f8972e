/**
 * Start in any order (issue #9): a daemon started before Redis and before the gateway waits for both
 * forever, names the service that is down (never IB while Redis is down), logs each change once, and
 * consumes after its first reconciliation once both are up. A private redis-server (this test stops it),
 * the simulator over TCP, real BullMQ.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { launchDaemon, type DaemonHandle } from '../../src/app/daemon.js';
import { DEFAULT_CONFIG_INPUT, parseConfig, type Config } from '../../src/config.js';
import { redisOptionsFor } from '../../src/infra/redis.js';
import { jobIdForSignal } from '../../src/ingest/enqueue.js';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import type { Outcome } from '../../src/domain/types.js';
import { QueueEvents } from 'bullmq';
import { freePort, startRedisProcess, type RedisProcess } from '../chaos/redis-process.js';
import { PERSONAL, resultFor, sig, waitFor } from './pipeline-helpers.js';
import { captureLogs } from './support-logs.js';

describe('start in any order: daemon first, then Redis, then the gateway', () => {
  let redisProc: RedisProcess | undefined;
  let sim: SimulatorHandle | undefined;
  let daemon: DaemonHandle | undefined;
  afterAll(async () => {
    await daemon?.stop();
    await sim?.close();
    await redisProc?.stop();
  });

  it('waits for each, blames the right one once, then consumes a default-options job', async () => {
    redisProc = await startRedisProcess();
    await redisProc.down();
    const ibPort = await freePort();
    const id = randomUUID().slice(0, 8);
    const parsed = parseConfig({ ...DEFAULT_CONFIG_INPUT, ib: { ...DEFAULT_CONFIG_INPUT.ib, port: ibPort }, redis: { url: redisProc.url, prefix: `order-${id}` }, queue: { name: `signals-order-${id}` } }, {});
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const config: Config = parsed.config;
    const logs = captureLogs();
    daemon = launchDaemon({ config, env: {}, logger: logs.logger, ibBackoff: { initialMs: 100, maxMs: 300 } });
    let ready = false;
    void daemon.ready.then((r) => (ready = r));

    await waitFor(async () => logs.matching(/Redis is not reachable/).length > 0, 'the Redis outage to be logged');
    await new Promise((r) => setTimeout(r, 1500));
    expect(logs.matching(/Redis is not reachable/)).toHaveLength(1);
    expect(logs.matching(/IB is not connected/)).toHaveLength(0);
    expect(ready).toBe(false);

    await redisProc.up();
    await waitFor(async () => logs.matching(/IB is not connected at 127\.0\.0\.1:\d+/).length > 0, 'the IB outage to be logged', 15_000);
    await new Promise((r) => setTimeout(r, 1500)); // several reconnect attempts
    expect(logs.matching(/IB is not connected/)).toHaveLength(1);
    expect(ready).toBe(false);

    sim = await startSimulator({ port: ibPort, adminPort: 0, tickIntervalMs: 0, seed: 3 });
    await waitFor(async () => ready, 'the daemon to consume', 20_000);
    expect(logs.matching(/daemon consuming signals/)).toHaveLength(1);

    const connection = { url: redisProc.url, ...redisOptionsFor({ role: 'worker' }) };
    const queue = new Queue(config.queue.name, { connection });
    const events = new QueueEvents(config.queue.name, { connection });
    try {
      await events.waitUntilReady();
      const payload = sig(`order-${id}`, { accounts: [PERSONAL], size: { quantity: 1 } });
      const job = await queue.add('signal', payload, { jobId: jobIdForSignal(String(payload.id)) });
      const outcome = (await job.waitUntilFinished(events, 20_000)) as Outcome;
      expect(resultFor(outcome, PERSONAL).decision).toBe('PLACED');
    } finally {
      await events.close();
      await queue.close();
    }
  });
});
