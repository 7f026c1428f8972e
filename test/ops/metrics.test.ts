/**
 * /metrics, the per-signal / order / fill log lines and the heartbeat, on a real daemon: real Redis, real
 * BullMQ, the simulator over TCP. Two daemons in one process keep separate registries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import type { DaemonHeartbeat } from '../../src/app/heartbeat.js';
import { createRedis } from '../../src/infra/redis.js';
import { keysFor } from '../../src/infra/keys.js';
import { captureLogs } from '../integration/support-logs.js';
import { IRA, PERSONAL, REDIS, run, sig, waitFor } from '../integration/pipeline-helpers.js';

/** The value of one sample (`name{labels}`) in a Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{([^}]*)\})? ([0-9.e+-]+|NaN)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[3] ?? '').split(',');
    if (want.every((w) => have.includes(w))) return Number(m[4]);
  }
  return 0;
}

describe('operations: metrics, log lines, heartbeat', () => {
  let stack: Stack;
  let other: Stack;
  const logs = captureLogs('info');
  const redis = createRedis(REDIS);

  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, logger: logs.logger, daemon: { ops: { heartbeatMs: 200 } } });
    other = await startStack({ redisUrl: REDIS });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await other?.stop();
    redis.disconnect();
  });

  const scrape = async (s: Stack): Promise<string> => {
    const res = await fetch(`${s.daemon!.http.url}metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    return res.text();
  };

  it('counts signals by decision and reason, order events, fills and latencies, and the gauges read the state now', async () => {
    const before = await scrape(stack);
    expect(sample(before, 'ibkr_exec_ib_connection_state', { state: 'CONNECTED' })).toBe(1);
    expect(sample(before, 'ibkr_exec_signal_results_total', { decision: 'PLACED', reason: 'none' })).toBe(0);

    await run(stack, sig('ops-m-1', { accounts: [PERSONAL] }));
    await run(stack, sig('ops-m-2', { accounts: [IRA], side: 'SELL', size: { quantity: 500 } }));
    const after = await waitFor(async () => {
      const t = await scrape(stack);
      return sample(t, 'ibkr_exec_fills_total', { side: 'BOT' }) >= 1 ? t : undefined;
    }, 'a fill in the metrics');
    expect(sample(after, 'ibkr_exec_signal_results_total', { decision: 'PLACED', reason: 'none' })).toBe(1);
    expect(sample(after, 'ibkr_exec_signal_results_total', { decision: 'DENIED', reason: 'IRA_SHORT_SALE' })).toBe(1);
    expect(sample(after, 'ibkr_exec_order_events_total', { event: 'SUBMITTED' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'ibkr_exec_orders', { state: 'FILLED' })).toBeGreaterThanOrEqual(1);
    for (const stage of ['queue', 'decision', 'wire', 'ack']) expect(sample(after, 'ibkr_exec_latency_seconds_count', { stage }), stage).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'ibkr_exec_ib_messages_sent_total')).toBeGreaterThan(sample(before, 'ibkr_exec_ib_messages_sent_total'));
    expect(sample(after, 'ibkr_exec_redis_command_seconds_count', { command: 'evalsha' }) + sample(after, 'ibkr_exec_redis_command_seconds_count', { command: 'eval' })).toBeGreaterThan(0);
    expect(after).toContain('ibkr_exec_pacing_queue_depth');
    expect(after).toContain('ibkr_exec_unresolved_oldest_seconds 0');
    expect(after).toContain('ibkr_exec_unresolved_orders 0');
    // the other daemon's registry saw none of it
    expect(sample(await scrape(other), 'ibkr_exec_signal_results_total', { decision: 'PLACED', reason: 'none' })).toBe(0);
  }, 60_000);

  it('logs one info line per account outcome, order state change and fill, with ids and reason codes', async () => {
    await run(stack, sig('ops-l-1', { accounts: [PERSONAL] }));
    const outcome = await waitFor(async () => logs.lines.find((l) => l.signalId === 'ops-l-1' && l.decision === 'PLACED'), 'the outcome line');
    expect(outcome).toMatchObject({ level: 30, account: PERSONAL, reasons: [] });
    expect(typeof outcome.orderRef).toBe('string');
    const ref = outcome.orderRef as string;
    await waitFor(async () => logs.lines.find((l) => l.orderRef === ref && l.execId), 'the fill line');
    await waitFor(async () => logs.lines.find((l) => l.orderRef === ref && l.event === 'FILLED'), 'the FILLED line');
    const events = logs.lines.filter((l) => l.orderRef === ref && typeof l.event === 'string').map((l) => l.event);
    expect(events).toContain('SUBMITTED');
    expect(events).toContain('FILLED');
    await run(stack, sig('ops-l-2', { accounts: [IRA], side: 'SELL', size: { quantity: 500 } }));
    const denied = await waitFor(async () => logs.lines.find((l) => l.signalId === 'ops-l-2'), 'the denial line');
    expect(denied).toMatchObject({ decision: 'DENIED', reasons: ['IRA_SHORT_SALE'], account: IRA });
  }, 60_000);

  it('publishes a heartbeat with the connection, each account\'s effective state and the queue; removes it at stop', async () => {
    const key = keysFor(stack.config.redis.prefix).daemonStatus;
    const hb = await waitFor(async () => {
      const raw = await redis.get(key);
      const v = raw ? (JSON.parse(raw) as DaemonHeartbeat) : undefined;
      return v?.queue.consuming && v.accounts.every((a) => a.linked !== null) ? v : undefined;
    }, 'a heartbeat');
    expect(hb.ib).toMatchObject({ state: 'CONNECTED', port: stack.config.ib.port, clientId: stack.config.ib.clientId });
    expect(hb.accounts.map((a) => [a.account, a.effective])).toEqual(stack.config.accounts.map((a) => [a.id, 'ACTIVE']));
    expect(hb.queue).toMatchObject({ name: stack.config.queue.name, consuming: true, taking: true });
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    await stack.daemon!.stop();
    expect(await redis.get(key)).toBeNull();
  }, 30_000);
});
