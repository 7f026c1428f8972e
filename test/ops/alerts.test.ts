/**
 * Alert webhooks against a local HTTP receiver (127.0.0.1, port 0): bounded retries, de-duplication, a dead
 * receiver that never blocks the caller; and on a real daemon (Redis, BullMQ, the simulator over TCP) the
 * REDUCE_ONLY trip of a duplicate booking, a broken audit chain seen by the dashboard's check, and a gateway
 * outage that needs a person, each POSTed once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertSink, type AlertKind } from '../../src/app/alerts.js';
import { createLogger } from '../../src/app/logger.js';
import { freePort } from '../../src/app/demo.js';
import { startStack, type Stack } from '../../src/app/stack.js';
import { systemClock } from '../../src/domain/clock.js';
import { captureLogs } from '../integration/support-logs.js';
import { PERSONAL, REDIS, resultFor, run, sig, waitFor } from '../integration/pipeline-helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

describe('AlertSink', () => {
  it('retries a failing receiver a bounded number of times, sends a repeat once, and never waits on delivery', async () => {
    const hook = await startReceiver({ failFirst: 2 });
    const results: [AlertKind, boolean][] = [];
    const sink = new AlertSink({ urls: [hook.url], logger: createLogger({ silent: true }), clock: systemClock, retryMs: 20, attempts: 3, onResult: (k, d) => results.push([k, d]) });
    sink.notify({ kind: 'HALTED', text: 'all accounts set to HALTED: test' });
    sink.notify({ kind: 'HALTED', text: 'all accounts set to HALTED: again' }); // same kind and scope: dropped
    await waitFor(async () => results.length === 1 || undefined, 'the delivery');
    expect(results).toEqual([['HALTED', true]]);
    expect(hook.hits).toBe(3);
    expect(hook.bodies).toEqual([expect.objectContaining({ kind: 'HALTED', text: 'all accounts set to HALTED: test', content: 'all accounts set to HALTED: test' })]);
    await sink.close();
    await hook.close();

    const dead = `http://127.0.0.1:${await freePort()}/`;
    const failed: boolean[] = [];
    const logs = captureLogs('warn');
    const sink2 = new AlertSink({ urls: [dead], logger: logs.logger, clock: systemClock, retryMs: 10, attempts: 2, onResult: (_k, d) => failed.push(d) });
    sink2.notify({ kind: 'STATE_LOST', text: 'x' }); // returns at once (void): the caller never waits
    await waitFor(async () => failed.length === 1 || undefined, 'the failed delivery');
    expect(failed).toEqual([false]);
    expect(logs.matching(/could not be delivered/)).toHaveLength(1);
    await sink2.close();
  });
});

describe('alerts from the daemon', () => {
  let stack: Stack;
  let hook: Receiver;

  beforeAll(async () => {
    hook = await startReceiver();
    stack = await startStack({
      redisUrl: REDIS,
      config: { alerts: { webhooks: [{ url: hook.url }] } },
      daemon: { ibBackoff: { initialMs: 20, maxMs: 50 }, ops: { checkMs: 50, needsPersonMs: 300, alertRetryMs: 20 } },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await hook?.close();
  });

  it('POSTs a REDUCE_ONLY trip (a duplicate booking) naming the account', async () => {
    await stack.admin('/fault', { action: 'duplicate-next' });
    const r = resultFor(await run(stack, sig('ops-al-1', { accounts: [PERSONAL], size: { quantity: 2 }, order: { type: 'LMT', limitPrice: 185, tif: 'GTC' } })), PERSONAL);
    expect(r.decision).toBe('PLACED');
    const a = await waitFor(async () => hook.bodies.find((b) => b.kind === 'REDUCE_ONLY'), 'the REDUCE_ONLY alert');
    expect(a).toMatchObject({ account: PERSONAL, severity: 'critical' });
    expect(String(a.text)).toMatch(/DUPLICATE_ORDER/);
  }, 30_000);

  it('POSTs AUDIT_VERIFY_FAILED once when the dashboard\'s audit check finds a broken chain', async () => {
    const d = stack.daemon!;
    const [first] = await d.infra.redis.xrange(d.infra.keys.audit, '-', '+', 'COUNT', 1);
    expect(first).toBeDefined();
    await d.infra.redis.xdel(d.infra.keys.audit, first![0]); // the trail loses its first record
    const res = await fetch(`${d.http.url}api/state`);
    expect(res.status).toBe(200);
    const state = (await res.json()) as { audit: { check: { ok: boolean } | null } };
    expect(state.audit.check?.ok).toBe(false);
    const a = await waitFor(async () => hook.bodies.find((b) => b.kind === 'AUDIT_VERIFY_FAILED'), 'the audit alert');
    expect(String(a.text)).toMatch(/audit chain is broken at seq 1/);
    await fetch(`${d.http.url}api/state`).then((r) => r.body?.cancel());
    expect(hook.bodies.filter((b) => b.kind === 'AUDIT_VERIFY_FAILED')).toHaveLength(1);
  }, 30_000);

  it('reports a gateway that does not come back as needing a person, once', async () => {
    await stack.sim.close(); // the gateway is gone (the weekly 2FA login not answered)
    const a = await waitFor(async () => hook.bodies.find((b) => b.kind === 'GATEWAY_NEEDS_PERSON'), 'the needs-a-person alert', 15_000);
    expect(String(a.text)).toMatch(/2FA/);
    await new Promise((r) => setTimeout(r, 400)); // a few more checks: still one alert
    expect(hook.bodies.filter((b) => b.kind === 'GATEWAY_NEEDS_PERSON')).toHaveLength(1);
  }, 30_000);
});
