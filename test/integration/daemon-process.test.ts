import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startSimulator, type SimulatorHandle } from '../../src/sim/index.js';
import type { Outcome } from '../../src/domain/types.js';

import { REDIS, waitFor } from './pipeline-helpers.js';

describe('ibkr-exec daemon as a process', () => {
  let sim: SimulatorHandle;
  let dir: string;
  let queue: Queue;
  const id = randomUUID().slice(0, 8);
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, adminPort: 0, tickIntervalMs: 0 });
    dir = mkdtempSync(join(tmpdir(), 'ibkr-exec-daemon-'));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        ib: { host: '127.0.0.1', port: sim.port, clientId: 21 },
        redis: { url: REDIS, prefix: `ibkr-proc-${id}` },
        queue: { name: `signals-proc-${id}` },
        http: { port: 0 },
        accounts: [{ id: 'DU1000003', type: 'BUSINESS' }],
        execution: { ackTimeoutMs: 3000 },
      }),
    );
    queue = new Queue(`signals-proc-${id}`, { connection: { url: REDIS } });
  });
  afterAll(async () => {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`ibkr-proc-${id}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drains the signal in flight on SIGTERM, records its outcome and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'daemon', '--config', join(dir, 'config.json'), '--log-level', 'warn'], {
      env: { ...process.env, REDIS_URL: REDIS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // the ack of the next order is dropped: the job stays in flight (waiting for it) for ackTimeoutMs
    await fetch(`http://127.0.0.1:${sim.adminPort}/fault`, { method: 'POST', body: JSON.stringify({ action: 'drop-acks', count: 1 }), headers: { 'content-type': 'application/json' } });
    const job = await queue.add('signal', { id: `proc-${id}`, createdAt: new Date().toISOString(), instrument: { symbol: 'AAPL' }, side: 'BUY', size: { quantity: 1 } }, { jobId: `proc-${id}` });
    await waitFor(async () => ((await job.getState()) === 'active' ? true : undefined), 'the job to be in flight');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const done = await queue.getJob(job.id!);
    expect(await done!.getState()).toBe('completed');
    const outcome = done!.returnvalue as Outcome;
    expect(outcome.results.map((r) => r.decision)).toEqual(['UNRESOLVED']);
    expect(stderr).not.toMatch(/Error:/);
  });
});
