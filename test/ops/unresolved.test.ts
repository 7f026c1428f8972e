/**
 * An order stuck UNRESOLVED on a real daemon (Redis, BullMQ, the simulator over TCP): `/metrics` shows its count
 * and age, and its escalation to REDUCE_ONLY is an UNRESOLVED_TOO_LONG alert to a local webhook receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/domain/types.js';
import { startStack, type Stack } from '../../src/app/stack.js';
import { orderRefFor } from '../../src/domain/order-ref.js';
import { PERSONAL, REDIS, waitFor } from '../integration/pipeline-helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

const gauge = (text: string, name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

describe('UNRESOLVED in metrics and alerts', () => {
  let stack: Stack;
  let hook: Receiver;
  beforeAll(async () => {
    hook = await startReceiver();
    // the absent grace (2 × ackTimeoutMs = 60 s) keeps the order UNRESOLVED through many passes
    stack = await startStack({ redisUrl: REDIS, config: { alerts: { webhooks: [hook.url] }, execution: { reconcileIntervalMs: 150, inflightCheckMs: 150, ackTimeoutMs: 30_000, maxUnresolvedCycles: 3 } }, daemon: { ops: { alertRetryMs: 20 } } });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await hook?.close();
  });

  it('counts it, ages it, and alerts when it escalates', async () => {
    const scrape = async (): Promise<string> => (await fetch(`${stack.daemon!.http.url}metrics`)).text();
    expect(gauge(await scrape(), 'ibkr_exec_unresolved_orders')).toBe(0);
    const outbox = stack.daemon!.infra.outbox;
    const ref = orderRefFor('ops-stuck-1', PERSONAL, 'entry');
    const sentAt = Date.now() - 20_000;
    await outbox.createIntent({ orderRef: ref, signalId: 'ops-stuck-1', account: PERSONAL, leg: 'entry', symbol: 'AAPL', secType: 'STK', currency: 'USD', side: 'BUY', quantity: 1, price: new Decimal(190), multiplier: 1, payload: JSON.stringify({ jobId: 'sig-ops-stuck-1' }), createdAt: sentAt });
    expect((await outbox.update(ref, { state: 'UNRESOLVED', orderId: 987_655, sentAt, updatedAt: sentAt })).ok).toBe(true);
    const text = await scrape();
    expect(gauge(text, 'ibkr_exec_unresolved_orders')).toBe(1);
    expect(gauge(text, 'ibkr_exec_unresolved_oldest_seconds')).toBeGreaterThanOrEqual(20);
    const a = await waitFor(async () => hook.bodies.find((b) => b.kind === 'UNRESOLVED_TOO_LONG'), 'the UNRESOLVED_TOO_LONG alert', 20_000);
    expect(a).toMatchObject({ account: PERSONAL });
    expect(String(a.text)).toMatch(/UNRESOLVED too long/);
    expect(await scrape()).toMatch(/ibkr_exec_reconciliation_conflicts_total\{type="UNRESOLVED_TOO_LONG"\} 1/);
  }, 60_000);
});
