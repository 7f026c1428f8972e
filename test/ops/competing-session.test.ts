/**
 * Error 10197 (a login elsewhere took the session), with the simulator's `competing-session` fault over TCP:
 * one clear line, an alert webhook, no order while it lasts, a slow reconnect (never the fast backoff), and
 * trading resumes once the session is free again. Real Redis, BullMQ and the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import type { ConnectionStatus } from '../../src/execution/broker-port.js';
import { captureLogs } from '../integration/support-logs.js';
import { PERSONAL, REDIS, resultFor, sig, simState, waitFor } from '../integration/pipeline-helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

const SLOW_MS = 1_500;

describe('competing session (10197)', () => {
  let stack: Stack;
  let hook: Receiver;
  const logs = captureLogs('debug');
  const statuses: ConnectionStatus[] = [];

  beforeAll(async () => {
    hook = await startReceiver();
    stack = await startStack({
      redisUrl: REDIS,
      logger: logs.logger,
      config: { alerts: { webhooks: [hook.url] } },
      daemon: { ibBackoff: { initialMs: 20, maxMs: 50, slowRetryMs: SLOW_MS }, ops: { checkMs: 50, alertRetryMs: 50 } },
    });
    stack.daemon!.broker.connection$.subscribe((s) => statuses.push(s));
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await hook?.close();
  });

  it('says so in one line, alerts, sends nothing meanwhile, backs off, and trades again once the session is free', async () => {
    const broker = stack.daemon!.broker;
    await stack.admin('/fault', { action: 'competing-session' });
    const down = await waitFor(async () => statuses.find((s) => s.code === 10197), 'the competing-session status');
    expect(down.state).toBe('DISCONNECTED');
    expect(down.reason).toMatch(/logged in elsewhere.*log out the other session/);

    // a signal that arrives meanwhile waits: it is not failed, and nothing reaches the broker yet
    const job = await stack.send(sig('ops-cs-1', { accounts: [PERSONAL] }));
    const before = (await simState(stack)).orders.length;

    // the reconnect after 10197 is the slow one, never the fast backoff of an ordinary disconnect
    const scheduled = await waitFor(async () => logs.lines.find((l) => l.msg === 'IB: reconnect scheduled' && statuses.some((s) => s.code === 10197)), 'the reconnect schedule');
    expect(scheduled.delayMs).toBe(SLOW_MS);
    expect((await simState(stack)).orders.length).toBe(before);

    // the session is free again (the simulator accepts the next login): trading resumes, the waiting signal is placed
    await waitFor(async () => broker.isReadyForOrders() || undefined, 'the daemon to reconnect', 20_000);
    const r = resultFor(await stack.outcome(job), PERSONAL);
    expect(r.decision).toBe('PLACED');

    // one clear line for the whole episode, and one alert
    const lines = logs.matching(/competing session/);
    expect(logs.lines.filter((l) => /taken by a competing session/.test(l.msg))).toHaveLength(1);
    expect(lines.some((m) => /ALERT COMPETING_SESSION/.test(m))).toBe(true);
    const alert = await waitFor(async () => hook.bodies.find((b) => b.kind === 'COMPETING_SESSION'), 'the webhook');
    expect(alert).toMatchObject({ app: 'ibkr-exec', severity: 'critical' });
    expect(String(alert.text)).toMatch(/10197/);
    expect(hook.bodies.filter((b) => b.kind === 'COMPETING_SESSION')).toHaveLength(1);
    // the webhook's secret path never reaches a log line
    expect(logs.lines.some((l) => JSON.stringify(l).includes('secret-token'))).toBe(false);
  }, 60_000);
});
