/**
 * One ref, one order (issue #9): a second live broker order for one orderRef (the simulator's
 * duplicate-next fault) is cancelled at once, keeping the first; it is audited and the account goes
 * REDUCE_ONLY; when both traded an alert-level log line and audit record say so. No cancel leaves
 * during 1100. Real Redis, real BullMQ, the simulator over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../src/app/stack.js';
import { readStream } from '../../src/infra/streams.js';
import { TradingStateStore } from '../../src/infra/trading-state.js';
import { BUSINESS, PERSONAL, REDIS, reader, resultFor, run, sig, simState, waitFor } from './pipeline-helpers.js';
import { captureLogs } from './support-logs.js';

describe('one orderRef, one broker order', () => {
  let stack: Stack;
  let states: TradingStateStore;
  const redis = reader();
  const logs = captureLogs();
  beforeAll(async () => {
    stack = await startStack({ redisUrl: REDIS, logger: logs.logger, config: { execution: { reconcileIntervalMs: 300, inflightCheckMs: 200 } } });
    states = new TradingStateStore(stack.daemon!.infra.redis, stack.daemon!.infra.keys, stack.secrets.controlKey);
  });
  afterAll(async () => {
    redis.disconnect();
    await stack?.stop();
  });
  const audit = async (type: string) => (await readStream(redis, `${stack.config.redis.prefix}:audit`)).filter((e) => e.fields.type === type);

  it('a normal start waits for nothing: no outage is logged', () => {
    expect(logs.matching(/Redis is not reachable|IB is not connected/)).toEqual([]);
  });

  it('a second booking of a resting order is cancelled at once; the first stays live and ours; the account goes REDUCE_ONLY', async () => {
    await stack.admin('/fault', { action: 'duplicate-next' });
    const r = resultFor(await run(stack, sig('dup-rest', { accounts: [PERSONAL], size: { quantity: 3 }, order: { type: 'LMT', limitPrice: 185, tif: 'GTC' } })), PERSONAL);
    expect(r.decision).toBe('PLACED');
    const both = await waitFor(async () => {
      const o = (await simState(stack)).orders.filter((x) => x.orderRef === r.orderRef);
      return o.length === 2 && o.some((x) => x.status === 'Cancelled') ? o : undefined;
    }, 'the duplicate cancelled');
    expect(both.find((x) => x.orderId === r.orderId)?.status).toBe('Submitted');
    expect(both.find((x) => x.orderId !== r.orderId)?.status).toBe('Cancelled');
    expect(await states.getAccount(PERSONAL)).toBe('REDUCE_ONLY');
    expect((await stack.daemon!.infra.outbox.get(r.orderRef ?? ''))?.state).toBe('ACCEPTED');
    const rec = (await audit('order.duplicate')).find((e) => e.fields.orderRef === r.orderRef);
    expect(rec).toBeDefined();
    expect(await audit('order.duplicate-filled')).toHaveLength(0);
  });

  it('both bookings of a market order filled: an alert in the log and the audit trail', async () => {
    await stack.admin('/fault', { action: 'duplicate-next' });
    const r = resultFor(await run(stack, sig('dup-mkt', { accounts: [BUSINESS], size: { quantity: 2 } })), BUSINESS);
    expect(r.decision).toBe('PLACED');
    await waitFor(async () => (await audit('order.duplicate-filled')).some((e) => e.fields.orderRef === r.orderRef), 'the duplicate-filled audit record');
    expect(logs.lines.filter((l) => l.alert === 'DUPLICATE_FILLED' && l.level >= 50)).toHaveLength(1);
    expect(await states.getAccount(BUSINESS)).toBe('REDUCE_ONLY');
    expect((await stack.daemon!.infra.outbox.get(r.orderRef ?? ''))?.filled).toBe(2);
  });

  it('while IB reports connectivity lost (1100) no cancel is sent', async () => {
    const broker = stack.daemon!.broker;
    await stack.admin('/fault', { action: 'connectivity-lost', ms: 1500 });
    await waitFor(async () => !broker.isReadyForOrders(), 'IB to report 1100');
    await expect(broker.cancelOrder(1)).rejects.toThrow(/not ready/);
    await expect(broker.cancelAll()).rejects.toThrow(/not ready/);
    await waitFor(async () => broker.isReadyForOrders(), 'IB restored');
  });
});
