/**
 * Signal age (issue #9): `execution.maxSignalAgeMs` bounds `createdAt`; a signal handled past it (or after
 * `expiresAt`) is DENIED SIGNAL_EXPIRED with an outcome, whatever delayed it — here an IB outage — and
 * without a broker request. 0 = no limit. Real Redis, real BullMQ, the simulator over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { stampNow } from '../../src/app/demo.js';
import { BUSINESS, IRA, PERSONAL, REDIS, codes, resultFor, run, sig, simState, waitFor } from './pipeline-helpers.js';

describe('signal age: execution.maxSignalAgeMs', () => {
  let stack: Stack;
  let unlimited: Stack;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, config: { execution: { maxSignalAgeMs: 3_000 } }, daemon: { retryBackoff: { initialMs: 100, maxMs: 300 } } });
    unlimited = await startStack({ redisUrl: REDIS, config: { execution: { maxSignalAgeMs: 0 } } });
  });
  afterAll(async () => {
    await stack?.stop();
    await unlimited?.stop();
  });

  it('a signal older than the bound is SIGNAL_EXPIRED for every account, and nothing is sent', async () => {
    const before = (await simState(stack)).orders.length;
    const outcome = await run(stack, sig('age-old', { createdAt: new Date(Date.now() - 10_000).toISOString() }));
    expect(outcome.results.map((r) => [r.account, r.decision, codes(r)])).toEqual([
      [IRA, 'DENIED', ['SIGNAL_EXPIRED']],
      [PERSONAL, 'DENIED', ['SIGNAL_EXPIRED']],
      [BUSINESS, 'DENIED', ['SIGNAL_EXPIRED']],
    ]);
    expect(outcome.results[0]?.reasons[0]?.message).toMatch(/maxSignalAgeMs \(3000 ms\)/);
    expect((await simState(stack)).orders.length).toBe(before);
  });

  it('a fresh signal held up by an IB outage past the bound is SIGNAL_EXPIRED when handled', async () => {
    const broker = stack.daemon!.broker;
    await stack.admin('/fault', { action: 'connectivity-lost', ms: 4_500 });
    await waitFor(async () => !broker.isReadyForOrders(), 'IB to report 1100');
    const job = await stack.send(sig('age-delayed', { accounts: [PERSONAL], size: { quantity: 1 } }));
    const r = resultFor(await stack.outcome(job, 30_000), PERSONAL);
    expect(r.decision).toBe('DENIED');
    expect(codes(r)).toEqual(['SIGNAL_EXPIRED']);
  });

  it('0 means no age limit', async () => {
    const r = resultFor(await run(unlimited, sig('age-none', { accounts: [PERSONAL], size: { quantity: 1 }, createdAt: new Date(Date.now() - 3_600_000).toISOString() })), PERSONAL);
    expect(r.decision).toBe('PLACED');
  });

  it('the demo stamps an example when it sends it; an example with expiresAt keeps its dates', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(stampNow({ id: 'x', createdAt: '2026-11-25T14:30:00Z' }, now).createdAt).toBe('2026-12-01T12:00:00.000Z');
    const expired = { id: 'y', createdAt: '2026-01-02T14:30:00Z', expiresAt: '2026-01-02T14:35:00Z' };
    expect(stampNow(expired, now)).toEqual(expired);
  });
});
