/**
 * The simulator's read-only-api fault (error 321 on every order) on a real daemon over TCP: each signal is
 * REJECTED with the broker's code (never left hanging), a READ_ONLY_API alert says what to change, and a
 * burst of rejects is an alert of its own. Real Redis, BullMQ and the simulator; alerts to a local receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { PERSONAL, REDIS, resultFor, run, sig, waitFor } from '../integration/pipeline-helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

describe('read-only API (321)', () => {
  let stack: Stack;
  let hook: Receiver;
  beforeAll(async () => {
    hook = await startReceiver();
    stack = await startStack({ redisUrl: REDIS, config: { alerts: { webhooks: [hook.url] } }, daemon: { ops: { rejectBurst: 3, alertRetryMs: 20 } } });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await hook?.close();
  });

  it('rejects with the broker code, alerts once with what to change, and reports a burst of rejects', async () => {
    await stack.admin('/fault', { action: 'read-only-api', on: true });
    for (const n of [1, 2, 3]) {
      const r = resultFor(await run(stack, sig(`ops-ro-${n}`, { accounts: [PERSONAL] })), PERSONAL);
      expect(r.decision).toBe('REJECTED');
      expect(r.reasons[0]).toMatchObject({ code: 'BROKER_REJECTED', brokerCode: 321 });
    }
    const ro = await waitFor(async () => hook.bodies.find((b) => b.kind === 'READ_ONLY_API'), 'the read-only alert');
    expect(String(ro.text)).toMatch(/Read-Only mode.*READ_ONLY_API=no/);
    await waitFor(async () => hook.bodies.find((b) => b.kind === 'REJECT_BURST'), 'the burst alert');
    expect(hook.bodies.filter((b) => b.kind === 'READ_ONLY_API')).toHaveLength(1);
  }, 60_000);
});
