/**
 * Stuck UNRESOLVED escalates (issue #9): `execution.maxUnresolvedCycles` is honoured — an order still
 * UNRESOLVED after that many clear reconciliation passes puts its account in REDUCE_ONLY, and the audit
 * record and the log name the order. Real Redis, the simulator over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { Decimal } from '../../src/domain/types.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { readStream } from '../../src/infra/streams.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import { BUSINESS, PERSONAL, REDIS, reader, waitFor } from './pipeline-helpers.js';
import { captureLogs } from './support-logs.js';

describe('an order stuck UNRESOLVED', () => {
  let stack: Stack;
  const redis = reader();
  const logs = captureLogs();
  beforeAll(async () => {
    // the absent grace (2 × ackTimeoutMs = 60 s) keeps the order UNRESOLVED through many passes
    stack = await startStack({ redisUrl: REDIS, logger: logs.logger, config: { execution: { reconcileIntervalMs: 150, inflightCheckMs: 150, ackTimeoutMs: 30_000, maxUnresolvedCycles: 3 } } });
  });
  afterAll(async () => {
    redis.disconnect();
    await stack?.stop();
  });

  it('after maxUnresolvedCycles clear passes its account goes REDUCE_ONLY, the order named; other accounts stay ACTIVE', async () => {
    const outbox = stack.daemon!.infra.outbox;
    const ref = orderRefFor('stuck-1', PERSONAL, 'entry');
    await outbox.createIntent({ orderRef: ref, signalId: 'stuck-1', account: PERSONAL, leg: 'entry', symbol: 'AAPL', secType: 'STK', currency: 'USD', side: 'BUY', quantity: 1, price: new Decimal(190), multiplier: 1, payload: JSON.stringify({ jobId: 'sig-stuck-1' }), createdAt: Date.now() });
    expect((await outbox.update(ref, { state: 'UNRESOLVED', orderId: 987_654, sentAt: Date.now(), updatedAt: Date.now() })).ok).toBe(true);
    const states = new TradingStateStore(stack.daemon!.infra.redis, stack.daemon!.infra.keys, stack.secrets.controlKey);
    const start = stack.daemon!.reconciler.completedPasses;
    await waitFor(async () => (await states.getAccount(PERSONAL)) === 'REDUCE_ONLY', 'REDUCE_ONLY on the personal account');
    expect(stack.daemon!.reconciler.completedPasses - start).toBeGreaterThan(3);
    expect((await outbox.get(ref))?.state).toBe('UNRESOLVED');
    const audit = (await readStream(redis, `${stack.config.redis.prefix}:audit`)).filter((e) => e.fields.type === 'trading-state' && e.fields.orderRef === ref);
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.fields.data ?? '{}')).toMatchObject({ current: 'REDUCE_ONLY', cause: { type: 'UNRESOLVED_TOO_LONG', orderRef: ref, orderId: 987_654, maxUnresolvedCycles: 3 } });
    expect(logs.matching(new RegExp(`order ${ref} is still UNRESOLVED after \\d+ reconciliation passes`))).toHaveLength(1);
    expect(await states.getAccount(BUSINESS)).toBe('ACTIVE');
  });
});
