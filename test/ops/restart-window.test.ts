/**
 * IB's nightly restart window: the pure position function, and on a real daemon (Redis, BullMQ, the simulator
 * over TCP) that a signal arriving in the window waits in the queue (not failed, nothing sent), a disconnect in
 * it is logged quietly (info, "expected"), and the signal is placed once the window ends. The daemon's clock
 * is shifted (no sleeping through a real window).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { windowPosition } from '../../src/app/restart-window.js';
import type { DaemonHeartbeat } from '../../src/app/heartbeat.js';
import { keysFor } from '../../src/infra/keys.js';
import { createRedis } from '../../src/infra/redis.js';
import { captureLogs } from '../integration/support-logs.js';
import { PERSONAL, REDIS, resultFor, sig, simState, waitFor } from '../integration/pipeline-helpers.js';

const NY = { time: '23:45', timeZone: 'America/New_York', minutes: 15 };

describe('restart window (pure)', () => {
  it('is open from the configured local time for its minutes, across midnight and DST', () => {
    // 2026-12-02 23:50 in New York (EST, UTC-5) = 2026-12-03 04:50Z
    expect(windowPosition(Date.parse('2026-12-03T04:50:00Z'), NY).inWindow).toBe(true);
    expect(windowPosition(Date.parse('2026-12-03T04:44:00Z'), NY)).toMatchObject({ inWindow: false, untilStartMs: 60_000 });
    const after = windowPosition(Date.parse('2026-12-03T05:02:00Z'), NY);
    expect(after).toMatchObject({ inWindow: false, sinceEndMs: 2 * 60_000 });
    // July: EDT (UTC-4): 23:50 local = 03:50Z
    expect(windowPosition(Date.parse('2026-07-02T03:50:00Z'), NY).inWindow).toBe(true);
    expect(windowPosition(Date.parse('2026-07-02T04:50:00Z'), NY).inWindow).toBe(false);
    // a window that crosses midnight
    const late = { time: '23:55', timeZone: 'UTC', minutes: 10 };
    expect(windowPosition(Date.parse('2026-12-03T00:03:00Z'), late).inWindow).toBe(true);
    expect(windowPosition(Date.parse('2026-12-03T00:06:00Z'), late).inWindow).toBe(false);
    expect(windowPosition(Date.parse('2026-12-03T00:03:00Z'), { ...late, minutes: 0 }).inWindow).toBe(false);
  });
});

describe('restart window (daemon)', () => {
  let stack: Stack;
  const logs = captureLogs('info');
  const redis = createRedis(REDIS);
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const start = new Date(Date.now());
  const hhmm = `${String(start.getUTCHours()).padStart(2, '0')}:${String(start.getUTCMinutes()).padStart(2, '0')}`;

  beforeAll(async () => {
    stack = await startStack({
      redisUrl: REDIS,
      logger: logs.logger,
      config: { ib: { restartWindow: { time: hhmm, timeZone: 'UTC', minutes: 2 } } },
      daemon: { clock, ibBackoff: { initialMs: 20, maxMs: 50 }, ops: { checkMs: 50, heartbeatMs: 200 } },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    redis.disconnect();
  });

  it('holds signals in the window (nothing sent, nothing failed), is quiet about the restart, and places them after it', async () => {
    const key = keysFor(stack.config.redis.prefix).daemonStatus;
    const hb = await waitFor(async () => {
      const raw = await redis.get(key);
      const v = raw ? (JSON.parse(raw) as DaemonHeartbeat) : undefined;
      return v?.restartWindow.inWindow ? v : undefined;
    }, 'a heartbeat in the window');
    expect(hb.queue.taking).toBe(false);
    const job = await stack.send(sig('ops-rw-1', { accounts: [PERSONAL] }));
    await stack.admin('/fault', { action: 'restart' });
    await waitFor(async () => logs.lines.find((l) => /IB is not connected/.test(l.msg)), 'the disconnect line');
    const line = logs.lines.find((l) => /IB is not connected/.test(l.msg))!;
    expect(line.level).toBe(30);
    expect(line.msg).toMatch(/expected: IB's nightly restart window/);
    await waitFor(async () => stack.daemon!.broker.isReadyForOrders() || undefined, 'the reconnect');
    expect(await job.getState()).toBe('waiting');
    expect((await simState(stack)).orders.filter((o) => o.orderRef.includes('ops-rw-1'))).toHaveLength(0);

    offset = 3 * 60_000; // the window is over
    const r = resultFor(await stack.outcome(job), PERSONAL);
    expect(r.decision).toBe('PLACED');
    expect(logs.lines.filter((l) => l.level >= 40 && /IB/.test(l.msg))).toEqual([]);
  }, 60_000);
});
